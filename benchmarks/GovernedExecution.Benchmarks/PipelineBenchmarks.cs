using BenchmarkDotNet.Attributes;
using GovernedExecution.Execution;
using GovernedExecution.Intents;
using GovernedExecution.Testing;
using Polly;

namespace GovernedExecution.Benchmarks;

/// <summary>
/// The pipeline's own overhead, without cryptography: <c>RunAsync</c> with the artifact issuer and verifier
/// switched to a test double, next to a Polly v8 <see cref="ResiliencePipeline"/> with one no-op strategy.
/// </summary>
[MemoryDiagnoser]
public class PipelineBenchmarks
{
    private readonly Func<int, GovernedContext, CancellationToken, ValueTask<int>> _operation = static (state, ctx, ct) => ValueTask.FromResult(state + 1);
    private GovernedTestHost _host = null!;
    private ExecutionIntent _intent = null!;
    private ResiliencePipeline _polly = null!;

    [GlobalSetup]
    public void Setup()
    {
        var policies = GovernedTestHost.DefaultPolicies();
        var codec = new NoCryptoArtifacts(policies.PolicySetDigest);
        _host = new GovernedTestHost(b => b.UseArtifactCodec(codec, codec), policies, TimeProvider.System, new ChainOnlyLineageSink());
        _intent = GovernedTestHost.Intent("read");
        _polly = new ResiliencePipelineBuilder().AddTimeout(TimeSpan.FromSeconds(30)).Build();
    }

    [GlobalCleanup]
    public void Cleanup() => _host.Dispose();

    [Benchmark(Baseline = true, Description = "Polly v8 pipeline, one timeout strategy")]
    public ValueTask<int> Polly() => _polly.ExecuteAsync(static (state, ct) => ValueTask.FromResult(state + 1), 1, CancellationToken.None);

    [Benchmark(Description = "RunAsync, signing switched to a test double")]
    public async ValueTask<int> RunAsyncWithoutCrypto() =>
        (await _host.Executor.RunOutcomeAsync(_intent, 1, _operation).ConfigureAwait(false)).Result;
}
