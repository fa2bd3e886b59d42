using GovernedExecution.Artifacts.Keys;
using GovernedExecution.Lineage.Merkle;

namespace GovernedExecution.Lineage;

/// <summary>
/// Checks a log line by line, in order: shape and hash of each record, one log id, sequence from 1 without gaps,
/// the chain of <c>prev</c> hashes, every checkpoint's tree head against the records before it, and (when keys are
/// given) every checkpoint's signature. The first error stops it.
/// </summary>
internal sealed class LineageVerificationEngine
{
    private readonly IReadOnlyDictionary<string, TrustedKey>? _trusted;
    private MerkleAccumulator _tree = new();

    internal LineageVerificationEngine(IReadOnlyDictionary<string, TrustedKey>? trusted)
    {
        _trusted = trusted;
    }

    internal long Records { get; private set; }

    internal long Checkpoints { get; private set; }

    /// <summary>The sum of the counts the <c>records_lost</c> records state.</summary>
    internal long RecordsLost { get; private set; }

    internal string Head { get; private set; } = LineageChain.GenesisHash;

    internal string? LogId { get; private set; }

    internal bool LastIsCheckpoint { get; private set; }

    /// <summary>The checkpoint a witness holds, which the log must contain (tree size and root), when checked.</summary>
    internal (long Size, byte[] Root)? Witnessed { get; set; }

    /// <summary>Whether a checkpoint of the witnessed tree size and root was found.</summary>
    internal bool WitnessedFound { get; private set; }

    /// <summary>What the log's repair records say, in order.</summary>
    internal List<string> Notices { get; } = [];

    internal bool SignaturesChecked => _trusted is not null;

    /// <summary>The sequence number of the first record checked: 1, or the checkpoint a later file starts with.</summary>
    internal long FirstRecord { get; private set; } = 1;

    /// <summary>
    /// Starts from a checkpoint instead of the log's first record (the files given begin with a later file): the tree
    /// is restored from its frontier, so the checkpoint is checked (root, frontier, signature) like any other.
    /// </summary>
    internal bool TryStartFrom(ReadOnlySpan<byte> line)
    {
        if (Records > 0 || LineageRecordLine.TryParse(line, out _) is not { Kind: LineageEventKind.Checkpoint, Sequence: > 1 } checkpoint
            || LineageCheckpoint.TryRestore(checkpoint) is null)
        {
            return false;
        }

        var frontier = checkpoint[LineageCheckpoint.Frontier] ?? string.Empty;
        var roots = frontier.Length == 0 ? [] : frontier.Split(',').Select(Convert.FromHexString).ToArray();
        var restored = MerkleAccumulator.Restore(new MerkleAccumulatorSnapshot(checkpoint.Sequence - 1, roots));
        _tree = restored;
        Records = checkpoint.Sequence - 1;
        Head = checkpoint.PreviousHash;
        LogId = checkpoint.LogId;
        FirstRecord = checkpoint.Sequence;
        return true;
    }

    /// <summary>Checks the next line; returns the error, or <see langword="null"/> when the record is good.</summary>
    internal string? Feed(ReadOnlySpan<byte> line) => Feed(line, out _);

    internal string? Feed(ReadOnlySpan<byte> line, out LineageRecordLine? parsed)
    {
        parsed = LineageRecordLine.TryParse(line, out var error);
        if (parsed is null)
        {
            return error;
        }

        if (LogId is null)
        {
            LogId = parsed.LogId;
        }
        else if (!string.Equals(LogId, parsed.LogId, StringComparison.Ordinal))
        {
            return "log id differs from the log's first record: a record of another log";
        }

        var expected = Records + 1;
        if (parsed.Sequence != expected)
        {
            return parsed.Sequence <= Records
                ? $"sequence {parsed.Sequence} where {expected} was expected: a duplicated or reordered record"
                : $"sequence {parsed.Sequence} where {expected} was expected: records are missing";
        }

        if (!string.Equals(parsed.PreviousHash, Head, StringComparison.Ordinal))
        {
            return "broken chain: prev is not the hash of the previous record";
        }

        if (parsed.Kind == LineageEventKind.Checkpoint)
        {
            var checkpointError = CheckCheckpoint(parsed);
            if (checkpointError is not null)
            {
                return checkpointError;
            }

            Checkpoints++;
        }

        if (parsed.Kind == LineageEventKind.Repair)
        {
            Notices.Add(LineageRepairs.Notice(parsed));
        }

        if (parsed.Kind == LineageEventKind.RecordsLost)
        {
            if (LineageLoss.CountOf(parsed) is not { } lost)
            {
                return "records_lost record without a valid count";
            }

            RecordsLost += lost;
            Notices.Add(LineageLoss.Notice(parsed, lost));
        }

        var leaf = LineageCheckpoint.LeafHash(parsed.Hash);
        _tree.Append(leaf);
        Records = expected;
        Head = parsed.Hash;
        LastIsCheckpoint = parsed.Kind == LineageEventKind.Checkpoint;
        return null;
    }

    private string? CheckCheckpoint(LineageRecordLine checkpoint)
    {
        if (!string.Equals(checkpoint[LineageCheckpoint.TreeSize], _tree.Size.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal))
        {
            return "checkpoint tree size is not the number of records before it";
        }

        if (!string.Equals(checkpoint[LineageCheckpoint.Root], Convert.ToHexStringLower(_tree.Root()), StringComparison.Ordinal))
        {
            return "checkpoint root does not match the Merkle root of the records before it";
        }

        var frontier = string.Join(",", _tree.Snapshot().SubtreeRoots.Select(r => Convert.ToHexStringLower(r)));
        if (!string.Equals(checkpoint[LineageCheckpoint.Frontier], frontier, StringComparison.Ordinal))
        {
            return "checkpoint frontier does not match the Merkle tree of the records before it";
        }

        if (Witnessed is { } witnessed && witnessed.Size == _tree.Size)
        {
            if (!Convert.ToHexStringLower(witnessed.Root).Equals(checkpoint[LineageCheckpoint.Root], StringComparison.Ordinal))
            {
                return $"the checkpoint of tree size {witnessed.Size} differs from the one the witness holds: the log was forked or rewritten";
            }

            WitnessedFound = true;
        }

        return _trusted is null ? null : LineageCheckpoint.VerifySignature(checkpoint, _trusted);
    }
}
