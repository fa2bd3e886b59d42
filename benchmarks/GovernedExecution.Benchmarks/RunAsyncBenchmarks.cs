using System.Security.Cryptography;
using System.Security.Cryptography.Cose;
using BenchmarkDotNet.Attributes;
using GovernedExecution.Execution;
using GovernedExecution.Intents;
using GovernedExecution.Testing;

namespace GovernedExecution.Benchmarks;

/// <summary>
/// The end-to-end cost of a governed call (policy, ES256 mint, decode and verify, lineage) next to, in the same
/// run, a bare delegate call, a raw ECDSA P-256 sign+verify of a payload of the artifact's size, and a bare
/// System.Security.Cryptography.Cose sign + decode + verify of the same payload.
/// </summary>
[MemoryDiagnoser]
public class RunAsyncBenchmarks
{
    private GovernedTestHost _host = null!;
    private ExecutionIntent _permitted = null!;
    private ExecutionIntent _forbidden = null!;
    private ECDsa _ecdsa = null!;
    private IGovernedExecutor _worker = null!;
    private ExecutionIntent _presentedIntent = null!;

    private byte[] _payload = null!;
    private readonly Func<int, GovernedContext, CancellationToken, ValueTask<int>> _operation = static (state, ctx, ct) => ValueTask.FromResult(state + 1);
    private readonly Func<int, ValueTask<int>> _bare = static state => ValueTask.FromResult(state + 1);

    [GlobalSetup]
    public void Setup()
    {
        // The in-memory sink keeps every record: this one hashes and chains the same way but keeps only the head,
        // so that memory stays flat over millions of calls.
        // The replay guard holds every token id for the artifact's lifetime, the skew and its retention (about 6.5
        // minutes): sized for the calls of a whole run, so that it never fills and denies.
        _host = new GovernedTestHost(
            b => b.UseReplayGuard(new GovernedExecution.Artifacts.InMemoryReplayGuard(TimeProvider.System, capacity: 10_000_000)),
            time: TimeProvider.System, lineage: new ChainOnlyLineageSink());
        _permitted = GovernedTestHost.Intent("read");
        _forbidden = GovernedTestHost.Intent("delete");
        _ecdsa = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var artifact = _host.Executor.IssueAsync(_permitted).AsTask().GetAwaiter().GetResult().Artifact!;
        _payload = CoseMessage.DecodeSign1(artifact.Encoded.Span).Content!.Value.ToArray();

        // A verify-only worker holding only the public key runs an artifact minted by the host. Every check runs on
        // every call; the worker's clock is frozen at mint time and its replay guard admits the one artifact again,
        // so that the measurement is the verification, not an expiry or a replay denial.
        _presentedIntent = GovernedTestHost.Intent("refund", "presented");
        _presentedArtifact = _host.Executor.IssueAsync(_presentedIntent).AsTask().GetAwaiter().GetResult().Artifact!;
        _worker = new GovernedExecution.DependencyInjection.GovernedExecutorBuilder()
            .Configure(o => { o.Audience = GovernedTestHost.Audience; o.VerifyOnly = true; })
            .UseTrustedKeys(_host.SigningKey.ToTrustedKey())
            .UseTimeProvider(new Microsoft.Extensions.Time.Testing.FakeTimeProvider(DateTimeOffset.UtcNow))
            .UseReplayGuard(new AdmitAll())
            .AddLineageSink(new ChainOnlyLineageSink())
            .Build();
    }

    private GovernedExecution.Artifacts.AuthorizationArtifact _presentedArtifact = null!;

    [GlobalCleanup]
    public void Cleanup()
    {
        _host.Dispose();
        _ecdsa.Dispose();
    }

    [Benchmark(Baseline = true, Description = "bare delegate call")]
    public ValueTask<int> Bare() => _bare(1);

    [Benchmark(Description = "raw ECDSA P-256 sign+verify (artifact payload size)")]
    public bool RawEcdsaSignVerify()
    {
        var signature = _ecdsa.SignData(_payload, HashAlgorithmName.SHA256);
        return _ecdsa.VerifyData(_payload, signature, HashAlgorithmName.SHA256);
    }

    [Benchmark(Description = "bare COSE_Sign1 ES256 sign+decode+verify")]
    public bool BareCose()
    {
        var encoded = CoseSign1Message.SignEmbedded(_payload, new CoseSigner(_ecdsa, HashAlgorithmName.SHA256));
        return CoseMessage.DecodeSign1(encoded).VerifyEmbedded(_ecdsa);
    }

    [Benchmark(Description = "RunAsync permitted (ES256 mint+verify, in-memory lineage)")]
    public async ValueTask<int> RunAsyncPermitted() =>
        (await _host.Executor.RunOutcomeAsync(_permitted, 1, _operation).ConfigureAwait(false)).Result;

    [Benchmark(Description = "RunAsync presented artifact, verify-only worker (ES256 verify)")]
    public async ValueTask<bool> RunAsyncPresented()
    {
        return (await _worker.RunOutcomeAsync(_presentedIntent, _presentedArtifact, 1, _operation).ConfigureAwait(false)).IsSuccess;
    }

    [Benchmark(Description = "RunAsync nested (outer + inner, two mints and verifications)")]
    public async ValueTask<int> RunAsyncNested() =>
        (await _host.Executor.RunOutcomeAsync(_permitted, this, static async (self, ctx, ct) =>
            (await self._host.Executor.RunOutcomeAsync(self._permitted, 1, self._operation, ct).ConfigureAwait(false)).Result, default).ConfigureAwait(false)).Result;

    [Benchmark(Description = "RunAsync denied by policy")]
    public async ValueTask<bool> RunAsyncDenied() =>
        (await _host.Executor.RunOutcomeAsync(_forbidden, 1, _operation).ConfigureAwait(false)).IsDenied;

    private sealed class AdmitAll : GovernedExecution.Artifacts.IReplayGuard
    {
        public ValueTask<bool> TryConsumeAsync(Guid tokenId, DateTimeOffset expiresAt, CancellationToken cancellationToken) => ValueTask.FromResult(true);
    }
}
