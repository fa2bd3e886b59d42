using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace GovernedExecution.Diagnostics;

/// <summary>
/// The <see cref="ActivitySource"/> and <see cref="Meter"/> named <c>GovernedExecution</c>. Counters and histograms are
/// guarded and spans are started through <see cref="GovernedSpan"/>: a listener that throws never reaches the caller.
/// </summary>
internal static class GovernedTelemetry
{
    // Attribute names, after OpenTelemetry's conventions: lowercase, dotted, in the namespace of the metric names.
    internal const string ExecutionIdTag = "governed_execution.execution_id";
    internal const string ModeTag = "governed_execution.mode";
    internal const string ActionTag = "governed_execution.action";
    internal const string PrincipalTypeTag = "governed_execution.principal.type";
    internal const string DecisionTag = "governed_execution.decision";
    internal const string DenialReasonTag = "governed_execution.denial.reason";
    internal const string DeterminingPoliciesTag = "governed_execution.policy.determining";
    internal const string PolicySetDigestTag = "governed_execution.policy_set.digest";
    internal const string OutcomeTag = "governed_execution.outcome";
    internal const string PhaseTag = "governed_execution.phase";
    internal const string ErrorTypeTag = "error.type";

    // Governance phases take microseconds to milliseconds, an approval or an operation up to minutes: finer buckets at
    // the low end than OpenTelemetry's default for HTTP durations.
    private static readonly InstrumentAdvice<double> Seconds = new()
    {
        HistogramBucketBoundaries = [0.00001, 0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120],
    };

    // Batches hold 1 to 256 artifacts (ArtifactBatch.MaxBatch): powers of two.
    private static readonly InstrumentAdvice<long> ArtifactCounts = new()
    {
        HistogramBucketBoundaries = [1, 2, 4, 8, 16, 32, 64, 128, 256],
    };

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
    internal static readonly GuardedHistogram PhaseDuration = new(Meter.CreateHistogram("governed_execution.phase.duration", "s", "Duration of each phase of a governed call, by phase (evaluate, approval, issue, verify, lineage, operation).", null, Seconds));
    internal static readonly GuardedHistogram ExecutionDuration = new(Meter.CreateHistogram("governed_execution.execution.duration", "s", "Duration of a governed call (run, dry run, issue, refusal), by mode and outcome, and reason when denied.", null, Seconds));

    internal static readonly GuardedCountHistogram ArtifactBatchSize = new(Meter.CreateHistogram("governed_execution.artifact.batch_size", "{artifact}", "Artifacts covered by each artifact signature (1 when signed alone; more when batched).", null, ArtifactCounts));

    internal static readonly GuardedCounter LineageDenials = new(Meter.CreateCounter<long>("governed_execution.lineage.denials", description: "Executions denied because a required lineage sink did not accept their records."));
}
