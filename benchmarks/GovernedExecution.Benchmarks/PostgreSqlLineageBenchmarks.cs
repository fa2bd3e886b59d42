using BenchmarkDotNet.Attributes;
using GovernedExecution.Artifacts.Keys;
using GovernedExecution.Lineage;
using GovernedExecution.PostgreSql.Lineage;

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
    private SigningKey? _key;
    private BenchmarkPostgres? _postgres;
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

        _postgres = BenchmarkPostgres.Start(_directory);
        _sink = PostgreSqlLineageSink.OpenAsync(_postgres.DataSource, new PostgreSqlLineageSinkOptions { CheckpointKey = _key, CheckpointEveryRecords = 1000 }).GetAwaiter().GetResult();
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        (_sink as IDisposable)?.Dispose();
        _postgres?.Dispose();
        _key?.Dispose();

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
}
