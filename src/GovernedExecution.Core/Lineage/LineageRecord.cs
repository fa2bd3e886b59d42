namespace GovernedExecution.Lineage;

/// <summary>
/// An event with its place in a hash-chained log: sequence number, the hash of the previous record, and its own hash
/// (SHA-256 over its canonical JSON form, which includes <see cref="PreviousHash"/>; see docs/lineage-format.md).
/// </summary>
public sealed class LineageRecord
{
    internal LineageRecord(long sequence, string logId, LineageEvent @event, string previousHash, string hash, ReadOnlyMemory<byte> line)
    {
        Sequence = sequence;
        LogId = logId;
        Event = @event;
        PreviousHash = previousHash;
        Hash = hash;
        Line = line;
    }

    /// <summary>The position in the log, from 1, without gaps.</summary>
    public long Sequence { get; }

    /// <summary>The id of the log the record belongs to (the same in every record of a log).</summary>
    public string LogId { get; }

    /// <summary>The event.</summary>
    public LineageEvent Event { get; }

    /// <summary>The hash of the previous record (64 zeros for the first), lowercase hex.</summary>
    public string PreviousHash { get; }

    /// <summary>This record's hash, lowercase hex.</summary>
    public string Hash { get; }

    /// <summary>The record as written: one UTF-8 JSON line without the line feed.</summary>
    public ReadOnlyMemory<byte> Line { get; }

    /// <inheritdoc />
    public override string ToString() => $"#{Sequence} {Event.Kind} {Event.ExecutionId} {Hash}";
}
