namespace GovernedExecution.Diagnostics;

/// <summary>
/// One phase of a governed call: a child span and a measurement of <c>governed_execution.phase.duration</c>. Neither
/// costs anything when nobody listens (no timestamp is taken, no tag built).
/// </summary>
internal readonly struct GovernedPhase : IDisposable
{
    private readonly TimeProvider? _time;
    private readonly long _started;
    private readonly string _phase;

    private GovernedPhase(GovernedSpan span, TimeProvider? time, long started, string phase)
    {
        Span = span;
        _time = time;
        _started = started;
        _phase = phase;
    }

    internal GovernedSpan Span { get; }

    /// <summary>Starts the span <paramref name="spanName"/> and times the phase <paramref name="phase"/> by <paramref name="time"/>.</summary>
    internal static GovernedPhase Start(string spanName, string phase, TimeProvider time)
    {
        var started = GovernedTelemetry.PhaseDuration.Start(time);
        return new GovernedPhase(GovernedSpan.Start(spanName), started < 0 ? null : time, started, phase);
    }

    /// <summary>Records the duration (while the span is still current) and stops the span.</summary>
    public void Dispose()
    {
        if (_time is not null && GuardedHistogram.Elapsed(_time, _started) is { } seconds)
        {
            GovernedTelemetry.PhaseDuration.Record(seconds, new KeyValuePair<string, object?>(GovernedTelemetry.PhaseTag, _phase));
        }

        Span.Dispose();
    }
}
