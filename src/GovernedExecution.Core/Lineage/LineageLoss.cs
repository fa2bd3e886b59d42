using System.Globalization;

namespace GovernedExecution.Lineage;

/// <summary>
/// Records a Buffered sink acknowledged but could not write, gathered until a <c>records_lost</c> record about them
/// is on disk (docs/lineage-format.md, "Records lost").
/// </summary>
internal sealed class LineageLoss
{
    internal const string Count = "count";
    internal const string FirstTime = "first_time";
    internal const string LastTime = "last_time";
    internal const string Executions = "executions";
    internal const string ExecutionCount = "executions_count";
    internal const string Cause = "cause";
    internal const string FailedAt = "failed_at";

    /// <summary>At most this many execution ids are listed in one record (the count says how many there were).</summary>
    internal const int MaxListed = 1000;

    private const int MaxCauseLength = 200;

    private readonly HashSet<Guid> _executions = [];
    private readonly List<Guid> _listed = [];
    private DateTimeOffset _first = DateTimeOffset.MaxValue;
    private DateTimeOffset _last = DateTimeOffset.MinValue;

    internal LineageLoss(string cause, DateTimeOffset failedAt)
    {
        CauseText = cause.Length > MaxCauseLength ? cause[..MaxCauseLength] : cause;
        FailedAtTime = failedAt;
    }

    internal long Records { get; private set; }

    internal string CauseText { get; }

    internal DateTimeOffset FailedAtTime { get; }

    /// <summary>The listed execution ids, comma-separated, in the order they were lost.</summary>
    internal string ExecutionList => string.Join(",", _listed.Select(e => e.ToString("D")));

    internal void Add(Guid execution, DateTimeOffset time)
    {
        Records++;
        _first = time < _first ? time : _first;
        _last = time > _last ? time : _last;
        if (_executions.Add(execution) && _listed.Count < MaxListed)
        {
            _listed.Add(execution);
        }
    }

    /// <summary>Adds another tally (a later one: its cause and failure time give way to this one's).</summary>
    internal void Add(LineageLoss other)
    {
        Records += other.Records;
        _first = other._first < _first ? other._first : _first;
        _last = other._last > _last ? other._last : _last;
        foreach (var execution in other._listed)
        {
            if (_executions.Add(execution) && _listed.Count < MaxListed)
            {
                _listed.Add(execution);
            }
        }

        // Executions beyond the other's list are counted, not named.
        foreach (var execution in other._executions)
        {
            _executions.Add(execution);
        }
    }

    /// <summary>The <c>records_lost</c> event stating this tally.</summary>
    internal LineageEvent ToEvent(DateTimeOffset now) => new(LineageEventKind.RecordsLost, Guid.Empty, null, now,
    [
        new(Count, Records.ToString(CultureInfo.InvariantCulture)),
        new(FirstTime, Format(_first)),
        new(LastTime, Format(_last)),
        new(ExecutionCount, _executions.Count.ToString(CultureInfo.InvariantCulture)),
        new(Executions, ExecutionList),
        new(Cause, CauseText),
        new(FailedAt, Format(FailedAtTime)),
    ]);

    /// <summary>The number of records a <c>records_lost</c> record states, or <see langword="null"/> when it states none validly.</summary>
    internal static long? CountOf(LineageRecordLine record) =>
        long.TryParse(record[Count], NumberStyles.None, CultureInfo.InvariantCulture, out var count) && count > 0 ? count : null;

    /// <summary>What a verifier reports for a <c>records_lost</c> record.</summary>
    internal static string Notice(LineageRecordLine record, long count) =>
        $"{count} acknowledged {(count == 1 ? "record was" : "records were")} lost: a Buffered sink could not write {(count == 1 ? "it" : "them")} ({record[Cause]}, first failure at {record[FailedAt]}); " +
        $"events from {record[FirstTime]} to {record[LastTime]}, of {record[ExecutionCount]} executions, listed in record {record.Sequence}";

    private static string Format(DateTimeOffset time) => time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", CultureInfo.InvariantCulture);
}
