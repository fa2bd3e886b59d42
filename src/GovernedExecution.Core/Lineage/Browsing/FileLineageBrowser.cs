using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using GovernedExecution.Artifacts.Keys;

namespace GovernedExecution.Lineage.Browsing;

/// <summary>
/// Browses file logs without loading one: pages are read newest first from the end of the last segment, back only as
/// far as the page needs; an execution is found through an offset index (execution id to record offsets, parent to
/// children) built lazily by one streaming pass and extended as the log grows. Lines are bounded; a line that is not a
/// good record (altered, malformed, too long) is reported as a <see cref="BrowseProblem"/> and left out.
/// </summary>
internal sealed class FileLineageBrowser : ILineageBrowser
{
    /// <summary>The longest line read (a record longer than this is reported, not read).</summary>
    internal const int DefaultMaxLineBytes = 1 << 20;

    /// <summary>How far past a cursor a later page looks for the outcomes of the executions it lists.</summary>
    internal const int OutcomeLookaheadBytes = 1 << 20;

    /// <summary>At most this many executions are held while their first record has not been reached (a backward read).</summary>
    internal const int MaxOpenExecutions = 100_000;

    private const int MaxProblems = 50;
    private static readonly TimeSpan FromSlack = TimeSpan.FromMinutes(5);
    private readonly IReadOnlyList<FileLog> _logs;
    private readonly Func<string, Stream> _open;
    private readonly int _maxLine;
    private readonly OffsetIndex _index;
    private readonly SemaphoreSlim _indexLock = new(1, 1);
    private readonly string _cursorTag;

