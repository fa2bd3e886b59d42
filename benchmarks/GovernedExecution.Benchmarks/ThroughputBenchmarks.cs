using BenchmarkDotNet.Attributes;
using GovernedExecution.Artifacts;
using GovernedExecution.Artifacts.Keys;
using GovernedExecution.DependencyInjection;
using GovernedExecution.Execution;
using GovernedExecution.Intents;
using GovernedExecution.Lineage;
using GovernedExecution.Testing;

namespace GovernedExecution.Benchmarks;

/// <summary>
/// Governed calls per second with 1, 8, 32 and 64 concurrent callers, each artifact signed alone or in batches. Every
/// call is a whole <c>RunOutcomeAsync</c>: C# rule policies, an ES256 artifact minted, then decoded and verified (key,
/// signature or inclusion proof and cached root, claims, replay) before the operation runs, and its lineage records
/// made durable by a <see cref="FileLineageSink"/> (fsync'ed before the operation runs, checkpoints signed every 1000
/// records) or, to show what the disk costs, kept by an in-memory chain. Times are per call; calls per second = 1 / time.
/// The job is given on the command line (benchmarks/results/throughput.md).
/// </summary>
[MemoryDiagnoser]
public class ThroughputBenchmarks
{
    private const int CallsPerInvoke = 1024;

    private string _directory = string.Empty;
    private SigningKey? _key;
    private FileLineageSink? _file;
    private IGovernedExecutor _executor = null!;
    private ExecutionIntent[] _intents = [];
    private ArtifactBatchMeter? _batches;

    [Params(1, 8, 32, 64)]
    public int Callers { get; set; }

    [Params(ArtifactSigningMode.PerArtifact, ArtifactSigningMode.Batched)]
    public ArtifactSigningMode Signing { get; set; }

    [Params("file", "memory")]
    public string Lineage { get; set; } = "file";

    public void Setup()
    {
        _directory = Path.Combine(Path.GetTempPath(), "govexec-throughput-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(_directory);
        _key = SigningKey.Generate();
        ILineageSink sink = Lineage == "file"
            ? _file = FileLineageSink.Open(new FileLineageSinkOptions
            {
                Path = Path.Combine(_directory, "lineage.jsonl"),
                CheckpointKey = _key,
                CheckpointEveryRecords = 1000,
            })
            : new ChainOnlyLineageSink();
        _executor = new GovernedExecutorBuilder()
            .Configure(o => { o.Audience = GovernedTestHost.Audience; o.ArtifactSigning = Signing; })
            .UsePolicies(GovernedTestHost.DefaultPolicies())
            .UseSigningKey(_key)
            .UseTrustedKeys(_key.ToTrustedKey())
            .AddLineageSink(sink)
            // Every token id is held for the artifact's lifetime, the skew and the retention (about 6.5 minutes): at
            // these rates that is millions of ids, so the guard is sized for the whole run instead of the default 100,000.
            .UseReplayGuard(new InMemoryReplayGuard(TimeProvider.System, capacity: 20_000_000))
            .Build();
        _intents = [.. Enumerable.Range(0, Callers).Select(c => GovernedTestHost.Intent("read", "ticket-" + c))];
    }

    /// <summary>For the BenchmarkDotNet run (in process): counts the signatures of this case, printed at its cleanup.</summary>
    [GlobalSetup(Target = nameof(GovernedCalls))]
    public void SetupWithBatchMeter()
    {
        Setup();
        _batches = new ArtifactBatchMeter();
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        if (_batches is not null)
        {
            // In the log, next to the case: every call of every iteration (warm-up included) counts.
            Console.WriteLine($"// artifact signatures: {_batches.Signatures}, artifacts: {_batches.Artifacts}, mean batch size: {_batches.MeanBatchSize:F2}, largest: {_batches.Largest}");
            _batches.Dispose();
            _batches = null;
        }

        _file?.Dispose();
        _key?.Dispose();
        Directory.Delete(_directory, recursive: true);
    }

    /// <summary>Each caller runs its share of the calls one after another; a denied call stops the benchmark.</summary>
    [Benchmark(OperationsPerInvoke = CallsPerInvoke)]
    public Task GovernedCalls()
    {
        var perCaller = CallsPerInvoke / Callers;
        var tasks = new Task[Callers];
        for (var c = 0; c < Callers; c++)
        {
            var intent = _intents[c];
            tasks[c] = Task.Run(async () =>
            {
                for (var i = 0; i < perCaller; i++)
                {
                    var outcome = await _executor.RunOutcomeAsync(intent, 0, static (state, context, ct) => ValueTask.FromResult(state + 1)).ConfigureAwait(false);
                    if (!outcome.IsSuccess)
                    {
                        throw new InvalidOperationException("denied: " + outcome.Denial);
                    }
                }
            });
        }

        return Task.WhenAll(tasks);
    }
}
