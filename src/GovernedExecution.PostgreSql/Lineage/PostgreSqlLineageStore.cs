using System.Globalization;
using System.Text;
using GovernedExecution.Artifacts.Keys;
using GovernedExecution.Lineage;
using Npgsql;

namespace GovernedExecution.PostgreSql.Lineage;

/// <summary>A lineage row as stored: its place (writer, sequence), its queryable columns, its hash and its canonical bytes.</summary>
internal sealed record LineageRow(
    Guid WriterId,
    long Sequence,
    Guid ExecutionId,
    Guid? ParentExecutionId,
    string Kind,
    string? Principal,
    string? Action,
    string? Outcome,
    DateTime RecordedAt,
    byte[] Hash,
    byte[] Record);

/// <summary>
/// Which records to read. Principal and action select whole executions (every record of an execution whose intent
/// names them); the other filters select records. All given filters must hold.
/// </summary>
internal sealed record LineageRecordQuery
{
    internal Guid? ExecutionId { get; init; }

    internal Guid? ParentExecutionId { get; init; }

    internal string? Principal { get; init; }

    internal string? Action { get; init; }

    internal string? Outcome { get; init; }

    internal DateTimeOffset? From { get; init; }

    internal DateTimeOffset? Until { get; init; }

    internal int PageSize { get; init; } = 100;

    /// <summary>Where the previous page ended (<see cref="LineageRecordPage.Next"/>); <see langword="null"/> for the first page.</summary>
    internal LineageRecordCursor? After { get; init; }
}

/// <summary>A position in the order pages are read in: time, then writer, then sequence.</summary>
internal sealed record LineageRecordCursor(DateTime RecordedAt, Guid WriterId, long Sequence);

/// <summary>One page of records, and where the next one starts (<see langword="null"/> after the last).</summary>
internal sealed record LineageRecordPage(IReadOnlyList<LineageRow> Rows, LineageRecordCursor? Next);

/// <summary>What verification found for one writer's chain.</summary>
internal sealed record LineageChainVerification(
    Guid WriterId,
    string Name,
    bool Closed,
    bool IsValid,
    long Records,
    long Checkpoints,
    long UnsignedTail,
    long RecordsLost,
    long? FailedAt,
    string? Error,
    IReadOnlyList<string> Notices);

/// <summary>What verification found for every chain in the database.</summary>
internal sealed record LineageDatabaseVerification(bool IsValid, bool SignaturesChecked, string? Error, IReadOnlyList<LineageChainVerification> Chains)
{
    internal long RecordsLost => Chains.Sum(c => c.RecordsLost);

    /// <summary>The result as one JSON object (the output of <c>govexec lineage verify --postgres</c>).</summary>
    internal string ToJson()
    {
        using var stream = new MemoryStream();
        using (var writer = new System.Text.Json.Utf8JsonWriter(stream))
        {
            writer.WriteStartObject();
            writer.WriteBoolean("valid", IsValid);
            writer.WriteBoolean("signaturesChecked", SignaturesChecked);
            writer.WriteNumber("writers", Chains.Count);
            writer.WriteNumber("records", Chains.Sum(c => c.Records));
            writer.WriteNumber("recordsLost", RecordsLost);
            writer.WriteString("error", Error);
            writer.WriteStartArray("chains");
            foreach (var chain in Chains)
            {
                writer.WriteStartObject();
                writer.WriteString("writer", chain.WriterId.ToString("D"));
                writer.WriteString("name", chain.Name);
                writer.WriteBoolean("closed", chain.Closed);
                writer.WriteBoolean("valid", chain.IsValid);
                writer.WriteNumber("records", chain.Records);
                writer.WriteNumber("checkpoints", chain.Checkpoints);
                writer.WriteNumber("unsignedTail", chain.UnsignedTail);
                writer.WriteNumber("recordsLost", chain.RecordsLost);
                writer.WriteStartArray("notices");
                foreach (var notice in chain.Notices)
                {
                    writer.WriteStringValue(notice);
                }

                writer.WriteEndArray();
                if (chain.IsValid)
                {
                    writer.WriteNull("firstError");
                }
                else
                {
                    writer.WriteStartObject("firstError");
                    writer.WriteNumber("sequence", chain.FailedAt ?? 0);
                    writer.WriteString("reason", chain.Error);
                    writer.WriteEndObject();
                }

                writer.WriteEndObject();
            }

            writer.WriteEndArray();
            writer.WriteEndObject();
        }

        return Encoding.UTF8.GetString(stream.ToArray());
    }
}

