using System.Globalization;
using GovernedExecution.Artifacts.Keys;
using GovernedExecution.Lineage;
using GovernedExecution.Lineage.Merkle;

namespace GovernedExecution.Testing;

/// <summary>How a generated execution ends.</summary>
public enum GeneratedOutcome
{
    /// <summary>Permitted, artifact minted and verified, the delegate ran and returned.</summary>
    Completed,

    /// <summary>Permitted, the delegate threw.</summary>
    Failed,

    /// <summary>Policy denied it: the delegate did not run.</summary>
    Denied,

    /// <summary>Only the pre-execution records: no outcome yet.</summary>
    Pending,
}

/// <summary>One execution to write into a generated log.</summary>
public sealed record GeneratedExecution(Guid Id, string Principal, string Action, string Resource, GeneratedOutcome Outcome, Guid? Parent = null, string Policy = "allow-all")
{
    /// <summary>A deterministic execution number <paramref name="i"/> of a varied sample (principals, actions, some denied or failed, a nested child every tenth).</summary>
    public static GeneratedExecution Sample(int i, Guid? previous = null)
    {
        var id = DeterministicGuid(i);
        var outcome = (i % 10) switch
        {
            3 => GeneratedOutcome.Denied,
            7 => GeneratedOutcome.Failed,
            _ => GeneratedOutcome.Completed,
        };
        return new GeneratedExecution(
            id,
            $"User::\"user-{(i % 97).ToString(CultureInfo.InvariantCulture)}\"",
            $"Action::\"{(i % 3) switch { 0 => "read", 1 => "refund", _ => "export" }}\"",
            $"Document::\"doc-{i.ToString(CultureInfo.InvariantCulture)}\"",
            outcome,
            i % 10 == 9 ? previous : null,
            outcome == GeneratedOutcome.Denied ? "deny-export" : "allow-" + (i % 3).ToString(CultureInfo.InvariantCulture));
    }

    /// <summary>A GUID made from a number (the same number, the same GUID).</summary>
    public static Guid DeterministicGuid(long i)
    {
        Span<byte> bytes = stackalloc byte[16];
        BitConverter.TryWriteBytes(bytes, i);
        bytes[15] = 0x5A;
        return new Guid(bytes);
    }
}

/// <summary>
/// Writes valid lineage logs fast, for benchmarks and tests: the records the executor writes for each execution, a real
/// hash chain, a real Merkle tree, and checkpoints signed with a real key, optionally rotated into segments; flushed
/// after every execution when asked, so a reader can watch it grow. <c>govexec lineage verify</c> accepts what it writes.
/// </summary>
public sealed class GeneratedLineageLog : IDisposable
{
    private readonly string _basePath;
    private readonly SigningKey? _key;
    private readonly int _checkpointEvery;
    private readonly int _rotateEvery;
    private readonly bool _flushEach;
    private readonly LineageChain _chain;
    private readonly MerkleAccumulator _tree = new();
    private FileStream _file;
    private int _segment;
    private long _inSegment;
    private long _sinceCheckpoint;
    private DateTimeOffset _time;

    /// <summary>Starts a new log at <paramref name="path"/>.</summary>
    /// <param name="path">The first file (later segments are numbered next to it).</param>
    /// <param name="key">Signs checkpoints; <see langword="null"/> for unsigned checkpoints.</param>
    /// <param name="checkpointEvery">A checkpoint after this many records.</param>
    /// <param name="rotateEvery">A new segment after this many records (0: one file).</param>
    /// <param name="start">The first record's time.</param>
    /// <param name="flushEach">Flush after every execution.</param>
    public GeneratedLineageLog(string path, SigningKey? key, int checkpointEvery = 1000, int rotateEvery = 0, DateTimeOffset? start = null, bool flushEach = false)
    {
        _basePath = path;
        _key = key;
        _checkpointEvery = checkpointEvery;
        _rotateEvery = rotateEvery;
        _flushEach = flushEach;
        _time = start ?? new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
        _chain = new LineageChain(Guid.NewGuid().ToString("D"));
        _file = Create(path);
    }

    /// <summary>The log id.</summary>
    public string LogId => _chain.LogId;

    /// <summary>Records written so far.</summary>
    public long Records => _chain.Sequence;

    /// <summary>The files written so far, oldest first.</summary>
    public List<string> Files { get; } = [];

    /// <summary>The time of the next record.</summary>
    public DateTimeOffset Time { get => _time; set => _time = value; }

    /// <summary>How much time passes between two records.</summary>
    public TimeSpan Step { get; set; } = TimeSpan.FromMilliseconds(1);

