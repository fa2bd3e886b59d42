using GovernedExecution.Artifacts.Keys;

namespace GovernedExecution.Lineage;

/// <summary>
/// Verifies a lineage log from its bytes as written, trusting nothing else: record hashes, one log id, gap-free
/// sequence, the hash chain, the Merkle tree head of every checkpoint and, given trusted keys, checkpoint signatures.
/// The same checks as <c>govexec lineage verify</c>.
/// </summary>
public static class LineageVerifier
{
    /// <summary>Verifies records (their <see cref="LineageRecord.Line"/> bytes) in order.</summary>
    /// <param name="records">The records.</param>
    /// <returns>The result.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="records"/> is <see langword="null"/>.</exception>
    public static LineageVerificationResult Verify(IEnumerable<LineageRecord> records)
    {
        ArgumentNullException.ThrowIfNull(records);
        return VerifyLines(records.Select(r => r.Line));
    }

    /// <summary>
    /// Verifies JSON lines (UTF-8, without line feeds) in order. An in-memory log need not end with a checkpoint, and
    /// checkpoint signatures are not checked.
    /// </summary>
    /// <param name="lines">The lines.</param>
    /// <returns>The result.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="lines"/> is <see langword="null"/>.</exception>
    public static LineageVerificationResult VerifyLines(IEnumerable<ReadOnlyMemory<byte>> lines)
    {
        ArgumentNullException.ThrowIfNull(lines);
        var engine = new LineageVerificationEngine(null);
        foreach (var line in lines)
        {
            var error = engine.Feed(line.Span);
            if (error is not null)
            {
                return Invalid(engine, error, null, null);
            }
        }

        return Valid(engine);
    }

    /// <summary>
    /// Verifies the files of one log (its segments), as <c>govexec lineage verify</c> does: every line must
    /// be a good record ending with a line feed, and the log must end with a checkpoint (written at every clean close),
    /// so that a truncated log is detected.
    /// </summary>
    /// <param name="paths">The files, in any order: they are put in log order by the sequence number of their first record.</param>
    /// <param name="trustedKeys">The keys checkpoints may be signed with; <see langword="null"/> to leave signatures unchecked (see <see cref="LineageVerificationResult.SignaturesChecked"/>).</param>
    /// <returns>The result, naming the file and line of the first error.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="paths"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="paths"/> is empty, or two trusted keys share a key id.</exception>
    /// <exception cref="IOException">A file cannot be read.</exception>
    public static LineageVerificationResult VerifyFiles(IReadOnlyList<string> paths, IEnumerable<TrustedKey>? trustedKeys)
    {
        ArgumentNullException.ThrowIfNull(paths);
        if (paths.Count == 0)
        {
            throw new ArgumentException("At least one file is needed.", nameof(paths));
        }

        var engine = new LineageVerificationEngine(trustedKeys?.ToDictionary(k => k.KeyId, StringComparer.Ordinal));
        return VerifyOrderedFiles(InLogOrder(paths), engine);
    }

    /// <summary>
    /// Verifies the files of one log as <see cref="VerifyFiles"/> does, and that the log consistently contains the
    /// checkpoint a witness holds for it: a log cut or rolled back below it, or forked from it, is not valid.
    /// </summary>
    /// <param name="paths">The files, in any order.</param>
    /// <param name="trustedKeys">The keys checkpoints may be signed with; <see langword="null"/> to leave signatures unchecked.</param>
    /// <param name="witness">The witness.</param>
    /// <param name="cancellationToken">Cancels the witness read.</param>
    /// <returns>The result.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="paths"/> or <paramref name="witness"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="paths"/> is empty, or two trusted keys share a key id.</exception>
    /// <exception cref="IOException">A file or the witness cannot be read.</exception>
    public static async Task<LineageVerificationResult> VerifyFilesAsync(IReadOnlyList<string> paths, IEnumerable<TrustedKey>? trustedKeys, ICheckpointWitness witness, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(paths);
        ArgumentNullException.ThrowIfNull(witness);
        if (paths.Count == 0)
        {
            throw new ArgumentException("At least one file is needed.", nameof(paths));
        }

        var ordered = InLogOrder(paths);
        var engine = new LineageVerificationEngine(trustedKeys?.ToDictionary(k => k.KeyId, StringComparer.Ordinal));
        var logId = FirstLogId(ordered);
        if (logId is not null && await witness.GetLatestAsync(logId, cancellationToken).ConfigureAwait(false) is { } held)
        {
            engine.Witnessed = (held.TreeSize, held.Root.ToArray());
        }

        return VerifyOrderedFiles(ordered, engine, null, cancellationToken);
    }

