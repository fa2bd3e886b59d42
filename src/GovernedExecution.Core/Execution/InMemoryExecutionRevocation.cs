using System.Collections.Concurrent;

namespace GovernedExecution.Execution;

/// <summary>
/// A thread-safe <see cref="IExecutionRevocation"/> in memory, fed by the host (<see cref="RevokeExecution"/>,
/// <see cref="RevokeKey"/>). Revocations are kept for the life of the instance.
/// </summary>
public sealed class InMemoryExecutionRevocation : IExecutionRevocation
{
    private readonly ConcurrentDictionary<Guid, RevocationNotice> _executions = new();
    private readonly ConcurrentDictionary<string, RevocationNotice> _keys = new(StringComparer.Ordinal);
    private readonly Lock _observing = new();
    private IObserver<RevocationNotice>[] _observers = [];

    /// <summary>Revokes an execution: it, and what runs nested in or delegated from it, see their tokens canceled.</summary>
    /// <param name="executionId">The execution id.</param>
    /// <exception cref="ArgumentException"><paramref name="executionId"/> is empty.</exception>
    public void RevokeExecution(Guid executionId) => Publish(_executions.GetOrAdd(executionId, RevocationNotice.ForExecution));

    /// <summary>Revokes a signing key: every execution whose artifact it signed is revoked, now and when it starts.</summary>
    /// <param name="keyId">The key id.</param>
    /// <exception cref="ArgumentException"><paramref name="keyId"/> is <see langword="null"/> or empty.</exception>
    public void RevokeKey(string keyId)
    {
        ArgumentException.ThrowIfNullOrEmpty(keyId);
        Publish(_keys.GetOrAdd(keyId, RevocationNotice.ForKey));
    }

    /// <inheritdoc />
    public ValueTask<RevocationNotice?> CheckAsync(Guid executionId, string keyId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(keyId);
        return ValueTask.FromResult(_executions.TryGetValue(executionId, out var execution) ? execution
            : _keys.TryGetValue(keyId, out var key) ? key : null);
    }

    /// <inheritdoc />
    /// <exception cref="ArgumentNullException"><paramref name="observer"/> is <see langword="null"/>.</exception>
    public IDisposable Subscribe(IObserver<RevocationNotice> observer)
    {
        ArgumentNullException.ThrowIfNull(observer);
        lock (_observing)
        {
            _observers = [.. _observers, observer];
        }

        return new Subscription(this, observer);
    }

    private void Publish(RevocationNotice notice)
    {
        foreach (var observer in Volatile.Read(ref _observers))
        {
            try
            {
                observer.OnNext(notice);
            }
            catch (Exception)
            {
                // One failing observer must not keep the revocation from the others.
            }
        }
    }

    private void Unsubscribe(IObserver<RevocationNotice> observer)
    {
        lock (_observing)
        {
            _observers = Array.FindAll(_observers, o => !ReferenceEquals(o, observer));
        }
    }

    private sealed class Subscription(InMemoryExecutionRevocation owner, IObserver<RevocationNotice> observer) : IDisposable
    {
        private int _disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                owner.Unsubscribe(observer);
            }
        }
    }
}
