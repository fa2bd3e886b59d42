using System.Buffers;
using System.Threading.Channels;
using GovernedExecution.Diagnostics;
using GovernedExecution.Lineage.Merkle;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace GovernedExecution.Lineage;

/// <summary>
/// The durable lineage sink: an append-only JSON Lines file (docs/lineage-format.md). One writer thread drains a
/// bounded queue, so concurrent appends share one write and one flush to disk (group commit). With
/// <see cref="LineageDurability.BeforeInvoke"/> an append completes only once its records are on disk. Signed
/// checkpoints are written every N records, every T, and at close; files rotate by size or age, the chain and the
/// Merkle tree continuing across them. On open, a torn last line left by a crash is cut and a repair record written.
/// </summary>
/// <remarks>
/// After a failed write or flush the sink is faulted: every later append throws, so a required sink denies every
/// execution, until the sink is reopened (which repairs the file). Acknowledged records are never lost.
/// </remarks>
public sealed class FileLineageSink : ILineageSink, IAsyncDisposable, IDisposable
{
    private const int MaxBatchBytes = 1 << 20;

    private readonly FileLineageSinkOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Channel<Pending> _queue;
    private readonly Thread _writer;
    private readonly TaskCompletionSource _stopped = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly ITimer _timer;
    private readonly ArrayBufferWriter<byte> _batch = new(1 << 16);
    private readonly Pending _tick = new([], null);
    private readonly FileStream _lock;

    private LineageSegmentFile _file;
    private int _segment;
    private long _sequence;
    private string _head;
    private readonly MerkleAccumulator _tree;
    private long _sinceCheckpoint;
    private DateTimeOffset _lastCheckpoint;
    private DateTimeOffset _segmentStarted;
    private Exception? _fault;
    private int _disposed;

    private FileLineageSink(FileLineageSinkOptions options)
    {
        _options = options;
        _time = options.TimeProvider;
        _logger = options.Logger ?? NullLogger.Instance;

        var directory = Path.GetDirectoryName(Path.GetFullPath(options.Path));
        if (directory is not null)
        {
            Directory.CreateDirectory(directory);
        }

        _lock = TakeWriterLock(options.Path);
        try
        {
            var resume = LineageResume.Read(options.Path);
            if (options.LogId is not null && resume.LogId is not null && !string.Equals(options.LogId, resume.LogId, StringComparison.Ordinal))
            {
                throw new InvalidDataException($"The lineage file '{options.Path}' belongs to log '{resume.LogId}', not '{options.LogId}'.");
            }

            LogId = resume.LogId ?? options.LogId ?? Guid.NewGuid().ToString("D");
            _segment = resume.Segment;
            _sequence = resume.Sequence;
            _head = resume.Head;
            _tree = resume.Tree;
            _sinceCheckpoint = resume.RecordsSinceCheckpoint;
            _lastCheckpoint = _segmentStarted = _time.GetUtcNow();

            var path = LineageSegments.PathOf(options.Path, _segment);
            var unsigned = CheckResume(resume, options);
            _file = options.OpenSegment(path);
            try
            {
                if (resume.TornTail is not null)
                {
                    _file.Truncate(resume.GoodLength);
                    Log.LineageRepaired(_logger, path, resume.TornTail.Length, resume.GoodLength);
                    GovernedTelemetry.LineageRepairs.Add(1);
                    Add(new LineageEvent(LineageEventKind.Repair, Guid.Empty, null, _time.GetUtcNow(), resume.RepairAttributes(path)));
                }

                if (unsigned > 0)
                {
                    Add(LineageRepairs.Adopted(resume.Sequence - unsigned + 1, resume.Sequence, _time.GetUtcNow()));
                }

                if (_sinceCheckpoint > 0 && (resume.TornTail is not null || unsigned > 0))
                {
                    // Signed at once: the sink vouches for what it adopted or sealed, not for more.
                    AddCheckpoint();
                }

                if (_batch.WrittenCount > 0)
                {
                    Commit();
                }
            }
            catch
            {
                _file.Dispose();
                throw;
            }
        }
        catch
        {
            _lock.Dispose();
            throw;
        }

        _queue = Channel.CreateBounded<Pending>(new BoundedChannelOptions(options.QueueCapacity)
        {
            SingleReader = true,
            FullMode = BoundedChannelFullMode.Wait,
        });
        var period = options.CheckpointEvery < options.RotateEvery.GetValueOrDefault(TimeSpan.MaxValue) ? options.CheckpointEvery : options.RotateEvery!.Value;
        _timer = _time.CreateTimer(static s => ((FileLineageSink)s!).OnTimer(), this, period, period);
        _writer = new Thread(Run) { IsBackground = true, Name = "GovernedExecution lineage writer" };
        _writer.Start();
    }

