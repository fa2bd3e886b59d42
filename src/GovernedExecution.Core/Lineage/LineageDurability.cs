namespace GovernedExecution.Lineage;

/// <summary>When a <see cref="FileLineageSink"/> acknowledges an append.</summary>
public enum LineageDurability
{
    /// <summary>
    /// The default: an append completes only when its records are written and flushed to disk (fsync), so the delegate
    /// runs only after its pre-execution records are durable. Concurrent appends share one flush (group commit).
    /// </summary>
    BeforeInvoke = 0,

    /// <summary>
    /// An append completes when its records are queued; the writer flushes them shortly after. The queue is bounded;
    /// when it is full the caller waits or is refused (<see cref="LineageQueueFullMode"/>), nothing is dropped. Records
    /// queued but not yet flushed are lost if the process dies, and records whose write fails (a full disk) are lost:
    /// the sink keeps going and, once it can write again, appends a signed <see cref="LineageEventKind.RecordsLost"/>
    /// record counting them and naming their executions. Such a sink cannot be registered as required.
    /// </summary>
    Buffered = 1,
}
