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

    /// <summary>Whether the span records attributes: check it before computing one, so that nobody listening costs nothing.</summary>
    internal bool IsRecording => _activity is { IsAllDataRequested: true };

    internal void SetTag(string key, object? value)
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

    /// <summary>Marks the span failed: status <see cref="ActivityStatusCode.Error"/> and OpenTelemetry's <c>error.type</c>.</summary>
    internal void SetError(string description, string errorType)
    {
        try
        {
            _activity?.SetStatus(ActivityStatusCode.Error, description);
            _activity?.SetTag(GovernedTelemetry.ErrorTypeTag, errorType);
        }
        catch (Exception)
        {
            // Diagnostics only.
        }
    }

    /// <summary>
    /// Marks the span failed by <paramref name="exception"/>: status Error with its message, <c>error.type</c> its type, and
    /// an <c>exception</c> event (<c>exception.type</c>, <c>exception.message</c>, <c>exception.stacktrace</c>).
    /// </summary>
    internal void RecordException(Exception exception)
    {
        if (!IsRecording)
        {
            return;
        }

        var type = exception.GetType().FullName ?? exception.GetType().Name;
        SetError(exception.Message, type);
        try
        {
            _activity!.AddException(exception);
        }
        catch (Exception)
        {
            // An ExceptionRecorder that throws is the listener's bug: the operation's exception is what the caller gets.
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
