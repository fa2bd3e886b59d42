using System.Diagnostics.Metrics;

namespace GovernedExecution.Diagnostics;

/// <summary>A counter whose measurements a faulty <see cref="MeterListener"/> cannot turn into an exception.</summary>
internal sealed class GuardedCounter(Counter<long> inner)
{
    internal void Add(long delta)
    {
        try
        {
            inner.Add(delta);
        }
        catch (Exception)
        {
            // Metrics are diagnostics: a listener's fault never changes an outcome or loses a lineage record.
        }
    }

    internal void Add(long delta, KeyValuePair<string, object?> tag)
    {
        try
        {
            inner.Add(delta, tag);
        }
        catch (Exception)
        {
            // As above.
        }
    }
}

/// <summary>An up-down counter whose measurements a faulty <see cref="MeterListener"/> cannot turn into an exception.</summary>
internal sealed class GuardedUpDownCounter(UpDownCounter<long> inner)
{
    internal void Add(long delta)
    {
        try
        {
            inner.Add(delta);
        }
        catch (Exception)
        {
            // As for GuardedCounter: the lineage writer's loop must not die of a listener's fault.
        }
    }
}
