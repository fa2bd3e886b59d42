namespace GovernedExecution.Diagnostics;

/// <summary>
/// The names under which governed executions are traced and measured, for OpenTelemetry's
/// <c>AddSource(GovernedExecutionTelemetry.ActivitySourceName)</c> and <c>AddMeter(GovernedExecutionTelemetry.MeterName)</c>
/// (or an <see cref="System.Diagnostics.ActivityListener"/> and a <see cref="System.Diagnostics.Metrics.MeterListener"/>).
/// </summary>
/// <remarks>The spans, their attributes, the instruments and their units are listed in docs/operations.md.</remarks>
public static class GovernedExecutionTelemetry
{
    /// <summary>The name of the <see cref="System.Diagnostics.ActivitySource"/> of every governed call and its phases: <c>GovernedExecution</c>.</summary>
    public const string ActivitySourceName = "GovernedExecution";

    /// <summary>The name of the <see cref="System.Diagnostics.Metrics.Meter"/> of the counters and histograms: <c>GovernedExecution</c>.</summary>
    public const string MeterName = "GovernedExecution";
}
