namespace GovernedExecution.Lineage;

/// <summary>The phase event a lineage record stands for. Values are stable; lineage files write the name.</summary>
public enum LineageEventKind
{
    /// <summary>An intent was submitted.</summary>
    IntentSubmitted = 1,

    /// <summary>Policies were evaluated.</summary>
    PolicyEvaluated = 2,

    /// <summary>An artifact was minted.</summary>
    ArtifactIssued = 3,

    /// <summary>An artifact was verified (with its verdict).</summary>
    ArtifactVerified = 4,

    /// <summary>The delegate is about to run.</summary>
    ExecutionStarted = 5,

    /// <summary>The delegate completed.</summary>
    ExecutionCompleted = 6,

    /// <summary>The delegate threw.</summary>
    ExecutionFailed = 7,

    /// <summary>The execution was denied; the delegate did not run.</summary>
    ExecutionDenied = 8,

    /// <summary>A dry run (<c>AuthorizeAsync</c>): decided, nothing minted or run.</summary>
    DryRun = 9,

    /// <summary>A signed Merkle checkpoint of the log.</summary>
    Checkpoint = 10,

    /// <summary>The log was repaired after a crash (a torn tail was cut).</summary>
    Repair = 11,

    /// <summary>An approver answered a <c>requires_approval</c> obligation (approved or refused).</summary>
    ApprovalRecorded = 12,

    /// <summary>
    /// Records a <see cref="LineageDurability.Buffered"/> sink acknowledged but could not write (a failed write or
    /// flush, such as a full disk): how many, their executions and the cause, written once the file can be written again.
    /// </summary>
    RecordsLost = 13,

    /// <summary>
    /// The delegate ran and its authorization ended before it returned (the outcome record, instead of completed or
    /// failed): its <c>cause</c> and the denial it amounts to.
    /// </summary>
    ExecutionRevoked = 14,
}
