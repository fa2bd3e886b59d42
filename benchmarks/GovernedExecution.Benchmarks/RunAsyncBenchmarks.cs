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
    private byte[] _payload = null!;
    private readonly Func<int, GovernedContext, CancellationToken, ValueTask<int>> _operation = static (state, ctx, ct) => ValueTask.FromResult(state + 1);
    private readonly Func<int, ValueTask<int>> _bare = static state => ValueTask.FromResult(state + 1);

    [GlobalSetup]
    public void Setup()
    {
        // The in-memory sink keeps every record: this one hashes and chains the same way but keeps only the head,
        // so that memory stays flat over millions of calls.
        _host = new GovernedTestHost(time: TimeProvider.System, lineage: new ChainOnlyLineageSink());
        _permitted = GovernedTestHost.Intent("read");
        _forbidden = GovernedTestHost.Intent("delete");
        _ecdsa = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var artifact = _host.Executor.IssueAsync(_permitted).AsTask().GetAwaiter().GetResult().Artifact!;
        _payload = CoseMessage.DecodeSign1(artifact.Encoded.Span).Content!.Value.ToArray();
    }

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

    [Benchmark(Description = "RunAsync denied by policy")]
    public async ValueTask<bool> RunAsyncDenied() =>
        (await _host.Executor.RunOutcomeAsync(_forbidden, 1, _operation).ConfigureAwait(false)).IsDenied;
}