    /// <summary>Writes a log of <paramref name="executions"/> sample executions and closes it; returns the files.</summary>
    public static List<string> WriteSample(string path, int executions, SigningKey? key, int checkpointEvery = 1000, int rotateEvery = 0)
    {
        using var log = new GeneratedLineageLog(path, key, checkpointEvery, rotateEvery);
        var previous = Guid.Empty;
        for (var i = 0; i < executions; i++)
        {
            var execution = GeneratedExecution.Sample(i, previous);
            log.Append(execution);
            previous = execution.Id;
        }

        log.Dispose();
        return log.Files;
    }

    /// <summary>Writes the records of one execution.</summary>
    public void Append(GeneratedExecution e)
    {
        foreach (var record in EventsOf(e, () => _time))
        {
            Write(record);
        }

        if (_flushEach)
        {
            _file.Flush();
        }
    }

    /// <summary>The events the executor records for <paramref name="e"/> (for any sink), each timed by <paramref name="time"/>.</summary>
    public static List<LineageEvent> EventsOf(GeneratedExecution e, Func<DateTimeOffset> time)
    {
        ArgumentNullException.ThrowIfNull(e);
        ArgumentNullException.ThrowIfNull(time);
        var events = new List<LineageEvent>();
        void Add(LineageEventKind kind, KeyValuePair<string, string>[] data) => events.Add(new LineageEvent(kind, e.Id, e.Parent, time(), data));
        var denied = e.Outcome == GeneratedOutcome.Denied;
        var digest = new string('a', 64);
        Add(LineageEventKind.IntentSubmitted, [new("mode", "run"), new("principal", e.Principal), new("action", e.Action), new("resource", e.Resource), new("intent_digest", digest), new("arguments_digest", digest), new("trace_id", string.Empty)]);
        Add(LineageEventKind.PolicyEvaluated, [new("decision", denied ? "Denied" : "Permitted"), new("policies", e.Policy), new("errors", string.Empty), new("policy_set", new string('b', 64))]);
        if (denied)
        {
            Add(LineageEventKind.ExecutionDenied, [new("reason", "PolicyDenied"), new("reason_code", "2"), new("detail", "a policy forbids it")]);
            return events;
        }

        Add(LineageEventKind.ArtifactIssued, [new("artifact_digest", new string('c', 64)), new("audience", "worker")]);
        Add(LineageEventKind.ArtifactVerified, [new("verdict", "Verified"), new("checks", "signature,audience"), new("artifact_digest", new string('c', 64))]);
        Add(LineageEventKind.ExecutionStarted, []);
        switch (e.Outcome)
        {
            case GeneratedOutcome.Completed:
                Add(LineageEventKind.ExecutionCompleted, [new("duration_us", "12")]);
                break;
            case GeneratedOutcome.Failed:
                Add(LineageEventKind.ExecutionFailed, [new("duration_us", "12"), new("exception", "System.InvalidOperationException")]);
                break;
            default:
                break;
        }

        return events;
    }

    /// <summary>Writes the outcome record of an execution appended as <see cref="GeneratedOutcome.Pending"/>.</summary>
    public void Complete(GeneratedExecution e)
    {
        ArgumentNullException.ThrowIfNull(e);
        Write(new LineageEvent(LineageEventKind.ExecutionCompleted, e.Id, e.Parent, _time, [new("duration_us", "12")]));
        if (_flushEach)
        {
            _file.Flush();
        }
    }

    /// <summary>Writes a checkpoint now.</summary>
    public void Checkpoint()
    {
        var e = LineageCheckpoint.CreateEvent(_chain.LogId, _chain.Sequence + 1, _tree, _key, _time);
        Emit(e);
        _sinceCheckpoint = 0;
        _file.Flush();
    }

    /// <summary>Writes the closing checkpoint and closes the file.</summary>
    public void Dispose()
    {
        if (!_file.CanWrite)
        {
            return;
        }

        if (_sinceCheckpoint > 0 || _chain.Sequence == 0)
        {
            Checkpoint();
        }

        _file.Dispose();
    }

    private void Write(LineageEvent e)
    {
        Emit(e);
        if (_sinceCheckpoint >= _checkpointEvery)
        {
            Checkpoint();
        }

        if (_rotateEvery > 0 && _inSegment >= _rotateEvery)
        {
            Rotate();
        }
    }

    private void Emit(LineageEvent e)
    {
        var record = _chain.Append([e])[0];
        _tree.Append(LineageCheckpoint.LeafHash(record.Hash));
        _file.Write(record.Line.Span);
        _file.WriteByte((byte)'\n');
        _time += Step;
        _sinceCheckpoint++;
        _inSegment++;
    }

    /// <summary>Ends the file with a checkpoint and starts the next one with a checkpoint of everything before it.</summary>
    private void Rotate()
    {
        if (_sinceCheckpoint > 0)
        {
            Checkpoint();
        }

        _file.Dispose();
        _segment++;
        _file = Create(LineageSegments.PathOf(_basePath, _segment));
        _inSegment = 0;
        Checkpoint();
    }

    private FileStream Create(string path)
    {
        Files.Add(path);
        return new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete, 1 << 16);
    }
}
