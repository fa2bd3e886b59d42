using System.Collections.Frozen;
using GovernedExecution.Artifacts.Keys;
using GovernedExecution.Lineage;
using GovernedExecution.Lineage.Merkle;
using Npgsql;
using NpgsqlTypes;

namespace GovernedExecution.PostgreSql.Witness;

/// <summary>
/// A checkpoint witness in PostgreSQL, for logs whose disk their writer controls (a <see cref="FileLineageSink"/> on
/// another host): per log id, it holds the latest checkpoint accepted and accepts a new one only when its signature
/// verifies against the trusted keys and it is an append-only extension of the one held (an RFC 9162 consistency
/// proof), under a row lock, so that concurrent writers of one log cannot both advance it. Rollbacks, truncations and
/// forks are refused with a <see cref="CheckpointWitnessRefusedException"/>.
/// </summary>
/// <remarks>The schema must have been migrated (<see cref="GovernedExecutionPostgreSql.MigrateAsync"/>); the witness never creates it.</remarks>
public sealed class PostgreSqlCheckpointWitness : ICheckpointWitness
{
    private readonly NpgsqlDataSource _dataSource;
    private readonly FrozenDictionary<string, TrustedKey> _trusted;
    private readonly string _schema;
    private readonly string _selectSql;
    private readonly string _lockSql;
    private readonly string _insertSql;
    private readonly string _updateSql;
    private readonly TimeSpan _timeout;

    /// <summary>Creates a witness on a database whose schema was migrated.</summary>
    /// <param name="dataSource">The database (the caller keeps ownership).</param>
    /// <param name="trustedKeys">The public keys checkpoints must be signed with (the writers' checkpoint keys).</param>
    /// <param name="schema">The schema (<see cref="GovernedExecutionPostgreSql.DefaultSchema"/> by default).</param>
    /// <param name="timeout">How long one call may take, connection included; 5 seconds when <see langword="null"/>.</param>
    /// <exception cref="ArgumentNullException"><paramref name="dataSource"/>, <paramref name="trustedKeys"/> or <paramref name="schema"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">There are no trusted keys, two share a key id, or the schema name is not acceptable.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="timeout"/> is not positive.</exception>
    public PostgreSqlCheckpointWitness(NpgsqlDataSource dataSource, IEnumerable<TrustedKey> trustedKeys, string schema = GovernedExecutionPostgreSql.DefaultSchema, TimeSpan? timeout = null)
    {
        ArgumentNullException.ThrowIfNull(dataSource);
        ArgumentNullException.ThrowIfNull(trustedKeys);
        var quoted = PostgreSqlMigrations.QuoteSchema(schema);
        var keys = new Dictionary<string, TrustedKey>(StringComparer.Ordinal);
        foreach (var key in trustedKeys)
        {
            ArgumentNullException.ThrowIfNull(key, nameof(trustedKeys));
            if (!keys.TryAdd(key.KeyId, key))
            {
                throw new ArgumentException($"Two trusted keys share the key id '{key.KeyId}'.", nameof(trustedKeys));
            }
        }

        if (keys.Count == 0)
        {
            throw new ArgumentException("A witness needs the public keys checkpoints are signed with: without one it would accept anything.", nameof(trustedKeys));
        }

        _timeout = timeout ?? TimeSpan.FromSeconds(5);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(_timeout, TimeSpan.Zero, nameof(timeout));
        _dataSource = dataSource;
        _trusted = keys.ToFrozenDictionary(StringComparer.Ordinal);
        _schema = schema;
        _selectSql = $"SELECT tree_size, root, signature FROM {quoted}.witnessed_checkpoints WHERE log_id = $1";
        _lockSql = _selectSql + " FOR UPDATE";
        _insertSql = $"INSERT INTO {quoted}.witnessed_checkpoints (log_id, tree_size, root, signature) VALUES ($1, $2, $3, $4) ON CONFLICT (log_id) DO NOTHING";
        _updateSql = $"UPDATE {quoted}.witnessed_checkpoints SET tree_size = $2, root = $3, signature = $4, witnessed_at = statement_timestamp() WHERE log_id = $1";
    }

