namespace GovernedExecution.Artifacts.Keys;

/// <summary>
/// The public keys artifacts may be signed with, by key id. Several keys may be trusted at once (rotation); a revoked
/// or unknown key id yields <see langword="null"/>. Anything it throws, and an answer slower than the dependency
/// timeout, denies the execution (<c>KeyUnavailable</c>); a key whose id is not the one asked for is not trusted.
/// </summary>
public interface ITrustedKeyStore
{
    /// <summary>Finds a trusted, unrevoked key by id.</summary>
    /// <param name="keyId">The key id from the artifact's protected header.</param>
    /// <param name="cancellationToken">Cancels the lookup.</param>
    /// <returns>The key with exactly this id (ordinal), or <see langword="null"/> when it is unknown or revoked.</returns>
    ValueTask<TrustedKey?> FindAsync(string keyId, CancellationToken cancellationToken);
}
