namespace GovernedExecution.Artifacts;

/// <summary>
/// A bounded, thread-safe replay guard in memory. Ids are forgotten once their artifact has expired (plus the
/// retention margin). When it is full of unexpired ids it throws, which denies the execution: it never forgets an
/// id early.
/// </summary>
/// <remarks>
/// Ids are kept in the order they fall due, so forgetting them costs the same whether the guard is nearly empty or
/// full: a call never walks the ids it keeps.
/// </remarks>
public sealed class InMemoryReplayGuard : IReplayGuard
{
    private readonly HashSet<Guid> _used = [];
    private readonly PriorityQueue<Guid, DateTimeOffset> _due = new();
    private readonly TimeProvider _time;
    private readonly int _capacity;
    private readonly TimeSpan _retention;
    private readonly Lock _lock = new();
    private long _examined;

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
    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _used.Count;
            }
        }
    }

    /// <summary>How many held ids the guard has looked at to forget them, over its life (for tests of its cost).</summary>
    internal long Examined => Interlocked.Read(ref _examined);

    /// <inheritdoc />
    /// <exception cref="InvalidOperationException">The guard is full of unexpired ids.</exception>
    public ValueTask<bool> TryConsumeAsync(Guid tokenId, DateTimeOffset expiresAt, CancellationToken cancellationToken)
    {
        // Read before the lock: a clock that throws leaves the guard as it was.
        var now = _time.GetUtcNow();
        var forgetAt = expiresAt > DateTimeOffset.MaxValue - _retention ? DateTimeOffset.MaxValue : expiresAt + _retention;
        lock (_lock)
        {
            // A replay is a replay, even when the guard is full.
            if (_used.Contains(tokenId))
            {
                return ValueTask.FromResult(false);
            }

            // Only ids that have fallen due are looked at, each once in its life.
            while (_due.TryPeek(out var due, out var at) && at < now)
            {
                _examined++;
                _due.Dequeue();
                _used.Remove(due);
            }

            if (_used.Count >= _capacity)
            {
                throw new InvalidOperationException("The replay guard is full of unexpired token ids.");
            }

            _used.Add(tokenId);
            _due.Enqueue(tokenId, forgetAt);
            return ValueTask.FromResult(true);
        }
    }
}
