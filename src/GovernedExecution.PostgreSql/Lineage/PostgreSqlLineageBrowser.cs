using System.Globalization;
using System.Text;
using GovernedExecution.Artifacts.Keys;
using GovernedExecution.Lineage;
using GovernedExecution.Lineage.Browsing;
using Npgsql;

namespace GovernedExecution.PostgreSql.Lineage;

/// <summary>
/// Browses the PostgreSQL lineage tables: executions by their <c>intent_submitted</c> rows with keyset queries (never
/// an offset; every value a parameter), narrowed by the queryable columns, then confirmed against the records' own
/// bytes (hash checked; a row whose bytes are not a good record is reported, not shown). A log is a writer: its key is
/// the writer id.
/// </summary>
internal sealed class PostgreSqlLineageBrowser(PostgreSqlLineageStore store) : ILineageBrowser
{
    /// <summary>At most this many children are listed on an execution's page.</summary>
    internal const int MaxChildren = 1000;

    private const int MaxProblems = 50;
    private const string IntentKind = "intent_submitted";
    private readonly NpgsqlDataSource _data = store.DataSource;
    private readonly string _schema = store.QuotedSchema;

    public string Description => store.Description;

    public ValueTask<ExecutionPage> ListExecutionsAsync(ExecutionQuery query, CancellationToken cancellationToken = default) =>
        new(ListAsync(query, null, cancellationToken));

    public ValueTask<ExecutionPage> ExecutionsDecidedByAsync(string policyId, ExecutionQuery query, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(policyId);
        return new(ListAsync(query, policyId, cancellationToken));
    }

    private async Task<ExecutionPage> ListAsync(ExecutionQuery query, string? policyId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(query);
        ArgumentOutOfRangeException.ThrowIfLessThan(query.PageSize, 1, nameof(query));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(query.PageSize, ExecutionQuery.MaxPageSize, nameof(query));
        var after = query.Cursor is null ? null : ParseCursor(query.Cursor);
        Guid? writer = null;
        if (query.Log is not null)
        {
            if (!Guid.TryParseExact(query.Log, "D", out var w))
            {
                return new ExecutionPage([], null, []);
            }

            writer = w;
        }

        var items = new List<ExecutionSummary>(query.PageSize);
        var problems = new List<BrowseProblem>();
        var batch = Math.Min(ExecutionQuery.MaxPageSize, query.PageSize * 2);
        while (true)
        {
            // Candidates by the columns, newest first after the cursor; then confirmed from the records' bytes.
            var candidates = await CandidatesAsync(query, policyId, writer, after, batch, cancellationToken).ConfigureAwait(false);
            if (candidates.Count == 0)
            {
                return new ExecutionPage(items, null, problems);
            }

            var executions = await ReadExecutionsAsync([.. candidates.Select(c => c.ExecutionId)], problems, cancellationToken).ConfigureAwait(false);
            foreach (var candidate in candidates)
            {
                after = candidate;
                if (executions.TryGetValue(candidate.ExecutionId, out var accumulator) && accumulator.HasIntent && accumulator.Matches(query, policyId)
                    && string.Equals(accumulator.Log, candidate.WriterId.ToString("D"), StringComparison.Ordinal) && accumulator.Sequence == candidate.Sequence)
                {
                    items.Add(accumulator.ToSummary());
                    if (items.Count == query.PageSize)
                    {
                        return new ExecutionPage(items, FormatCursor(candidate), problems);
                    }
                }
            }

            if (candidates.Count < batch)
            {
                return new ExecutionPage(items, null, problems);
            }
        }
    }

