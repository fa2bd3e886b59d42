using GovernedExecution.Artifacts;
using GovernedExecution.Artifacts.Keys;
using GovernedExecution.Execution;
using GovernedExecution.Intents;
using GovernedExecution.Testing;

namespace GovernedExecution.Tests.Artifacts;

/// <summary>
/// How long an artifact may live is checked where it runs, not only where it was minted: exp - iat at most the
/// runtime's maximum (1 hour unless configured lower) and at most every <c>ttl</c> obligation it carries, in whole
/// seconds; a lifetime that is empty, negative or beyond the calendar is refused, never thrown.
/// </summary>
public sealed class VerifierLifetimeTests : IDisposable
{
    private const string TooLong = "the artifact lives longer than this runtime accepts";
    private const string BeyondTtl = "the artifact lives longer than its ttl obligation allows";

    private readonly VerifierBench _bench = new();
    private readonly ExecutionIntent _intent = GovernedTestHost.Intent("read");

    public void Dispose() => _bench.Dispose();

    [Fact]
    public async Task Thirty_day_artifact_is_refused_on_day_29()
    {
        var artifact = Lasting(TimeSpan.FromDays(30));
        _bench.Time.Advance(TimeSpan.FromDays(29));

        VerifierBench.AssertRefused(await _bench.VerifyAsync(artifact, _intent), ArtifactVerdict.Rejected, DenialReason.Expired, TooLong);
    }

    [Fact]
    public async Task Artifact_longer_than_the_maximum_is_refused_even_in_its_first_second()
    {
        VerifierBench.AssertRefused(await _bench.VerifyAsync(Lasting(TimeSpan.FromDays(30)), _intent), ArtifactVerdict.Rejected, DenialReason.Expired, TooLong);
    }

    [Fact]
    public async Task Lifetime_of_exactly_one_hour_is_verified_and_one_second_more_is_refused()
    {
        var atLimit = await _bench.VerifyAsync(Lasting(TimeSpan.FromHours(1)), _intent);
        var beyond = await _bench.VerifyAsync(Lasting(TimeSpan.FromHours(1) + TimeSpan.FromSeconds(1)), _intent);

        VerifierBench.AssertVerified(atLimit);
        VerifierBench.AssertRefused(beyond, ArtifactVerdict.Rejected, DenialReason.Expired, TooLong);
        Assert.Equal("validity", beyond.Checks[^1]);
    }

    [Fact]
    public async Task Configured_maximum_is_verified_exactly_and_one_second_more_is_refused()
    {
        var verifier = CoseArtifacts.CreateVerifier(new InMemoryTrustedKeyStore(_bench.Key.ToTrustedKey()), timeProvider: _bench.Time, maxLifetime: TimeSpan.FromMinutes(10));
        var context = new ArtifactVerificationContext(_intent, GovernedTestHost.Audience);

        var atLimit = await verifier.VerifyAsync(Lasting(TimeSpan.FromMinutes(10)), context, CancellationToken.None);
        var beyond = await verifier.VerifyAsync(Lasting(TimeSpan.FromMinutes(10) + TimeSpan.FromSeconds(1)), context, CancellationToken.None);

        VerifierBench.AssertVerified(atLimit);
        VerifierBench.AssertRefused(beyond, ArtifactVerdict.Rejected, DenialReason.Expired, TooLong);
    }

