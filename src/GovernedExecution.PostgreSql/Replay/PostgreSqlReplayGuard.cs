using GovernedExecution.Artifacts;
using Npgsql;
using NpgsqlTypes;

namespace GovernedExecution.PostgreSql.Replay;

/// <summary>
/// A replay guard shared by every process that uses one database: each artifact token id is inserted once under a
/// unique key, in one round trip, so an artifact runs once across the whole fleet. Ids are forgotten only when their
/// window (the verifier's expiry plus <see cref="PostgreSqlReplayGuardOptions.Retention"/>) is over by the
/// database's clock, never a worker's. A check that fails or takes longer than
/// <see cref="PostgreSqlReplayGuardOptions.Timeout"/> throws, which denies the execution.
/// </summary>
/// <remarks>The schema must have been migrated (<see cref="GovernedExecutionPostgreSql.MigrateAsync"/>); the guard never creates it.</remarks>
public sealed class PostgreSqlReplayGuard : IReplayGuard
{
    private readonly NpgsqlDataSource _dataSource;
    private readonly string _schema;
    private readonly string _consumeSql;
    private readonly string _cleanupSql;
    private readonly TimeSpan _timeout;
    private readonly TimeSpan _retention;
    private readonly int _cleanupEvery;
    private readonly int _cleanupBatch;
    private long _checks;
    private int _cleaning;
    private long _cleanupFailures;

    /// <summary>Creates a guard on a database whose schema was migrated.</summary>
    /// <param name="dataSource">The database (the caller keeps ownership).</param>
    /// <param name="options">The options; the defaults when <see langword="null"/>.</param>
    /// <exception cref="ArgumentNullException"><paramref name="dataSource"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">The schema name is not acceptable.</exception>
    /// <exception cref="ArgumentOutOfRangeException">The timeout is not positive, the retention is negative, or a cleanup setting is negative (the batch size: not positive).</exception>
    public PostgreSqlReplayGuard(NpgsqlDataSource dataSource, PostgreSqlReplayGuardOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(dataSource);
        options ??= new PostgreSqlReplayGuardOptions();
        var schema = PostgreSqlMigrations.QuoteSchema(options.Schema, nameof(options));
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(options.Timeout, TimeSpan.Zero, nameof(options));
        ArgumentOutOfRangeException.ThrowIfLessThan(options.Retention, TimeSpan.Zero, nameof(options));
        ArgumentOutOfRangeException.ThrowIfNegative(options.CleanupEvery, nameof(options));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(options.CleanupBatchSize, nameof(options));
        _dataSource = dataSource;
        _schema = options.Schema;
        _consumeSql = $"SELECT {schema}.consume_replay_token($1, $2)";
        _cleanupSql = $"SELECT {schema}.remove_expired_replay_tokens($1)";
        _timeout = options.Timeout;
        _retention = options.Retention;
        _cleanupEvery = options.CleanupEvery;
        _cleanupBatch = options.CleanupBatchSize;
    }

    /// <summary>How many background cleanups failed (a failed cleanup frees nothing; the next one tries again).</summary>
    public long CleanupFailures => Interlocked.Read(ref _cleanupFailures);

    /// <inheritdoc />
    /// <exception cref="TimeoutException">The database did not answer within the timeout.</exception>
    /// <exception cref="PostgreSqlSchemaNotMigratedException">The schema was not migrated.</exception>
    /// <exception cref="NpgsqlException">The database could not be reached or refused the check.</exception>
    /// <exception cref="InvalidOperationException">
    /// By the database's clock the id's window is already over: this worker's clock is behind the database's by more
    /// than the retention, and the id may have been forgotten, so single use cannot be vouched for.
    /// </exception>
    public async ValueTask<bool> TryConsumeAsync(Guid tokenId, DateTimeOffset expiresAt, CancellationToken cancellationToken)
    {
        // The end of the calendar is as long as any id needs keeping.
        var keepUntil = expiresAt > DateTimeOffset.MaxValue - _retention ? DateTimeOffset.MaxValue : expiresAt + _retention;
        var status = await PostgreSqlCalls.RunAsync(ct => ConsumeAsync(tokenId, keepUntil, ct), _timeout, _schema, "replay guard", cancellationToken).ConfigureAwait(false);
        if (_cleanupEvery > 0 && Interlocked.Increment(ref _checks) % _cleanupEvery == 0)
        {
            StartCleanup();
        }

        return status switch
        {
            1 => true,
            0 => false,
            _ => throw new InvalidOperationException(
                "By the database's clock this artifact's window is over (expiry, clock skew and retention): this worker's clock is behind the database's by more than the retention, and the id may have been forgotten."),
        };
    }

    /// <summary>
    /// Removes ids whose window is over by the database's clock, at most <see cref="PostgreSqlReplayGuardOptions.CleanupBatchSize"/>.
    /// No worker's clock takes part: a worker whose clock runs ahead cannot free an id early.
    /// </summary>
    /// <param name="cancellationToken">Cancels the cleanup.</param>
    /// <returns>How many ids were removed.</returns>
    /// <exception cref="TimeoutException">The database did not answer within the timeout.</exception>
    /// <exception cref="PostgreSqlSchemaNotMigratedException">The schema was not migrated.</exception>
    /// <exception cref="NpgsqlException">The database could not be reached or refused the cleanup.</exception>
    public Task<int> RemoveExpiredAsync(CancellationToken cancellationToken = default) =>
        PostgreSqlCalls.RunAsync(CleanupAsync, _timeout, _schema, "replay guard", cancellationToken);

    /// <inheritdoc />
    public override string ToString() => $"PostgreSqlReplayGuard {{ Schema = {_schema} }}";

    private async Task<int> ConsumeAsync(Guid tokenId, DateTimeOffset keepUntil, CancellationToken cancellationToken)
    {
        var command = _dataSource.CreateCommand(_consumeSql);
        await using (command.ConfigureAwait(false))
        {
            command.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = tokenId, NpgsqlDbType = NpgsqlDbType.Uuid });
            command.Parameters.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = keepUntil.ToUniversalTime(), NpgsqlDbType = NpgsqlDbType.TimestampTz });
            return (int)(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
        }
    }

    private async Task<int> CleanupAsync(CancellationToken cancellationToken)
    {
        var command = _dataSource.CreateCommand(_cleanupSql);
        await using (command.ConfigureAwait(false))
        {
            command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = _cleanupBatch });
            return (int)(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
        }
    }

    /// <summary>One cleanup at a time, off the caller's path; a failure is counted and frees nothing.</summary>
    private void StartCleanup()
    {
        if (Interlocked.Exchange(ref _cleaning, 1) != 0)
        {
            return;
        }

        _ = Task.Run(async () =>
        {
            try
            {
                await RemoveExpiredAsync(CancellationToken.None).ConfigureAwait(false);
            }
#pragma warning disable CA1031 // A background cleanup never throws at anyone: its failure is counted, and it is tried again later.
            catch (Exception)
#pragma warning restore CA1031
            {
                Interlocked.Increment(ref _cleanupFailures);
            }
            finally
            {
                Volatile.Write(ref _cleaning, 0);
            }
        });
    }
}
