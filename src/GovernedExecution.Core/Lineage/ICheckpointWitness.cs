namespace GovernedExecution.Lineage;

/// <summary>
/// Keeps, per log, the latest checkpoint a writer signed, somewhere the log's disk does not reach (another volume or
/// host, a database), and accepts a new one only as an append-only extension of it, proven by an RFC 9162 consistency
/// proof: so a rollback, truncation or fork of the log is refused and detected (docs/lineage-format.md, "Witness").
/// </summary>
/// <remarks>
/// A <see cref="FileLineageSink"/> with <see cref="FileLineageSinkOptions.Witness"/> offers every checkpoint once it is
/// on disk; a refusal (or any exception) faults the sink, so a required sink denies every execution.
/// </remarks>
public interface ICheckpointWitness
{
    /// <summary>The latest checkpoint the witness accepted for a log.</summary>
    /// <param name="logId">The log id.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>The tree head, or <see langword="null"/> when the witness holds none for this log.</returns>
    ValueTask<LineageTreeHead?> GetLatestAsync(string logId, CancellationToken cancellationToken);

    /// <summary>Accepts <paramref name="checkpoint"/> if it extends the checkpoint held for its log, or refuses it.</summary>
    /// <param name="oldSize">The tree size of the checkpoint the writer believes the witness holds (0 when none).</param>
    /// <param name="consistencyProof">The RFC 9162 consistency proof from that tree to the new one (empty from size 0).</param>
    /// <param name="checkpoint">The new tree head.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>A task that completes once the checkpoint is durably held.</returns>
    /// <exception cref="CheckpointWitnessRefusedException">The checkpoint is not an append-only extension of the one held (or <paramref name="oldSize"/> is not its size).</exception>
    ValueTask AddCheckpointAsync(long oldSize, IReadOnlyList<byte[]> consistencyProof, LineageTreeHead checkpoint, CancellationToken cancellationToken);
}
