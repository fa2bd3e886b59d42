using System.Threading.Channels;
using GovernedExecution.Lineage;
using GovernedExecution.Lineage.Merkle;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Npgsql;
using NpgsqlTypes;

namespace GovernedExecution.PostgreSql.Lineage;

/// <summary>
/// A durable lineage sink in PostgreSQL: the same hash-chained records and signed Merkle checkpoints as a
/// <see cref="FileLineageSink"/>, byte for byte, one chain per open sink (a writer, registered with a new id when it
/// first writes), so that any number of processes write into the same tables without a lock between them. One writer
/// loop takes every append queued while the previous statement ran and writes them in one statement (one round trip,
/// one commit); an append completes only once that transaction is committed (with <c>synchronous_commit</c> at least
/// <c>local</c>).
/// </summary>
/// <remarks>
/// When the database cannot be written, appends fail (a required sink denies the execution) and the sink keeps trying
/// with every later append: it recovers when the database returns, without a restart. A write whose outcome is unknown
/// (the connection broke before the commit was confirmed) is settled first, by reading the chain's last record back:
/// it must be the last record this writer knows committed, or the last one of the write in doubt. Anything else means
/// the chain was changed by someone else; the sink then refuses every append until it is reopened, which starts a new
/// chain. Acknowledged records are never lost: they were committed before the acknowledgement.
/// </remarks>
public sealed class PostgreSqlLineageSink : ILineageSink, IAsyncDisposable, IDisposable, ILineageSinkHealth, GovernedExecution.Lineage.Browsing.ILineageBrowsable
{
    private readonly NpgsqlDataSource _dataSource;
    private readonly PostgreSqlLineageSinkOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Channel<Pending> _queue;
    private readonly Task _writer;
    private readonly TaskCompletionSource _stopped = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly ITimer _timer;
    private readonly Pending _tick = new([], null);
    private readonly string _insertSql;
    private readonly string _registerSql;
    private readonly string _tailSql;
    private readonly string _closeSql;
    private readonly string _name;

    private NpgsqlConnection? _connection;
    private NpgsqlCommand? _insert;
    private bool _registered;
    private ChainState _chain;
    private InDoubt? _inDoubt;
    private Exception? _fault;
    private string? _unavailable;
    private int _disposed;
    private long _commits;

    private PostgreSqlLineageSink(NpgsqlDataSource dataSource, PostgreSqlLineageSinkOptions options)
    {
        _dataSource = dataSource;
        _options = options;
        _time = options.TimeProvider;
        _logger = options.Logger ?? NullLogger.Instance;
        _name = options.WriterName ?? Environment.MachineName + ":" + Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture);
        WriterId = Guid.NewGuid();
        LogId = WriterId.ToString("D");
        _chain = new ChainState(0, LineageChain.GenesisHash, new MerkleAccumulator(), 0, _time.GetUtcNow());

        var schema = LineageSql.QuoteSchema(options.Schema);
        _insertSql = $"""
            INSERT INTO {schema}.lineage_records (writer_id, sequence, execution_id, parent_execution_id, kind, principal, action, outcome, recorded_at, hash, record)
            SELECT $1, u.* FROM unnest($2::bigint[], $3::uuid[], $4::uuid[], $5::text[], $6::text[], $7::text[], $8::text[], $9::timestamptz[], $10::bytea[], $11::bytea[]) AS u
            CROSS JOIN (SELECT set_config('synchronous_commit', CASE current_setting('synchronous_commit') WHEN 'off' THEN 'on' ELSE current_setting('synchronous_commit') END, true)) AS durable
            """;
        _registerSql = $"INSERT INTO {schema}.lineage_writers (writer_id, name, host, process_id, key_id, opened_at) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (writer_id) DO NOTHING";
        _tailSql = $"SELECT sequence, hash FROM {schema}.lineage_records WHERE writer_id = $1 ORDER BY sequence DESC LIMIT 1";
        _closeSql = $"UPDATE {schema}.lineage_writers SET closed_at = $2, last_sequence = $3 WHERE writer_id = $1";

