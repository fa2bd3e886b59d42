using System.Security.Cryptography;
using GovernedExecution.Lineage.Merkle;

namespace GovernedExecution.Lineage;

/// <summary>
/// Finds where a log left off: the last checkpoint (whose frontier restores the Merkle tree without rehashing the
/// records before it), then every record after it, checked. A torn last line is reported for cutting; a bad record
/// followed by more records is corruption, and the log is not opened.
/// </summary>
internal sealed class LineageResume
{
    private const int Chunk = 1 << 16;
    private static readonly byte[] KindMember = ",\"kind\":\""u8.ToArray();
    private static readonly byte[] CheckpointKind = "checkpoint\""u8.ToArray();

    private LineageResume(string basePath, int segment)
    {
        BasePath = basePath;
        Segment = segment;
    }

    internal string BasePath { get; }

    internal int Segment { get; }

    internal string? LogId { get; private set; }

    internal long Sequence { get; private set; }

    internal string Head { get; private set; } = LineageChain.GenesisHash;

    internal MerkleAccumulator Tree { get; private set; } = new();

    internal long RecordsSinceCheckpoint { get; private set; }

    /// <summary>The last checkpoint record the log holds, when any: the one whose signature must be the sink's own.</summary>
    internal LineageRecordLine? LastCheckpoint { get; private set; }

    /// <summary>The length of the good part of the active file.</summary>
    internal long GoodLength { get; private set; }

    /// <summary>Whether the torn tail ends with a line feed already.</summary>
    internal bool TornTailTerminated { get; private set; }

    /// <summary>Whether the last record is complete but for its line feed.</summary>
    internal bool MissingLineFeed { get; private set; }

    /// <summary>The bytes after <see cref="GoodLength"/> (a torn last line), when any.</summary>
    internal byte[]? TornTail { get; private set; }

    /// <summary>
    /// The tree size of the checkpoint the resume started from (0 when from the log's beginning), its frontier, and
    /// the leaf hashes from there on (that checkpoint's own leaf first): what a consistency proof from it needs.
    /// </summary>
    internal long StartSize { get; private set; }

    internal IReadOnlyList<byte[]> StartFrontier { get; private set; } = [];

    internal List<byte[]> LeavesSinceStart { get; } = [];

    /// <summary>
    /// Reads the log's files: from the last checkpoint (or, given <paramref name="fromTreeSize"/>, from the checkpoint
    /// of that tree size) to the end, across files.
    /// </summary>
    /// <exception cref="InvalidDataException">A record other than the last is bad, the files do not form one log, or no checkpoint of <paramref name="fromTreeSize"/> is found.</exception>
    internal static LineageResume Read(string basePath, long? fromTreeSize = null, bool sealDamage = false)
    {
        var segments = LineageSegments.Present(basePath);
        var last = segments.Count - 1;
        var state = new LineageResume(basePath, last < 0 ? 0 : segments[last].Index) { _sealDamage = sealDamage };
        var startSegment = 0;
        long startOffset = 0;
        for (var index = last; index >= 0; index--)
        {
            using var stream = new FileStream(segments[index].Path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1, FileOptions.None);
            var checkpoint = FindLastCheckpoint(stream, stream.Length, fromTreeSize, out var offset, out var length);
            if (checkpoint is not null)
            {
                state.StartFrom(checkpoint);
                startSegment = index;
                startOffset = offset + length + 1;
                break;
            }
        }

        if (fromTreeSize is { } size && state.StartSize != size)
        {
            throw new InvalidDataException($"The lineage log '{basePath}' holds no checkpoint of tree size {size}.");
        }

        for (var index = startSegment; index <= last; index++)
        {
            if (index > startSegment && segments[index].Index != segments[index - 1].Index + 1)
            {
                throw new InvalidDataException($"The lineage file '{LineageSegments.PathOf(basePath, segments[index - 1].Index + 1)}' is missing: the log's records after its last checkpoint continue in it. The log is not opened.");
            }

            state.ReadSegment(segments[index].Path, index == startSegment ? startOffset : 0, active: index == last);
        }

        return state;
    }

    /// <summary>The checkpoint record of a tree size among those read (the start one, or one after it).</summary>
    internal LineageRecordLine? LastCheckpointAt(long treeSize) => _checkpoints.FirstOrDefault(c => c.Sequence - 1 == treeSize);

    private readonly List<LineageRecordLine> _checkpoints = [];
    private bool _sealDamage;

    private void StartFrom(LineageRecordLine checkpoint)
    {
        LogId = checkpoint.LogId;
        Sequence = checkpoint.Sequence;
        Head = checkpoint.Hash;
        Tree = LineageCheckpoint.TryRestore(checkpoint)!;
        RecordsSinceCheckpoint = 0;
        LastCheckpoint = checkpoint;
        _checkpoints.Add(checkpoint);
        StartSize = checkpoint.Sequence - 1;
        var frontier = checkpoint[LineageCheckpoint.Frontier] ?? string.Empty;
        StartFrontier = frontier.Length == 0 ? [] : [.. frontier.Split(',').Select(Convert.FromHexString)];
        LeavesSinceStart.Add(LineageCheckpoint.LeafHash(checkpoint.Hash));
    }

