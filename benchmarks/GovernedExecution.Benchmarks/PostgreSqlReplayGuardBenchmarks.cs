using BenchmarkDotNet.Attributes;
using GovernedExecution.Artifacts;
using GovernedExecution.PostgreSql.Replay;

namespace GovernedExecution.Benchmarks;

/// <summary>
/// The time one replay check adds to a governed call: the PostgreSQL guard (one round trip to a definer function that
/// inserts the token id under a unique key, committed with synchronous_commit on) beside the in-memory guard, in the
/// same run; one caller, and 16 concurrent callers (time per check). Run it alone, in a short configuration:
/// <c>dotnet run -c Release --project benchmarks/GovernedExecution.Benchmarks -- --filter '*PostgreSqlReplayGuard*' --inProcess --warmupCount 1 --iterationCount 3</c>.
/// </summary>
[MemoryDiagnoser]
public class PostgreSqlReplayGuardBenchmarks
{
    private const int ChecksPerInvoke = 256;

    private string _directory = string.Empty;
    private BenchmarkPostgres? _postgres;
    private IReplayGuard? _guard;

    [Params("memory", "postgresql")]
    public string Guard { get; set; } = "memory";

    [Params(1, 16)]
    public int Callers { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _directory = Path.Combine(Path.GetTempPath(), "govexec-pgguard-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(_directory);
        if (Guard == "memory")
        {
            _guard = new InMemoryReplayGuard(TimeProvider.System, capacity: 10_000_000);
            return;
        }

        _postgres = BenchmarkPostgres.Start(_directory);
        _guard = new PostgreSqlReplayGuard(_postgres.DataSource);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _postgres?.Dispose();
        Directory.Delete(_directory, recursive: true);
    }

    /// <summary>Each caller checks fresh token ids one after another (every check is a first use).</summary>
    [Benchmark(OperationsPerInvoke = ChecksPerInvoke)]
    public Task Check()
    {
        var perCaller = ChecksPerInvoke / Callers;
        var expiresAt = DateTimeOffset.UtcNow.AddMinutes(5);
        var tasks = new Task[Callers];
        for (var c = 0; c < Callers; c++)
        {
            tasks[c] = Task.Run(async () =>
            {
                for (var i = 0; i < perCaller; i++)
                {
                    if (!await _guard!.TryConsumeAsync(Guid.NewGuid(), expiresAt, CancellationToken.None))
                    {
                        throw new InvalidOperationException("a fresh token id was reported as a replay");
                    }
                }
            });
        }

        return Task.WhenAll(tasks);
    }
}
