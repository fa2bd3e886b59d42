namespace GovernedExecution.Artifacts.Keys;

/// <summary>
/// The public keys artifacts may be signed with, by key id. Several keys may be trusted at once (rotation); a revoked
/// or unknown key id yields <see langword="null"/>. Anything it throws denies the execution (<c>KeyUnavailable</c>).
/// </summary>
public interface ITrustedKeyStore
{
    /// <summary>Finds a trusted, unrevoked key by id.</summary>
    /// <param name="keyId">The key id from the artifact's protected header.</param>
    /// <param name="cancellationToken">Cancels the lookup.</param>
    /// <returns>The key, or <see langword="null"/> when it is unknown or revoked.</returns>
    ValueTask<TrustedKey?> FindAsync(string keyId, CancellationToken cancellationToken);
}
