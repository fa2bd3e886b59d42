using System.Diagnostics;
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

/// <summary>A histogram of counts whose measurements a faulty <see cref="MeterListener"/> cannot turn into an exception.</summary>
internal sealed class GuardedCountHistogram(Histogram<long> inner)
{
    internal void Record(long count)
    {
        try
        {
            inner.Record(count);
        }
        catch (Exception)
        {
            // As for GuardedCounter: a signer's batch is delivered whatever a listener does.
        }
    }
}

/// <summary>A duration histogram whose measurements a faulty <see cref="MeterListener"/> cannot turn into an exception.</summary>
internal sealed class GuardedHistogram(Histogram<double> inner)
{
    /// <summary>Whether anyone listens: read before taking a timestamp or building tags, so that nobody listening costs nothing.</summary>
    internal bool Enabled => inner.Enabled;

    internal void Record(double seconds, KeyValuePair<string, object?> tag)
    {
        try
        {
            inner.Record(seconds, tag);
        }
        catch (Exception)
        {
            // As for GuardedCounter.
        }
    }

    internal void Record(double seconds, in TagList tags)
    {
        try
        {
            inner.Record(seconds, in tags);
        }
        catch (Exception)
        {
            // As for GuardedCounter.
        }
    }

    /// <summary>A timestamp of <paramref name="time"/> to measure from, or -1 when nobody listens or the clock failed.</summary>
    internal long Start(TimeProvider time)
    {
        if (!inner.Enabled)
        {
            return -1;
        }

        try
        {
            return time.GetTimestamp();
        }
        catch (Exception)
        {
            return -1;
        }
    }

    /// <summary>Seconds since <paramref name="started"/> (from <see cref="Start"/>), or null when there is nothing to record.</summary>
    internal static double? Elapsed(TimeProvider time, long started)
    {
        if (started < 0)
        {
            return null;
        }

        try
        {
            return time.GetElapsedTime(started).TotalSeconds;
        }
        catch (Exception)
        {
            return null;
        }
    }
}
