using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace GovernedExecution.Diagnostics;

/// <summary>
/// The <see cref="ActivitySource"/> and <see cref="Meter"/> named <c>GovernedExecution</c>. Counters are guarded and
/// spans are started through <see cref="GovernedSpan"/>: a listener that throws never reaches the caller.
/// </summary>
internal static class GovernedTelemetry
{
    internal static readonly ActivitySource Source = new(GovernedExecutionTelemetry.ActivitySourceName, typeof(GovernedTelemetry).Assembly.GetName().Version?.ToString());
    internal static readonly Meter Meter = new(GovernedExecutionTelemetry.MeterName, typeof(GovernedTelemetry).Assembly.GetName().Version?.ToString());

    internal static readonly GuardedCounter Executions = new(Meter.CreateCounter<long>("governed_execution.executions", description: "Governed executions by outcome (succeeded, faulted, denied)."));
    internal static readonly GuardedCounter Denials = new(Meter.CreateCounter<long>("governed_execution.denials", description: "Denied executions by reason."));
    internal static readonly GuardedCounter LineageFailures = new(Meter.CreateCounter<long>("governed_execution.lineage.failures", description: "Lineage appends a sink refused or failed, by mode."));
    internal static readonly GuardedCounter LineageRecords = new(Meter.CreateCounter<long>("governed_execution.lineage.events", description: "Lineage events handed to sinks."));

    internal static readonly GuardedCounter LineageRecordsWritten = new(Meter.CreateCounter<long>("governed_execution.lineage.records_written", description: "Lineage records written to files (checkpoints and repairs included)."));
    internal static readonly GuardedCounter LineageFsyncs = new(Meter.CreateCounter<long>("governed_execution.lineage.fsyncs", description: "Flushes to disk of lineage files (one per group commit)."));
    internal static readonly GuardedUpDownCounter LineageQueueDepth = new(Meter.CreateUpDownCounter<long>("governed_execution.lineage.queue_depth", description: "Appends queued for the lineage file writer."));
    internal static readonly GuardedCounter LineageQueueWaits = new(Meter.CreateCounter<long>("governed_execution.lineage.queue_waits", description: "Appends that waited for room in a full lineage queue."));
    internal static readonly GuardedCounter LineageQueueRefusals = new(Meter.CreateCounter<long>("governed_execution.lineage.queue_refusals", description: "Appends refused because the lineage queue was full."));
    internal static readonly GuardedCounter LineageCheckpoints = new(Meter.CreateCounter<long>("governed_execution.lineage.checkpoints", description: "Checkpoint records written."));
    internal static readonly GuardedCounter LineageRecordsLost = new(Meter.CreateCounter<long>("governed_execution.lineage.records_lost", description: "Acknowledged lineage records a Buffered file sink could not write (each also counted in a records_lost record when the file can be written)."));
    internal static readonly GuardedCounter LineageRepairs = new(Meter.CreateCounter<long>("governed_execution.lineage.repairs", description: "Torn lineage file tails cut on open."));
    internal static readonly GuardedCounter LineageDenials = new(Meter.CreateCounter<long>("governed_execution.lineage.denials", description: "Executions denied because a required lineage sink did not accept their records."));
}