    private void ReadSegment(string path, long start, bool active)
    {
        if (!File.Exists(path))
        {
            return;
        }

        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1, FileOptions.None);
        var length = stream.Length;
        stream.Seek(start, SeekOrigin.Begin);
        var reader = new LineageLineReader(stream, start);
        GoodLength = start;
        while (reader.TryRead(out var line, out var offset, out var terminated))
        {
            var error = Accept(line.Span);
            if (error is null)
            {
                GoodLength = reader.Offset;
                if (!terminated)
                {
                    // A whole record whose line feed the crash cut off: it stays, and gets its line feed.
                    MissingLineFeed = true;
                }

                continue;
            }

            if (terminated && reader.NextSeals(line.Span))
            {
                continue;
            }

            if (!active || reader.Offset < length)
            {
                throw new InvalidDataException($"Lineage file '{path}' is corrupt at byte {offset}: {error}. It is not a torn last line, so it is not repaired; verify the log with 'govexec lineage verify'.");
            }

            if (terminated && !_sealDamage)
            {
                throw new InvalidDataException($"Lineage file '{path}' ends with a complete line at byte {offset} that is not a good record ({error}). A crash does not leave a whole line behind, so this is damage, not a torn write, and it is not repaired. Inspect the log with 'govexec lineage verify'; to keep it going, record the damage with 'govexec lineage seal' (a signed repair record states the line's length and digest).");
            }

            // The last line is bad: a write the crash cut short (or, sealed on request, a damaged line). Keep its bytes
            // (without a line feed) for the repair record.
            TornTail = line.ToArray();
            TornTailTerminated = terminated;
            GoodLength = offset;
            return;
        }
    }

    private string? Accept(ReadOnlySpan<byte> line)
    {
        var record = LineageRecordLine.TryParse(line, out var error);
        if (record is null)
        {
            return error;
        }

        if (LogId is not null && !string.Equals(record.LogId, LogId, StringComparison.Ordinal))
        {
            return "the record names another log";
        }

        if (record.Sequence != Sequence + 1 || !string.Equals(record.PreviousHash, Head, StringComparison.Ordinal))
        {
            return "the record does not follow the one before it";
        }

        if (record.Kind == LineageEventKind.Checkpoint
            && (!string.Equals(record[LineageCheckpoint.TreeSize], Tree.Size.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal)
                || !string.Equals(record[LineageCheckpoint.Root], Convert.ToHexStringLower(Tree.Root()), StringComparison.Ordinal)))
        {
            return "the checkpoint does not match the records before it";
        }

        LogId = record.LogId;
        Sequence = record.Sequence;
        Head = record.Hash;
        var leaf = LineageCheckpoint.LeafHash(record.Hash);
        Tree.Append(leaf);
        LeavesSinceStart.Add(leaf);
        RecordsSinceCheckpoint = record.Kind == LineageEventKind.Checkpoint ? 0 : RecordsSinceCheckpoint + 1;
        if (record.Kind == LineageEventKind.Checkpoint)
        {
            LastCheckpoint = record;
            _checkpoints.Add(record);
        }
        return null;
    }

    /// <summary>Scans the file backwards for the last complete, intact checkpoint line.</summary>
    private static LineageRecordLine? FindLastCheckpoint(FileStream stream, long length, long? treeSize, out long lineOffset, out int lineLength)
    {
        lineOffset = 0;
        lineLength = 0;
        var position = length;
        byte[] pending = [];
        var seenLineFeed = false;
        while (position > 0)
        {
            var count = (int)Math.Min(Chunk, position);
            position -= count;
            var buffer = new byte[count + pending.Length];
            stream.Seek(position, SeekOrigin.Begin);
            stream.ReadExactly(buffer, 0, count);
            pending.CopyTo(buffer, count);

            var lineEnd = buffer.Length;
            for (var i = buffer.Length - 1; i >= 0; i--)
            {
                if (buffer[i] != (byte)'\n')
                {
                    continue;
                }

                if (seenLineFeed && TryCheckpoint(buffer.AsSpan(i + 1, lineEnd - i - 1), treeSize) is { } found)
                {
                    lineOffset = position + i + 1;
                    lineLength = lineEnd - i - 1;
                    return found;
                }

                seenLineFeed = true;
                lineEnd = i;
            }

            pending = buffer[..lineEnd];
        }

        if (seenLineFeed && TryCheckpoint(pending, treeSize) is { } first)
        {
            lineOffset = 0;
            lineLength = pending.Length;
            return first;
        }

        return null;
    }

    private static LineageRecordLine? TryCheckpoint(ReadOnlySpan<byte> line, long? treeSize)
    {
        // The first kind member of a line is the record's own: every earlier member is a fixed-format or escaped string.
        var at = line.IndexOf(KindMember);
        if (at < 0 || !line[(at + KindMember.Length)..].StartsWith(CheckpointKind))
        {
            return null;
        }

        var record = LineageRecordLine.TryParse(line, out _);
        return record is { Kind: LineageEventKind.Checkpoint } && (treeSize is null || record.Sequence - 1 == treeSize) && LineageCheckpoint.TryRestore(record) is not null ? record : null;
    }

    /// <summary>The repair record's data: what was cut, where, and its digest.</summary>
    internal KeyValuePair<string, string>[] RepairAttributes(string path, string? reason = null) =>
    [
        new(LineageRepairs.Reason, reason ?? (TornTailTerminated ? LineageRepairs.DamagedReason : LineageRepairs.TornReason)),
        new("file", Path.GetFileName(path)),
        new("offset", GoodLength.ToString(System.Globalization.CultureInfo.InvariantCulture)),
        new("cut_bytes", (TornTail?.Length ?? 0).ToString(System.Globalization.CultureInfo.InvariantCulture)),
        new("cut_sha256", Convert.ToHexStringLower(SHA256.HashData(TornTail ?? []))),
    ];
}
