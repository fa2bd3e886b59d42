using BenchmarkDotNet.Attributes;
using GovernedExecution.Artifacts;
using GovernedExecution.Intents;
using GovernedExecution.Lineage;
using GovernedExecution.Testing;

namespace GovernedExecution.Benchmarks;

/// <summary>The stages of a governed call, one at a time: intent digest, artifact mint, artifact verify, lineage record.</summary>
[MemoryDiagnoser]
public class StageBenchmarks
{
    private GovernedTestHost _host = null!;
    private ExecutionIntent _intent = null!;
    private byte[] _digest = null!;
    private ArtifactRequest _request = null!;
    private IArtifactIssuer _issuer = null!;
    private IArtifactVerifier _verifier = null!;
    private AuthorizationArtifact _artifact = null!;
    private ArtifactVerificationContext _context = null!;
    private LineageEvent _event = null!;

    [GlobalSetup]
    public void Setup()
    {
        _host = new GovernedTestHost(time: TimeProvider.System);
        _intent = new ExecutionIntent(GovernedTestHost.Agent(), new("Action", "refund"), new("Order", "A-1001"))
        {
            Context = new Dictionary<string, IntentValue> { ["amount"] = 20L, ["currency"] = "EUR", ["tags"] = IntentValue.Set("web", "priority") },
            ArgumentsDigest = ArgumentsDigest.Compute([new("order", "A-1001"), new("amount", 20L)]),
        };
        _digest = IntentEncoding.Digest(_intent);
        var decision = _host.Policies.EvaluateAsync(GovernedTestHost.Intent("refund"), default, default).AsTask().GetAwaiter().GetResult();
        _request = new ArtifactRequest(_digest, "Agent::\"support-bot\"", GovernedTestHost.Audience, decision);
        _issuer = CoseArtifacts.CreateIssuer(new GovernedExecution.Artifacts.Keys.StaticSigningKeyProvider(_host.SigningKey), TimeProvider.System);
        _artifact = _issuer.IssueAsync(_request, default).AsTask().GetAwaiter().GetResult();
        _verifier = new CoseArtifactVerifier(_host.TrustStore, new NeverReplayed(), TimeProvider.System, TimeSpan.FromSeconds(30), [ArtifactAlgorithm.ES256]);
        _context = new ArtifactVerificationContext(_digest, GovernedTestHost.Audience);
        _event = new LineageEvent(LineageEventKind.PolicyEvaluated, Guid.NewGuid(), null, DateTimeOffset.UtcNow,
            [new("decision", "Permitted"), new("policies", "allow-refund"), new("errors", string.Empty), new("policy_set", new string('a', 64))]);
    }

    [GlobalCleanup]
    public void Cleanup() => _host.Dispose();

    [Benchmark(Description = "intent digest (deterministic CBOR + SHA-256)")]
    public byte[] IntentDigest() => IntentEncoding.Digest(_intent);

    [Benchmark(Description = "artifact mint (ES256)")]
    public AuthorizationArtifact Mint() => _issuer.IssueAsync(_request, default).Result;

    [Benchmark(Description = "artifact verify (ES256, every check)")]
    public bool Verify() => _verifier.VerifyAsync(_artifact, _context, default).Result.IsVerified;

    [Benchmark(Description = "lineage record (canonical JSON + SHA-256)")]
    public LineageRecord LineageRecord() => LineageChain.Create(1, "bench", _event, new string('0', 64));

    private sealed class NeverReplayed : IReplayGuard
    {
        public ValueTask<bool> TryConsumeAsync(Guid tokenId, DateTimeOffset expiresAt, CancellationToken cancellationToken) => ValueTask.FromResult(true);
    }
}
