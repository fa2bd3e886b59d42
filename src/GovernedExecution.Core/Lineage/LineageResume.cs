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

    /// <summary>The bytes after <see cref="GoodLength"/> (a torn last line), when any.</summary>
    internal byte[]? TornTail { get; private set; }

    /// <summary>Reads the log's files (the last one, and earlier ones only as far back as the last checkpoint).</summary>
    /// <exception cref="InvalidDataException">A record other than the last is bad, or the files do not form one log.</exception>
    internal static LineageResume Read(string basePath)
    {
        var segments = LineageSegments.Existing(basePath);
        var last = Math.Max(0, segments.Count - 1);
        var state = new LineageResume(basePath, last);
        state.ReadSegment(last, active: true);
        return state;
    }

    private void ReadSegment(int index, bool active)
    {
        var path = LineageSegments.PathOf(BasePath, index);
        if (!File.Exists(path))
        {
            return;
        }

        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1, FileOptions.None);
        var length = stream.Length;
        long start = 0;
        var checkpoint = FindLastCheckpoint(stream, length, out var checkpointOffset, out var checkpointLength);
        if (checkpoint is not null)
        {
            LogId = checkpoint.LogId;
            Sequence = checkpoint.Sequence;
            Head = checkpoint.Hash;
            Tree = LineageCheckpoint.TryRestore(checkpoint)!;
            RecordsSinceCheckpoint = 0;
            LastCheckpoint = checkpoint;
            start = checkpointOffset + checkpointLength + 1;
        }
        else if (index > 0)
        {
            ReadSegment(index - 1, active: false);
        }

        stream.Seek(start, SeekOrigin.Begin);
        var reader = new LineageLineReader(stream, start);
        GoodLength = start;
        while (reader.TryRead(out var line, out var offset, out var terminated))
        {
            var error = terminated ? Accept(line.Span) : "torn last line (no line feed)";
            if (error is null)
            {
                GoodLength = reader.Offset;
                continue;
            }

            if (!active || reader.Offset < length)
            {
                throw new InvalidDataException($"Lineage file '{path}' is corrupt at byte {offset}: {error}. It is not a torn last line, so it is not repaired; verify the log with 'govexec lineage verify'.");
            }

            // The last line is bad: a write the crash cut short. Keep its bytes for the repair record.
            stream.Seek(offset, SeekOrigin.Begin);
            TornTail = new byte[length - offset];
            stream.ReadExactly(TornTail);
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
        Tree.Append(LineageCheckpoint.LeafHash(record.Hash));
        RecordsSinceCheckpoint = record.Kind == LineageEventKind.Checkpoint ? 0 : RecordsSinceCheckpoint + 1;
        if (record.Kind == LineageEventKind.Checkpoint)
        {
            LastCheckpoint = record;
        }
        return null;
    }

    /// <summary>Scans the file backwards for the last complete, intact checkpoint line.</summary>
    private static LineageRecordLine? FindLastCheckpoint(FileStream stream, long length, out long lineOffset, out int lineLength)
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

                if (seenLineFeed && TryCheckpoint(buffer.AsSpan(i + 1, lineEnd - i - 1)) is { } found)
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

        if (seenLineFeed && TryCheckpoint(pending) is { } first)
        {
            lineOffset = 0;
            lineLength = pending.Length;
            return first;
        }

        return null;
    }

    private static LineageRecordLine? TryCheckpoint(ReadOnlySpan<byte> line)
    {
        // The first kind member of a line is the record's own: every earlier member is a fixed-format or escaped string.
        var at = line.IndexOf(KindMember);
        if (at < 0 || !line[(at + KindMember.Length)..].StartsWith(CheckpointKind))
        {
            return null;
        }

        var record = LineageRecordLine.TryParse(line, out _);
        return record is { Kind: LineageEventKind.Checkpoint } && LineageCheckpoint.TryRestore(record) is not null ? record : null;
    }

    /// <summary>The repair record's data: what was cut, where, and its digest.</summary>
    internal KeyValuePair<string, string>[] RepairAttributes(string path) =>
    [
        new("reason", "torn last line cut after a crash"),
        new("file", Path.GetFileName(path)),
        new("offset", GoodLength.ToString(System.Globalization.CultureInfo.InvariantCulture)),
        new("cut_bytes", (TornTail?.Length ?? 0).ToString(System.Globalization.CultureInfo.InvariantCulture)),
        new("cut_sha256", Convert.ToHexStringLower(SHA256.HashData(TornTail ?? []))),
    ];
}