/// <summary>
/// Reads the lineage tables: records by execution, parent, principal, action, outcome and time, paged; verification of
/// every chain from the records' bytes (trusting no column), and the tree of an execution across writers.
/// </summary>
internal sealed class PostgreSqlLineageStore(NpgsqlDataSource dataSource, string schema = LineageSql.DefaultSchema)
{
    private const string Columns = "writer_id, sequence, execution_id, parent_execution_id, kind, principal, action, outcome, recorded_at, hash, record";
    private readonly string _schema = LineageSql.QuoteSchema(schema);

    /// <summary>What the store reads, for people.</summary>
    internal string Description => "PostgreSQL schema " + schema;

    /// <summary>The data source (for the browser's queries).</summary>
    internal NpgsqlDataSource DataSource => dataSource;

    /// <summary>The quoted schema name.</summary>
    internal string QuotedSchema => _schema;

    /// <summary>One page of the records that match, in time order (then writer, then sequence).</summary>
    internal async Task<LineageRecordPage> QueryAsync(LineageRecordQuery query, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        ArgumentOutOfRangeException.ThrowIfLessThan(query.PageSize, 1, nameof(query));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(query.PageSize, 10_000, nameof(query));
        var command = dataSource.CreateCommand();
        await using var commandScope = command.ConfigureAwait(false);
        var where = new List<string>();
        void Filter(string condition, object value)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = value });
            where.Add(condition.Replace("@", "$" + command.Parameters.Count.ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal));
        }

        if (query.ExecutionId is { } execution)
        {
            Filter("execution_id = @", execution);
        }

        if (query.ParentExecutionId is { } parent)
        {
            Filter("parent_execution_id = @", parent);
        }

        if (query.Principal is { } principal)
        {
            Filter($"execution_id IN (SELECT execution_id FROM {_schema}.lineage_records WHERE principal = @)", principal);
        }

        if (query.Action is { } action)
        {
            Filter($"execution_id IN (SELECT execution_id FROM {_schema}.lineage_records WHERE action = @)", action);
        }

        if (query.Outcome is { } outcome)
        {
            Filter("outcome = @", outcome);
        }

        if (query.From is { } from)
        {
            Filter("recorded_at >= @", from.UtcDateTime);
        }

        if (query.Until is { } until)
        {
            Filter("recorded_at < @", until.UtcDateTime);
        }

        if (query.After is { } after)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = after.RecordedAt });
            command.Parameters.Add(new NpgsqlParameter { Value = after.WriterId });
            command.Parameters.Add(new NpgsqlParameter { Value = after.Sequence });
            var n = command.Parameters.Count;
            where.Add(string.Create(CultureInfo.InvariantCulture, $"(recorded_at, writer_id, sequence) > (${n - 2}, ${n - 1}, ${n})"));
        }

        command.CommandText = $"SELECT {Columns} FROM {_schema}.lineage_records"
            + (where.Count == 0 ? string.Empty : " WHERE " + string.Join(" AND ", where))
            + string.Create(CultureInfo.InvariantCulture, $" ORDER BY recorded_at, writer_id, sequence LIMIT {query.PageSize + 1}");
        var rows = new List<LineageRow>();
        var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await using (reader.ConfigureAwait(false))
        {
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                rows.Add(ReadRow(reader, 0));
            }
        }

        if (rows.Count <= query.PageSize)
        {
            return new LineageRecordPage(rows, null);
        }

        rows.RemoveAt(rows.Count - 1);
        var last = rows[^1];
        return new LineageRecordPage(rows, new LineageRecordCursor(last.RecordedAt, last.WriterId, last.Sequence));
    }

    /// <summary>
    /// Verifies every writer's chain from the records' bytes, as a lineage file is verified (record hashes, one log id,
    /// sequence from 1 without gaps, the hash chain, every checkpoint's Merkle tree head and, given keys, signature), and
    /// that every row's columns say what its record says. A closed writer's chain must end with its closing checkpoint.
    /// </summary>
    internal async Task<LineageDatabaseVerification> VerifyAsync(IEnumerable<TrustedKey>? trustedKeys, CancellationToken cancellationToken = default)
    {
        var trusted = trustedKeys?.ToDictionary(k => k.KeyId, StringComparer.Ordinal);
        var command = dataSource.CreateCommand(
            $"SELECT w.writer_id, w.name, w.closed_at IS NOT NULL, w.last_sequence, r.{Columns.Replace(", ", ", r.", StringComparison.Ordinal)} "
            + $"FROM {_schema}.lineage_writers w LEFT JOIN {_schema}.lineage_records r ON r.writer_id = w.writer_id ORDER BY w.writer_id, r.sequence");
        await using var commandScope = command.ConfigureAwait(false);
        var chains = new List<LineageChainVerification>();
        ChainCheck? current = null;
        var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await using (reader.ConfigureAwait(false))
        {
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                var writer = reader.GetGuid(0);
                if (current is null || current.WriterId != writer)
                {
                    if (current is not null)
                    {
                        chains.Add(current.Finish());
                    }

                    current = new ChainCheck(writer, reader.GetString(1), reader.GetBoolean(2), reader.IsDBNull(3) ? null : reader.GetInt64(3), trusted);
                }

                if (!reader.IsDBNull(5))
                {
                    current.Feed(ReadRow(reader, 4));
                }
            }
        }

        if (current is not null)
        {
            chains.Add(current.Finish());
        }

        var error = chains.Count == 0 ? "the database holds no lineage writers: nothing was verified" : null;
        return new LineageDatabaseVerification(error is null && chains.TrueForAll(c => c.IsValid), trusted is not null, error, chains);
    }

    /// <summary>
    /// Writes the tree of <paramref name="execution"/> and its descendants, across every writer (children link to their
    /// parent by execution id, whichever process ran them), as <c>govexec lineage show</c> writes a file's. Returns the
    /// writers whose records were shown (id and name).
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="execution"/> is not an execution in the database.</exception>
    /// <exception cref="InvalidDataException">A record's bytes are not a good record (its hash, its shape).</exception>
    internal async Task<IReadOnlyList<(Guid WriterId, string Name)>> WriteTreeAsync(Guid execution, TextWriter output, CancellationToken cancellationToken = default)
    {
        var command = dataSource.CreateCommand(
            $"""
            WITH RECURSIVE tree(execution_id) AS (
                SELECT $1::uuid
                UNION
                SELECT r.execution_id FROM {_schema}.lineage_records r JOIN tree t ON r.parent_execution_id = t.execution_id
            )
            SELECT r.writer_id, r.sequence, r.record, w.name
            FROM {_schema}.lineage_records r JOIN {_schema}.lineage_writers w ON w.writer_id = r.writer_id
            WHERE r.execution_id IN (SELECT execution_id FROM tree)
            ORDER BY r.recorded_at, r.writer_id, r.sequence
            """);
        await using var commandScope = command.ConfigureAwait(false);
        command.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = execution });
        var records = new List<LineageRecordLine>();
        var writers = new List<(Guid, string)>();
        var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await using (reader.ConfigureAwait(false))
        {
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                var writer = reader.GetGuid(0);
                var sequence = reader.GetInt64(1);
                var record = LineageRecordLine.TryParse((byte[])reader.GetValue(2), out var error)
                    ?? throw new InvalidDataException(string.Create(CultureInfo.InvariantCulture, $"writer {writer:D} record {sequence}: {error}"));
                if (!string.Equals(record.LogId, writer.ToString("D"), StringComparison.Ordinal) || record.Sequence != sequence)
                {
                    throw new InvalidDataException(string.Create(CultureInfo.InvariantCulture, $"writer {writer:D} record {sequence}: the record belongs to another place (log {record.LogId}, sequence {record.Sequence})"));
                }

                records.Add(record);
                if (!writers.Exists(w => w.Item1 == writer))
                {
                    writers.Add((writer, reader.GetString(3)));
                }
            }
        }

        if (records.Count == 0)
        {
            throw new ArgumentException($"Execution '{execution:D}' is not in the database.");
        }

        LineageExecutionTree.Write(records, execution.ToString("D"), output);
        return writers;
    }

    private static LineageRow ReadRow(NpgsqlDataReader reader, int at) => new(
        reader.GetGuid(at),
        reader.GetInt64(at + 1),
        reader.GetGuid(at + 2),
        reader.IsDBNull(at + 3) ? null : reader.GetGuid(at + 3),
        reader.GetString(at + 4),
        reader.IsDBNull(at + 5) ? null : reader.GetString(at + 5),
        reader.IsDBNull(at + 6) ? null : reader.GetString(at + 6),
        reader.IsDBNull(at + 7) ? null : reader.GetString(at + 7),
        DateTime.SpecifyKind(reader.GetDateTime(at + 8), DateTimeKind.Utc),
        (byte[])reader.GetValue(at + 9),
        (byte[])reader.GetValue(at + 10));

    /// <summary>One chain being verified, row by row in sequence order; the first error stops it.</summary>
    private sealed class ChainCheck(Guid writerId, string name, bool closed, long? lastSequence, IReadOnlyDictionary<string, TrustedKey>? trusted)
    {
        private readonly LineageVerificationEngine _engine = new(trusted);
        private long _lastCheckpoint;
        private long? _failedAt;
        private string? _error;

        internal Guid WriterId => writerId;

        internal void Feed(LineageRow row)
        {
            if (_error is not null)
            {
                return;
            }

            var error = _engine.Feed(row.Record, out var record);
            if (error is not null)
            {
                (_failedAt, _error) = (_engine.Records + 1, error);
                return;
            }

            if (ColumnsDiffer(row, record!) is { } differ)
            {
                (_failedAt, _error) = (record!.Sequence, differ);
                return;
            }

            if (record!.Kind == LineageEventKind.Checkpoint)
            {
                _lastCheckpoint = record.Sequence;
            }
        }

        internal LineageChainVerification Finish()
        {
            if (_error is null && closed)
            {
                if (!_engine.LastIsCheckpoint && _engine.Records > 0)
                {
                    (_failedAt, _error) = (_engine.Records + 1, "the writer closed, but its chain does not end with its closing checkpoint: records were removed from its end");
                }
                else if (lastSequence is { } last && last != _engine.Records)
                {
                    (_failedAt, _error) = (Math.Min(last, _engine.Records) + 1, string.Create(CultureInfo.InvariantCulture, $"the writer closed at record {last}, but its chain ends at record {_engine.Records}"));
                }
            }

            var unsigned = _engine.Records - _lastCheckpoint;
            var notices = new List<string>(_engine.Notices);
            if (_error is null && unsigned > 0)
            {
                notices.Add(string.Create(CultureInfo.InvariantCulture, $"records {_lastCheckpoint + 1} to {_engine.Records} are not yet covered by a checkpoint (the writer is open, or stopped without closing): they are not authenticated"));
            }

            return new LineageChainVerification(writerId, name, closed, _error is null, _error is null ? _engine.Records : (_failedAt ?? 1) - 1, _engine.Checkpoints, _error is null ? unsigned : 0, _engine.RecordsLost, _failedAt, _error, notices);
        }

        /// <summary>The columns must say what the bytes say: queries select by them, verification trusts only the bytes.</summary>
        private string? ColumnsDiffer(LineageRow row, LineageRecordLine record)
        {
            var (principal, action, outcome) = LineageSql.Describe(record.Kind, name => record[name]);
            string? column = null;
            if (!string.Equals(record.LogId, writerId.ToString("D"), StringComparison.Ordinal))
            {
                return "the record belongs to another writer's chain (its log id is not this writer's): a record copied from another chain";
            }

            if (record.Sequence != row.Sequence)
            {
                column = "sequence";
            }
            else if (record.ExecutionId != row.ExecutionId)
            {
                column = "execution_id";
            }
            else if (record.ParentExecutionId != row.ParentExecutionId)
            {
                column = "parent_execution_id";
            }
            else if (!string.Equals(LineageChain.KindName(record.Kind), row.Kind, StringComparison.Ordinal))
            {
                column = "kind";
            }
            else if (!string.Equals(principal, row.Principal, StringComparison.Ordinal))
            {
                column = "principal";
            }
            else if (!string.Equals(action, row.Action, StringComparison.Ordinal))
            {
                column = "action";
            }
            else if (!string.Equals(outcome, row.Outcome, StringComparison.Ordinal))
            {
                column = "outcome";
            }
            else if (!DateTimeOffset.TryParseExact(record.Time, "yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var time)
                || LineageSql.ColumnTime(time) != row.RecordedAt)
            {
                column = "recorded_at";
            }
            else if (!string.Equals(Convert.ToHexStringLower(row.Hash), record.Hash, StringComparison.Ordinal))
            {
                column = "hash";
            }

            return column is null ? null : $"the row's {column} column differs from its record: the column was changed";
        }
    }
}
