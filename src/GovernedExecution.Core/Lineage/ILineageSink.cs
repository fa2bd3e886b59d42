namespace GovernedExecution.Lineage;

/// <summary>
/// Receives lineage events. A sink registered as required must accept the pre-execution events before the delegate
/// runs; if it throws or times out, the execution is denied. A best-effort sink's failures are counted and logged.
/// </summary>
public interface ILineageSink
{
    /// <summary>Appends events, in order, as one batch; returns once they are accepted (durable, for a durable sink).</summary>
    /// <param name="events">The events of one execution phase group.</param>
    /// <param name="cancellationToken">Cancels the append.</param>
    /// <returns>A task that completes when the events are accepted.</returns>
    ValueTask AppendAsync(IReadOnlyList<LineageEvent> events, CancellationToken cancellationToken);
}
