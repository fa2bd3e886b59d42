using System.Collections.Concurrent;

namespace GovernedExecution.Artifacts.Keys;

/// <summary>A thread-safe trusted-key store in memory, with revocation by key id.</summary>
public sealed class InMemoryTrustedKeyStore : ITrustedKeyStore
{
    private readonly ConcurrentDictionary<string, TrustedKey> _keys = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, bool> _revoked = new(StringComparer.Ordinal);

    /// <summary>Creates a store holding the given keys.</summary>
    /// <param name="keys">Keys to trust.</param>
    /// <exception cref="ArgumentException">Two keys share a key id.</exception>
    public InMemoryTrustedKeyStore(params IEnumerable<TrustedKey> keys)
    {
        ArgumentNullException.ThrowIfNull(keys);
        foreach (var key in keys)
        {
            Add(key);
        }
    }

    /// <summary>The number of keys held, revoked ones included.</summary>
    public int Count => _keys.Count;

    /// <summary>Trusts a key. The store does not take ownership.</summary>
    /// <param name="key">The key.</param>
    /// <exception cref="ArgumentNullException"><paramref name="key"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">A key with the same id is already trusted.</exception>
    public void Add(TrustedKey key)
    {
        ArgumentNullException.ThrowIfNull(key);
        if (!_keys.TryAdd(key.KeyId, key))
        {
            throw new ArgumentException($"A key with id '{key.KeyId}' is already trusted.", nameof(key));
        }
    }

    /// <summary>Revokes a key id: artifacts signed with it are no longer trusted, now or after the key is re-added.</summary>
    /// <param name="keyId">The key id.</param>
    /// <exception cref="ArgumentNullException"><paramref name="keyId"/> is <see langword="null"/>.</exception>
    public void Revoke(string keyId)
    {
        ArgumentNullException.ThrowIfNull(keyId);
        _revoked[keyId] = true;
    }

    /// <inheritdoc />
    public ValueTask<TrustedKey?> FindAsync(string keyId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(keyId);
        if (_revoked.ContainsKey(keyId))
        {
            return ValueTask.FromResult<TrustedKey?>(null);
        }

        return ValueTask.FromResult(_keys.TryGetValue(keyId, out var key) ? key : null);
    }
}
