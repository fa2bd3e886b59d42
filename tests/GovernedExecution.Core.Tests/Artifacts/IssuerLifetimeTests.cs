using GovernedExecution.Artifacts;
using GovernedExecution.Artifacts.Keys;
using GovernedExecution.Intents;
using GovernedExecution.Policies;
using GovernedExecution.Testing;
using Microsoft.Extensions.Time.Testing;

namespace GovernedExecution.Tests.Artifacts;

/// <summary>
/// The stand-alone issuer (<see cref="CoseArtifacts.CreateIssuer"/>) mints only what a verifier accepts: a lifetime of
/// at most 1 hour, never rounded up, shortened by every <c>ttl</c> obligation of the decision.
/// </summary>
public sealed class IssuerLifetimeTests : IDisposable
{
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 11, 26, 12, 0, 0, 400, TimeSpan.Zero));
    private readonly SigningKey _key = SigningKey.Generate();
    private readonly ExecutionIntent _intent = GovernedTestHost.Intent("read");

    public void Dispose() => _key.Dispose();

    [Fact]
    public async Task Lifetime_of_thirty_days_is_refused()
    {
        var request = Request(TimeSpan.FromDays(30));

        var ex = await Assert.ThrowsAsync<ArgumentOutOfRangeException>(async () => await Issuer().IssueAsync(request, default));
        Assert.Equal("request", ex.ParamName);
    }

    [Fact]
    public async Task Lifetime_of_exactly_one_hour_is_minted_and_verified()
    {
        var claims = await IssueAndVerifyAsync(Request(TimeSpan.FromHours(1)));

        Assert.Equal(TimeSpan.FromHours(1), claims.ExpiresAt - claims.IssuedAt);
    }

    [Theory]
    [InlineData(1500, 1)]
    [InlineData(59_999, 59)]
    [InlineData(60_000, 60)]
    public async Task Lifetime_is_rounded_down_to_whole_seconds(int milliseconds, int seconds)
    {
        var claims = await IssueAndVerifyAsync(Request(TimeSpan.FromMilliseconds(milliseconds)));

        Assert.Equal(TimeSpan.FromSeconds(seconds), claims.ExpiresAt - claims.IssuedAt);
    }

    [Fact]
    public async Task Lifetime_under_one_second_is_refused()
    {
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(async () => await Issuer().IssueAsync(Request(TimeSpan.FromMilliseconds(999)), default));
    }

    [Fact]
    public async Task Ttl_obligation_of_the_decision_shortens_the_default_lifetime()
    {
        var claims = await IssueAndVerifyAsync(Request(null, new PolicyObligation("ttl", "30s", "allow-read")));

        Assert.Equal(TimeSpan.FromSeconds(30), claims.ExpiresAt - claims.IssuedAt);
    }

    [Fact]
    public async Task Ttl_obligation_shortens_a_requested_lifetime_and_the_shortest_applies()
    {
        var request = Request(TimeSpan.FromHours(1), new PolicyObligation("ttl", "5m", "a"), new PolicyObligation("ttl", "1500ms", "b"));

        var claims = await IssueAndVerifyAsync(request);

        Assert.Equal(TimeSpan.FromSeconds(1), claims.ExpiresAt - claims.IssuedAt);
    }

    [Theory]
    [InlineData("soon")]
    [InlineData("999ms")]
    [InlineData("999999999h")]
    public async Task Ttl_obligation_that_cannot_bound_a_lifetime_is_refused_before_signing(string ttl)
    {
        await Assert.ThrowsAsync<ArgumentException>(async () => await Issuer().IssueAsync(Request(null, new PolicyObligation("ttl", ttl, "allow-read")), default));
    }

    private IArtifactIssuer Issuer() => CoseArtifacts.CreateIssuer(new StaticSigningKeyProvider(_key), _time);

    private ArtifactRequest Request(TimeSpan? lifetime = null, params PolicyObligation[] obligations) =>
        new(IntentEncoding.Digest(_intent), _intent.Principal.ToString(), GovernedTestHost.Audience, new PolicyDecision(PolicyDecisionKind.Permitted, ["allow-read"], [], obligations, "policy-set"))
        {
            Lifetime = lifetime,
        };

    private async Task<ArtifactClaims> IssueAndVerifyAsync(ArtifactRequest request)
    {
        var artifact = await Issuer().IssueAsync(request, default);
        var verifier = CoseArtifacts.CreateVerifier(new InMemoryTrustedKeyStore(_key.ToTrustedKey()), timeProvider: _time);
        var result = await verifier.VerifyAsync(artifact, new ArtifactVerificationContext(_intent, GovernedTestHost.Audience), default);
        VerifierBench.AssertVerified(result);
        return result.Claims!;
    }
}
