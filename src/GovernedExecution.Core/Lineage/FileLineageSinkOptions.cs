using GovernedExecution.Artifacts.Keys;
using Microsoft.Extensions.Logging;

namespace GovernedExecution.Lineage;

/// <summary>Options of a <see cref="FileLineageSink"/>. Validated when the sink opens; every failure is reported at once.</summary>
public sealed class FileLineageSinkOptions
{
    /// <summary>The log's first file (for example <c>lineage.jsonl</c>); later files after rotation are <c>lineage.1.jsonl</c>, <c>lineage.2.jsonl</c>, ...</summary>
    public string Path { get; set; } = string.Empty;

    /// <summary>The log id written into every record of a new log; by default a new GUID. When resuming, it must match the file's, if set.</summary>
    public string? LogId { get; set; }

    /// <summary>When appends are acknowledged; <see cref="LineageDurability.BeforeInvoke"/> by default.</summary>
    public LineageDurability Durability { get; set; } = LineageDurability.BeforeInvoke;

    /// <summary>The bound of the append queue, in appends (batches of events); 4096 by default.</summary>
    public int QueueCapacity { get; set; } = 4096;

    /// <summary>What an append does when the queue is full; <see cref="LineageQueueFullMode.Wait"/> by default.</summary>
    public LineageQueueFullMode QueueFullMode { get; set; } = LineageQueueFullMode.Wait;

    /// <summary>
    /// The key that signs checkpoints (COSE_Sign1). The sink does not take ownership; keep the key undisposed while the
    /// sink is open (a checkpoint that cannot be signed faults the sink). Without a key, checkpoints are unsigned and
    /// fail verification with trusted keys.
    /// </summary>
    public SigningKey? CheckpointKey { get; set; }

    /// <summary>
    /// Whether the sink, on open, adopts records that no checkpoint signed with <see cref="CheckpointKey"/> covers (the
    /// records after the last checkpoint, as a crash leaves them, or a log with no checkpoint at all). Off by default:
    /// such a log is refused, since the sink cannot tell its own unsigned records from records forged on its disk. When
    /// on, the sink appends a repair record naming the adopted range, signs a checkpoint over it, and verification
    /// reports the range (<see cref="LineageVerificationResult.Notices"/>).
    /// </summary>
    public bool AdoptUnsignedTail { get; set; }

    /// <summary>
    /// The witness every signed checkpoint is offered to (with a consistency proof from the last one it accepted), and
    /// that the log is checked against on open; <see langword="null"/> (the default) for none. Without a witness the
    /// log is tamper-evident only against someone without the key, after the fact; a truncated or rolled-back log is
    /// not detected.
    /// </summary>
    public ICheckpointWitness? Witness { get; set; }

    /// <summary>A checkpoint is written after this many records; 1000 by default.</summary>
    public int CheckpointEveryRecords { get; set; } = 1000;

    /// <summary>A checkpoint is written when records are this old without one; one minute by default.</summary>
    public TimeSpan CheckpointEvery { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>Starts a new file when the current one reaches this size in bytes; <see langword="null"/> (the default) never.</summary>
    public long? RotateAtBytes { get; set; }

    /// <summary>Starts a new file when the current one has been written to for this long; <see langword="null"/> (the default) never.</summary>
    public TimeSpan? RotateEvery { get; set; }

    /// <summary>The clock for record times and checkpoint and rotation periods; <see cref="TimeProvider.System"/> by default.</summary>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;

    /// <summary>Receives repairs and faults; none by default.</summary>
    public ILogger? Logger { get; set; }

    /// <summary>Seals a damaged (complete but bad) last line with a repair record instead of refusing the log: <c>govexec lineage seal</c>.</summary>
    internal bool SealDamagedLastLine { get; set; }

    /// <summary>Opens a file of the log for appending (a seam for fault injection in tests).</summary>
    internal Func<string, LineageSegmentFile> OpenSegment { get; set; } = LineageSegmentFile.Open;

    internal List<string> Validate()
    {
        var failures = new List<string>();
        if (string.IsNullOrWhiteSpace(Path))
        {
            failures.Add("Path is required.");
        }

        if (LogId is { Length: 0 })
        {
            failures.Add("LogId cannot be empty.");
        }

        if (QueueCapacity < 1)
        {
            failures.Add("QueueCapacity must be at least 1.");
        }

        if (CheckpointEveryRecords < 1)
        {
            failures.Add("CheckpointEveryRecords must be at least 1.");
        }

        if (CheckpointEvery <= TimeSpan.Zero)
        {
            failures.Add("CheckpointEvery must be positive.");
        }

        if (RotateAtBytes is <= 0)
        {
            failures.Add("RotateAtBytes must be positive.");
        }

        if (RotateEvery is { } every && every <= TimeSpan.Zero)
        {
            failures.Add("RotateEvery must be positive.");
        }

        if (TimeProvider is null)
        {
            failures.Add("TimeProvider is required.");
        }

        if (!Enum.IsDefined(Durability))
        {
            failures.Add("Durability is not a defined value.");
        }

        if (!Enum.IsDefined(QueueFullMode))
        {
            failures.Add("QueueFullMode is not a defined value.");
        }

        return failures;
    }
}
