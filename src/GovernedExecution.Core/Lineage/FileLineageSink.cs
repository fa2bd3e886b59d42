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
/// With <see cref="LineageDurability.BeforeInvoke"/>, after a failed write or flush the sink is faulted: every later
/// append throws, so a required sink denies every execution, until the sink is reopened (which repairs the file).
/// Acknowledged records are never lost. With <see cref="LineageDurability.Buffered"/>, appends are acknowledged
/// before the write: a failed write loses them, the sink keeps accepting appends, and the first write that succeeds
/// afterwards (or the close) starts with a signed <c>records_lost</c> record that counts and names what was lost.
/// </remarks>
public sealed class FileLineageSink : ILineageSink, IAsyncDisposable, IDisposable, ILineageSinkHealth, Browsing.ILineageBrowsable
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
    private MerkleAccumulator _tree;
    private long _sinceCheckpoint;
    private int _staged;
    private DateTimeOffset _lastCheckpoint;
    private DateTimeOffset _segmentStarted;
    private Exception? _fault;
    private int _disposed;

    // The witness state: the tree size (and frontier) the next consistency proof starts from, the leaves since, what
    // the witness holds (0: nothing yet), and the checkpoints written but not yet offered.
    private readonly ICheckpointWitness? _witness;
    private long _witnessedSize;
    private IReadOnlyList<byte[]> _witnessedFrontier = [];
    private List<byte[]> _sinceWitnessed = [];
    private long _witnessHolds;
    private readonly List<WitnessOffer> _offers = [];

    // Buffered mode: the caller events of the batch being written; after a failed write, those not yet checked against
    // the file (in doubt), those known lost, and the tally the staged records_lost record states. The next batch first
    // re-reads the file (recovering) to learn what landed.
    private readonly List<(long Sequence, Guid Execution, DateTimeOffset Time)> _batchEvents = [];
    private readonly List<(long Sequence, Guid Execution, DateTimeOffset Time)> _inDoubt = [];
    private LineageLoss? _lost;
    private LineageLoss? _recording;
    private long _recordingSequence;
    private bool _recovering;
    private long _durableSequence;
    private string? _lossCause;
    private DateTimeOffset _lossAt;

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
            // The active file is opened (and locked) before it is read: whoever reads it next is the only writer.
            var existing = LineageSegments.Present(options.Path);
            _file = options.OpenSegment(existing.Count == 0 ? options.Path : existing[^1].Path);
        }
        catch
        {
            _lock.Dispose();
            throw;
        }

        try
        {
            var resume = LineageResume.Read(options.Path, sealDamage: options.SealDamagedLastLine);
            if (options.LogId is not null && resume.LogId is not null && !string.Equals(options.LogId, resume.LogId, StringComparison.Ordinal))
            {
                throw new InvalidDataException($"The lineage file '{options.Path}' belongs to log '{resume.LogId}', not '{options.LogId}'.");
            }

            LogId = resume.LogId ?? options.LogId ?? Guid.NewGuid().ToString("D");
            _witness = options.Witness;
            if (_witness is not null)
            {
                resume = CheckAgainstWitness(resume, options.Path);
            }

            _segment = resume.Segment;
            _sequence = resume.Sequence;
            _head = resume.Head;
            _tree = resume.Tree;
            _sinceCheckpoint = resume.RecordsSinceCheckpoint;
            _lastCheckpoint = _segmentStarted = _time.GetUtcNow();

            var path = LineageSegments.PathOf(options.Path, _segment);
            var unsigned = CheckResume(resume, options);
            if (_witness is not null)
            {
                CatchUpWitness(resume);
            }

            if (resume.MissingLineFeed || resume.TornTail is { } && !resume.TornTailTerminated)
            {
                // Never truncated (a file under chattr +a cannot be): the torn bytes become a line of their own,
                // sealed by the repair record after it, which states their length and digest.
                _batch.Write("\n"u8);
            }

            if (resume.TornTail is not null)
            {
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

            _durableSequence = _sequence;
        }
        catch
        {
            _file.Dispose();
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

    /// <summary>
    /// The log must consistently contain the checkpoint the witness holds: found at that tree size, with that root.
    /// Returns the resume state from that checkpoint on (so that the next proof can start there).
    /// </summary>
    private LineageResume CheckAgainstWitness(LineageResume resume, string path)
    {
        var held = _witness!.GetLatestAsync(LogId, CancellationToken.None).AsTask().GetAwaiter().GetResult();
        if (held is null)
        {
            return resume;
        }

        if (!string.Equals(held.LogId, LogId, StringComparison.Ordinal))
        {
            throw new InvalidDataException($"The checkpoint witness answered for log '{held.LogId}', not '{LogId}'.");
        }

        if (held.TreeSize != resume.StartSize)
        {
            try
            {
                resume = LineageResume.Read(path, held.TreeSize, _options.SealDamagedLastLine);
            }
            catch (InvalidDataException ex)
            {
                throw new InvalidDataException($"The checkpoint witness holds a checkpoint of tree size {held.TreeSize} for log '{LogId}', which the lineage log '{path}' does not contain: it was truncated or rolled back, or a segment is missing. The log is not opened.", ex);
            }
        }

        var root = MerkleAccumulator.Restore(new MerkleAccumulatorSnapshot(resume.StartSize, resume.StartFrontier)).Root();
        if (!root.AsSpan().SequenceEqual(held.Root.Span))
        {
            throw new InvalidDataException($"The lineage log '{path}' differs from the checkpoint witness at tree size {held.TreeSize}: the log was forked or rewritten. The log is not opened.");
        }

        _witnessHolds = held.TreeSize;
        return resume;
    }

    /// <summary>Offers the witness the checkpoints the log holds beyond what the witness holds (after a crash between writing and offering one).</summary>
    private void CatchUpWitness(LineageResume resume)
    {
        _witnessedSize = resume.StartSize;
        _witnessedFrontier = resume.StartFrontier;
        _sinceWitnessed = resume.LeavesSinceStart;
        if (resume.StartSize > 0 && _witnessHolds == 0)
        {
            // Trust on first use: a witness that holds nothing for this log takes the checkpoint the log starts from.
            Offer(WitnessOffer.From(resume.LastCheckpointAt(resume.StartSize)!));
        }

        if (resume.LastCheckpoint is { } last && last.Sequence - 1 > _witnessedSize)
        {
            Offer(WitnessOffer.From(last));
        }
    }

    private void Offer(WitnessOffer offer)
    {
        var oldSize = _witnessHolds;
        var added = (int)(offer.TreeSize - _witnessedSize);
        var newLeaves = _sinceWitnessed.GetRange(0, added);
        byte[][] proof = oldSize == 0 || added == 0 ? [] : MerkleFrontierProof.ConsistencyProof(_witnessedSize, _witnessedFrontier, newLeaves);
        _witness!.AddCheckpointAsync(oldSize, proof, new LineageTreeHead(LogId, offer.TreeSize, offer.Root, offer.Signature), CancellationToken.None).AsTask().GetAwaiter().GetResult();
        _sinceWitnessed.RemoveRange(0, added);
        _witnessedSize = offer.TreeSize;
        _witnessedFrontier = offer.Frontier;
        _witnessHolds = offer.TreeSize;
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

    /// <summary>When appends are acknowledged (a required sink must be <see cref="LineageDurability.BeforeInvoke"/>).</summary>
    internal LineageDurability Durability => _options.Durability;

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
    /// <exception cref="IOException">A write or flush failed (the sink is faulted; in Buffered mode it is not, and records what was lost once it can write).</exception>
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

    /// <summary>A browser over the log this sink writes (its file and rotated segments), read as any reader would.</summary>
    Browsing.ILineageBrowser Browsing.ILineageBrowsable.OpenBrowser() => Browsing.LineageBrowsers.OpenFiles([_options.Path]);

    /// <inheritdoc />
    public override string ToString() => $"FileLineageSink {{ Path = {_options.Path}, LogId = {LogId} }}";

    /// <inheritdoc />
    string? ILineageSinkHealth.Problem => Volatile.Read(ref _fault) is not null
        ? "it failed and refuses appends until it is reopened"
        : Volatile.Read(ref _disposed) != 0
            ? "it is closed"
            : Volatile.Read(ref _recovering) ? "a write failed and acknowledged records are being lost (Buffered)" : null;

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
                var recovered = !_recovering || Volatile.Read(ref _fault) is not null || TryRecover();
                while (_batch.WrittenCount < MaxBatchBytes && reader.TryRead(out var item))
                {
                    if (!ReferenceEquals(item, _tick))
                    {
                        GovernedTelemetry.LineageQueueDepth.Add(-1);
                    }

                    batch.Add(item);
                    if (!recovered)
                    {
                        // The file cannot even be reopened yet: these records are lost too.
                        foreach (var e in item.Events)
                        {
                            Lost().Add(e.ExecutionId, e.Time);
                        }

                        GovernedTelemetry.LineageRecordsLost.Add(item.Events.Length);
                    }
                    else if (Volatile.Read(ref _fault) is null)
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

                Complete(batch, recovered ? WriteStaged() : new IOException($"The lineage file '{_options.Path}' cannot be reopened after a failed write; the records were lost.", Volatile.Read(ref _fault)));
            }

            if (Volatile.Read(ref _fault) is null && (!_recovering || TryRecover()))
            {
                if (_sinceCheckpoint > 0)
                {
                    AddCheckpoint();
                }

                if (_batch.WrittenCount > 0)
                {
                    WriteStaged(closing: true);
                }
            }

            LogUnrecorded();
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
            if (_options.Durability == LineageDurability.Buffered)
            {
                _batchEvents.Add((_sequence, e.ExecutionId, e.Time));
            }

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
        _staged++;
        _sequence = record.Sequence;
        _head = record.Hash;
        Span<byte> hash = stackalloc byte[MerkleHash.Size];
        Span<byte> leaf = stackalloc byte[MerkleHash.Size];
        Convert.FromHexString(record.Hash, hash, out _, out _);
        MerkleHash.LeafHash(hash, leaf);
        _tree.Append(leaf);
        if (_witness is not null)
        {
            _sinceWitnessed.Add(leaf.ToArray());
        }

        _sinceCheckpoint = e.Kind == LineageEventKind.Checkpoint ? 0 : _sinceCheckpoint + 1;
    }

    private void AddCheckpoint()
    {
        var now = _time.GetUtcNow();
        var checkpoint = LineageCheckpoint.CreateEvent(LogId, _sequence + 1, _tree, _options.CheckpointKey, now);
        if (_witness is not null)
        {
            _offers.Add(WitnessOffer.From(_tree.Size, checkpoint));
        }

        Add(checkpoint);
        _lastCheckpoint = now;
        GovernedTelemetry.LineageCheckpoints.Add(1);
    }

    /// <summary>Writes and flushes the staged records; returns the fault, or <see langword="null"/> when they are durable.</summary>
    private Exception? WriteStaged(bool closing = false)
    {
        if (Volatile.Read(ref _fault) is { } earlier)
        {
            _batch.ResetWrittenCount();
            _staged = 0;
            _batchEvents.Clear();
            return earlier;
        }

        try
        {
            if (_batch.WrittenCount > 0)
            {
                Commit();
            }

            if (_recording is { } recorded)
            {
                Log.LineageLossRecorded(_logger, _options.Path, recorded.Records, _recordingSequence);
                _recording = null;
            }

            _batchEvents.Clear();
            if (!closing)
            {
                RotateIfDue();
            }

            return null;
        }
        catch (Exception ex)
        {
            _batch.ResetWrittenCount();
            _staged = 0;
            if (_options.Durability == LineageDurability.Buffered)
            {
                // Acknowledged already: nobody can be told. What did not reach the file is recorded once it can be written.
                if (!_recovering)
                {
                    Log.LineageBufferedWriteFailed(_logger, _options.Path, _batchEvents.Count, ex);
                }

                _inDoubt.AddRange(_batchEvents);
                _batchEvents.Clear();
                if (_lossCause is null)
                {
                    _lossCause = ex.Message;
                    _lossAt = _time.GetUtcNow();
                }

                _recovering = true;
                return ex;
            }

            Volatile.Write(ref _fault, ex);
            Log.LineageFileFaulted(_logger, _options.Path, ex);
            return ex;
        }
    }

    private void Commit()
    {
        var records = _staged;
        _staged = 0;
        try
        {
            _file.Append(_batch.WrittenSpan);
            _file.Sync();
            _batch.ResetWrittenCount();
            _durableSequence = _sequence;

            // Offered once on disk, so that the witness never holds a checkpoint the log lacks.
            foreach (var offer in _offers)
            {
                Offer(offer);
            }
        }
        finally
        {
            _offers.Clear();
        }

        GovernedTelemetry.LineageFsyncs.Add(1);
        GovernedTelemetry.LineageRecordsWritten.Add(records);
    }

    /// <summary>
    /// After a failed write in Buffered mode: reopens the active file, reads where the log really ends, settles which
    /// acknowledged records are lost, and stages the repair of a half-written line, the <c>records_lost</c> record and
    /// a checkpoint, ahead of whatever comes next. False while the file cannot be reopened; a log that is no longer
    /// what this writer left faults the sink.
    /// </summary>
    private bool TryRecover()
    {
        _batch.ResetWrittenCount();
        _staged = 0;
        _offers.Clear();
        LineageResume resume;
        try
        {
            _file.Dispose();
            var existing = LineageSegments.Present(_options.Path);
            _file = _options.OpenSegment(existing.Count == 0 ? _options.Path : existing[^1].Path);
            resume = LineageResume.Read(_options.Path, sealDamage: false);
            if (_witness is not null)
            {
                resume = CheckAgainstWitness(resume, _options.Path);
            }
        }
        catch (Exception ex) when (ex is not InvalidDataException)
        {
            return false;
        }
        catch (InvalidDataException ex)
        {
            Volatile.Write(ref _fault, ex);
            Log.LineageFileFaulted(_logger, _options.Path, ex);
            return false;
        }

        var highest = _inDoubt.Count == 0 ? _sequence : Math.Max(_sequence, _inDoubt[^1].Sequence);
        if (resume.Sequence < _durableSequence || resume.Sequence > highest || !string.Equals(resume.LogId ?? LogId, LogId, StringComparison.Ordinal))
        {
            var ex = new InvalidDataException($"The lineage log '{_options.Path}' ends at record {resume.Sequence} after a failed write, where this writer had made records up to {_durableSequence} durable and written at most {highest}: someone else changed it. The sink refuses appends.");
            Volatile.Write(ref _fault, ex);
            Log.LineageFileFaulted(_logger, _options.Path, ex);
            return false;
        }

        Settle(resume.Sequence);
        _segment = resume.Segment;
        _sequence = _durableSequence = resume.Sequence;
        _head = resume.Head;
        _tree = resume.Tree;
        _sinceCheckpoint = resume.RecordsSinceCheckpoint;
        if (_witness is not null)
        {
            CatchUpWitness(resume);
        }

        if (_file.Length == 0 && _segment > 0)
        {
            // Every file starts with the signed checkpoint of everything before it.
            AddCheckpoint();
        }

        if (resume.MissingLineFeed || resume.TornTail is { } && !resume.TornTailTerminated)
        {
            _batch.Write("\n"u8);
        }

        var path = LineageSegments.PathOf(_options.Path, _segment);
        if (resume.TornTail is not null)
        {
            Log.LineageRepaired(_logger, path, resume.TornTail.Length, resume.GoodLength);
            GovernedTelemetry.LineageRepairs.Add(1);
            Add(new LineageEvent(LineageEventKind.Repair, Guid.Empty, null, _time.GetUtcNow(), resume.RepairAttributes(path, LineageRepairs.FailedWriteReason)));
        }

        if (_lost is { } lost)
        {
            Add(lost.ToEvent(_time.GetUtcNow()));
            _recording = lost;
            _recordingSequence = _sequence;
            _lost = null;
        }

        if (_sinceCheckpoint > 0 && (resume.TornTail is not null || _recording is not null))
        {
            AddCheckpoint();
        }

        _recovering = false;
        _lossCause = null;
        _lossAt = default;
        return true;
    }

    /// <summary>Of what failed writes staged, keeps as lost what the file does not hold (records after <paramref name="onDisk"/>).</summary>
    private void Settle(long onDisk)
    {
        if (_recording is { } recording)
        {
            if (_recordingSequence > onDisk)
            {
                recording.Add(Lost());
                _lost = recording;
            }

            _recording = null;
        }

        var lost = 0;
        foreach (var (sequence, execution, time) in _inDoubt)
        {
            if (sequence > onDisk)
            {
                Lost().Add(execution, time);
                lost++;
            }
        }

        _inDoubt.Clear();
        GovernedTelemetry.LineageRecordsLost.Add(lost);
    }

    private LineageLoss Lost() => _lost ??= new LineageLoss(_lossCause ?? "write failed", _lossCause is null ? _time.GetUtcNow() : _lossAt);

    /// <summary>At close: what was lost and could not be recorded in the file is at least logged, with the executions.</summary>
    private void LogUnrecorded()
    {
        if (_lost is null && _recording is null && _inDoubt.Count == 0)
        {
            return;
        }

        var all = _recording ?? Lost();
        if (_recording is not null && _lost is not null)
        {
            all.Add(_lost);
        }

        foreach (var (_, execution, time) in _inDoubt)
        {
            all.Add(execution, time);
        }

        GovernedTelemetry.LineageRecordsLost.Add(_inDoubt.Count);
        Log.LineageLossUnrecorded(_logger, _options.Path, all.Records, all.ExecutionList);
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

        var nextPath = LineageSegments.PathOf(_options.Path, _segment + 1);
        var next = _options.OpenSegment(nextPath);
        if (next.Length > 0)
        {
            next.Dispose();
            throw new IOException($"The lineage file '{nextPath}' already exists: the sink does not write into another log's file.");
        }

        _file.Dispose();
        _file = next;
        _segment++;
        _segmentStarted = _time.GetUtcNow();

        // Every file starts with the signed checkpoint of everything before it: earlier files can be archived, and a
        // file verifies from there on its own.
        AddCheckpoint();
        Commit();
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

    private sealed class WitnessOffer(long treeSize, byte[] root, IReadOnlyList<byte[]> frontier, byte[] signature)
    {
        internal long TreeSize { get; } = treeSize;

        internal byte[] Root { get; } = root;

        internal IReadOnlyList<byte[]> Frontier { get; } = frontier;

        internal byte[] Signature { get; } = signature;

        internal static WitnessOffer From(long treeSize, LineageEvent checkpoint) => Parse(treeSize, name => checkpoint.Attributes.FirstOrDefault(a => a.Key == name).Value);

        internal static WitnessOffer From(LineageRecordLine checkpoint) => Parse(checkpoint.Sequence - 1, name => checkpoint[name]);

        private static WitnessOffer Parse(long treeSize, Func<string, string?> attribute)
        {
            var frontier = attribute(LineageCheckpoint.Frontier) ?? string.Empty;
            var signature = attribute(LineageCheckpoint.Signature);
            return new WitnessOffer(
                treeSize,
                Convert.FromHexString(attribute(LineageCheckpoint.Root) ?? string.Empty),
                frontier.Length == 0 ? [] : [.. frontier.Split(',').Select(Convert.FromHexString)],
                string.IsNullOrEmpty(signature) ? [] : System.Buffers.Text.Base64Url.DecodeFromChars(signature));
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
