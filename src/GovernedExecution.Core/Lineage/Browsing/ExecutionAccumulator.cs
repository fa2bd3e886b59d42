using System.Globalization;

namespace GovernedExecution.Lineage.Browsing;

/// <summary>
/// Gathers what the records of one execution say, in any order (a backward read sees the outcome before the intent),
/// into a summary. Values are kept verbatim.
/// </summary>
internal sealed class ExecutionAccumulator(Guid executionId)
{
    private ExecutionOutcome _outcome;
    private bool _issued;

    internal Guid ExecutionId => executionId;

    internal Guid? ParentExecutionId { get; private set; }

    /// <summary>Whether its <c>intent_submitted</c> record was seen.</summary>
    internal bool HasIntent { get; private set; }

    internal string? Log { get; private set; }

    internal string? LogId { get; private set; }

    internal long Sequence { get; private set; }

    internal string? Time { get; private set; }

    internal string? Mode { get; private set; }

    internal string? Principal { get; private set; }

    internal string? Action { get; private set; }

    internal string? Resource { get; private set; }

    internal string? Decision { get; private set; }

    internal string[] Policies { get; private set; } = [];

    internal string[] PolicyErrors { get; private set; } = [];

    internal string? PolicySet { get; private set; }

    internal string? ArtifactDigest { get; private set; }

    internal string? Reason { get; private set; }

    internal string? ReasonCode { get; private set; }

    internal string? Detail { get; private set; }

    internal List<ApprovalInfo> Approvals { get; } = [];

    internal void Add(LineageRecordLine record, string log)
    {
        ParentExecutionId ??= record.ParentExecutionId;
        switch (record.Kind)
        {
            case LineageEventKind.IntentSubmitted:
                HasIntent = true;
                (Log, LogId, Sequence, Time) = (log, record.LogId, record.Sequence, record.Time);
                Mode = record["mode"];
                Principal = record["principal"];
                Action = record["action"];
                Resource = record["resource"];
                ArtifactDigest ??= record["artifact_digest"];
                _issued = Mode == "issue";
                break;
            case LineageEventKind.PolicyEvaluated:
                Decision = record["decision"];
                Policies = SplitList(record["policies"]);
                PolicyErrors = SplitList(record["errors"]);
                PolicySet = record["policy_set"];
                break;
            case LineageEventKind.ApprovalRecorded:
                Approvals.Add(new ApprovalInfo(record["group"], record["policy"], record["approver"], record["approved"] == "true", record["expires"], record["approval_digest"]));
                break;
            case LineageEventKind.ArtifactIssued:
            case LineageEventKind.ArtifactVerified:
                ArtifactDigest ??= record["artifact_digest"];
                break;
            case LineageEventKind.ExecutionCompleted:
                _outcome = ExecutionOutcome.Completed;
                break;
            case LineageEventKind.ExecutionFailed:
                _outcome = ExecutionOutcome.Failed;
                break;
            case LineageEventKind.ExecutionDenied:
                _outcome = ExecutionOutcome.Denied;
                (Reason, ReasonCode, Detail) = (record["reason"], record["reason_code"], record["detail"]);
                break;
            case LineageEventKind.DryRun:
                _outcome = record["allowed"] == "true" ? ExecutionOutcome.Allowed : ExecutionOutcome.Denied;
                if (_outcome == ExecutionOutcome.Denied)
                {
                    (Reason, ReasonCode, Detail) = (record["reason"], record["reason_code"], record["detail"]);
                }

                break;
            default:
                break;
        }
    }

    internal ExecutionOutcome Outcome => _outcome == ExecutionOutcome.Pending && _issued && ArtifactDigest is not null ? ExecutionOutcome.Issued : _outcome;

    internal ExecutionSummary ToSummary() => new()
    {
        ExecutionId = executionId,
        ParentExecutionId = ParentExecutionId,
        Log = Log ?? string.Empty,
        LogId = LogId,
        Sequence = Sequence,
        StartedAt = ParseTime(Time),
        Mode = Mode,
        Principal = Principal,
        PrincipalType = SplitEntity(Principal).Type,
        PrincipalId = SplitEntity(Principal).Id,
        Action = Action,
        Resource = Resource,
        Decision = Decision,
        DeterminingPolicies = Policies,
        Outcome = Outcome,
        Reason = Reason,
        ReasonCode = ReasonCode,
        Detail = Detail,
    };

    /// <summary>Whether the summary passes the query's filters (the log, id and time filters are the caller's).</summary>
    internal bool Matches(ExecutionQuery query, string? policyId)
    {
        if (query.Principal is { } principal && !string.Equals(principal, Principal, StringComparison.Ordinal))
        {
            return false;
        }

        if (query.Action is { } action && !string.Equals(action, Action, StringComparison.Ordinal))
        {
            return false;
        }

        if (query.Outcome is { } outcome && outcome != Outcome)
        {
            return false;
        }

        if (query.Reason is { } reason && !string.Equals(reason, Reason, StringComparison.Ordinal) && !string.Equals(reason, ReasonCode, StringComparison.Ordinal))
        {
            return false;
        }

        if (query.Search is { Length: > 0 } search
            && !(Contains(Principal, search) || Contains(Action, search) || Contains(Resource, search)))
        {
            return false;
        }

        if (policyId is not null && Array.IndexOf(Policies, policyId) < 0)
        {
            return false;
        }

        if ((query.From is not null || query.To is not null) && ParseTime(Time) is { } started)
        {
            if (started < query.From || started >= query.To)
            {
                return false;
            }
        }

        return query.ExecutionId is not { } id || id == executionId;
    }

    /// <summary>A record time (<c>yyyy-MM-ddTHH:mm:ss.fffffffZ</c>), or <see langword="null"/> when it is not one.</summary>
    internal static DateTimeOffset? ParseTime(string? time) =>
        DateTimeOffset.TryParseExact(time, "yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var parsed) ? parsed : null;

    /// <summary>An entity written as <c>Type::"id"</c>: its type and unquoted id; <see langword="null"/>s when it has another shape.</summary>
    internal static (string? Type, string? Id) SplitEntity(string? entity)
    {
        if (entity is null)
        {
            return (null, null);
        }

        var at = entity.IndexOf("::\"", StringComparison.Ordinal);
        if (at <= 0 || entity.Length < at + 4 || entity[^1] != '"')
        {
            return (null, null);
        }

        return (entity[..at], entity[(at + 3)..^1]);
    }

    private static bool Contains(string? value, string search) => value is not null && value.Contains(search, StringComparison.OrdinalIgnoreCase);

    private static string[] SplitList(string? value) => string.IsNullOrEmpty(value) ? [] : value.Split(',');
}