    /// <summary>
    /// Never sign what it did not write: the last checkpoint must verify with the sink's own key, and records after it
    /// (which no signature covers) are refused unless the options adopt them. Returns how many records are adopted.
    /// </summary>
    private static long CheckResume(LineageResume resume, FileLineageSinkOptions options)
    {
        if (options.CheckpointKey is { } key && resume.LastCheckpoint is { } checkpoint)
        {
            using var trusted = key.ToTrustedKey();
            var error = LineageCheckpoint.VerifySignature(checkpoint, new Dictionary<string, Artifacts.Keys.TrustedKey>(StringComparer.Ordinal) { [trusted.KeyId] = trusted });
            if (error is not null)
            {
                throw new InvalidDataException($"The lineage log '{options.Path}' ends with checkpoint {checkpoint.Sequence}, which does not verify with the sink's key: {error}. The log is not opened; verify it with 'govexec lineage verify'.");
            }
        }

        var unsigned = resume.RecordsSinceCheckpoint;
        if (unsigned > 0 && !options.AdoptUnsignedTail)
        {
            var first = resume.Sequence - unsigned + 1;
            throw new InvalidDataException($"The lineage log '{options.Path}' holds records {first} to {resume.Sequence}, not covered by a checkpoint signed with the sink's key (left by a crash, or written by someone else). The log is not opened; inspect it with 'govexec lineage verify', then open it with AdoptUnsignedTail to adopt and sign over those records, recorded as unauthenticated.");
        }

        return unsigned;
    }

    /// <summary>One writer per log: an exclusive lock on <c>PATH.lock</c>, held while open, released by the system if the process dies.</summary>
    private static FileStream TakeWriterLock(string path)
    {
        try
        {
            return new FileStream(path + ".lock", FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, 1, FileOptions.None);
        }
        catch (IOException ex)
        {
            throw new IOException($"The lineage log '{path}' is open in another writer.", ex);
        }
    }

    /// <summary>The id of the log, written into every record.</summary>
    public string LogId { get; }

    /// <summary>Opens (or creates) a log: resumes the chain, sequence and Merkle tree from its files, and repairs a torn last line.</summary>
    /// <param name="options">The options.</param>
    /// <returns>The open sink; dispose it to write the closing checkpoint.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="options"/> is <see langword="null"/>.</exception>
    /// <exception cref="OptionsValidationException">The options are invalid; every failure is listed.</exception>
    /// <exception cref="InvalidDataException">The files are corrupt other than in a torn last line, or belong to another log id.</exception>
    /// <exception cref="IOException">A file cannot be read or written, or another writer has the log open.</exception>
    /// <exception cref="UnauthorizedAccessException">A file cannot be opened.</exception>
    public static FileLineageSink Open(FileLineageSinkOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = options.Validate();
        if (failures.Count > 0)
        {
            throw new OptionsValidationException(nameof(FileLineageSinkOptions), typeof(FileLineageSinkOptions), failures);
        }

        return new FileLineageSink(options);
    }

    /// <inheritdoc />
    /// <remarks>
    /// The events are written together, in order. An append canceled while it waits for the disk may still be written;
    /// it is then on disk but was not acknowledged, as after a crash.
    /// </remarks>
    /// <exception cref="ArgumentNullException"><paramref name="events"/> or one of its items is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">An event has an undefined kind.</exception>
    /// <exception cref="ObjectDisposedException">The sink was disposed.</exception>
    /// <exception cref="IOException">The queue is full and the sink refuses, or a write or flush failed (the sink is faulted).</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was canceled before the records were accepted.</exception>
    public ValueTask AppendAsync(IReadOnlyList<LineageEvent> events, CancellationToken cancellationToken)
    {
        var task = AppendCoreAsync(events, cancellationToken);
        return task.IsCompletedSuccessfully ? ValueTask.CompletedTask : new ValueTask(task.AsTask());
    }

