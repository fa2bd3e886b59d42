using System.Diagnostics;

namespace GovernedExecution.Diagnostics;

/// <summary>
/// A span of the <c>GovernedExecution</c> source that a faulty <see cref="ActivityListener"/> (or
/// <see cref="Activity.CurrentChanged"/> handler) cannot turn into an exception: starting, tagging and stopping never
/// throw, and a start or stop that failed half way leaves <see cref="Activity.Current"/> as it was before the span.
/// Telemetry is diagnostics; the decision, the outcome and the lineage never depend on it.
/// </summary>
internal readonly struct GovernedSpan : IDisposable
{
    private readonly Activity? _activity;
    private readonly Activity? _previous;

    private GovernedSpan(Activity? activity, Activity? previous)
    {
        _activity = activity;
        _previous = previous;
    }

    /// <summary>Starts a span named <paramref name="name"/> followed by <paramref name="suffix"/> (joined only when someone listens).</summary>
    internal static GovernedSpan Start(string name, string? suffix = null)
    {
        if (!GovernedTelemetry.Source.HasListeners())
        {
            return default;
        }

        var previous = Activity.Current;
        try
        {
            return new GovernedSpan(GovernedTelemetry.Source.StartActivity(suffix is null ? name : name + suffix), previous);
        }
        catch (Exception)
        {
            // A listener threw after the activity became current: it must not parent what follows.
            Restore(previous);
            return default;
        }
    }

    internal void SetTag(string key, string value)
    {
        try
        {
            _activity?.SetTag(key, value);
        }
        catch (Exception)
        {
            // Diagnostics only.
        }
    }

    internal void SetError(string description)
    {
        try
        {
            _activity?.SetStatus(ActivityStatusCode.Error, description);
        }
        catch (Exception)
        {
            // Diagnostics only.
        }
    }

    /// <summary>Stops the span; a listener that throws on stop is ignored and the previous span becomes current again.</summary>
    public void Dispose()
    {
        if (_activity is null)
        {
            return;
        }

        try
        {
            _activity.Dispose();
        }
        catch (Exception)
        {
            Restore(_previous);
        }
    }

    private static void Restore(Activity? previous)
    {
        try
        {
            if (Activity.Current != previous)
            {
                Activity.Current = previous;
            }
        }
        catch (Exception)
        {
            // The setter assigns before it notifies: a handler that throws here has already seen the restored span.
        }
    }
}