    internal FileLineageBrowser(IReadOnlyList<FileLog> logs, TimeProvider time, Func<string, Stream>? open = null, int maxLineBytes = DefaultMaxLineBytes)
    {
        ArgumentNullException.ThrowIfNull(time);
        _logs = logs;
        _open = open ?? OpenFile;
        _maxLine = maxLineBytes;
        _index = new OffsetIndex(logs.Count);
        _cursorTag = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(string.Join("\n", logs.Select(l => l.Key)))).AsSpan(0, 6));
    }

    public string Description => string.Join(", ", _logs.Select(l => l.Key));

    /// <summary>The logs the paths name: a file is a log (with its numbered segments); a directory holds logs.</summary>
    /// <exception cref="ArgumentException">No path, or a path is neither a file nor a directory, or a directory holds no log.</exception>
    internal static IReadOnlyList<FileLog> ResolveLogs(IReadOnlyList<string> paths)
    {
        ArgumentNullException.ThrowIfNull(paths);
        if (paths.Count == 0)
        {
            throw new ArgumentException("At least one log is needed.", nameof(paths));
        }

        var logs = new List<FileLog>();
        foreach (var path in paths)
        {
            if (File.Exists(path))
            {
                logs.Add(new FileLog(path, path));
            }
            else if (Directory.Exists(path))
            {
                var bases = new SortedSet<string>(StringComparer.Ordinal);
                foreach (var file in Directory.EnumerateFiles(path, "*.jsonl"))
                {
                    bases.Add(BaseOf(file));
                }

                if (bases.Count == 0)
                {
                    throw new ArgumentException($"The directory '{path}' holds no lineage log (*.jsonl).", nameof(paths));
                }

                logs.AddRange(bases.Select(b => new FileLog(b, b)));
            }
            else
            {
                throw new ArgumentException($"'{path}' is neither a lineage file nor a directory.", nameof(paths));
            }
        }

        return logs.DistinctBy(l => Path.GetFullPath(l.BasePath), StringComparer.Ordinal).ToList();
    }

    /// <summary>The first file of the log a file belongs to: <c>name.N.ext</c> belongs to <c>name.ext</c>.</summary>
    private static string BaseOf(string file)
    {
        var name = Path.GetFileNameWithoutExtension(file);
        var dot = name.LastIndexOf('.');
        return dot > 0 && name.Length > dot + 1 && name[dot + 1] != '0'
            && int.TryParse(name.AsSpan(dot + 1), NumberStyles.None, CultureInfo.InvariantCulture, out _)
            ? Path.Combine(Path.GetDirectoryName(file) ?? string.Empty, name[..dot] + Path.GetExtension(file))
            : file;
    }

    public ValueTask<ExecutionPage> ListExecutionsAsync(ExecutionQuery query, CancellationToken cancellationToken = default) =>
        ListAsync(query, null, cancellationToken);

    public ValueTask<ExecutionPage> ExecutionsDecidedByAsync(string policyId, ExecutionQuery query, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(policyId);
        return ListAsync(query, policyId, cancellationToken);
    }

    private async ValueTask<ExecutionPage> ListAsync(ExecutionQuery query, string? policyId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(query);
        ArgumentOutOfRangeException.ThrowIfLessThan(query.PageSize, 1, nameof(query));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(query.PageSize, ExecutionQuery.MaxPageSize, nameof(query));
        var snapshots = _logs.Select(Snapshot).ToArray();
        var before = query.Cursor is null ? snapshots.Select(s => s.End).ToArray() : ParseCursor(query.Cursor);
        if (query.ExecutionId is { } id)
        {
            // One execution: the index finds it; there is no next page.
            var detail = await GetExecutionAsync(id, cancellationToken).ConfigureAwait(false);
            var items = detail is not null && query.Cursor is null && (query.Log is null || query.Log == detail.Summary.Log) && Accumulate(detail).Matches(query, policyId)
                ? new[] { detail.Summary } : [];
            return new ExecutionPage(items, null, detail?.Problems ?? []);
        }

        return await Task.Run(() => List(query, policyId, snapshots, before, cancellationToken), cancellationToken).ConfigureAwait(false);
    }

    private static ExecutionAccumulator Accumulate(ExecutionDetail detail)
    {
        var accumulator = new ExecutionAccumulator(detail.Summary.ExecutionId);
        foreach (var record in detail.Records)
        {
            if (LineageRecordLine.TryParse(Encoding.UTF8.GetBytes(record.Json), out _) is { } parsed)
            {
                accumulator.Add(parsed, record.Log);
            }
        }

        return accumulator;
    }

    private ExecutionPage List(ExecutionQuery query, string? policyId, LogSnapshot[] snapshots, Position[] before, CancellationToken cancellationToken)
    {
        var problems = new List<BrowseProblem>();
        var scanners = new List<IEnumerator<(ExecutionSummary Summary, Position At)>?>();
        try
        {
            for (var i = 0; i < _logs.Count; i++)
            {
                scanners.Add(query.Log is null || string.Equals(query.Log, _logs[i].Key, StringComparison.Ordinal)
                    ? Scan(i, snapshots[i], before[i], query, policyId, problems, cancellationToken).GetEnumerator()
                    : null);
            }

            var heads = new (ExecutionSummary Summary, Position At)?[_logs.Count];
            for (var i = 0; i < heads.Length; i++)
            {
                heads[i] = scanners[i] is { } s && s.MoveNext() ? s.Current : null;
            }

            var items = new List<ExecutionSummary>(query.PageSize);
            var next = (Position[])before.Clone();
            while (items.Count < query.PageSize)
            {
                var pick = -1;
                for (var i = 0; i < heads.Length; i++)
                {
                    if (heads[i] is { } head && (pick < 0 || Newer(head.Summary, heads[pick]!.Value.Summary)))
                    {
                        pick = i;
                    }
                }

                if (pick < 0)
                {
                    break;
                }

                items.Add(heads[pick]!.Value.Summary);
                next[pick] = heads[pick]!.Value.At;
                heads[pick] = scanners[pick]!.MoveNext() ? scanners[pick]!.Current : null;
            }

            var more = Array.Exists(heads, h => h is not null);
            return new ExecutionPage(items, more ? FormatCursor(next) : null, problems);
        }
        finally
        {
            foreach (var scanner in scanners)
            {
                scanner?.Dispose();
            }
        }
    }

    private static bool Newer(ExecutionSummary a, ExecutionSummary b) =>
        (a.StartedAt ?? DateTimeOffset.MinValue) > (b.StartedAt ?? DateTimeOffset.MinValue);

    /// <summary>
    /// The executions of one log that match, newest first (by the place of their first record), starting before
    /// <paramref name="before"/>. Records up to <see cref="OutcomeLookaheadBytes"/> after it are read too, for the
    /// outcomes of executions that started before it.
    /// </summary>
    private IEnumerable<(ExecutionSummary Summary, Position At)> Scan(int logIndex, LogSnapshot snapshot, Position before, ExecutionQuery query, string? policyId, List<BrowseProblem> problems, CancellationToken cancellationToken)
    {
        var log = _logs[logIndex];
        var open = new Dictionary<Guid, ExecutionAccumulator>();
        for (var s = snapshot.Segments.Count - 1; s >= 0; s--)
        {
            var (number, path, length) = snapshot.Segments[s];
            if (number > before.Segment)
            {
                continue;
            }

            var end = number == before.Segment ? Math.Min(length, before.Offset + (before.Offset == length ? 0 : OutcomeLookaheadBytes)) : length;
            Stream stream;
            try
            {
                stream = _open(path);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                Report(problems, log.Key, path, "the file cannot be read: " + ex.Message);
                continue;
            }

            using (stream)
            {
                var reader = new BackwardLineReader(stream, Math.Min(end, stream.Length), _maxLine);
                while (true)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    bool got;
                    ReadOnlyMemory<byte> line;
                    long offset;
                    bool tooLong;
                    try
                    {
                        got = reader.TryReadPrevious(out line, out offset, out tooLong);
                    }
                    catch (IOException ex)
                    {
                        Report(problems, log.Key, path, "the file cannot be read: " + ex.Message);
                        break;
                    }

                    if (!got)
                    {
                        break;
                    }

                    var at = new Position(number, offset);
                    var listed = at.CompareTo(before) < 0;
                    if (tooLong)
                    {
                        if (listed)
                        {
                            Report(problems, log.Key, Where(path, offset), $"a line longer than {_maxLine} bytes: not read");
                        }

                        continue;
                    }

                    var record = LineageRecordLine.TryParse(line.Span, out var error);
                    if (record is null)
                    {
                        if (listed)
                        {
                            Report(problems, log.Key, Where(path, offset), error);
                        }

                        continue;
                    }

                    if (record.ExecutionId == Guid.Empty)
                    {
                        continue;
                    }

                    if (!open.TryGetValue(record.ExecutionId, out var accumulator))
                    {
                        if (open.Count >= MaxOpenExecutions && record.Kind != LineageEventKind.IntentSubmitted)
                        {
                            continue;
                        }

                        accumulator = new ExecutionAccumulator(record.ExecutionId);
                        open[record.ExecutionId] = accumulator;
                    }

                    accumulator.Add(record, log.Key);
                    if (record.Kind != LineageEventKind.IntentSubmitted)
                    {
                        continue;
                    }

                    open.Remove(record.ExecutionId);
                    if (!listed)
                    {
                        continue;
                    }

                    // Newest first: once a log's records are well older than the range's start, none further back can match
                    // (the slack allows for concurrent executions whose records were appended slightly out of time order).
                    if (query.From is { } from && ExecutionAccumulator.ParseTime(record.Time) is { } started && started < from - FromSlack)
                    {
                        yield break;
                    }

                    if (accumulator.Matches(query, policyId))
                    {
                        yield return (accumulator.ToSummary(), at);
                    }
                }
            }
        }
    }

    public async ValueTask<ExecutionDetail?> GetExecutionAsync(Guid executionId, CancellationToken cancellationToken = default)
    {
        var problems = new List<BrowseProblem>();
        await _indexLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await Task.Run(() => UpdateIndex(problems, cancellationToken), cancellationToken).ConfigureAwait(false);
            var places = _index.PlacesOf(executionId);
            if (places.Count == 0)
            {
                return null;
            }

            var records = new List<ExecutionRecord>();
            var accumulator = Read(executionId, places, records, problems);
            if (!accumulator.HasIntent)
            {
                Report(problems, _logs[places[0].Log].Key, executionId.ToString("D"), "the execution's first record (intent_submitted) is not among its readable records");
            }
            var children = new List<ExecutionSummary>();
            foreach (var child in _index.ChildrenOf(executionId))
            {
                children.Add(Read(child, _index.PlacesOf(child), null, problems).ToSummary());
            }

            return new ExecutionDetail
            {
                Summary = accumulator.ToSummary(),
                Records = records,
                Children = children,
                DeterminingPolicies = accumulator.Policies,
                PolicyErrors = accumulator.PolicyErrors,
                PolicySetDigest = accumulator.PolicySet,
                ArtifactDigest = accumulator.ArtifactDigest,
                Approvals = accumulator.Approvals,
                Problems = problems,
            };
        }
        finally
        {
            _indexLock.Release();
        }
    }

    /// <summary>Reads an execution's records from their places; a record that is no longer what was indexed is reported.</summary>
    private ExecutionAccumulator Read(Guid executionId, IReadOnlyList<OffsetIndex.Place> places, List<ExecutionRecord>? records, List<BrowseProblem> problems)
    {
        var accumulator = new ExecutionAccumulator(executionId);
        foreach (var place in places)
        {
            var log = _logs[place.Log];
            var path = LineageSegments.PathOf(log.BasePath, place.Segment);
            try
            {
                using var stream = _open(path);
                var reader = new ForwardLineReader(stream, place.Offset, stream.Length, _maxLine);
                if (!reader.TryReadNext(out var line, out _, out var tooLong) || tooLong)
                {
                    Report(problems, log.Key, Where(path, place.Offset), "the record is no longer there: the file changed after it was read");
                    continue;
                }

                var record = LineageRecordLine.TryParse(line.Span, out var error);
                if (record is null || record.ExecutionId != executionId)
                {
                    Report(problems, log.Key, Where(path, place.Offset), record is null ? error : "the record is no longer there: the file changed after it was read");
                    continue;
                }

                accumulator.Add(record, log.Key);
                records?.Add(new ExecutionRecord(log.Key, record.Sequence, LineageChain.KindName(record.Kind), record.Time, Encoding.UTF8.GetString(line.Span), record.Data));
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                Report(problems, log.Key, path, "the file cannot be read: " + ex.Message);
            }
        }

        return accumulator;
    }

    /// <summary>Indexes what was appended since the last call; a file that shrank or was replaced is indexed again from scratch.</summary>
    private void UpdateIndex(List<BrowseProblem> problems, CancellationToken cancellationToken)
    {
        for (var i = 0; i < _logs.Count; i++)
        {
            foreach (var (number, path, length) in Snapshot(_logs[i]).Segments)
            {
                var done = _index.IndexedTo(i, number);
                if (length < done)
                {
                    Report(problems, _logs[i].Key, path, "the file is shorter than when it was read: it was truncated or replaced (lineage is append-only); it is read again");
                    _index.Clear();
                    UpdateIndex(problems, cancellationToken);
                    return;
                }

                if (length == done)
                {
                    continue;
                }

                try
                {
                    using var stream = _open(path);
                    var reader = new ForwardLineReader(stream, done, Math.Min(length, stream.Length), _maxLine);
                    while (reader.TryReadNext(out var line, out var offset, out var tooLong))
                    {
                        if ((offset & 0xFFFF) < 512)
                        {
                            cancellationToken.ThrowIfCancellationRequested();
                        }

                        if (!tooLong && OffsetIndex.TryReadIds(line.Span, out var execution, out var parent) && execution != Guid.Empty)
                        {
                            _index.Add(execution, parent, new OffsetIndex.Place(i, number, offset));
                        }
                    }

                    _index.SetIndexedTo(i, number, reader.Position);
                }
                catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
                {
                    Report(problems, _logs[i].Key, path, "the file cannot be read: " + ex.Message);
                }
            }
        }
    }

    public async ValueTask<IReadOnlyList<LogVerification>> VerifyAsync(LineageVerifyRequest request, IProgress<LineageVerifyProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        var trusted = request.TrustedKeys?.ToDictionary(k => k.KeyId, StringComparer.Ordinal);
        var results = new List<LogVerification>();
        foreach (var log in _logs)
        {
            results.Add(await VerifyLogAsync(log, trusted, request.WitnessDirectory, progress, cancellationToken).ConfigureAwait(false));
        }

        return results;
    }

    private async Task<LogVerification> VerifyLogAsync(FileLog log, IReadOnlyDictionary<string, TrustedKey>? trusted, string? witnessDirectory, IProgress<LineageVerifyProgress>? progress, CancellationToken cancellationToken)
    {
        var files = LineageSegments.Existing(log.BasePath);
        if (files.Count == 0)
        {
            return new LogVerification { Log = log.Key, Status = LogVerificationStatus.Broken, Reason = "the log has no files", BrokenAt = 1 };
        }

        try
        {
            var ordered = LineageVerifier.InLogOrder(files);
            var total = ordered.Sum(f => new FileInfo(f).Length);
            var engine = new LineageVerificationEngine(trusted);
            if (witnessDirectory is not null)
            {
                if (!Directory.Exists(witnessDirectory))
                {
                    return new LogVerification { Log = log.Key, Status = LogVerificationStatus.Broken, Reason = $"the witness directory {witnessDirectory} does not exist: nothing could be checked against it" };
                }

                var logId = Snapshot(log).LastLogId(_open, _maxLine) ?? string.Empty;
                if (await new DirectoryCheckpointWitness(witnessDirectory).GetLatestAsync(logId, cancellationToken).ConfigureAwait(false) is { } held)
                {
                    engine.Witnessed = (held.TreeSize, held.Root.ToArray());
                }
            }

            var result = await Task.Run(
                () => LineageVerifier.VerifyOrderedFiles(ordered, engine, done => progress?.Report(new LineageVerifyProgress(log.Key, done, total)), cancellationToken),
                cancellationToken).ConfigureAwait(false);
            progress?.Report(new LineageVerifyProgress(log.Key, total, total));
            return ToVerification(log.Key, result, engine.Witnessed is null && witnessDirectory is not null);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or InvalidDataException or ArgumentException)
        {
            return new LogVerification { Log = log.Key, Status = LogVerificationStatus.Broken, Reason = "the log cannot be read: " + ex.Message };
        }
    }

    /// <summary>The verifier's result as a status: broken as it says; verified only with checkpoint signatures checked.</summary>
    internal static LogVerification ToVerification(string log, LineageVerificationResult result, bool witnessHoldsNothing)
    {
        var status = !result.IsValid ? LogVerificationStatus.Broken
            : result.SignaturesChecked && result.Checkpoints > 0 ? LogVerificationStatus.Verified
            : LogVerificationStatus.Unsigned;
        var reason = status switch
        {
            LogVerificationStatus.Broken => result.Error,
            LogVerificationStatus.Unsigned when !result.SignaturesChecked => "checkpoint signatures were not checked: no trusted key was given",
            LogVerificationStatus.Unsigned => "the log has no checkpoint: nothing in it is signed",
            _ => null,
        };
        var notices = result.Notices.ToList();
        if (witnessHoldsNothing)
        {
            notices.Add("the witness holds no checkpoint for this log: the log was not checked against it");
        }

        return new LogVerification
        {
            Log = log,
            Status = status,
            Records = result.Records,
            Checkpoints = result.Checkpoints,
            SignaturesChecked = result.SignaturesChecked,
            BrokenAt = result.FailedAt,
            Reason = reason,
            File = result.FailedFile,
            Line = result.FailedLine,
            RecordsLost = result.RecordsLost,
            Notices = notices,
        };
    }

    public ValueTask<InclusionProofResult> GetInclusionProofAsync(string log, long sequence, IReadOnlyList<TrustedKey>? trustedKeys = null, CancellationToken cancellationToken = default)
    {
        var found = _logs.FirstOrDefault(l => string.Equals(l.Key, log, StringComparison.Ordinal));
        if (found is null)
        {
            return ValueTask.FromResult(new InclusionProofResult(null, "no such log"));
        }

        if (sequence < 1)
        {
            return ValueTask.FromResult(new InclusionProofResult(null, "a sequence number starts at 1"));
        }

        var trusted = trustedKeys?.ToDictionary(k => k.KeyId, StringComparer.Ordinal);
        return new ValueTask<InclusionProofResult>(Task.Run(() =>
        {
            try
            {
                var proof = LineageProofs.CreateInclusion(LineageSegments.Existing(found.BasePath), sequence, trusted);
                return new InclusionProofResult(Encoding.UTF8.GetBytes(proof + "\n"), null);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or InvalidDataException or ArgumentException)
            {
                return new InclusionProofResult(null, ex.Message);
            }
        }, cancellationToken));
    }

    public ValueTask<LineageStats> GetStatsAsync(CancellationToken cancellationToken = default) =>
        new(Task.Run(() => new LineageStats([.. _logs.Select(l => Snapshot(l).Stats(l, _open, _maxLine))]), cancellationToken));

    public ValueTask DisposeAsync()
    {
        _indexLock.Dispose();
        return ValueTask.CompletedTask;
    }

    private static LogSnapshot Snapshot(FileLog log) => LogSnapshot.Of(log);

    private static FileStream OpenFile(string path) =>
        new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 1, FileOptions.None);

    private static string Where(string path, long offset) => path + "@" + offset.ToString(CultureInfo.InvariantCulture);

    private static void Report(List<BrowseProblem> problems, string log, string where, string reason)
    {
        if (problems.Count < MaxProblems)
        {
            problems.Add(new BrowseProblem(log, where, reason));
        }
    }

    private string FormatCursor(Position[] positions)
    {
        var text = "1|" + _cursorTag + "|" + string.Join(",", positions.Select(p => p.Segment.ToString(CultureInfo.InvariantCulture) + "." + p.Offset.ToString(CultureInfo.InvariantCulture)));
        return System.Buffers.Text.Base64Url.EncodeToString(Encoding.ASCII.GetBytes(text));
    }

    private Position[] ParseCursor(string cursor)
    {
        static ArgumentException Bad() => new("The cursor is not one this browser handed out.", nameof(cursor));
        if (cursor.Length > 64 + (_logs.Count * 48))
        {
            throw Bad();
        }

        string text;
        try
        {
            text = Encoding.ASCII.GetString(System.Buffers.Text.Base64Url.DecodeFromChars(cursor));
        }
        catch (FormatException)
        {
            throw Bad();
        }

        var parts = text.Split('|');
        if (parts.Length != 3 || parts[0] != "1" || !string.Equals(parts[1], _cursorTag, StringComparison.Ordinal))
        {
            throw Bad();
        }

        var places = parts[2].Split(',');
        if (places.Length != _logs.Count)
        {
            throw Bad();
        }

        var positions = new Position[places.Length];
        for (var i = 0; i < places.Length; i++)
        {
            var dot = places[i].IndexOf('.', StringComparison.Ordinal);
            if (dot < 0
                || !int.TryParse(places[i].AsSpan(0, dot), NumberStyles.None, CultureInfo.InvariantCulture, out var segment)
                || !long.TryParse(places[i].AsSpan(dot + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var offset))
            {
                throw Bad();
            }

            positions[i] = new Position(segment, offset);
        }

        return positions;
    }

    /// <summary>One log: its key (the path given) and the path its segments are numbered from.</summary>
    internal sealed record FileLog(string Key, string BasePath);

    /// <summary>A place in a log: a segment's number and a byte offset in it; ordered as the log is.</summary>
    internal readonly record struct Position(int Segment, long Offset) : IComparable<Position>
    {
        public int CompareTo(Position other) => Segment != other.Segment ? Segment.CompareTo(other.Segment) : Offset.CompareTo(other.Offset);
    }
}
