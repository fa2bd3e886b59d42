using System.Globalization;
using System.Text;
using System.Text.Json;
using GovernedExecution.Artifacts.Keys;
using GovernedExecution.Lineage.Merkle;

namespace GovernedExecution.Lineage;

/// <summary>
/// RFC 9162 inclusion proofs (one record in the tree of a checkpoint) and consistency proofs (an earlier checkpoint's
/// tree is a prefix of a later one's), as self-contained JSON that carries the record and checkpoint lines, so that a
/// proof can be checked offline with nothing but the trusted public keys (docs/lineage-format.md).
/// </summary>
internal static class LineageProofs
{
    internal const string Inclusion = "inclusion";
    internal const string Consistency = "consistency";

    /// <summary>Reads and verifies the log, then proves record <paramref name="sequence"/> against the latest checkpoint that covers it.</summary>
    /// <exception cref="InvalidDataException">The log does not verify, or no checkpoint covers the record.</exception>
    internal static string CreateInclusion(IReadOnlyList<string> paths, long sequence, IReadOnlyDictionary<string, TrustedKey>? trusted) =>
        InclusionOf(Read(paths, trusted, sequence, null, null), sequence, ranges => ProofNodes(paths, ranges));

    /// <summary>
    /// As the files version, over a chain's record lines in sequence order (a database writer's rows), read twice: once
    /// to verify and keep the lines a proof carries, once for the proof's subtree hashes.
    /// </summary>
    /// <exception cref="InvalidDataException">The chain does not verify, or no checkpoint covers the record.</exception>
    internal static string CreateInclusion(Func<IEnumerable<ReadOnlyMemory<byte>>> records, long sequence, IReadOnlyDictionary<string, TrustedKey>? trusted) =>
        InclusionOf(ReadRecords(records(), trusted, sequence), sequence, ranges => ProofNodes(records(), ranges));

    private static string InclusionOf(ScannedLog log, long sequence, Func<List<(long Start, long End)>, byte[][]> proofNodes)
    {
        var checkpoint = log.Latest;
        if (log.Record is null || checkpoint.Record is null || checkpoint.Record.Sequence - 1 < sequence)
        {
            throw new InvalidDataException($"No checkpoint covers record {sequence}: a checkpoint proves only the records before it.");
        }

        var size = checkpoint.Record.Sequence - 1;
        var path = proofNodes(MerkleRangeProof.InclusionRanges(sequence - 1, size));
        return Write(writer =>
        {
            writer.WriteString("type", Inclusion);
            writer.WriteString("log", checkpoint.Record.LogId);
            writer.WriteNumber("sequence", sequence);
            writer.WriteNumber("leafIndex", sequence - 1);
            writer.WriteNumber("treeSize", size);
            writer.WriteString("leafHash", Convert.ToHexStringLower(LineageCheckpoint.LeafHash(log.Record.Hash)));
            writer.WriteString("root", checkpoint.Record[LineageCheckpoint.Root]);
            WritePath(writer, path);
            writer.WriteString("record", log.RecordLine);
            writer.WriteString("checkpoint", checkpoint.Line);
        });
    }

    /// <summary>Proves that the tree of checkpoint record <paramref name="fromSequence"/> is a prefix of the tree of checkpoint <paramref name="toSequence"/> (the latest by default).</summary>
    /// <exception cref="InvalidDataException">The log does not verify, or the sequence numbers are not checkpoints in order.</exception>
    internal static string CreateConsistency(IReadOnlyList<string> paths, long fromSequence, long? toSequence, IReadOnlyDictionary<string, TrustedKey>? trusted)
    {
        var log = Read(paths, trusted, null, fromSequence, toSequence);
        var first = log.From;
        var second = toSequence is null ? log.Latest : log.To;
        if (first.Record is null || second.Record is null || second.Record.Sequence < first.Record.Sequence || first.Record.Sequence < 2)
        {
            throw new InvalidDataException("Both sequence numbers must be checkpoint records, the first after at least one record, in order.");
        }

        var size1 = first.Record.Sequence - 1;
        var size2 = second.Record.Sequence - 1;
        var path = ProofNodes(paths, MerkleRangeProof.ConsistencyRanges(size1, size2));
        return Write(writer =>
        {
            writer.WriteString("type", Consistency);
            writer.WriteString("log", first.Record.LogId);
            writer.WriteNumber("size1", size1);
            writer.WriteNumber("size2", size2);
            writer.WriteString("root1", first.Record[LineageCheckpoint.Root]);
            writer.WriteString("root2", second.Record[LineageCheckpoint.Root]);
            WritePath(writer, path);
            writer.WriteString("checkpoint1", first.Line);
            writer.WriteString("checkpoint2", second.Line);
        });
    }

