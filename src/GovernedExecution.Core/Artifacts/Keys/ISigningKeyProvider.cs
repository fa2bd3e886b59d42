namespace GovernedExecution.Artifacts.Keys;

/// <summary>Provides the key that signs artifacts. Anything it throws denies the execution (<c>KeyUnavailable</c>).</summary>
public interface ISigningKeyProvider
{
    /// <summary>Gets the current signing key. The provider keeps ownership: callers do not dispose it.</summary>
    /// <param name="cancellationToken">Cancels the lookup.</param>
    /// <returns>The key.</returns>
    ValueTask<SigningKey> GetSigningKeyAsync(CancellationToken cancellationToken);
}
