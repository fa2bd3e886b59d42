using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace GovernedExecution.Diagnostics;

/// <summary>The <see cref="ActivitySource"/> and <see cref="Meter"/> named <c>GovernedExecution</c>.</summary>
internal static class GovernedTelemetry
{
    internal const string Name = "GovernedExecution";

    internal static readonly ActivitySource Source = new(Name, typeof(GovernedTelemetry).Assembly.GetName().Version?.ToString());
    internal static readonly Meter Meter = new(Name, typeof(GovernedTelemetry).Assembly.GetName().Version?.ToString());

    internal static readonly Counter<long> Executions = Meter.CreateCounter<long>("governed_execution.executions", description: "Governed executions by outcome (succeeded, faulted, denied).");
    internal static readonly Counter<long> Denials = Meter.CreateCounter<long>("governed_execution.denials", description: "Denied executions by reason.");
    internal static readonly Counter<long> LineageFailures = Meter.CreateCounter<long>("governed_execution.lineage.failures", description: "Lineage appends a sink refused or failed, by mode.");
    internal static readonly Counter<long> LineageRecords = Meter.CreateCounter<long>("governed_execution.lineage.events", description: "Lineage events handed to sinks.");
}