    /// <inheritdoc />
    /// <exception cref="ArgumentException"><paramref name="logId"/> is empty.</exception>
    /// <exception cref="ArgumentNullException"><paramref name="logId"/> is <see langword="null"/>.</exception>
    /// <exception cref="TimeoutException">The database did not answer within the timeout.</exception>
    /// <exception cref="PostgreSqlSchemaNotMigratedException">The schema was not migrated.</exception>
    /// <exception cref="NpgsqlException">The database could not be reached or refused the read.</exception>
    public async ValueTask<LineageTreeHead?> GetLatestAsync(string logId, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(logId);
        return await PostgreSqlCalls.RunAsync(
            async ct =>
            {
                var connection = await _dataSource.OpenConnectionAsync(ct).ConfigureAwait(false);
                await using (connection.ConfigureAwait(false))
                {
                    return await ReadAsync(connection, null, _selectSql, logId, ct).ConfigureAwait(false);
                }
            },
            _timeout,
            _schema,
            "checkpoint witness",
            cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    /// <exception cref="ArgumentNullException"><paramref name="consistencyProof"/> or <paramref name="checkpoint"/> is <see langword="null"/>.</exception>
    /// <exception cref="CheckpointWitnessRefusedException">
    /// The checkpoint's signature does not verify against the trusted keys, or it is not an append-only extension of the
    /// checkpoint held for its log (or <paramref name="oldSize"/> is not that checkpoint's size).
    /// </exception>
    /// <exception cref="TimeoutException">The database did not answer within the timeout (nothing was accepted).</exception>
    /// <exception cref="PostgreSqlSchemaNotMigratedException">The schema was not migrated.</exception>
    /// <exception cref="NpgsqlException">The database could not be reached or refused the write (nothing was accepted).</exception>
    public async ValueTask AddCheckpointAsync(long oldSize, IReadOnlyList<byte[]> consistencyProof, LineageTreeHead checkpoint, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(consistencyProof);
        ArgumentNullException.ThrowIfNull(checkpoint);

        // Checked before the database is touched: an unsigned or forged head never becomes what a log is held to.
        if (LineageCheckpoint.VerifyTreeHead(checkpoint, _trusted) is { } error)
        {
            throw new CheckpointWitnessRefusedException($"Checkpoint of tree size {checkpoint.TreeSize} for log '{checkpoint.LogId}' is refused: {error}.");
        }

        var proof = consistencyProof.Select(node => node?.ToArray() ?? throw new ArgumentNullException(nameof(consistencyProof))).ToArray();
        await PostgreSqlCalls.RunAsync(ct => AcceptAsync(oldSize, proof, checkpoint, ct), _timeout, _schema, "checkpoint witness", cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public override string ToString() => $"PostgreSqlCheckpointWitness {{ Schema = {_schema}, TrustedKeys = {_trusted.Count} }}";

    private async Task<bool> AcceptAsync(long oldSize, byte[][] proof, LineageTreeHead checkpoint, CancellationToken cancellationToken)
    {
        var connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            // Two attempts: the first insert of a log may race another writer's; the loser then reads the winner's row.
            for (var attempt = 0; ; attempt++)
            {
                var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
                await using (transaction.ConfigureAwait(false))
                {
                    var held = await ReadAsync(connection, transaction, _lockSql, checkpoint.LogId, cancellationToken).ConfigureAwait(false);
                    Judge(held, oldSize, proof, checkpoint);
                    if (held is not null && held.TreeSize == checkpoint.TreeSize)
                    {
                        return true; // the same head again: nothing to change
                    }

                    var rows = await WriteAsync(connection, transaction, held is null ? _insertSql : _updateSql, checkpoint, cancellationToken).ConfigureAwait(false);
                    if (rows == 1)
                    {
                        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
                        return true;
                    }

                    if (attempt > 0)
                    {
                        throw new InvalidOperationException($"The witness row of log '{checkpoint.LogId}' changed under a lock held on it.");
                    }
                }
            }
        }
    }

    /// <summary>The rules of <see cref="DirectoryCheckpointWitness"/>: the writer's idea of what is held must be right, and the new head must extend it.</summary>
    private static void Judge(LineageTreeHead? held, long oldSize, byte[][] proof, LineageTreeHead checkpoint)
    {
        var heldSize = held?.TreeSize ?? 0;
        if (oldSize != heldSize)
        {
            throw new CheckpointWitnessRefusedException($"The witness holds a checkpoint of tree size {heldSize} for log '{checkpoint.LogId}', not {oldSize}: the writer's log was rolled back, truncated or forked.");
        }

        if (held is null)
        {
            return; // the first checkpoint of a log (trust on first use; its signature was verified)
        }

        if (checkpoint.TreeSize < held.TreeSize)
        {
            throw new CheckpointWitnessRefusedException($"Checkpoint of tree size {checkpoint.TreeSize} is smaller than the witnessed {held.TreeSize}: a rollback or truncation.");
        }

        var consistent = checkpoint.TreeSize == held.TreeSize
            ? proof.Length == 0 && checkpoint.Root.Span.SequenceEqual(held.Root.Span)
            : MerkleTree.VerifyConsistency((ulong)held.TreeSize, (ulong)checkpoint.TreeSize, held.Root.Span, checkpoint.Root.Span, proof);
        if (!consistent)
        {
            throw new CheckpointWitnessRefusedException($"Checkpoint of tree size {checkpoint.TreeSize} is not an append-only extension of the witnessed {held.TreeSize}: a fork.");
        }
    }

    private static async Task<LineageTreeHead?> ReadAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, string sql, string logId, CancellationToken cancellationToken)
    {
        var command = new NpgsqlCommand(sql, connection, transaction);
        await using (command.ConfigureAwait(false))
        {
            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = logId, NpgsqlDbType = NpgsqlDbType.Text });
            var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            await using (reader.ConfigureAwait(false))
            {
                if (!await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    return null;
                }

                try
                {
                    return new LineageTreeHead(logId, reader.GetInt64(0), reader.GetFieldValue<byte[]>(1), reader.GetFieldValue<byte[]>(2));
                }
                catch (ArgumentException ex)
                {
                    throw new InvalidDataException($"The witness's row for log '{logId}' is malformed.", ex);
                }
            }
        }
    }

    private static async Task<int> WriteAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, string sql, LineageTreeHead head, CancellationToken cancellationToken)
    {
        var command = new NpgsqlCommand(sql, connection, transaction);
        await using (command.ConfigureAwait(false))
        {
            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = head.LogId, NpgsqlDbType = NpgsqlDbType.Text });
            command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = head.TreeSize, NpgsqlDbType = NpgsqlDbType.Bigint });
            command.Parameters.Add(new NpgsqlParameter<byte[]> { TypedValue = head.Root.ToArray(), NpgsqlDbType = NpgsqlDbType.Bytea });
            command.Parameters.Add(new NpgsqlParameter<byte[]> { TypedValue = head.Signature.ToArray(), NpgsqlDbType = NpgsqlDbType.Bytea });
            return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
    }
}