    [Fact]
    public void Verifier_is_never_built_with_a_maximum_above_the_hour()
    {
        // Every public way in validates the maximum; the verifier itself refuses one that slipped past, rather than cap it.
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => new CoseArtifactVerifier(
            new InMemoryTrustedKeyStore(), new InMemoryReplayGuard(_bench.Time), _bench.Time, TimeSpan.FromSeconds(30), [ArtifactAlgorithm.ES256], maxLifetime: TimeSpan.FromHours(1) + TimeSpan.FromTicks(1)));
        Assert.Equal("maxLifetime", ex.ParamName);
    }

    [Fact]
    public async Task Expiry_at_the_end_of_the_calendar_is_refused_not_thrown()
    {
        // 9999-12-31T23:59:59Z, the last NumericDate a DateTimeOffset holds: adding the skew to it overflows.
        var artifact = _bench.Forge(_intent).Set(ArtifactFormat.Exp, w => w.WriteInt64(253_402_300_799)).Sign(_bench.Key);

        VerifierBench.AssertRefused(await _bench.VerifyAsync(artifact, _intent), ArtifactVerdict.Rejected, DenialReason.Expired, TooLong);
    }

    [Theory]
    [InlineData(0)] // exp == iat: valid for no time at all
    [InlineData(-10)] // expires before it is issued, yet "valid" for 20 s around iat with a 30 s skew
    public async Task Expiry_not_after_the_issue_time_is_malformed_claims(int lifetimeSeconds)
    {
        var artifact = _bench.Forge(_intent).Set(ArtifactFormat.Exp, w => w.WriteInt64(_bench.Now + lifetimeSeconds)).Sign(_bench.Key);

        VerifierBench.AssertMalformedClaims(await _bench.VerifyAsync(artifact, _intent));
    }

    [Theory]
    [InlineData(-10, 0)] // nbf = now - 10, iat = exp = now: only the issue time shows that the window is empty
    [InlineData(20, 20)] // iat = now, nbf = exp = now + 20: only the start of validity shows it
    public async Task Expiry_at_the_issue_time_or_at_the_start_of_validity_is_malformed_claims(int notBeforeSeconds, int expirySeconds)
    {
        var artifact = _bench.Forge(_intent)
            .Set(ArtifactFormat.Nbf, w => w.WriteInt64(_bench.Now + notBeforeSeconds))
            .Set(ArtifactFormat.Exp, w => w.WriteInt64(_bench.Now + expirySeconds))
            .Sign(_bench.Key);

        VerifierBench.AssertMalformedClaims(await _bench.VerifyAsync(artifact, _intent));
    }

    [Fact]
    public async Task Expiry_not_after_the_start_of_validity_is_malformed_claims()
    {
        // iat = now, nbf = now + 20, exp = now + 10: never valid, yet inside the skew on both sides.
        var artifact = _bench.Forge(_intent)
            .Set(ArtifactFormat.Nbf, w => w.WriteInt64(_bench.Now + 20))
            .Set(ArtifactFormat.Exp, w => w.WriteInt64(_bench.Now + 10))
            .Sign(_bench.Key);

        VerifierBench.AssertMalformedClaims(await _bench.VerifyAsync(artifact, _intent));
    }

    [Fact]
    public async Task Artifact_outliving_its_ttl_is_refused_50_minutes_later()
    {
        var artifact = Lasting(TimeSpan.FromHours(1), ("ttl", "30s"));
        _bench.Time.Advance(TimeSpan.FromMinutes(50));

        var result = await _bench.VerifyAsync(artifact, _intent);

        VerifierBench.AssertRefused(result, ArtifactVerdict.Rejected, DenialReason.ObligationUnsatisfied, BeyondTtl);
        Assert.Equal("obligations", result.Checks[^1]);
    }

    [Theory]
    [InlineData("30s", 30, true)]
    [InlineData("30s", 31, false)]
    [InlineData("5m", 300, true)]
    [InlineData("5m", 301, false)]
    [InlineData("1h", 3600, true)]
    [InlineData("1500ms", 1, true)] // whole seconds, rounded down: never longer than the ttl
    [InlineData("1500ms", 2, false)]
    [InlineData("59999ms", 59, true)]
    [InlineData("59999ms", 60, false)]
    public async Task Ttl_bounds_the_lifetime_in_whole_seconds_rounded_down(string ttl, int lifetimeSeconds, bool verified)
    {
        var result = await _bench.VerifyAsync(Lasting(TimeSpan.FromSeconds(lifetimeSeconds), ("ttl", ttl)), _intent);

        if (verified)
        {
            VerifierBench.AssertVerified(result);
        }
        else
        {
            VerifierBench.AssertRefused(result, ArtifactVerdict.Rejected, DenialReason.ObligationUnsatisfied, BeyondTtl);
        }
    }

    [Fact]
    public async Task Shortest_of_several_ttls_applies()
    {
        var artifact = Lasting(TimeSpan.FromSeconds(45), ("ttl", "1m"), ("ttl", "40s"));

        VerifierBench.AssertRefused(await _bench.VerifyAsync(artifact, _intent), ArtifactVerdict.Rejected, DenialReason.ObligationUnsatisfied, BeyondTtl);
    }

    [Theory]
    [InlineData("999999999h")] // 3.6e19 ticks: past TimeSpan.MaxValue
    [InlineData("999ms")] // rounds down to no time at all
    [InlineData("0s")]
    public async Task Ttl_that_cannot_bound_a_lifetime_in_whole_seconds_is_unsatisfiable_not_thrown(string ttl)
    {
        var result = await _bench.VerifyAsync(Lasting(TimeSpan.FromSeconds(1), ("ttl", ttl)), _intent);

        VerifierBench.AssertRefused(result, ArtifactVerdict.Rejected, DenialReason.ObligationUnsatisfied, "obligation 'ttl' cannot be satisfied here");
    }

    /// <summary>iat = nbf = now, exp = now + lifetime, with the given obligations of the policy allow-read.</summary>
    private AuthorizationArtifact Lasting(TimeSpan lifetime, params (string Name, string Value)[] obligations)
    {
        var forge = _bench.Forge(_intent).Set(ArtifactFormat.Exp, w => w.WriteInt64(_bench.Now + (long)lifetime.TotalSeconds));
        if (obligations.Length > 0)
        {
            forge.Set(ArtifactFormat.Obligations, w =>
            {
                w.WriteStartArray(obligations.Length);
                foreach (var (name, value) in obligations)
                {
                    w.WriteStartArray(3);
                    w.WriteTextString(name);
                    w.WriteTextString(value);
                    w.WriteTextString("allow-read");
                    w.WriteEndArray();
                }

                w.WriteEndArray();
            });
        }

        return forge.Sign(_bench.Key);
    }
}
