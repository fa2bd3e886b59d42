using System.Diagnostics;
using System.Globalization;
using GovernedExecution.Lineage;
using GovernedExecution.Testing;
using Xunit.Abstractions;

namespace GovernedExecution.PostgreSql.Tests.Lineage;

/// <summary>
/// Several writer processes append into one database at once, each printing every acknowledged sequence; all are killed
/// (SIGKILL) under load, several rounds over. Every printed record must be in the database at its writer and sequence,
/// and every chain (one per process start) must verify.
/// </summary>
[Collection(PostgresTests.Name)]
public sealed class PostgreSqlLineageCrashTests(PostgresServer server, ITestOutputHelper output)
{
    private const int Processes = 4;
    private const int Rounds = 3;

    [Fact]
    public async Task Writer_processes_killed_under_load_lose_no_acknowledged_record_and_every_chain_verifies()
    {
        await using var db = await LineageTestDatabase.CreateAsync(server);
        var keyPath = Path.Combine(Path.GetTempPath(), "govexec-pgkey-" + Guid.NewGuid().ToString("N") + ".pem");
        await File.WriteAllTextAsync(keyPath, db.Key.ExportPrivateKeyPem());
        var seed = Environment.TickCount;
        var random = new Random(seed);
        output.WriteLine($"seed {seed}");
        var acknowledged = new List<(Guid Writer, long Sequence, Guid Execution)>();
        try
        {
            for (var round = 0; round < Rounds; round++)
            {
                var runs = await Task.WhenAll(Enumerable.Range(0, Processes).Select(_ => RunAndKillAsync(db.ConnectionString, keyPath, random.Next(0, 200))));
                foreach (var (writer, acks) in runs)
                {
                    acknowledged.AddRange(acks.Select(a => (writer, a.Sequence, a.Execution)));
                }
            }
        }
        finally
        {
            File.Delete(keyPath);
        }

        Assert.True(acknowledged.Count > Processes * Rounds * 20, $"only {acknowledged.Count} acknowledged appends: the test did not exercise the sink (seed {seed})");
        foreach (var writer in acknowledged.Select(a => a.Writer).Distinct())
        {
            var chain = (await db.ChainAsync(writer)).ToDictionary(r => r.Sequence, r => LineageRecordLine.TryParse(r.Record, out _)!.ExecutionId);
            foreach (var (_, sequence, execution) in acknowledged.Where(a => a.Writer == writer))
            {
                Assert.True(chain.TryGetValue(sequence, out var found) && found == execution, $"acknowledged record {sequence} ({execution}) of writer {writer} is missing (seed {seed})");
            }
        }

        var verification = await db.VerifyAsync();
        Assert.True(verification.IsValid, verification.ToJson());
        Assert.Equal(Processes * Rounds, verification.Chains.Count);
        Assert.All(verification.Chains, c => Assert.False(c.Closed));
        output.WriteLine($"{acknowledged.Count} acknowledged appends in {verification.Chains.Count} chains, {verification.Chains.Sum(c => c.Records)} records");
    }

    private static async Task<(Guid Writer, List<(long Sequence, Guid Execution)> Acks)> RunAndKillAsync(string connectionString, string keyPath, int extraMilliseconds)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(CrashWriterPath());
        start.ArgumentList.Add(connectionString);
        start.ArgumentList.Add(keyPath);
        start.ArgumentList.Add("8");
        using var process = Process.Start(start)!;
        var enough = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var lines = new List<string>();
        var stdout = Task.Run(async () =>
        {
            while (await process.StandardOutput.ReadLineAsync() is { } line)
            {
                lines.Add(line);
                if (lines.Count > 50)
                {
                    enough.TrySetResult();
                }
            }
        });
        var stderr = process.StandardError.ReadToEndAsync();
        await Task.WhenAny(enough.Task, process.WaitForExitAsync(), Task.Delay(TimeSpan.FromSeconds(60)));
        await Task.Delay(extraMilliseconds);
        process.Kill();
        await process.WaitForExitAsync();
        await stdout;
        var errors = await stderr;
        Assert.True(lines.Count > 0 && lines[0].StartsWith("writer ", StringComparison.Ordinal), "the writer did not start: " + errors);
        var acks = new List<(long, Guid)>();
        foreach (var line in lines.Skip(1))
        {
            var parts = line.Split(' ');
            if (parts.Length == 2 && long.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var sequence) && Guid.TryParse(parts[1], out var execution))
            {
                acks.Add((sequence, execution));
            }
        }

        return (Guid.Parse(lines[0]["writer ".Length..]), acks);
    }

    internal static string CrashWriterPath()
    {
        // Built beside the tests, in the same configuration (the test project references it).
        var configuration = new DirectoryInfo(AppContext.BaseDirectory).Parent!.Name;
        var path = Path.Combine(TestPaths.RepositoryRoot, "tests", "GovernedExecution.PostgreSql.CrashWriter", "bin", configuration, "net10.0", "GovernedExecution.PostgreSql.CrashWriter.dll");
        Assert.True(File.Exists(path), "crash writer not built: " + path);
        return path;
    }
}