    /// <summary>Checks a proof; returns the error, or <see langword="null"/> when it holds (and, with keys, its checkpoints are signed by one of them).</summary>
    internal static string? Verify(string json, IReadOnlyDictionary<string, TrustedKey>? trusted)
    {
        try
        {
            using var doc = JsonDocument.Parse(json, new JsonDocumentOptions { AllowDuplicateProperties = false });
            var root = doc.RootElement;
            var path = root.GetProperty("path").EnumerateArray().Select(e => Convert.FromHexString(e.GetString()!)).ToArray();
            var log = root.GetProperty("log").GetString();
            switch (root.GetProperty("type").GetString())
            {
                case Inclusion:
                {
                    var record = LineageRecordLine.TryParse(Encoding.UTF8.GetBytes(root.GetProperty("record").GetString()!), out var recordError);
                    if (record is null)
                    {
                        return "record: " + recordError;
                    }

                    var sequence = root.GetProperty("sequence").GetInt64();
                    var size = root.GetProperty("treeSize").GetInt64();
                    if (record.Sequence != sequence || root.GetProperty("leafIndex").GetInt64() != sequence - 1 || !string.Equals(record.LogId, log, StringComparison.Ordinal))
                    {
                        return "the record is not the one the proof names";
                    }

                    var leaf = LineageCheckpoint.LeafHash(record.Hash);
                    if (!string.Equals(Convert.ToHexStringLower(leaf), root.GetProperty("leafHash").GetString(), StringComparison.Ordinal))
                    {
                        return "the leaf hash is not the hash of the record";
                    }

                    var headError = CheckCheckpoint(root.GetProperty("checkpoint").GetString()!, log!, size, root.GetProperty("root").GetString()!, trusted);
                    if (headError is not null)
                    {
                        return headError;
                    }

                    return MerkleTree.VerifyInclusion((ulong)(sequence - 1), (ulong)size, leaf, path, Convert.FromHexString(root.GetProperty("root").GetString()!))
                        ? null
                        : "the inclusion path does not lead to the checkpoint's root";
                }

                case Consistency:
                {
                    var size1 = root.GetProperty("size1").GetInt64();
                    var size2 = root.GetProperty("size2").GetInt64();
                    var root1 = root.GetProperty("root1").GetString()!;
                    var root2 = root.GetProperty("root2").GetString()!;
                    var headError = CheckCheckpoint(root.GetProperty("checkpoint1").GetString()!, log!, size1, root1, trusted)
                        ?? CheckCheckpoint(root.GetProperty("checkpoint2").GetString()!, log!, size2, root2, trusted);
                    if (headError is not null)
                    {
                        return headError;
                    }

                    return MerkleTree.VerifyConsistency((ulong)size1, (ulong)size2, Convert.FromHexString(root1), Convert.FromHexString(root2), path)
                        ? null
                        : "the consistency path does not connect the two checkpoints";
                }

                default:
                    return "unknown proof type";
            }
        }
        catch (Exception ex) when (ex is JsonException or KeyNotFoundException or InvalidOperationException or FormatException or ArgumentNullException or OverflowException)
        {
            return "malformed proof JSON";
        }
    }

    private static string? CheckCheckpoint(string line, string log, long size, string root, IReadOnlyDictionary<string, TrustedKey>? trusted)
    {
        var checkpoint = LineageRecordLine.TryParse(Encoding.UTF8.GetBytes(line), out var error);
        if (checkpoint is null)
        {
            return "checkpoint: " + error;
        }

        if (checkpoint.Kind != LineageEventKind.Checkpoint || !string.Equals(checkpoint.LogId, log, StringComparison.Ordinal)
            || checkpoint.Sequence - 1 != size
            || !string.Equals(checkpoint[LineageCheckpoint.TreeSize], size.ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal)
            || !string.Equals(checkpoint[LineageCheckpoint.Root], root, StringComparison.Ordinal))
        {
            return "the checkpoint record does not state the proof's tree size and root";
        }

        return trusted is null ? null : LineageCheckpoint.VerifySignature(checkpoint, trusted);
    }

    /// <summary>
    /// The proof's subtree hashes, computed from the leaves as they stream past (a second read of the verified log):
    /// memory is one Merkle frontier, not one hash per record.
    /// </summary>
    private static byte[][] ProofNodes(IReadOnlyList<string> paths, List<(long Start, long End)> ranges)
    {
        var hasher = new MerkleRangeProof.RangeHasher(ranges);
        long index = 0;
        foreach (var file in LineageVerifier.InLogOrder(paths))
        {
            using var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1, FileOptions.SequentialScan);
            var reader = new LineageLineReader(stream, 0);
            while (reader.TryRead(out var line, out _, out _))
            {
                // The log was verified: a line that is not a record is a sealed torn or damaged line, not a leaf.
                if (LineageRecordLine.TryParse(line.Span, out _) is { } record)
                {
                    hasher.Add(index++, LineageCheckpoint.LeafHash(record.Hash));
                }
            }
        }