    /// <summary>Appends and returns the sequence number of the last record of the batch, once acknowledged.</summary>
    internal async ValueTask<long> AppendCoreAsync(IReadOnlyList<LineageEvent> events, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(events);
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        cancellationToken.ThrowIfCancellationRequested();
        if (Volatile.Read(ref _fault) is { } fault)
        {
            throw Faulted(fault);
        }

        if (events.Count == 0)
        {
            return 0;
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

        var durable = _options.Durability == LineageDurability.BeforeInvoke;
        var pending = new Pending([.. events], durable ? new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously) : null);
        if (!_queue.Writer.TryWrite(pending))
        {
            ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
            if (_options.QueueFullMode == LineageQueueFullMode.Refuse)
            {
                GovernedTelemetry.LineageQueueRefusals.Add(1);
                throw new IOException("The lineage queue is full; the append was refused.");
            }

            GovernedTelemetry.LineageQueueWaits.Add(1);
            try
            {
                await _queue.Writer.WriteAsync(pending, cancellationToken).ConfigureAwait(false);
            }
            catch (ChannelClosedException ex)
            {
                throw new ObjectDisposedException(nameof(FileLineageSink), ex);
            }
        }

        GovernedTelemetry.LineageQueueDepth.Add(1);
        return pending.Completion is null ? 0 : await pending.Completion.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Writes a checkpoint now (if records were written since the last one) and waits until it is on disk.</summary>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>A task that completes when everything queued before it, and the checkpoint, are durable.</returns>
    /// <exception cref="ObjectDisposedException">The sink was disposed.</exception>
    /// <exception cref="IOException">A write or flush failed (the sink is faulted).</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was canceled.</exception>
    public async ValueTask FlushAsync(CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        var pending = new Pending([], new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously), checkpoint: true);
        try
        {
            await _queue.Writer.WriteAsync(pending, cancellationToken).ConfigureAwait(false);
        }
        catch (ChannelClosedException ex)
        {
            throw new ObjectDisposedException(nameof(FileLineageSink), ex);
        }

        GovernedTelemetry.LineageQueueDepth.Add(1);
        await pending.Completion!.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Drains the queue, writes the closing checkpoint, flushes and closes the file.</summary>
    /// <returns>A task that completes when the file is closed.</returns>
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

    /// <summary>Drains the queue, writes the closing checkpoint, flushes and closes the file (blocking).</summary>
    public void Dispose() => DisposeAsync().AsTask().GetAwaiter().GetResult();

    /// <inheritdoc />
    public override string ToString() => $"FileLineageSink {{ Path = {_options.Path}, LogId = {LogId} }}";

    private static IOException Faulted(Exception fault) => new("The lineage file failed earlier; the sink refuses appends until it is reopened.", fault);

    private void OnTimer() => _queue.Writer.TryWrite(_tick);

    private void Run()
    {
        var reader = _queue.Reader;
        var batch = new List<Pending>();
        try
        {
            while (reader.WaitToReadAsync().AsTask().GetAwaiter().GetResult())
            {
                batch.Clear();
                while (_batch.WrittenCount < MaxBatchBytes && reader.TryRead(out var item))
                {
                    if (!ReferenceEquals(item, _tick))
                    {
                        GovernedTelemetry.LineageQueueDepth.Add(-1);
                    }

                    batch.Add(item);
                    if (Volatile.Read(ref _fault) is null)
                    {
                        try
                        {
                            Stage(item);
                        }
                        catch (Exception ex)
                        {
                            // A checkpoint could not be signed, for example: the chain state is no longer what is on disk.
                            Volatile.Write(ref _fault, ex);
                            Log.LineageFileFaulted(_logger, _options.Path, ex);
                        }
                    }
                }

                Complete(batch, WriteStaged());
            }

            if (Volatile.Read(ref _fault) is null && _sinceCheckpoint > 0)
            {
                AddCheckpoint();
                WriteStaged(closing: true);
            }
        }
        catch (Exception ex)
        {
            // Unreachable by design (every write is guarded); recorded rather than lost, and nobody is left waiting.
            Volatile.Write(ref _fault, ex);
            Log.LineageFileFaulted(_logger, _options.Path, ex);
            Complete(batch, ex);
        }
        finally
        {
            _file.Dispose();
            _lock.Dispose();
            while (reader.TryRead(out var left))
            {
                left.Completion?.TrySetException(new ObjectDisposedException(nameof(FileLineageSink)));
            }

            _stopped.TrySetResult();
        }
    }

    private void Stage(Pending item)
    {
        var now = _time.GetUtcNow();
        foreach (var e in item.Events)
        {
            Add(e);
            item.LastSequence = _sequence;
            if (_sinceCheckpoint >= _options.CheckpointEveryRecords)
            {
                AddCheckpoint();
            }
        }

        if ((item.Checkpoint || now - _lastCheckpoint >= _options.CheckpointEvery) && _sinceCheckpoint > 0)
        {
            AddCheckpoint();
        }
    }

    private void Add(LineageEvent e)
    {
        var record = LineageChain.Create(_sequence + 1, LogId, e, _head);
        _batch.Write(record.Line.Span);
        _batch.Write("\n"u8);
        _sequence = record.Sequence;
        _head = record.Hash;
        Span<byte> hash = stackalloc byte[MerkleHash.Size];
        Span<byte> leaf = stackalloc byte[MerkleHash.Size];
        Convert.FromHexString(record.Hash, hash, out _, out _);
        MerkleHash.LeafHash(hash, leaf);
        _tree.Append(leaf);
        _sinceCheckpoint = e.Kind == LineageEventKind.Checkpoint ? 0 : _sinceCheckpoint + 1;
    }

    private void AddCheckpoint()
    {
        var now = _time.GetUtcNow();
        Add(LineageCheckpoint.CreateEvent(LogId, _sequence + 1, _tree, _options.CheckpointKey, now));
        _lastCheckpoint = now;
        GovernedTelemetry.LineageCheckpoints.Add(1);
    }

    /// <summary>Writes and flushes the staged records; returns the fault, or <see langword="null"/> when they are durable.</summary>
    private Exception? WriteStaged(bool closing = false)
    {
        if (Volatile.Read(ref _fault) is { } earlier)
        {
            _batch.ResetWrittenCount();
            return earlier;
        }

        try
        {
            if (_batch.WrittenCount > 0)
            {
                Commit();
            }

            if (!closing)
            {
                RotateIfDue();
            }

            return null;
        }
        catch (Exception ex)
        {
            _batch.ResetWrittenCount();
            Volatile.Write(ref _fault, ex);
            Log.LineageFileFaulted(_logger, _options.Path, ex);
            return ex;
        }
    }

    private void Commit()
    {
        var records = _batch.WrittenSpan.Count((byte)'\n');
        _file.Append(_batch.WrittenSpan);
        _file.Sync();
        _batch.ResetWrittenCount();
        GovernedTelemetry.LineageFsyncs.Add(1);
        GovernedTelemetry.LineageRecordsWritten.Add(records);
    }

    private void RotateIfDue()
    {
        var bySize = _options.RotateAtBytes is { } bytes && _file.Length >= bytes;
        var byAge = _options.RotateEvery is { } every && _time.GetUtcNow() - _segmentStarted >= every && _file.Length > 0;
        if (!bySize && !byAge)
        {
            return;
        }

        // Every file ends with a checkpoint, so that the next one can resume from it.
        if (_sinceCheckpoint > 0)
        {
            AddCheckpoint();
            Commit();
        }

        var next = _options.OpenSegment(LineageSegments.PathOf(_options.Path, _segment + 1));
        _file.Dispose();
        _file = next;
        _segment++;
        _segmentStarted = _time.GetUtcNow();
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
                item.Completion.TrySetException(Faulted(fault));
            }
        }
    }

    private sealed class Pending(LineageEvent[] events, TaskCompletionSource<long>? completion, bool checkpoint = false)
    {
        internal LineageEvent[] Events { get; } = events;

        internal TaskCompletionSource<long>? Completion { get; } = completion;

        internal bool Checkpoint { get; } = checkpoint;

        internal long LastSequence { get; set; }
    }
}
