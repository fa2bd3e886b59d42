namespace GovernedExecution.Lineage;

/// <summary>A hash-chained lineage in memory: for tests, samples, and processes that export lineage elsewhere.</summary>
public sealed class InMemoryLineageSink : ILineageSink
{
    private readonly LineageChain _chain;
    private readonly List<LineageRecord> _records = [];
    private readonly Lock _lock = new();

    /// <summary>Creates an empty in-memory log with a new log id.</summary>
    public InMemoryLineageSink()
        : this(Guid.NewGuid().ToString("D"))
    {
    }

    /// <summary>Creates an empty in-memory log.</summary>
    /// <param name="logId">The log id every record names.</param>
    /// <exception cref="ArgumentException"><paramref name="logId"/> is empty.</exception>
    /// <exception cref="ArgumentNullException"><paramref name="logId"/> is <see langword="null"/>.</exception>
    public InMemoryLineageSink(string logId)
    {
        ArgumentException.ThrowIfNullOrEmpty(logId);
        _chain = new LineageChain(logId);
    }

    /// <summary>The id of this log.</summary>
    public string LogId => _chain.LogId;

    /// <summary>The records so far, in order (a snapshot).</summary>
    public IReadOnlyList<LineageRecord> Records
    {
        get
        {
            lock (_lock)
            {
                return [.. _records];
            }
        }
    }

    /// <summary>The number of records.</summary>
    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _records.Count;
            }
        }
    }

    /// <inheritdoc />
    public ValueTask AppendAsync(IReadOnlyList<LineageEvent> events, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(events);
        cancellationToken.ThrowIfCancellationRequested();
        lock (_lock)
        {
            // Chaining and storing under one lock keeps the stored order equal to the chain order.
            _records.AddRange(_chain.Append(events));
        }

        return ValueTask.CompletedTask;
    }

    /// <summary>Verifies the chain from the stored lines.</summary>
    /// <returns>The result.</returns>
    public LineageVerificationResult Verify() => LineageVerifier.Verify(Records);
}