        _queue = Channel.CreateBounded<Pending>(new BoundedChannelOptions(options.QueueCapacity)
        {
            SingleReader = true,
            FullMode = BoundedChannelFullMode.Wait,
        });
        _timer = _time.CreateTimer(static s => ((PostgreSqlLineageSink)s!).OnTimer(), this, options.CheckpointEvery, options.CheckpointEvery);
        _writer = Task.Run(RunAsync);
    }

    /// <summary>The id of this writer's chain: the <c>writer_id</c> of its rows, and the log id in every record.</summary>
    public Guid WriterId { get; }

    /// <summary>The log id written into every record (<see cref="WriterId"/> as text).</summary>
    internal string LogId { get; }

    /// <summary>How many statements wrote records (each one round trip and one commit).</summary>
    internal long Commits => Volatile.Read(ref _commits);

    /// <summary>How many appends wait in the queue.</summary>
    internal int Queued => _queue.Reader.Count;

    /// <summary>
    /// Opens a writer: registers a new chain in the database (the schema must exist: the package's migration creates
    /// it) and returns once that is committed.
    /// </summary>
    /// <param name="dataSource">The database. The sink does not take ownership of it.</param>
    /// <param name="options">The options.</param>
    /// <param name="cancellationToken">Cancels the open.</param>
    /// <returns>The open sink; dispose it to write the closing checkpoint.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="dataSource"/> or <paramref name="options"/> is <see langword="null"/>.</exception>
    /// <exception cref="OptionsValidationException">The options are invalid; every failure is listed.</exception>
    /// <exception cref="IOException">The database cannot be written (unreachable, or the schema is missing).</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was canceled.</exception>
    public static async Task<PostgreSqlLineageSink> OpenAsync(NpgsqlDataSource dataSource, PostgreSqlLineageSinkOptions options, CancellationToken cancellationToken = default)
    {
        var sink = Create(dataSource, options);
        try
        {
            await sink.EnqueueAsync(new Pending([], NewCompletion()), cancellationToken).ConfigureAwait(false);
            return sink;
        }
        catch
        {
            await sink.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Creates a sink without touching the database: it registers its chain with its first write (an outage at start only denies calls).</summary>
    internal static PostgreSqlLineageSink Create(NpgsqlDataSource dataSource, PostgreSqlLineageSinkOptions options)
    {
        ArgumentNullException.ThrowIfNull(dataSource);
        ArgumentNullException.ThrowIfNull(options);
        var failures = options.Validate();
        if (failures.Count > 0)
        {
            throw new OptionsValidationException(nameof(PostgreSqlLineageSinkOptions), typeof(PostgreSqlLineageSinkOptions), failures);
        }

        return new PostgreSqlLineageSink(dataSource, options);
    }

    /// <inheritdoc />
    /// <remarks>
    /// The events are written together, in order, in one transaction. An append canceled while it waits for the
    /// database may still be committed; it is then recorded but was not acknowledged.
    /// </remarks>
    /// <exception cref="ArgumentNullException"><paramref name="events"/> or one of its items is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">An event has an undefined kind.</exception>
    /// <exception cref="ObjectDisposedException">The sink was disposed.</exception>
    /// <exception cref="IOException">The database could not be written (the append was not acknowledged), or the sink refuses appends.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was canceled before the records were acknowledged.</exception>
    public ValueTask AppendAsync(IReadOnlyList<LineageEvent> events, CancellationToken cancellationToken)
    {
        var task = AppendCoreAsync(events, cancellationToken);
        return task.IsCompletedSuccessfully ? ValueTask.CompletedTask : new ValueTask(task.AsTask());
    }

    /// <summary>Appends and returns the sequence number of the last record of the batch, once committed.</summary>
    internal ValueTask<long> AppendCoreAsync(IReadOnlyList<LineageEvent> events, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(events);
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        cancellationToken.ThrowIfCancellationRequested();
        if (Volatile.Read(ref _fault) is { } fault)
        {
            throw Refusing(fault);
        }

        if (events.Count == 0)
        {
            return ValueTask.FromResult(0L);
        }

        foreach (var e in events)
        {
            // Checked here, so that one caller's bad event cannot fault the writer for everyone.
            ArgumentNullException.ThrowIfNull(e, nameof(events));
            if (!Enum.IsDefined(e.Kind))
            {
                throw new ArgumentException($"Unknown lineage event kind {e.Kind}.", nameof(events));
            }
        }

        return new ValueTask<long>(EnqueueAsync(new Pending([.. events], NewCompletion()), cancellationToken));
    }

    /// <summary>Writes a checkpoint now (if records were written since the last one) and waits until it is committed.</summary>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>A task that completes when everything queued before it, and the checkpoint, are committed.</returns>
    /// <exception cref="ObjectDisposedException">The sink was disposed.</exception>
    /// <exception cref="IOException">The database could not be written, or the sink refuses appends.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was canceled.</exception>
    public async ValueTask FlushAsync(CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        await EnqueueAsync(new Pending([], NewCompletion(), checkpoint: true), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Drains the queue, writes the closing checkpoint and marks the writer closed (when the database can be written).</summary>
    /// <returns>A task that completes when the writer has stopped.</returns>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            await _stopped.Task.ConfigureAwait(false);
            return;
        }

        await _timer.DisposeAsync().ConfigureAwait(false);
        _queue.Writer.TryComplete();
        await _stopped.Task.ConfigureAwait(false);
    }

    /// <summary>Drains the queue, writes the closing checkpoint and marks the writer closed (blocking).</summary>
    public void Dispose() => DisposeAsync().AsTask().GetAwaiter().GetResult();

    /// <summary>A browser over every writer's records in the sink's schema (this writer's and the others').</summary>
    GovernedExecution.Lineage.Browsing.ILineageBrowser GovernedExecution.Lineage.Browsing.ILineageBrowsable.OpenBrowser() =>
        new PostgreSqlLineageBrowser(new PostgreSqlLineageStore(_dataSource, _options.Schema));

    /// <inheritdoc />
    public override string ToString() => $"PostgreSqlLineageSink {{ Schema = {_options.Schema}, WriterId = {LogId} }}";

    /// <inheritdoc />
    string? ILineageSinkHealth.Problem => Volatile.Read(ref _fault) is not null
        ? "its chain in the database is not what it wrote, or a checkpoint could not be signed: it refuses appends until it is reopened"
        : Volatile.Read(ref _disposed) != 0
            ? "it is closed"
            : Volatile.Read(ref _unavailable) is { } cause ? "the database cannot be written (" + cause + ")" : null;

    private static TaskCompletionSource<long> NewCompletion() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    private static IOException Refusing(Exception fault) => new("The PostgreSQL lineage sink failed earlier; it refuses appends until it is reopened (a new chain).", fault);

    private async Task<long> EnqueueAsync(Pending pending, CancellationToken cancellationToken)
    {
        if (!_queue.Writer.TryWrite(pending))
        {
            try
            {
                await _queue.Writer.WriteAsync(pending, cancellationToken).ConfigureAwait(false);
            }
            catch (ChannelClosedException ex)
            {
                throw new ObjectDisposedException(nameof(PostgreSqlLineageSink), ex);
            }
        }

        return await pending.Completion!.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    private void OnTimer() => _queue.Writer.TryWrite(_tick);

    private async Task RunAsync()
    {
        var reader = _queue.Reader;
        var batch = new List<Pending>();
        try
        {
            while (await reader.WaitToReadAsync().ConfigureAwait(false))
            {
                batch.Clear();
                var records = 0;
                var checkpoint = false;
                while (records < _options.MaxBatchRecords && reader.TryRead(out var item))
                {
                    batch.Add(item);
                    records += item.Events.Length;
                    checkpoint |= item.Checkpoint;
                }

                Complete(batch, await WriteAsync(batch, checkpoint, closing: false).ConfigureAwait(false));
            }

            if (_registered && Volatile.Read(ref _fault) is null)
            {
                if (await WriteAsync([], checkpoint: true, closing: true).ConfigureAwait(false) is null)
                {
                    await CloseWriterAsync().ConfigureAwait(false);
                }
            }
        }
        catch (Exception ex)
        {
            // Unreachable by design (every write is guarded); recorded rather than lost, and nobody is left waiting.
            Volatile.Write(ref _fault, ex);
            PostgreSqlLineageLog.Faulted(_logger, LogId, ex);
            Complete(batch, ex);
        }
        finally
        {
            await DropConnectionAsync().ConfigureAwait(false);
            while (reader.TryRead(out var left))
            {
                left.Completion?.TrySetException(new ObjectDisposedException(nameof(PostgreSqlLineageSink)));
            }

            _stopped.TrySetResult();
        }
    }

    /// <summary>Chains and writes a batch in one statement; returns why it was not committed, or <see langword="null"/>.</summary>
    private async Task<Exception?> WriteAsync(List<Pending> batch, bool checkpoint, bool closing)
    {
        if (Volatile.Read(ref _fault) is { } fault)
        {
            return Refusing(fault);
        }

        // A timer tick with nothing to sign touches nothing: an idle sink neither registers nor reconnects.
        var checkpointDue = _chain.SinceCheckpoint > 0 && (checkpoint || closing || _time.GetUtcNow() - _chain.LastCheckpoint >= _options.CheckpointEvery);
        if (!checkpointDue && batch.TrueForAll(p => p.Completion is null && p.Events.Length == 0))
        {
            return null;
        }

        try
        {
            await EnsureReadyAsync().ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            await DropConnectionAsync().ConfigureAwait(false);
            return Volatile.Read(ref _fault) is { } settled ? Refusing(settled) : Unavailable(ex);
        }

        var before = _chain.Copy();
        var rows = new List<LineageRecord>();
        try
        {
            Stage(batch, checkpoint || closing, rows);
        }
        catch (Exception ex)
        {
            // A checkpoint could not be signed: the sink stops rather than write a chain it cannot vouch for.
            _chain = before;
            Volatile.Write(ref _fault, ex);
            PostgreSqlLineageLog.Faulted(_logger, LogId, ex);
            return Refusing(ex);
        }

        if (rows.Count == 0)
        {
            return null;
        }

        try
        {
            await InsertAsync(rows).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            _inDoubt = new InDoubt(before, _chain);
            _chain = before;
            await DropConnectionAsync().ConfigureAwait(false);
            return Unavailable(ex);
        }

        if (Interlocked.Exchange(ref _unavailable, null) is not null)
        {
            PostgreSqlLineageLog.Recovered(_logger, LogId, _chain.Sequence);
        }

        return null;
    }

    private IOException Unavailable(Exception ex)
    {
        if (Interlocked.Exchange(ref _unavailable, ex.GetType().Name) is null)
        {
            PostgreSqlLineageLog.Unavailable(_logger, LogId, ex);
        }

        return new IOException("The PostgreSQL lineage database could not be written; the records were not acknowledged.", ex);
    }

    private void Stage(List<Pending> batch, bool checkpoint, List<LineageRecord> rows)
    {
        foreach (var item in batch)
        {
            foreach (var e in item.Events)
            {
                Add(e, rows);
                item.LastSequence = _chain.Sequence;
                if (_chain.SinceCheckpoint >= _options.CheckpointEveryRecords)
                {
                    AddCheckpoint(rows);
                }
            }
        }

        if (_chain.SinceCheckpoint > 0 && (checkpoint || _time.GetUtcNow() - _chain.LastCheckpoint >= _options.CheckpointEvery))
        {
            AddCheckpoint(rows);
        }
    }

    private void Add(LineageEvent e, List<LineageRecord> rows)
    {
        var record = LineageChain.Create(_chain.Sequence + 1, LogId, e, _chain.Head);
        _chain.Sequence = record.Sequence;
        _chain.Head = record.Hash;
        _chain.Tree.Append(LineageCheckpoint.LeafHash(record.Hash));
        _chain.SinceCheckpoint = e.Kind == LineageEventKind.Checkpoint ? 0 : _chain.SinceCheckpoint + 1;
        rows.Add(record);
    }

    private void AddCheckpoint(List<LineageRecord> rows)
    {
        var now = _time.GetUtcNow();
        Add(LineageCheckpoint.CreateEvent(LogId, _chain.Sequence + 1, _chain.Tree, _options.CheckpointKey, now), rows);
        _chain.LastCheckpoint = now;
    }

    /// <summary>A connection, the writer registered, and a write in doubt settled against what the database holds.</summary>
    private async Task EnsureReadyAsync()
    {
        if (_connection is null)
        {
            var connection = await _dataSource.OpenConnectionAsync().ConfigureAwait(false);
            _connection = connection;
        }

        if (!_registered)
        {
            var register = new NpgsqlCommand(_registerSql, _connection) { CommandTimeout = Timeout };
            await using var registerScope = register.ConfigureAwait(false);
            register.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = WriterId });
            register.Parameters.Add(new NpgsqlParameter<string> { TypedValue = _name });
            register.Parameters.Add(new NpgsqlParameter<string> { TypedValue = Environment.MachineName });
            register.Parameters.Add(new NpgsqlParameter<int> { TypedValue = Environment.ProcessId });
            register.Parameters.Add(new NpgsqlParameter { Value = (object?)_options.CheckpointKey?.KeyId ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
            register.Parameters.Add(new NpgsqlParameter<DateTime> { TypedValue = _time.GetUtcNow().UtcDateTime });
            await register.ExecuteNonQueryAsync().ConfigureAwait(false);
            _registered = true;
        }

        if (_inDoubt is { } doubt)
        {
            var tail = new NpgsqlCommand(_tailSql, _connection) { CommandTimeout = Timeout };
            await using var tailScope = tail.ConfigureAwait(false);
            tail.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = WriterId });
            long sequence = 0;
            var hash = LineageChain.GenesisHash;
            var reader = await tail.ExecuteReaderAsync().ConfigureAwait(false);
            await using (reader.ConfigureAwait(false))
            {
                if (await reader.ReadAsync().ConfigureAwait(false))
                {
                    sequence = reader.GetInt64(0);
                    hash = Convert.ToHexStringLower((byte[])reader.GetValue(1));
                }
            }

            if (sequence == doubt.After.Sequence && hash == doubt.After.Head)
            {
                _chain = doubt.After;
            }
            else if (sequence != doubt.Before.Sequence || hash != doubt.Before.Head)
            {
                var ex = new InvalidDataException($"The chain of lineage writer {LogId} ends at record {sequence} in the database, where this writer had committed {doubt.Before.Sequence} records and written at most {doubt.After.Sequence}: someone else changed it. The sink refuses appends; reopen it to start a new chain, and verify the database with 'govexec lineage verify --postgres'.");
                Volatile.Write(ref _fault, ex);
                PostgreSqlLineageLog.Faulted(_logger, LogId, ex);
                throw ex;
            }

            _inDoubt = null;
        }
    }

    private int Timeout => (int)Math.Ceiling(_options.CommandTimeout.TotalSeconds);

    private async Task InsertAsync(List<LineageRecord> rows)
    {
        if (_insert is null)
        {
            _insert = new NpgsqlCommand(_insertSql, _connection) { CommandTimeout = Timeout };
            _insert.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = WriterId });
            _insert.Parameters.Add(new NpgsqlParameter<long[]>());
            _insert.Parameters.Add(new NpgsqlParameter<Guid[]>());
            _insert.Parameters.Add(new NpgsqlParameter<Guid?[]>());
            _insert.Parameters.Add(new NpgsqlParameter<string[]>());
            _insert.Parameters.Add(new NpgsqlParameter<string?[]>());
            _insert.Parameters.Add(new NpgsqlParameter<string?[]>());
            _insert.Parameters.Add(new NpgsqlParameter<string?[]>());
            _insert.Parameters.Add(new NpgsqlParameter<DateTime[]>());
            _insert.Parameters.Add(new NpgsqlParameter<byte[][]>());
            _insert.Parameters.Add(new NpgsqlParameter<byte[][]>());
        }

        var count = rows.Count;
        var sequences = new long[count];
        var executions = new Guid[count];
        var parents = new Guid?[count];
        var kinds = new string[count];
        var principals = new string?[count];
        var actions = new string?[count];
        var outcomes = new string?[count];
        var times = new DateTime[count];
        var hashes = new byte[count][];
        var lines = new byte[count][];
        for (var i = 0; i < count; i++)
        {
            var record = rows[i];
            var e = record.Event;
            sequences[i] = record.Sequence;
            executions[i] = e.ExecutionId;
            parents[i] = e.ParentExecutionId;
            kinds[i] = LineageChain.KindName(e.Kind);
            (principals[i], actions[i], outcomes[i]) = LineageSql.Describe(e.Kind, name => e[name]);
            times[i] = LineageSql.ColumnTime(e.Time);
            hashes[i] = Convert.FromHexString(record.Hash);
            lines[i] = record.Line.ToArray();
        }

        var p = _insert.Parameters;
        ((NpgsqlParameter<long[]>)p[1]).TypedValue = sequences;
        ((NpgsqlParameter<Guid[]>)p[2]).TypedValue = executions;
        ((NpgsqlParameter<Guid?[]>)p[3]).TypedValue = parents;
        ((NpgsqlParameter<string[]>)p[4]).TypedValue = kinds;
        ((NpgsqlParameter<string?[]>)p[5]).TypedValue = principals;
        ((NpgsqlParameter<string?[]>)p[6]).TypedValue = actions;
        ((NpgsqlParameter<string?[]>)p[7]).TypedValue = outcomes;
        ((NpgsqlParameter<DateTime[]>)p[8]).TypedValue = times;
        ((NpgsqlParameter<byte[][]>)p[9]).TypedValue = hashes;
        ((NpgsqlParameter<byte[][]>)p[10]).TypedValue = lines;
        await _insert.ExecuteNonQueryAsync().ConfigureAwait(false);
        Interlocked.Increment(ref _commits);
    }

    private async Task CloseWriterAsync()
    {
        try
        {
            var close = new NpgsqlCommand(_closeSql, _connection) { CommandTimeout = Timeout };
            await using var closeScope = close.ConfigureAwait(false);
            close.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = WriterId });
            close.Parameters.Add(new NpgsqlParameter<DateTime> { TypedValue = _time.GetUtcNow().UtcDateTime });
            close.Parameters.Add(new NpgsqlParameter<long> { TypedValue = _chain.Sequence });
            await close.ExecuteNonQueryAsync().ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is NpgsqlException or TimeoutException or IOException or InvalidOperationException)
        {
            // Every record is committed already; only the mark that the writer closed is missing (verify says so).
            PostgreSqlLineageLog.Unavailable(_logger, LogId, ex);
        }
    }

    private async Task DropConnectionAsync()
    {
        if (_insert is not null)
        {
            await _insert.DisposeAsync().ConfigureAwait(false);
            _insert = null;
        }

        if (_connection is not null)
        {
            try
            {
                await _connection.DisposeAsync().ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is NpgsqlException or IOException or InvalidOperationException)
            {
                // A broken connection fails to close cleanly; it is gone either way.
            }

            _connection = null;
        }
    }

    private static void Complete(List<Pending> batch, Exception? fault)
    {
        foreach (var item in batch)
        {
            if (item.Completion is null)
            {
                continue;
            }

            if (fault is null)
            {
                item.Completion.TrySetResult(item.LastSequence);
            }
            else
            {
                item.Completion.TrySetException(fault);
            }
        }
    }

    /// <summary>The chain as this writer knows it: sequence, head, Merkle tree, records since the last checkpoint, and when that was.</summary>
    private sealed class ChainState(long sequence, string head, MerkleAccumulator tree, long sinceCheckpoint, DateTimeOffset lastCheckpoint)
    {
        internal long Sequence { get; set; } = sequence;

        internal string Head { get; set; } = head;

        internal MerkleAccumulator Tree { get; } = tree;

        internal long SinceCheckpoint { get; set; } = sinceCheckpoint;

        internal DateTimeOffset LastCheckpoint { get; set; } = lastCheckpoint;

        internal ChainState Copy() => new(Sequence, Head, MerkleAccumulator.Restore(Tree.Snapshot()), SinceCheckpoint, LastCheckpoint);
    }

    /// <summary>A write whose commit was not confirmed: the chain before it, and after it had it committed.</summary>
    private sealed record InDoubt(ChainState Before, ChainState After);

    private sealed class Pending(LineageEvent[] events, TaskCompletionSource<long>? completion, bool checkpoint = false)
    {
        internal LineageEvent[] Events { get; } = events;

        internal TaskCompletionSource<long>? Completion { get; } = completion;

        internal bool Checkpoint { get; } = checkpoint;

        internal long LastSequence { get; set; }
    }
}
