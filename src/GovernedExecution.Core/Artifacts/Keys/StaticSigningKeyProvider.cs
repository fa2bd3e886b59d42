namespace GovernedExecution.Artifacts.Keys;

/// <summary>Provides one fixed signing key. It does not take ownership of the key.</summary>
public sealed class StaticSigningKeyProvider : ISigningKeyProvider
{
    private readonly SigningKey _key;

    /// <summary>Creates a provider of <paramref name="key"/>.</summary>
    /// <param name="key">The key.</param>
    /// <exception cref="ArgumentNullException"><paramref name="key"/> is <see langword="null"/>.</exception>
    public StaticSigningKeyProvider(SigningKey key)
    {
        ArgumentNullException.ThrowIfNull(key);
        _key = key;
    }

    /// <inheritdoc />
    public ValueTask<SigningKey> GetSigningKeyAsync(CancellationToken cancellationToken) => ValueTask.FromResult(_key);
}
