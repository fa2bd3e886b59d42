using System.Diagnostics;
using BenchmarkDotNet.Attributes;
using GovernedExecution.Artifacts.Keys;
using GovernedExecution.Lineage;
using GovernedExecution.PostgreSql.Lineage;
using GovernedExecution.Testing;
using Npgsql;

namespace GovernedExecution.Benchmarks;

/// <summary>
/// Durable appends per second, the PostgreSQL sink beside the file sink in the same run: 1, 16 and 64 concurrent
/// writers, each appending one record at a time and awaiting its acknowledgement (committed with synchronous_commit on,
/// or fsync'ed) before the next. Concurrent appends share commits (group commit) in both sinks. The database is the one
/// GOVEXEC_TEST_POSTGRES names, or a throwaway cluster started with .ci/postgres on this machine (a local server).
/// Times are per record; records per second = 1 / time. Run it alone, in a short configuration:
/// <c>dotnet run -c Release --project benchmarks/GovernedExecution.Benchmarks -- --filter '*PostgreSqlLineage*' --inProcess --warmupCount 1 --iterationCount 3</c>.
/// </summary>
[MemoryDiagnoser]
public class PostgreSqlLineageBenchmarks
{
    private const int RecordsPerInvoke = 2048;

    private string _directory = string.Empty;
    private string? _cluster;
    private SigningKey? _key;
    private NpgsqlDataSource? _dataSource;
    private ILineageSink? _sink;
    private LineageEvent[][] _events = [];

    [Params(1, 16, 64)]
    public int Writers { get; set; }

    [Params("file", "postgresql")]
    public string Sink { get; set; } = "file";

    [GlobalSetup]
    public void Setup()
    {
        _directory = Path.Combine(Path.GetTempPath(), "govexec-pgbench-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(_directory);
        _key = SigningKey.Generate();
        _events = [.. Enumerable.Range(0, Writers).Select(w => new[] { LineageBenchmarks.Event(w) })];
        if (Sink == "file")
        {
            _sink = FileLineageSink.Open(new FileLineageSinkOptions { Path = Path.Combine(_directory, "lineage.jsonl"), CheckpointKey = _key, CheckpointEveryRecords = 1000 });
            return;
        }

        var connectionString = Environment.GetEnvironmentVariable("GOVEXEC_TEST_POSTGRES");
        if (string.IsNullOrWhiteSpace(connectionString))
        {
            _cluster = Path.Combine(_directory, "cluster");
            connectionString = Script("start", _cluster).Trim().Split('\n')[^1].Trim();
        }

        var database = "bench_" + Guid.NewGuid().ToString("N")[..12];
        using (var admin = NpgsqlDataSource.Create(connectionString))
        using (var create = admin.CreateCommand("CREATE DATABASE " + database))
        {
            create.ExecuteNonQuery();
        }

        _dataSource = NpgsqlDataSource.Create(new NpgsqlConnectionStringBuilder(connectionString) { Database = database }.ConnectionString);
        GovernedExecution.PostgreSql.GovernedExecutionPostgreSql.MigrateAsync(_dataSource).GetAwaiter().GetResult();
        _sink = PostgreSqlLineageSink.OpenAsync(_dataSource, new PostgreSqlLineageSinkOptions { CheckpointKey = _key, CheckpointEveryRecords = 1000 }).GetAwaiter().GetResult();
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        (_sink as IDisposable)?.Dispose();
        _dataSource?.Dispose();
        _key?.Dispose();
        if (_cluster is not null)
        {
            NpgsqlConnection.ClearAllPools();
            Script("stop", _cluster);
        }

        Directory.Delete(_directory, recursive: true);
    }

    /// <summary>Each writer appends its share of the records one at a time, awaiting durability before the next.</summary>
    [Benchmark(OperationsPerInvoke = RecordsPerInvoke)]
    public Task DurableAppend()
    {
        var perWriter = RecordsPerInvoke / Writers;
        var tasks = new Task[Writers];
        for (var w = 0; w < Writers; w++)
        {
            var events = _events[w];
            tasks[w] = Task.Run(async () =>
            {
                for (var i = 0; i < perWriter; i++)
                {
                    await _sink!.AppendAsync(events, CancellationToken.None);
                }
            });
        }

        return Task.WhenAll(tasks);
    }

    private static string Script(string verb, string directory)
    {
        var start = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(Path.Combine(TestPaths.RepositoryRoot, ".ci", "postgres"));
        start.ArgumentList.Add(verb);
        start.ArgumentList.Add(directory);
        using var process = Process.Start(start) ?? throw new InvalidOperationException("bash did not start");
        var stdout = process.StandardOutput.ReadToEnd();
        var stderr = process.StandardError.ReadToEnd();
        process.WaitForExit();
        return process.ExitCode == 0 ? stdout : throw new InvalidOperationException(".ci/postgres " + verb + " failed: " + stderr);
    }
}
