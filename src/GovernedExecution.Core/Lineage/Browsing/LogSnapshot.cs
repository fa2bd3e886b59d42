using System.Text.Json;

namespace GovernedExecution.Lineage.Browsing;

/// <summary>A file log's segments and their lengths at one moment: what one query reads (later appends are for later queries).</summary>
internal sealed class LogSnapshot
{
    /// <summary>How far back from the end the health figures look for the last checkpoint.</summary>
    internal const long StatsLookbackBytes = 32L << 20;

    private LogSnapshot(List<(int Number, string Path, long Length)> segments)
    {
        Segments = segments;
    }

    /// <summary>The segments, oldest first.</summary>
    internal IReadOnlyList<(int Number, string Path, long Length)> Segments { get; }

    /// <summary>The end of the log: the last segment's length.</summary>
    internal FileLineageBrowser.Position End => Segments.Count == 0 ? default : new(Segments[^1].Number, Segments[^1].Length);

    internal static LogSnapshot Of(FileLineageBrowser.FileLog log)
    {
        var segments = new List<(int, string, long)>();
        foreach (var (number, path) in LineageSegments.Present(log.BasePath))
        {
            try
            {
                segments.Add((number, path, new FileInfo(path).Length));
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // Gone between listing and looking: not part of this snapshot.
            }
        }

        return new LogSnapshot(segments);
    }

    /// <summary>The log id of the last good record.</summary>
    internal string? LastLogId(Func<string, Stream> open, int maxLine)
    {
        string? id = null;
        Backward(open, maxLine, StatsLookbackBytes, record =>
        {
            id = record.LogId;
            return false;
        });
        return id;
    }

    /// <summary>Health figures from the end of the log: its last good record, and the last checkpoint within <see cref="StatsLookbackBytes"/>.</summary>
    internal LogStats Stats(FileLineageBrowser.FileLog log, Func<string, Stream> open, int maxLine)
    {
        LineageRecordLine? last = null;
        LineageRecordLine? checkpoint = null;
        Backward(open, maxLine, StatsLookbackBytes, record =>
        {
            last ??= record;
            if (record.Kind == LineageEventKind.Checkpoint)
            {
                checkpoint = record;
                return false;
            }

            return true;
        });
        return new LogStats
        {
            Log = log.Key,
            Name = Path.GetFileName(log.BasePath),
            LogId = last?.LogId,
            Records = last?.Sequence ?? 0,
            LastRecordAt = ExecutionAccumulator.ParseTime(last?.Time),
            LastCheckpointAt = ExecutionAccumulator.ParseTime(checkpoint?.Time),
            LastCheckpointTreeSize = checkpoint is null ? null : checkpoint.Sequence - 1,
            Bytes = Segments.Sum(s => s.Length),
            Files = [.. Segments.Select(s => s.Path)],
        };
    }

    /// <summary>Good records from the end back, until <paramref name="next"/> says stop or <paramref name="budget"/> bytes were passed.</summary>
    private void Backward(Func<string, Stream> open, int maxLine, long budget, Func<LineageRecordLine, bool> next)
    {
        long passed = 0;
        for (var s = Segments.Count - 1; s >= 0 && passed < budget; s--)
        {
            try
            {
                using var stream = open(Segments[s].Path);
                var end = Math.Min(Segments[s].Length, stream.Length);
                var reader = new BackwardLineReader(stream, end, maxLine);
                while (reader.TryReadPrevious(out var line, out var offset, out var tooLong))
                {
                    if (!tooLong && LineageRecordLine.TryParse(line.Span, out _) is { } record && !next(record))
                    {
                        return;
                    }

                    if (passed + (end - offset) >= budget)
                    {
                        return;
                    }
                }

                passed += end;
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // An unreadable segment: the figures come from what can be read.
            }
        }
    }
}

/// <summary>
/// Where each execution's records are (log, segment, offset), and each execution's children: built by one streaming
/// pass that reads only the ids of each line, never keeps a record's bytes, and is extended as the log grows.
/// </summary>
internal sealed class OffsetIndex(int logs)
{
    private readonly Dictionary<(int Log, int Segment), long> _indexedTo = [];
    private readonly Dictionary<Guid, int> _last = [];
    private readonly Dictionary<Guid, List<Guid>> _children = [];
    private Place[] _places = new Place[1024];
    private int[] _previous = new int[1024];
    private int _count;

    internal int Logs => logs;

    internal int Count => _count;

    internal long IndexedTo(int log, int segment) => _indexedTo.GetValueOrDefault((log, segment));

    internal void SetIndexedTo(int log, int segment, long offset) => _indexedTo[(log, segment)] = offset;

    internal void Clear()
    {
        _indexedTo.Clear();
        _last.Clear();
        _children.Clear();
        _count = 0;
    }

    internal void Add(Guid execution, Guid? parent, Place place)
    {
        if (_count == _places.Length)
        {
            Array.Resize(ref _places, _count * 2);
            Array.Resize(ref _previous, _count * 2);
        }

        _places[_count] = place;
        if (_last.TryGetValue(execution, out var previous))
        {
            _previous[_count] = previous;
        }
        else
        {
            _previous[_count] = -1;
            if (parent is { } p)
            {
                if (!_children.TryGetValue(p, out var list))
                {
                    _children[p] = list = [];
                }

                list.Add(execution);
            }
        }

        _last[execution] = _count++;
    }

    /// <summary>The places of an execution's records, in the order they were indexed (log order within each log).</summary>
    internal IReadOnlyList<Place> PlacesOf(Guid execution)
    {
        var places = new List<Place>();
        if (_last.TryGetValue(execution, out var at))
        {
            for (; at >= 0; at = _previous[at])
            {
                places.Add(_places[at]);
            }
        }

        places.Reverse();
        return places;
    }

    internal IReadOnlyList<Guid> ChildrenOf(Guid execution) => _children.TryGetValue(execution, out var list) ? list : [];

    /// <summary>Reads a record line's <c>exec</c> and <c>parent</c> members (and nothing after them); false when the line has no such shape.</summary>
    internal static bool TryReadIds(ReadOnlySpan<byte> line, out Guid execution, out Guid? parent)
    {
        execution = Guid.Empty;
        parent = null;
        var found = false;
        try
        {
            var reader = new Utf8JsonReader(line);
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return false;
            }

            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (reader.ValueTextEquals("exec"u8))
                {
                    reader.Read();
                    if (reader.TokenType != JsonTokenType.String || !Guid.TryParseExact(reader.GetString(), "D", out execution))
                    {
                        return false;
                    }

                    found = true;
                }
                else if (reader.ValueTextEquals("parent"u8))
                {
                    reader.Read();
                    if (reader.TokenType == JsonTokenType.String && Guid.TryParseExact(reader.GetString(), "D", out var p))
                    {
                        parent = p;
                    }

                    return found;
                }
                else
                {
                    reader.Read();
                    if (reader.TokenType is JsonTokenType.StartObject or JsonTokenType.StartArray)
                    {
                        reader.Skip();
                    }
                }
            }
        }
        catch (JsonException)
        {
            return false;
        }

        return false;
    }

    /// <summary>Where a record is: the log (its index), the segment's number, the line's byte offset.</summary>
    internal readonly record struct Place(int Log, int Segment, long Offset);
}
