using GovernedExecution.Artifacts;
using GovernedExecution.Artifacts.Keys;
using GovernedExecution.Execution;
using GovernedExecution.Intents;
using GovernedExecution.Testing;

namespace GovernedExecution.Tests.Artifacts;

/// <summary>
/// A trusted key's validity period bounds both the time of verification and the artifact's issue time (iat): a key that
/// starts at T vouches for nothing issued before T, and a retired key for nothing issued after it retired, whatever the
/// clock of the runtime says. The same holds for every parent of a delegated artifact.
/// </summary>
public sealed class VerifierKeyValidityTests : IDisposable
{
    private const string IssuedOutside = "the artifact was issued outside its key's validity period";
    private static readonly EntityReference Search = new("Action", "search");
    private static readonly EntityReference FlightOne = new("Flight", "f-1");

    private readonly VerifierBench _bench = new();
    private readonly ExecutionIntent _intent = GovernedTestHost.Intent("read");

    public void Dispose() => _bench.Dispose();

    [Fact]
    public async Task Artifact_issued_before_its_key_NotBefore_is_Untrusted_once_the_key_is_in_force()
    {
        // Signed 10 s before the key's start, presented 5 s after it (and 15 s after iat, well inside the lifetime).
        var start = _bench.Time.GetUtcNow();
        var artifact = IssuedAt(_bench.Now - 10);
        _bench.Time.Advance(TimeSpan.FromSeconds(5));
        using var arriving = _bench.Key.ToTrustedKey().WithValidity(start, null);

        var result = await _bench.VerifyAsync(artifact, _intent, store: new InMemoryTrustedKeyStore(arriving));

        VerifierBench.AssertRefused(result, ArtifactVerdict.Untrusted, DenialReason.UntrustedKey, IssuedOutside);
        Assert.Equal("claims", result.Checks[^1]);
    }

    [Fact]
    public async Task Artifact_issued_exactly_at_its_key_NotBefore_is_verified()
    {
        using var arriving = _bench.Key.ToTrustedKey().WithValidity(_bench.Time.GetUtcNow(), null);

        VerifierBench.AssertVerified(await _bench.VerifyAsync(IssuedAt(_bench.Now), _intent, store: new InMemoryTrustedKeyStore(arriving)));
    }

    [Fact]
    public async Task Artifact_issued_after_its_key_NotAfter_is_Untrusted_while_the_runtime_clock_is_still_inside_the_period()
    {
        // The key retires now; the artifact claims to be issued 20 s later (inside the skew, so not "not valid yet").
        using var retiring = _bench.Key.ToTrustedKey().WithValidity(null, _bench.Time.GetUtcNow());

        var result = await _bench.VerifyAsync(IssuedAt(_bench.Now + 20), _intent, store: new InMemoryTrustedKeyStore(retiring));

        VerifierBench.AssertRefused(result, ArtifactVerdict.Untrusted, DenialReason.UntrustedKey, IssuedOutside);
    }

    [Fact]
    public async Task Artifact_issued_exactly_at_its_key_NotAfter_is_verified()
    {
        using var retiring = _bench.Key.ToTrustedKey().WithValidity(null, _bench.Time.GetUtcNow());

        VerifierBench.AssertVerified(await _bench.VerifyAsync(IssuedAt(_bench.Now), _intent, store: new InMemoryTrustedKeyStore(retiring)));
    }

    [Fact]
    public async Task Parent_issued_before_its_key_NotBefore_does_not_verify_as_a_parent()
    {
        var start = _bench.Time.GetUtcNow();
        var childIntent = new ExecutionIntent(new EntityReference("Agent", "planner"), Search, FlightOne);
        var parent = _bench.Forge(childIntent)
            .Set(ArtifactFormat.Iat, w => w.WriteInt64(_bench.Now - 10))
            .Set(ArtifactFormat.Nbf, w => w.WriteInt64(_bench.Now - 10))
            .Set(ArtifactFormat.Scope, w => VerifierBench.WriteScope(w, new DelegationScope([Search], [FlightOne])))
            .Sign(_bench.Key);
        var child = _bench.Forge(childIntent)
            .Set(ArtifactFormat.ParentArtifact, w => w.WriteByteString(parent.ComputeDigestBytes()))
            .Set(ArtifactFormat.Scope, w => VerifierBench.WriteScope(w, new DelegationScope([Search], [FlightOne])))
            .Sign(_bench.Key);
        using var arriving = _bench.Key.ToTrustedKey().WithValidity(start, null);

        var result = await _bench.VerifyAsync(child.WithParent(parent), childIntent, store: new InMemoryTrustedKeyStore(arriving));

        VerifierBench.AssertRefused(result, ArtifactVerdict.Rejected, DenialReason.ScopeViolation, "the parent artifact does not verify: " + IssuedOutside);
    }

    /// <summary>iat = nbf = <paramref name="iat"/>, exp = iat + 60.</summary>
    private AuthorizationArtifact IssuedAt(long iat) => _bench.Forge(_intent)
        .Set(ArtifactFormat.Iat, w => w.WriteInt64(iat))
        .Set(ArtifactFormat.Nbf, w => w.WriteInt64(iat))
        .Set(ArtifactFormat.Exp, w => w.WriteInt64(iat + 60))
        .Sign(_bench.Key);
}
