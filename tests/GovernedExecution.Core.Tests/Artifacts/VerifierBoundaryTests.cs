using GovernedExecution.Artifacts;
using GovernedExecution.DependencyInjection;
using GovernedExecution.Execution;
using GovernedExecution.Intents;
using GovernedExecution.Testing;
using GovernedExecution.Tests.Execution;

namespace GovernedExecution.Tests.Artifacts;

/// <summary>
/// The validity window at its edges: an artifact is valid while now &lt;= exp + skew, and from the moment
/// now + skew &gt;= nbf and &gt;= iat; one second beyond either edge is refused. Each edge is checked for several skews.
/// </summary>
public sealed class VerifierBoundaryTests : IDisposable
{
    private readonly VerifierBench _bench = new();
    private readonly ExecutionIntent _intent = GovernedTestHost.Intent("read");

    public void Dispose() => _bench.Dispose();

    [Theory]
    [InlineData(0)]
    [InlineData(10)]
    [InlineData(300)]
    public async Task Artifact_at_the_last_second_of_its_skew_is_still_verified(int skewSeconds)
    {
        var skew = TimeSpan.FromSeconds(skewSeconds);
        var artifact = _bench.Forge(_intent).Sign(_bench.Key); // exp = now + 60
        _bench.Time.Advance(TimeSpan.FromSeconds(60) + skew);

        VerifierBench.AssertVerified(await _bench.VerifyAsync(artifact, _intent, skew));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(10)]
    [InlineData(300)]
    public async Task Artifact_one_second_after_its_skew_is_Expired(int skewSeconds)
    {
        var skew = TimeSpan.FromSeconds(skewSeconds);
        var artifact = _bench.Forge(_intent).Sign(_bench.Key);
        _bench.Time.Advance(TimeSpan.FromSeconds(60 + 1) + skew);

        VerifierBench.AssertRefused(await _bench.VerifyAsync(artifact, _intent, skew), ArtifactVerdict.Rejected, DenialReason.Expired, "the artifact has expired");
    }

    [Theory]
    [InlineData(ArtifactFormat.Nbf, 0)]
    [InlineData(ArtifactFormat.Nbf, 10)]
    [InlineData(ArtifactFormat.Nbf, 300)]
    [InlineData(ArtifactFormat.Iat, 0)]
    [InlineData(ArtifactFormat.Iat, 10)]
    [InlineData(ArtifactFormat.Iat, 300)]
    public async Task A_start_claim_exactly_the_skew_ahead_is_verified_and_one_second_further_is_not_valid_yet(int claim, int skewSeconds)
    {
        // Only the claim under test moves (nbf or iat); the other stays now.
        AuthorizationArtifact StartingAt(long start) => _bench.Forge(_intent)
            .Set(claim, w => w.WriteInt64(start))
            .Set(ArtifactFormat.Exp, w => w.WriteInt64(start + 60))
            .Sign(_bench.Key);
        var skew = TimeSpan.FromSeconds(skewSeconds);

        var atEdge = await _bench.VerifyAsync(StartingAt(_bench.Now + skewSeconds), _intent, skew);
        var beyond = await _bench.VerifyAsync(StartingAt(_bench.Now + skewSeconds + 1), _intent, skew);

        VerifierBench.AssertVerified(atEdge);
        VerifierBench.AssertRefused(beyond, ArtifactVerdict.Rejected, DenialReason.NotYetValid, "the artifact is not valid yet");
    }

    [Fact]
    public async Task Executor_with_no_clock_skew_runs_an_artifact_in_its_last_second_and_refuses_it_one_second_later()
    {
        // The executor's ClockSkew option reaches its verifier.
        var artifact = _bench.Forge(_intent).Sign(_bench.Key);
        var worker = new GovernedExecutorBuilder()
            .Configure(o => { o.Audience = GovernedTestHost.Audience; o.VerifyOnly = true; o.ClockSkew = TimeSpan.Zero; })
            .UseTrustedKeys(_bench.Key.ToTrustedKey())
            .UseTimeProvider(_bench.Time)
            .AddLineageSink(new GovernedExecution.Lineage.InMemoryLineageSink())
            .Build();
        _bench.Time.Advance(TimeSpan.FromSeconds(60));

        var last = await worker.RunOutcomeAsync(_intent, AuthorizationArtifact.FromBytes(artifact.Encoded.Span), 0, (s, c, ct) => ValueTask.FromResult(1));
        _bench.Time.Advance(TimeSpan.FromSeconds(1));
        var late = await worker.RunOutcomeAsync(_intent, AuthorizationArtifact.FromBytes(artifact.Encoded.Span), 0, (s, c, ct) => ValueTask.FromResult(1));

        Assert.True(last.IsSuccess, last.Denial?.ToString());
        DenialDetails.AssertDenied(late.Denial, DenialReason.Expired);
    }
}
