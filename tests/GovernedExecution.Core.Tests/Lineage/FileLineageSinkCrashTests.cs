using System.Diagnostics;
using System.Globalization;
using GovernedExecution.Lineage;
using GovernedExecution.Testing;
using Xunit.Abstractions;

namespace GovernedExecution.Tests.Lineage;

/// <summary>
/// A child process appends through the file sink as fast as it can and prints each acknowledged sequence number; it is
/// killed (SIGKILL) at random moments, 200 times over one file. After every kill the file is opened (repaired), closed,
/// verified, and every acknowledged record must be in it. Half the runs write in small pieces, so that kills tear lines.
/// </summary>
public sealed class FileLineageSinkCrashTests(ITestOutputHelper output) : IDisposable
{
    private const int Kills = 200;
    private readonly LineageTestLog _log = new();

    public void Dispose() => _log.Dispose();

    [Fact]
    public async Task Every_acknowledged_record_survives_200_kills_and_the_file_repairs_and_verifies()
    {
        var writer = CrashWriterPath();
        var keyPath = Path.Combine(_log.Directory, "key.pem");
        await File.WriteAllTextAsync(keyPath, _log.Key.ExportPrivateKeyPem());
        var seed = Environment.TickCount;
        var random = new Random(seed);
        output.WriteLine($"seed {seed}");

        // Verified incrementally: the engine carries the chain and Merkle tree from one kill to the next.
        var engine = new LineageVerificationEngine(_log.Trusted.ToDictionary(k => k.KeyId, StringComparer.Ordinal));
        var written = new Dictionary<long, string>();
        long verifiedLength = 0;
        byte[] verifiedTail = [];
        long acknowledged = 0, repairs = 0, killedBeforeFirstAck = 0;

        for (var kill = 0; kill < Kills; kill++)
        {
            var acks = await RunAndKillAsync(writer, keyPath, random, _log.Path);
            if (acks.Count == 0)
            {
                killedBeforeFirstAck++;
            }

            // Open (repairs a torn tail, adopts the records a kill left after the last checkpoint), close (writes the closing checkpoint).
            await using (FileLineageSink.Open(_log.Options(o => o.AdoptUnsignedTail = true)))
            {
            }

            // The part verified before is untouched: same length at least, same last verified line.
            await using var stream = new FileStream(_log.Path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
            Assert.True(stream.Length >= verifiedLength, $"kill {kill}: the file shrank below what was verified (seed {seed})");
            var check = new byte[verifiedTail.Length];
            stream.Seek(verifiedLength - verifiedTail.Length, SeekOrigin.Begin);
            stream.ReadExactly(check);
            Assert.True(check.AsSpan().SequenceEqual(verifiedTail), $"kill {kill}: a verified record changed (seed {seed})");

            var reader = new LineageLineReader(stream, verifiedLength);
            stream.Seek(verifiedLength, SeekOrigin.Begin);
            while (reader.TryRead(out var line, out var offset, out var terminated))
            {
                Assert.True(terminated, $"kill {kill}: torn line at offset {offset} after repair (seed {seed})");
                var error = engine.Feed(line.Span, out var record);
                if (error is not null && reader.NextSeals(line.Span))
                {
                    // A torn line, kept (never truncated) and sealed by the repair record that follows it.
                    continue;
                }

                Assert.True(error is null, $"kill {kill}: record {engine.Records + 1} at offset {offset}: {error} (seed {seed})");
                if (record!.Kind == LineageEventKind.Repair)
                {
                    repairs++;
                }

                written[record.Sequence] = record.ExecutionId.ToString("D");
                verifiedTail = [.. line.Span, (byte)'\n'];
                verifiedLength = offset + line.Length + 1;
            }

            // (Empty only when every kill so far came before the child had written anything.)
            Assert.True(engine.Records == 0 || engine.LastIsCheckpoint, $"kill {kill}: the log does not end with a checkpoint (seed {seed})");
            foreach (var (sequence, execution) in acks)
            {
                Assert.True(written.TryGetValue(sequence, out var found) && found == execution, $"kill {kill}: acknowledged record {sequence} ({execution}) is missing (seed {seed})");
            }

            acknowledged += acks.Count;
        }

        var full = _log.Verify();
        Assert.True(full.IsValid, full.ToString());
        output.WriteLine($"{Kills} kills, {acknowledged} acknowledged appends, {full.Records} records, {full.Checkpoints} checkpoints, {repairs} repairs, {killedBeforeFirstAck} kills before the first acknowledgement");
        Assert.True(acknowledged > Kills, "the child acknowledged almost nothing: the test did not exercise the sink");
        Assert.True(repairs > 0, "no kill left a torn line: the repair path was not exercised");
    }

    private static async Task<List<(long Sequence, string Execution)>> RunAndKillAsync(string writer, string keyPath, Random random, string? path = null)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(writer);
        start.ArgumentList.Add(path ?? throw new ArgumentNullException(nameof(path)));
        start.ArgumentList.Add(keyPath);
        start.ArgumentList.Add("4");
        if (random.Next(2) == 0)
        {
            // Groups written in small pieces: kills land inside lines, leaving torn tails to repair.
            start.ArgumentList.Add("chunked");
        }
        using var process = Process.Start(start)!;
        var firstLine = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var lines = new List<string>();
        var stdout = Task.Run(async () =>
        {
            while (await process.StandardOutput.ReadLineAsync() is { } line)
            {
                lines.Add(line);
                firstLine.TrySetResult();
            }
        });
        var stderr = process.StandardError.ReadToEndAsync();

        if (random.Next(4) == 0)
        {
            // Anywhere from start-up through open and repair to the first appends.
            await Task.Delay(random.Next(0, 250));
        }
        else
        {
            await Task.WhenAny(firstLine.Task, Task.Delay(TimeSpan.FromSeconds(30)));
            await Task.Delay(random.Next(0, 30));
        }

        process.Kill();
        await process.WaitForExitAsync();
        await stdout;
        var errors = await stderr;
        Assert.DoesNotContain("Unhandled exception", errors, StringComparison.Ordinal);

        var acks = new List<(long, string)>();
        foreach (var line in lines)
        {
            var parts = line.Split(' ');
            if (parts.Length == 2 && long.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var sequence) && parts[1].Length == 36)
            {
                acks.Add((sequence, parts[1]));
            }
        }

        return acks;
    }

    private static string CrashWriterPath()
    {
        // Built beside the tests, in the same configuration (the test project references it).
        var configuration = new DirectoryInfo(AppContext.BaseDirectory).Parent!.Name;
        var path = Path.Combine(TestPaths.RepositoryRoot, "tests", "GovernedExecution.Lineage.CrashWriter", "bin", configuration, "net10.0", "GovernedExecution.Lineage.CrashWriter.dll");
        Assert.True(File.Exists(path), "crash writer not built: " + path);
        return path;
    }
}