    /// <summary>Orders a log's files by the sequence number of their first record (as a shell glob may not); empty files are left out.</summary>
    internal static List<string> InLogOrder(IReadOnlyList<string> paths)
    {
        var keyed = new List<(long First, int Index, string Path)>();
        for (var i = 0; i < paths.Count; i++)
        {
            using var stream = new FileStream(paths[i], FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1, FileOptions.None);
            if (stream.Length == 0 && paths.Count > 1)
            {
                continue;
            }

            var reader = new LineageLineReader(stream, 0);
            var first = reader.TryRead(out var line, out _, out _) && LineageRecordLine.TryParse(line.Span, out _) is { } record ? record.Sequence : long.MaxValue;
            keyed.Add((first, i, paths[i]));
        }

        return [.. keyed.OrderBy(k => k.First).ThenBy(k => k.Index).Select(k => k.Path)];
    }

    private static string? FirstLogId(List<string> ordered)
    {
        using var stream = new FileStream(ordered[0], FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1, FileOptions.None);
        var reader = new LineageLineReader(stream, 0);
        return reader.TryRead(out var line, out _, out _) ? LineageRecordLine.TryParse(line.Span, out _)?.LogId : null;
    }

    /// <param name="paths">The files in log order.</param>
    /// <param name="engine">The engine (keys, witness).</param>
    /// <param name="progress">Told the bytes read so far (across files) every few thousand lines, for a view that shows progress.</param>
    /// <param name="cancellationToken">Stops between lines.</param>
    internal static LineageVerificationResult VerifyOrderedFiles(IReadOnlyList<string> paths, LineageVerificationEngine engine, Action<long>? progress = null, CancellationToken cancellationToken = default)
    {
        string lastFile = paths[^1];
        long lastLine = 0;
        long before = 0;
        foreach (var path in paths)
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1, FileOptions.SequentialScan);
            var reader = new LineageLineReader(stream, 0);
            long lineNumber = 0;
            while (reader.TryRead(out var line, out _, out var terminated))
            {
                lineNumber++;
                if (progress is not null && (lineNumber & 4095) == 0)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    progress(before + reader.Offset);
                }

                if (engine.Records == 0 && terminated && engine.TryStartFrom(line.Span))
                {
                    engine.Notices.Add($"verified from checkpoint {engine.FirstRecord} ({path}): records 1 to {engine.FirstRecord - 1} are in earlier files that were not given");
                }

                if (!terminated)
                {
                    return Invalid(engine, "torn last line: the record has no line feed (a crash mid-write, not yet repaired)", path, lineNumber);
                }

                var error = engine.Feed(line.Span);
                if (error is not null && !reader.NextSeals(line.Span))
                {
                    return Invalid(engine, error, path, lineNumber);
                }
            }

            lastFile = path;
            lastLine = lineNumber;
            before += reader.Offset;
        }

        if (engine.Records == 0)
        {
            return Invalid(engine, "the log is empty", lastFile, 1);
        }

        if (engine.Witnessed is { } witnessed && !engine.WitnessedFound)
        {
            return Invalid(engine, $"the witness holds a checkpoint of tree size {witnessed.Size}, which the log does not contain: it was truncated or rolled back, or a segment is missing", lastFile, lastLine + 1);
        }

        if (!engine.LastIsCheckpoint)
        {
            return Invalid(engine, $"the log ends without a closing checkpoint after line {lastLine}: truncated, or not closed", lastFile, lastLine + 1);
        }

        return Valid(engine);
    }

    private static LineageVerificationResult Valid(LineageVerificationEngine engine) =>
        new(true, engine.Records, engine.Checkpoints, engine.SignaturesChecked, engine.Head, null, null, null, null, [.. engine.Notices]) { FirstRecord = engine.FirstRecord, RecordsLost = engine.RecordsLost };

    private static LineageVerificationResult Invalid(LineageVerificationEngine engine, string error, string? file, long? line) =>
        new(false, engine.Records, engine.Checkpoints, engine.SignaturesChecked, engine.Head, engine.Records + 1, error, file, line, [.. engine.Notices]) { FirstRecord = engine.FirstRecord, RecordsLost = engine.RecordsLost };
}
