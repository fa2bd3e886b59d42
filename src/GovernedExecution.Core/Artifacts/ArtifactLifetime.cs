using GovernedExecution.Policies;

namespace GovernedExecution.Artifacts;

/// <summary>
/// How long an artifact may live (docs/artifact-format.md, section 2), one rule for the issuer and the verifier:
/// whole seconds (exp - iat), at least 1, at most <see cref="Maximum"/>, and at most every <c>ttl</c> obligation rounded
/// down to whole seconds, so that an artifact never outlives what its decision allowed.
/// </summary>
internal static class ArtifactLifetime
{
    /// <summary>The longest lifetime any runtime accepts; a runtime may be configured lower.</summary>
    internal static readonly TimeSpan Maximum = TimeSpan.FromHours(1);

    /// <summary>A lifetime in whole seconds, rounded down (a requested 1.5 s lives 1 s).</summary>
    internal static long WholeSeconds(TimeSpan lifetime) => lifetime.Ticks / TimeSpan.TicksPerSecond;

    /// <summary>The lifetime of decoded claims, exp - iat, in whole seconds (both are whole seconds).</summary>
    internal static long WholeSeconds(ArtifactClaims claims) => WholeSeconds(claims.ExpiresAt - claims.IssuedAt);

    /// <summary>The bound a <c>ttl</c> obligation puts on exp - iat; false when its value does not parse or is under 1 s.</summary>
    internal static bool TryGetTtlSeconds(string value, out long seconds)
    {
        seconds = ObligationValues.TryParseDuration(value, out var ttl) ? WholeSeconds(ttl) : 0;
        return seconds >= 1;
    }

    /// <summary>Whether exp - iat exceeds a <c>ttl</c> obligation of the claims (or a <c>ttl</c> that bounds nothing).</summary>
    internal static bool OutlivesTtl(ArtifactClaims claims)
    {
        var lifetime = WholeSeconds(claims);
        foreach (var obligation in claims.Obligations)
        {
            if (obligation.Name == "ttl" && (!TryGetTtlSeconds(obligation.Value, out var ttl) || lifetime > ttl))
            {
                return true;
            }
        }

        return false;
    }
}
