using System.Collections.Concurrent;

namespace GovernedExecution.Artifacts;

/// <summary>
/// A bounded, thread-safe replay guard in memory. Ids are forgotten once their artifact has expired (plus the
/// retention margin). When it is full of unexpired ids it throws, which denies the execution: it never forgets an
/// id early.
/// </summary>
public sealed class InMemoryReplayGuard : IReplayGuard
{
    private readonly ConcurrentDictionary<Guid, DateTimeOffset> _used = new();
    private readonly TimeProvider _time;
    private readonly int _capacity;
    private readonly TimeSpan _retention;
    private readonly Lock _sweepLock = new();

    /// <summary>Creates a guard.</summary>
    /// <param name="timeProvider">The clock.</param>
    /// <param name="capacity">How many unexpired ids it may hold; 100,000 by default.</param>
    /// <param name="retention">How long an id is kept past the instant the verifier gives it (which already covers the clock skew); 5 minutes by default.</param>
    /// <exception cref="ArgumentNullException"><paramref name="timeProvider"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentOutOfRangeException">The capacity is not positive or the retention is negative.</exception>
    public InMemoryReplayGuard(TimeProvider timeProvider, int capacity = 100_000, TimeSpan? retention = null)
    {
        ArgumentNullException.ThrowIfNull(timeProvider);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(capacity);
        _retention = retention ?? TimeSpan.FromMinutes(5);
        ArgumentOutOfRangeException.ThrowIfLessThan(_retention, TimeSpan.Zero, nameof(retention));
        _time = timeProvider;
        _capacity = capacity;
    }

    /// <summary>The number of ids held.</summary>
    public int Count => _used.Count;

    /// <inheritdoc />
    /// <exception cref="InvalidOperationException">The guard is full of unexpired ids.</exception>
    public ValueTask<bool> TryConsumeAsync(Guid tokenId, DateTimeOffset expiresAt, CancellationToken cancellationToken)
    {
        // A replay is a replay, even when the guard is full.
        if (_used.ContainsKey(tokenId))
        {
            return ValueTask.FromResult(false);
        }

        if (_used.Count >= _capacity)
        {
            Sweep();
            if (_used.Count >= _capacity)
            {
                throw new InvalidOperationException("The replay guard is full of unexpired token ids.");
            }
        }

        return ValueTask.FromResult(_used.TryAdd(tokenId, expiresAt + _retention));
    }

    private void Sweep()
    {
        lock (_sweepLock)
        {
            var now = _time.GetUtcNow();
            foreach (var pair in _used)
            {
                if (pair.Value < now)
                {
                    _used.TryRemove(pair);
                }
            }
        }
    }
}
