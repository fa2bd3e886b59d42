using GovernedExecution.Artifacts.Keys;

namespace GovernedExecution.Artifacts;

/// <summary>
/// The COSE_Sign1 issuer and verifier on their own, without an executor: for an authorization service that only
/// mints, or a component that only checks (docs/artifact-format.md).
/// </summary>
public static class CoseArtifacts
{
    /// <summary>Creates an issuer that signs with the provider's key.</summary>
    /// <param name="signingKeys">The signing key provider.</param>
    /// <param name="timeProvider">The clock; <see cref="TimeProvider.System"/> by default.</param>
    /// <param name="issuer">The issuer name written to artifacts.</param>
    /// <param name="defaultLifetime">
    /// The lifetime of artifacts whose request sets none; 60 seconds by default, from 1 second to 1 hour. Lifetimes are
    /// whole seconds, rounded down, and every <c>ttl</c> obligation of the decision shortens them.
    /// </param>
    /// <returns>The issuer.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="signingKeys"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="issuer"/> is empty.</exception>
    /// <exception cref="ArgumentOutOfRangeException">The lifetime is shorter than 1 second or longer than 1 hour.</exception>
    public static IArtifactIssuer CreateIssuer(ISigningKeyProvider signingKeys, TimeProvider? timeProvider = null, string issuer = "governed-execution", TimeSpan? defaultLifetime = null)
    {
        ArgumentNullException.ThrowIfNull(signingKeys);
        ArgumentException.ThrowIfNullOrWhiteSpace(issuer);
        var lifetime = defaultLifetime ?? TimeSpan.FromSeconds(60);
        ArgumentOutOfRangeException.ThrowIfLessThan(lifetime, TimeSpan.FromSeconds(1), nameof(defaultLifetime));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(lifetime, ArtifactLifetime.Maximum, nameof(defaultLifetime));
        return new CoseArtifactIssuer(signingKeys, timeProvider ?? TimeProvider.System, issuer, lifetime);
    }

    /// <summary>Creates a verifier.</summary>
    /// <param name="trustedKeys">The trusted keys.</param>
    /// <param name="replayGuard">The replay guard; a new <see cref="InMemoryReplayGuard"/> by default.</param>
    /// <param name="timeProvider">The clock; <see cref="TimeProvider.System"/> by default.</param>
    /// <param name="clockSkew">The tolerated clock skew; 30 seconds by default, at most 5 minutes.</param>
    /// <param name="allowedAlgorithms">The algorithms accepted; ES256 only by default.</param>
    /// <param name="maxLifetime">The longest lifetime (exp - iat) accepted; 1 hour by default, from 1 second to 1 hour.</param>
    /// <param name="dependencyTimeout">
    /// How long the trusted-key store and the replay guard may take, together, in one verification before it is refused
    /// (<c>KeyUnavailable</c> or <c>GovernanceFault</c>); 5 seconds by default, at most 5 minutes.
    /// </param>
    /// <returns>The verifier.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="trustedKeys"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentOutOfRangeException">The skew is negative or over 5 minutes, the lifetime is out of its range, or the timeout is not positive or over 5 minutes.</exception>
    /// <exception cref="ArgumentException">No algorithm is allowed, or one is not supported.</exception>
    public static IArtifactVerifier CreateVerifier(
        ITrustedKeyStore trustedKeys,
        IReplayGuard? replayGuard = null,
        TimeProvider? timeProvider = null,
        TimeSpan? clockSkew = null,
        IEnumerable<ArtifactAlgorithm>? allowedAlgorithms = null,
        TimeSpan? maxLifetime = null,
        TimeSpan? dependencyTimeout = null)
    {
        ArgumentNullException.ThrowIfNull(trustedKeys);
        var skew = clockSkew ?? TimeSpan.FromSeconds(30);
        ArgumentOutOfRangeException.ThrowIfLessThan(skew, TimeSpan.Zero, nameof(clockSkew));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(skew, TimeSpan.FromMinutes(5), nameof(clockSkew));
        var lifetime = maxLifetime ?? ArtifactLifetime.Maximum;
        ArgumentOutOfRangeException.ThrowIfLessThan(lifetime, TimeSpan.FromSeconds(1), nameof(maxLifetime));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(lifetime, ArtifactLifetime.Maximum, nameof(maxLifetime));
        var timeout = dependencyTimeout ?? TimeSpan.FromSeconds(5);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(timeout, TimeSpan.Zero, nameof(dependencyTimeout));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(timeout, TimeSpan.FromMinutes(5), nameof(dependencyTimeout));
        ArtifactAlgorithm[] allowed = [.. allowedAlgorithms ?? [ArtifactAlgorithm.ES256]];
        if (allowed.Length == 0 || allowed.Any(a => !Enum.IsDefined(a)))
        {
            throw new ArgumentException("Allow at least one of ES256, ES384, ES512 and PS256, and nothing else.", nameof(allowedAlgorithms));
        }

        var time = timeProvider ?? TimeProvider.System;
        return new CoseArtifactVerifier(trustedKeys, replayGuard ?? new InMemoryReplayGuard(time), time, skew, allowed, lifetime, timeout);
    }
}