        return hasher.Result();
    }

    private static byte[][] ProofNodes(IEnumerable<ReadOnlyMemory<byte>> records, List<(long Start, long End)> ranges)
    {
        var hasher = new MerkleRangeProof.RangeHasher(ranges);
        long index = 0;
        foreach (var line in records)
        {
            if (LineageRecordLine.TryParse(line.Span, out _) is { } record)
            {
                hasher.Add(index++, LineageCheckpoint.LeafHash(record.Hash));
            }
        }

        return hasher.Result();
    }

    /// <summary>Verifies a chain's record lines in one streaming read and keeps the lines an inclusion proof of <paramref name="sequence"/> carries.</summary>
    private static ScannedLog ReadRecords(IEnumerable<ReadOnlyMemory<byte>> records, IReadOnlyDictionary<string, TrustedKey>? trusted, long sequence)
    {
        var engine = new LineageVerificationEngine(trusted);
        var log = new ScannedLog();
        foreach (var line in records)
        {
            var error = engine.Feed(line.Span, out var record);
            if (error is not null)
            {
                throw new InvalidDataException(string.Create(CultureInfo.InvariantCulture, $"record {engine.Records + 1}: {error}"));
            }

            if (record!.Kind == LineageEventKind.Checkpoint)
            {
                log.Latest = (record, Encoding.UTF8.GetString(line.Span));
            }

            if (record.Sequence == sequence)
            {
                log.Record = record;
                log.RecordLine = Encoding.UTF8.GetString(line.Span);
            }
        }

        return log;
    }

    /// <summary>
    /// Verifies the log in one streaming read and keeps only the lines a proof carries: the record
    /// <paramref name="sequence"/>, the checkpoints <paramref name="from"/> and <paramref name="to"/>, and the latest
    /// checkpoint. Memory does not grow with the log.
    /// </summary>
    private static ScannedLog Read(IReadOnlyList<string> paths, IReadOnlyDictionary<string, TrustedKey>? trusted, long? sequence, long? from, long? to)
    {
        var engine = new LineageVerificationEngine(trusted);
        var log = new ScannedLog();
        foreach (var file in LineageVerifier.InLogOrder(paths))
        {
            using var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1, FileOptions.SequentialScan);
            var reader = new LineageLineReader(stream, 0);
            long number = 0;
            while (reader.TryRead(out var line, out _, out var terminated))
            {
                number++;
                LineageRecordLine? record = null;
                var error = terminated ? engine.Feed(line.Span, out record) : "torn last line";
                if (error is not null)
                {
                    if (terminated && reader.NextSeals(line.Span))
                    {
                        continue;
                    }

                    throw new InvalidDataException($"{file}:{number}: {error}");
                }

                if (record!.Kind == LineageEventKind.Checkpoint)
                {
                    var kept = (record, Encoding.UTF8.GetString(line.Span));
                    log.Latest = kept;
                    if (record.Sequence == from)
                    {
                        log.From = kept;
                    }

                    if (record.Sequence == to)
                    {
                        log.To = kept;
                    }
                }

                if (record.Sequence == sequence)
                {
                    log.Record = record;
                    log.RecordLine = Encoding.UTF8.GetString(line.Span);
                }
            }
        }

        return log;
    }

    private static void WritePath(Utf8JsonWriter writer, byte[][] path)
    {
        writer.WriteStartArray("path");
        foreach (var node in path)
        {
            writer.WriteStringValue(Convert.ToHexStringLower(node));
        }

        writer.WriteEndArray();
    }

    private static string Write(Action<Utf8JsonWriter> body)
    {
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            writer.WriteStartObject();
            body(writer);
            writer.WriteEndObject();
        }

        // The record lines it carries may hold anything a caller recorded: escaped, so that printing a proof is safe.
        return Internal.TerminalText.EscapeJson(Encoding.UTF8.GetString(stream.ToArray()));
    }

    /// <summary>The lines of a verified log that a proof may carry.</summary>
    private sealed class ScannedLog
    {
        internal (LineageRecordLine? Record, string Line) Latest { get; set; }

        internal (LineageRecordLine? Record, string Line) From { get; set; }

        internal (LineageRecordLine? Record, string Line) To { get; set; }

        internal LineageRecordLine? Record { get; set; }

        internal string RecordLine { get; set; } = string.Empty;
    }
}
