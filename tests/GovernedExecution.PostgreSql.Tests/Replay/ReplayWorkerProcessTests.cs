using System.Diagnostics;
using GovernedExecution.Testing;

namespace GovernedExecution.PostgreSql.Tests.Replay;

/// <summary>Worker processes (tests/GovernedExecution.PostgreSql.ReplayWorker) sharing one replay guard through the database.</summary>
[Collection(PostgresTests.Name)]
public sealed class ReplayWorkerProcessTests(PostgresServer server)
{
    private const int Workers = 8;

    [Fact]
    public async Task Eight_worker_processes_presented_the_same_artifact_at_once_run_it_exactly_once()
    {
        await using var db = await server.CreateDatabaseAsync();
        await GovernedExecutionPostgreSql.MigrateAsync(db);
        await using (var table = db.CreateCommand("CREATE TABLE public.runs (worker text NOT NULL)"))
        {
            await table.ExecuteNonQueryAsync();
        }

        using var fleet = new Fleet();
        var directory = Directory.CreateTempSubdirectory("govexec-replay-workers-");
        try
        {
            var artifactPath = Path.Combine(directory.FullName, "artifact.cose");
            var keyPath = Path.Combine(directory.FullName, "worker.pub.pem");
            await File.WriteAllBytesAsync(artifactPath, (await fleet.MintAsync()).Encoded.ToArray());
            await File.WriteAllTextAsync(keyPath, fleet.SigningKey.ToTrustedKey().ExportPublicKeyPem());

            var processes = Enumerable.Range(0, Workers).Select(i => Start(db.ConnectionString, artifactPath, keyPath, "w" + i)).ToArray();
            try
            {
                // Every worker is built and connected before any of them is told to run.
                foreach (var process in processes)
                {
                    Assert.Equal("ready", await process.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromMinutes(2)));
                }

                foreach (var process in processes)
                {
                    await process.StandardInput.WriteLineAsync("go");
                    await process.StandardInput.FlushAsync();
                }

                var results = new List<string>();
                foreach (var process in processes)
                {
                    var line = await process.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromMinutes(2));
                    await process.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(1));
                    Assert.True(process.ExitCode == 0, await process.StandardError.ReadToEndAsync());
                    results.Add(line!);
                }

                Assert.Single(results, r => r == "ran");
                Assert.All(results.Where(r => r != "ran"), r => Assert.Equal("denied Replayed the artifact was already used", r));
                Assert.Equal(1L, await Migrations.MigrationTests.ScalarAsync<long>(db, "SELECT count(*) FROM public.runs"));
            }
            finally
            {
                foreach (var process in processes)
                {
                    if (!process.HasExited)
                    {
                        process.Kill();
                    }

                    process.Dispose();
                }
            }
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }

    private static Process Start(string connectionString, string artifactPath, string keyPath, string name)
    {
        var configuration = new DirectoryInfo(AppContext.BaseDirectory).Parent!.Name;
        var dll = Path.Combine(TestPaths.RepositoryRoot, "tests", "GovernedExecution.PostgreSql.ReplayWorker", "bin", configuration, "net10.0", "GovernedExecution.PostgreSql.ReplayWorker.dll");
        Assert.True(File.Exists(dll), "the replay worker is not built: " + dll);
        var start = new ProcessStartInfo("dotnet") { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in new[] { dll, connectionString, GovernedExecutionPostgreSql.DefaultSchema, artifactPath, keyPath, name })
        {
            start.ArgumentList.Add(argument);
        }

        return Process.Start(start)!;
    }
}
