using BenchmarkDotNet.Attributes;
using GovernedExecution.Artifacts.Keys;
using GovernedExecution.Lineage;

namespace GovernedExecution.Benchmarks;

/// <summary>
/// Durable appends through <see cref="FileLineageSink"/> (BeforeInvoke: each append returns once its record is
/// fsync'ed) with 1, 8 and 64 concurrent writers sharing group commits. Times are per
/// record; records per second = 1 / time.
/// </summary>
[MemoryDiagnoser]
[SimpleJob(launchCount: 1, warmupCount: 2, iterationCount: 8)]
public class LineageBenchmarks
{
    private const int RecordsPerInvoke = 4096;

    private string _directory = string.Empty;
    private SigningKey? _key;
    private FileLineageSink? _sink;
    private LineageEvent[][] _events = [];

    [Params(1, 8, 64)]
    public int Writers { get; set; }

    /// <summary>With a <see cref="DirectoryCheckpointWitness"/>: every checkpoint (every 1000 records) is offered with a consistency proof.</summary>
    [Params(false, true)]
    public bool Witnessed { get; set; }

    [GlobalSetup(Target = nameof(DurableAppend))]
    public void SetupDurable()
    {
        _directory = Path.Combine(Path.GetTempPath(), "govexec-bench-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(_directory);
        _key = SigningKey.Generate();
        _sink = FileLineageSink.Open(new FileLineageSinkOptions
        {
            Path = Path.Combine(_directory, "lineage.jsonl"),
            CheckpointKey = _key,
            CheckpointEveryRecords = 1000,
            Witness = Witnessed ? new DirectoryCheckpointWitness(Path.Combine(_directory, "witness")) : null,
        });
        _events = [.. Enumerable.Range(0, Writers).Select(w => new[] { Event(w) })];
    }

    [GlobalCleanup(Target = nameof(DurableAppend))]
    public void CleanupDurable()
    {
        _sink?.Dispose();
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

    internal static LineageEvent Event(int writer) => new(
        LineageEventKind.IntentSubmitted,
        Guid.NewGuid(),
        null,
        new DateTimeOffset(2026, 11, 26, 12, 0, 0, TimeSpan.Zero),
        [new("principal", "Agent::\"support-bot\""), new("action", "Action::\"refund\""), new("resource", "Ticket::\"t-" + writer + "\""), new("intent_digest", new string('a', 64))]);
}

/// <summary>The in-memory sink: the cost of chaining and hashing one record, without I/O.</summary>
[MemoryDiagnoser]
[SimpleJob(launchCount: 1, warmupCount: 2, iterationCount: 8)]
public class InMemoryLineageBenchmarks
{
    private const int RecordsPerInvoke = 4096;

    private readonly LineageEvent[] _events = [LineageBenchmarks.Event(0)];

    /// <summary>The in-memory sink: chaining and hashing one record, no I/O (a fresh sink per 4096 records).</summary>
    [Benchmark(OperationsPerInvoke = RecordsPerInvoke)]
    public async Task InMemoryAppend()
    {
        var sink = new InMemoryLineageSink("bench");
        var events = _events;
        for (var i = 0; i < RecordsPerInvoke; i++)
        {
            await sink.AppendAsync(events, CancellationToken.None);
        }
    }
}