    /// <summary>The next intent rows that may match, newest first after <paramref name="after"/>.</summary>
    private async Task<List<Cursor>> CandidatesAsync(ExecutionQuery query, string? policyId, Guid? writer, Cursor? after, int limit, CancellationToken cancellationToken)
    {
        var command = _data.CreateCommand();
        await using var scope = command.ConfigureAwait(false);
        var where = new List<string> { $"i.kind = '{IntentKind}'" };
        string Parameter(object value)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = value });
            return "$" + command.Parameters.Count.ToString(CultureInfo.InvariantCulture);
        }

        if (query.ExecutionId is { } id)
        {
            where.Add("i.execution_id = " + Parameter(id));
        }

        if (writer is { } w)
        {
            where.Add("i.writer_id = " + Parameter(w));
        }

        if (query.Principal is { } principal)
        {
            where.Add("i.principal = " + Parameter(principal));
        }

        if (query.Action is { } action)
        {
            where.Add("i.action = " + Parameter(action));
        }

        if (query.From is { } from)
        {
            where.Add("i.recorded_at >= " + Parameter(LineageSql.ColumnTime(from)));
        }

        if (query.To is { } to)
        {
            where.Add("i.recorded_at < " + Parameter(LineageSql.ColumnTime(to)));
        }

        if (query.Search is { Length: > 0 } search)
        {
            // The resource has no column: its record's text is searched too, and the match confirmed from the parsed record.
            var pattern = Parameter("%" + EscapeLike(search) + "%");
            where.Add($"(i.principal ILIKE {pattern} OR i.action ILIKE {pattern} OR convert_from(i.record, 'UTF8') ILIKE {pattern})");
        }

        if (query.Outcome is { } outcome)
        {
            where.Add(outcome switch
            {
                ExecutionOutcome.Pending or ExecutionOutcome.Issued => $"NOT EXISTS (SELECT 1 FROM {_schema}.lineage_records o WHERE o.execution_id = i.execution_id AND o.outcome IS NOT NULL)",
                _ => $"EXISTS (SELECT 1 FROM {_schema}.lineage_records o WHERE o.execution_id = i.execution_id AND o.outcome = {Parameter(OutcomeColumn(outcome))})",
            });
        }

        if (query.Reason is not null)
        {
            where.Add($"EXISTS (SELECT 1 FROM {_schema}.lineage_records o WHERE o.execution_id = i.execution_id AND o.outcome = 'denied')");
        }

        if (policyId is not null)
        {
            where.Add($"EXISTS (SELECT 1 FROM {_schema}.lineage_records o WHERE o.execution_id = i.execution_id AND o.kind = 'policy_evaluated' AND position({Parameter(policyId)} in convert_from(o.record, 'UTF8')) > 0)");
        }

        if (after is { } a)
        {
            where.Add($"(i.recorded_at, i.writer_id, i.sequence) < ({Parameter(a.RecordedAt)}, {Parameter(a.WriterId)}, {Parameter(a.Sequence)})");
        }

        command.CommandText = $"SELECT i.recorded_at, i.writer_id, i.sequence, i.execution_id FROM {_schema}.lineage_records i WHERE {string.Join(" AND ", where)} "
            + string.Create(CultureInfo.InvariantCulture, $"ORDER BY i.recorded_at DESC, i.writer_id DESC, i.sequence DESC LIMIT {limit}");
        var candidates = new List<Cursor>();
        var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await using (reader.ConfigureAwait(false))
        {
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                candidates.Add(new Cursor(DateTime.SpecifyKind(reader.GetDateTime(0), DateTimeKind.Utc), reader.GetGuid(1), reader.GetInt64(2), reader.GetGuid(3)));
            }
        }

        return candidates;
    }

    private static string OutcomeColumn(ExecutionOutcome outcome) => outcome switch
    {
        ExecutionOutcome.Completed => "completed",
        ExecutionOutcome.Failed => "failed",
        ExecutionOutcome.Denied => "denied",
        ExecutionOutcome.Allowed => "allowed",
        _ => throw new ArgumentOutOfRangeException(nameof(outcome)),
    };

    private static string EscapeLike(string text) =>
        text.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("%", "\\%", StringComparison.Ordinal).Replace("_", "\\_", StringComparison.Ordinal);

    /// <summary>Every record of these executions, from their bytes (the hash checked, the row's place checked against the record's).</summary>
    private async Task<Dictionary<Guid, ExecutionAccumulator>> ReadExecutionsAsync(Guid[] ids, List<BrowseProblem> problems, CancellationToken cancellationToken, List<ExecutionRecord>? records = null)
    {
        var result = new Dictionary<Guid, ExecutionAccumulator>();
        var command = _data.CreateCommand($"SELECT writer_id, sequence, execution_id, record FROM {_schema}.lineage_records WHERE execution_id = ANY($1) ORDER BY recorded_at, writer_id, sequence");
        await using var scope = command.ConfigureAwait(false);
        command.Parameters.Add(new NpgsqlParameter<Guid[]> { TypedValue = ids });
        var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await using (reader.ConfigureAwait(false))
        {
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                var writer = reader.GetGuid(0);
                var sequence = reader.GetInt64(1);
                var execution = reader.GetGuid(2);
                var bytes = (byte[])reader.GetValue(3);
                var log = writer.ToString("D");
                var record = LineageRecordLine.TryParse(bytes, out var error);
                if (record is null || record.ExecutionId != execution || record.Sequence != sequence || !string.Equals(record.LogId, log, StringComparison.Ordinal))
                {
                    Report(problems, log, Where(writer, sequence), record is null ? error : "the row's columns differ from its record: the row was changed");
                    continue;
                }

                if (!result.TryGetValue(execution, out var accumulator))
                {
                    result[execution] = accumulator = new ExecutionAccumulator(execution);
                }

                accumulator.Add(record, log);
                records?.Add(new ExecutionRecord(log, record.Sequence, LineageChain.KindName(record.Kind), record.Time, Encoding.UTF8.GetString(bytes), record.Data));
            }
        }

        return result;
    }

    public async ValueTask<ExecutionDetail?> GetExecutionAsync(Guid executionId, CancellationToken cancellationToken = default)
    {
        var problems = new List<BrowseProblem>();
        var records = new List<ExecutionRecord>();
        var found = await ReadExecutionsAsync([executionId], problems, cancellationToken, records).ConfigureAwait(false);
        if (!found.TryGetValue(executionId, out var accumulator))
        {
            return problems.Count == 0 ? null : new ExecutionDetail
            {
                Summary = new ExecutionSummary { ExecutionId = executionId, Log = problems[0].Log },
                Records = [],
                Children = [],
                DeterminingPolicies = [],
                Approvals = [],
                Problems = problems,
            };
        }

        var command = _data.CreateCommand($"SELECT DISTINCT execution_id FROM {_schema}.lineage_records WHERE parent_execution_id = $1 LIMIT {MaxChildren.ToString(CultureInfo.InvariantCulture)}");
        var childIds = new List<Guid>();
        await using (command.ConfigureAwait(false))
        {
            command.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = executionId });
            var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            await using (reader.ConfigureAwait(false))
            {
                while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    childIds.Add(reader.GetGuid(0));
                }
            }
        }

        var children = childIds.Count == 0 ? [] : await ReadExecutionsAsync([.. childIds], problems, cancellationToken).ConfigureAwait(false);
        if (!accumulator.HasIntent)
        {
            Report(problems, records.Count > 0 ? records[0].Log : string.Empty, executionId.ToString("D"), "the execution's first record (intent_submitted) is not among its readable records");
        }

        return new ExecutionDetail
        {
            Summary = accumulator.ToSummary(),
            Records = records,
            Children = [.. children.Values.Select(c => c.ToSummary()).OrderBy(c => c.StartedAt)],
            DeterminingPolicies = accumulator.Policies,
            PolicyErrors = accumulator.PolicyErrors,
            PolicySetDigest = accumulator.PolicySet,
            ArtifactDigest = accumulator.ArtifactDigest,
            Approvals = accumulator.Approvals,
            Problems = problems,
        };
    }

    public async ValueTask<IReadOnlyList<LogVerification>> VerifyAsync(LineageVerifyRequest request, IProgress<LineageVerifyProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        var result = await store.VerifyAsync(request.TrustedKeys, cancellationToken).ConfigureAwait(false);
        var verifications = new List<LogVerification>();
        foreach (var chain in result.Chains)
        {
            var status = !chain.IsValid ? LogVerificationStatus.Broken
                : result.SignaturesChecked && chain.Checkpoints > 0 ? LogVerificationStatus.Verified
                : LogVerificationStatus.Unsigned;
            verifications.Add(new LogVerification
            {
                Log = chain.WriterId.ToString("D"),
                Status = status,
                Records = chain.Records,
                Checkpoints = chain.Checkpoints,
                SignaturesChecked = result.SignaturesChecked,
                BrokenAt = chain.FailedAt,
                Reason = status switch
                {
                    LogVerificationStatus.Broken => chain.Error,
                    LogVerificationStatus.Unsigned when !result.SignaturesChecked => "checkpoint signatures were not checked: no trusted key was given",
                    LogVerificationStatus.Unsigned => "the writer has no checkpoint: nothing in it is signed",
                    _ => null,
                },
                RecordsLost = chain.RecordsLost,
                Notices = chain.Notices,
            });
            progress?.Report(new LineageVerifyProgress(chain.WriterId.ToString("D"), verifications.Count, result.Chains.Count));
        }

        return verifications;
    }

    public ValueTask<InclusionProofResult> GetInclusionProofAsync(string log, long sequence, IReadOnlyList<TrustedKey>? trustedKeys = null, CancellationToken cancellationToken = default)
    {
        if (!Guid.TryParseExact(log, "D", out var writer))
        {
            return ValueTask.FromResult(new InclusionProofResult(null, "no such log"));
        }

        if (sequence < 1)
        {
            return ValueTask.FromResult(new InclusionProofResult(null, "a sequence number starts at 1"));
        }

        var trusted = trustedKeys?.ToDictionary(k => k.KeyId, StringComparer.Ordinal);
        return new(Task.Run(() =>
        {
            try
            {
                var proof = LineageProofs.CreateInclusion(() => ChainRecords(writer, cancellationToken), sequence, trusted);
                return new InclusionProofResult(Encoding.UTF8.GetBytes(proof + "\n"), null);
            }
            catch (Exception ex) when (ex is InvalidDataException or NpgsqlException)
            {
                return new InclusionProofResult(null, ex.Message);
            }
        }, cancellationToken));
    }

    /// <summary>A writer's record lines in sequence order, streamed.</summary>
    private IEnumerable<ReadOnlyMemory<byte>> ChainRecords(Guid writer, CancellationToken cancellationToken)
    {
        using var command = _data.CreateCommand($"SELECT record FROM {_schema}.lineage_records WHERE writer_id = $1 ORDER BY sequence");
        command.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = writer });
        using var reader = command.ExecuteReader();
        var any = false;
        while (reader.Read())
        {
            cancellationToken.ThrowIfCancellationRequested();
            any = true;
            yield return (byte[])reader.GetValue(0);
        }

        if (!any)
        {
            throw new InvalidDataException("no such log");
        }
    }

    public async ValueTask<LineageStats> GetStatsAsync(CancellationToken cancellationToken = default)
    {
        var command = _data.CreateCommand($"""
            SELECT w.writer_id, w.name, last.sequence, last.recorded_at, cp.sequence, cp.recorded_at
            FROM {_schema}.lineage_writers w
            LEFT JOIN LATERAL (SELECT r.sequence, r.recorded_at FROM {_schema}.lineage_records r WHERE r.writer_id = w.writer_id ORDER BY r.sequence DESC LIMIT 1) last ON true
            LEFT JOIN LATERAL (SELECT r.sequence, r.recorded_at FROM {_schema}.lineage_records r WHERE r.writer_id = w.writer_id AND r.kind = 'checkpoint' ORDER BY r.sequence DESC LIMIT 1) cp ON true
            ORDER BY w.opened_at DESC, w.writer_id
            LIMIT 1000
            """);
        await using var scope = command.ConfigureAwait(false);
        var logs = new List<LogStats>();
        var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await using (reader.ConfigureAwait(false))
        {
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                var writer = reader.GetGuid(0).ToString("D");
                logs.Add(new LogStats
                {
                    Log = writer,
                    Name = reader.GetString(1),
                    LogId = writer,
                    Records = reader.IsDBNull(2) ? 0 : reader.GetInt64(2),
                    LastRecordAt = reader.IsDBNull(3) ? null : new DateTimeOffset(DateTime.SpecifyKind(reader.GetDateTime(3), DateTimeKind.Utc)),
                    LastCheckpointTreeSize = reader.IsDBNull(4) ? null : reader.GetInt64(4) - 1,
                    LastCheckpointAt = reader.IsDBNull(5) ? null : new DateTimeOffset(DateTime.SpecifyKind(reader.GetDateTime(5), DateTimeKind.Utc)),
                });
            }
        }

        return new LineageStats(logs);
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    private static string Where(Guid writer, long sequence) => string.Create(CultureInfo.InvariantCulture, $"writer {writer:D} record {sequence}");

    private static void Report(List<BrowseProblem> problems, string log, string where, string reason)
    {
        if (problems.Count < MaxProblems)
        {
            problems.Add(new BrowseProblem(log, where, reason));
        }
    }

    private static string FormatCursor(Cursor c) => System.Buffers.Text.Base64Url.EncodeToString(Encoding.ASCII.GetBytes(
        string.Create(CultureInfo.InvariantCulture, $"p1|{c.RecordedAt.Ticks}|{c.WriterId:N}|{c.Sequence}")));

    private static Cursor ParseCursor(string cursor)
    {
        static ArgumentException Bad() => new("The cursor is not one this browser handed out.", nameof(cursor));
        if (cursor.Length > 200)
        {
            throw Bad();
        }

        string[] parts;
        try
        {
            parts = Encoding.ASCII.GetString(System.Buffers.Text.Base64Url.DecodeFromChars(cursor)).Split('|');
        }
        catch (FormatException)
        {
            throw Bad();
        }

        if (parts.Length != 4 || parts[0] != "p1"
            || !long.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var ticks) || ticks > DateTime.MaxValue.Ticks
            || !Guid.TryParseExact(parts[2], "N", out var writer)
            || !long.TryParse(parts[3], NumberStyles.None, CultureInfo.InvariantCulture, out var sequence))
        {
            throw Bad();
        }

        return new Cursor(new DateTime(ticks, DateTimeKind.Utc), writer, sequence, Guid.Empty);
    }

    /// <summary>An intent row's place in the newest-first order (and its execution).</summary>
    private sealed record Cursor(DateTime RecordedAt, Guid WriterId, long Sequence, Guid ExecutionId);
}
