namespace GovernedExecution.Lineage.Browsing;

/// <summary>
/// Which executions to list. Every given filter must hold; string filters compare ordinally (exact), except
/// <see cref="Search"/>, a case-insensitive substring of the principal, action or resource.
/// </summary>
internal sealed record ExecutionQuery
{
    /// <summary>The largest page size.</summary>
    internal const int MaxPageSize = 200;

    /// <summary>The page size when none is given.</summary>
    internal const int DefaultPageSize = 50;

    /// <summary>Only this execution.</summary>
    internal Guid? ExecutionId { get; init; }

    /// <summary>Principal as recorded (for example <c>Agent::"support-bot"</c>).</summary>
    internal string? Principal { get; init; }

    /// <summary>Action as recorded (for example <c>Action::"refund"</c>).</summary>
    internal string? Action { get; init; }

    /// <summary>The outcome.</summary>
    internal ExecutionOutcome? Outcome { get; init; }

    /// <summary>Denial reason: the reason name (<c>PolicyDenied</c>) or its number (<c>reason_code</c>).</summary>
    internal string? Reason { get; init; }

    /// <summary>Started at or after.</summary>
    internal DateTimeOffset? From { get; init; }

    /// <summary>Started before.</summary>
    internal DateTimeOffset? To { get; init; }

    /// <summary>Case-insensitive substring of principal, action or resource.</summary>
    internal string? Search { get; init; }

    /// <summary>Only executions of this log (a <see cref="LogStats.Log"/> key).</summary>
    internal string? Log { get; init; }

    /// <summary>1 to <see cref="MaxPageSize"/>.</summary>
    internal int PageSize { get; init; } = DefaultPageSize;

    /// <summary>The <see cref="ExecutionPage.NextCursor"/> of the previous page; <see langword="null"/> for the first.</summary>
    internal string? Cursor { get; init; }
}

/// <summary>How an execution ended, as its records say. The default is <see cref="Pending"/>: no outcome record was seen.</summary>
internal enum ExecutionOutcome
{
    /// <summary>No outcome record (yet): running, crashed, or its outcome is further than the browser looked.</summary>
    Pending = 0,

    /// <summary>The delegate ran and returned (<c>execution_completed</c>).</summary>
    Completed,

    /// <summary>The delegate ran and threw (<c>execution_failed</c>).</summary>
    Failed,

    /// <summary>Denied; the delegate did not run (<c>execution_denied</c>, or a dry run not allowed).</summary>
    Denied,

    /// <summary>A dry run that would be allowed.</summary>
    Allowed,

    /// <summary>An artifact minted for another runtime (mode <c>issue</c>); nothing ran here.</summary>
    Issued,
}

/// <summary>One page of executions, newest first; <see cref="NextCursor"/> is <see langword="null"/> after the last.</summary>
internal sealed record ExecutionPage(IReadOnlyList<ExecutionSummary> Items, string? NextCursor, IReadOnlyList<BrowseProblem> Problems);

/// <summary>
/// An execution as its records describe it. Strings are verbatim from the log (attacker-influenced: escape them).
/// Fields an execution has no record for are <see langword="null"/>.
/// </summary>
internal sealed record ExecutionSummary
{
    internal required Guid ExecutionId { get; init; }

    /// <summary>The parent execution (nested or delegated), or <see langword="null"/>.</summary>
    internal Guid? ParentExecutionId { get; init; }

    /// <summary>The log key (<see cref="LogStats.Log"/>) of its <c>intent_submitted</c> record.</summary>
    internal required string Log { get; init; }

    /// <summary>The log's id, as its records state it.</summary>
    internal string? LogId { get; init; }

    /// <summary>The sequence number of its first record.</summary>
    internal long Sequence { get; init; }

    /// <summary>When it started (its first record's time).</summary>
    internal DateTimeOffset? StartedAt { get; init; }

    /// <summary><c>run</c>, <c>presented</c>, <c>issue</c>, <c>dry_run</c> or <c>refused</c>.</summary>
    internal string? Mode { get; init; }

    /// <summary>The principal as recorded, for example <c>Agent::"support-bot"</c>.</summary>
    internal string? Principal { get; init; }

    /// <summary>The principal's entity type (before the last <c>::</c>), when the principal has that shape.</summary>
    internal string? PrincipalType { get; init; }

    /// <summary>The principal's id (after the last <c>::</c>, unquoted), when the principal has that shape.</summary>
    internal string? PrincipalId { get; init; }

    internal string? Action { get; init; }

    internal string? Resource { get; init; }

    /// <summary>The policy decision (<c>policy_evaluated</c>'s <c>decision</c>).</summary>
    internal string? Decision { get; init; }

    /// <summary>The policies that determined the decision.</summary>
    internal IReadOnlyList<string> DeterminingPolicies { get; init; } = [];

    internal ExecutionOutcome Outcome { get; init; }

    /// <summary>The denial reason name, when denied.</summary>
    internal string? Reason { get; init; }

    /// <summary>The denial reason number, when denied.</summary>
    internal string? ReasonCode { get; init; }

    /// <summary>The denial detail, when denied.</summary>
    internal string? Detail { get; init; }
}

/// <summary>An execution's page: its summary, records, children, decision, artifact and approvals.</summary>
internal sealed record ExecutionDetail
{
    internal required ExecutionSummary Summary { get; init; }

    /// <summary>Its records in log order (several logs: by log, then sequence).</summary>
    internal required IReadOnlyList<ExecutionRecord> Records { get; init; }

    /// <summary>Executions whose parent it is (nested and delegated), from every log the browser reads.</summary>
    internal required IReadOnlyList<ExecutionSummary> Children { get; init; }

    /// <summary>The policies that determined its decision.</summary>
    internal required IReadOnlyList<string> DeterminingPolicies { get; init; }

    /// <summary>The policies in error when it was decided.</summary>
    internal IReadOnlyList<string> PolicyErrors { get; init; } = [];

    /// <summary>The policy-set digest of its decision.</summary>
    internal string? PolicySetDigest { get; init; }

    /// <summary>The digest of its artifact (issued or presented), when recorded.</summary>
    internal string? ArtifactDigest { get; init; }

    /// <summary>The artifact's bytes when the lineage holds them; lineage records hold only its digest today, so <see langword="null"/>.</summary>
    internal byte[]? Artifact { get; init; }

    /// <summary>Its <c>approval_recorded</c> records.</summary>
    internal required IReadOnlyList<ApprovalInfo> Approvals { get; init; }

    /// <summary>Records of it the browser could not read as good records.</summary>
    internal IReadOnlyList<BrowseProblem> Problems { get; init; } = [];
}

/// <summary>One record as stored: <see cref="Json"/> is the record's line exactly as written (its hash covers it).</summary>
internal sealed record ExecutionRecord(string Log, long Sequence, string Kind, string Time, string Json, IReadOnlyList<KeyValuePair<string, string>> Data);

/// <summary>An <c>approval_recorded</c> record's data.</summary>
internal sealed record ApprovalInfo(string? Group, string? Policy, string? Approver, bool Approved, string? Expires, string? ApprovalDigest);

/// <summary>Something in a log the browser could not use (a line that is not a good record, a line too long), reported rather than thrown.</summary>
/// <param name="Log">The log key.</param>
/// <param name="Where">Where (file and byte offset, or writer and sequence).</param>
/// <param name="Reason">Why, in the verifier's words where it has them.</param>
internal sealed record BrowseProblem(string Log, string Where, string Reason);
