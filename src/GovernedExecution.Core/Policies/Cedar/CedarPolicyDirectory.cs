using GovernedExecution.Intents;

namespace GovernedExecution.Policies.Cedar;

/// <summary>
/// Cedar policies read from the <c>.cedar</c> files of a folder (recursively) that can be reloaded while the executor
/// runs. A reload reads and parses every file first and swaps the whole set at once: a decision is made by one set,
/// and records that set's digest. A reload that would leave a set that does not parse, or one without policies, is
/// refused and the set in force stays. Artifacts minted under the previous set are refused afterwards
/// (<see cref="Execution.DenialReason.PolicySetMismatch"/>): a change of policy takes effect at once, also for
/// authorizations already handed out.
/// </summary>
public sealed class CedarPolicyDirectory : IPolicyEvaluator, IDisposable
{
    private readonly string _directory;
    private readonly Func<CedarPolicySet, CedarPolicyEvaluator> _evaluatorFor;
    private readonly Lock _reloading = new();
    private Snapshot _current;
    private FileSystemWatcher? _watcher;
    private Timer? _debounce;
    private Action<Exception>? _onReloadError;
    private int _disposed;

    /// <summary>Reads the folder's policies, over a fixed entity store.</summary>
    /// <param name="directory">The folder.</param>
    /// <param name="entities">The entities; none by default.</param>
    /// <exception cref="ArgumentNullException"><paramref name="directory"/> is <see langword="null"/>.</exception>
    /// <exception cref="DirectoryNotFoundException">The folder does not exist.</exception>
    /// <exception cref="CedarParseException">A file is not valid Cedar.</exception>
    /// <exception cref="InvalidDataException">The folder holds no policy.</exception>
    public CedarPolicyDirectory(string directory, CedarEntities? entities = null)
        : this(directory, set => new CedarPolicyEvaluator(set, entities))
    {
    }

    /// <summary>Reads the folder's policies, with entities from a provider.</summary>
    /// <param name="directory">The folder.</param>
    /// <param name="entityProvider">The entity provider.</param>
    /// <exception cref="ArgumentNullException">A parameter is <see langword="null"/>.</exception>
    /// <exception cref="DirectoryNotFoundException">The folder does not exist.</exception>
    /// <exception cref="CedarParseException">A file is not valid Cedar.</exception>
    /// <exception cref="InvalidDataException">The folder holds no policy.</exception>
    public CedarPolicyDirectory(string directory, IEntityProvider entityProvider)
        : this(directory, CheckProvider(entityProvider))
    {
    }

    private CedarPolicyDirectory(string directory, Func<CedarPolicySet, CedarPolicyEvaluator> evaluatorFor)
    {
        ArgumentNullException.ThrowIfNull(directory);
        _directory = Path.GetFullPath(directory);
        _evaluatorFor = evaluatorFor;
        _current = Load();
    }

    /// <summary>The policy set in force.</summary>
    public CedarPolicySet Policies => Volatile.Read(ref _current).Evaluator.Policies;

    /// <inheritdoc />
    public string PolicySetDigest => Volatile.Read(ref _current).Evaluator.PolicySetDigest;

    /// <summary>When the set in force was read.</summary>
    public DateTimeOffset LoadedAt => Volatile.Read(ref _current).LoadedAt;

    /// <inheritdoc />
    public ValueTask<PolicyDecision> EvaluateAsync(ExecutionIntent intent, DateTimeOffset evaluationTime, CancellationToken cancellationToken) =>
        Volatile.Read(ref _current).Evaluator.EvaluateAsync(intent, evaluationTime, cancellationToken);

    /// <summary>
    /// Reads the folder again and, if every file parses and the set has at least one policy, puts it in force at once.
    /// </summary>
    /// <returns>The set now in force.</returns>
    /// <exception cref="DirectoryNotFoundException">The folder no longer exists (the set in force stays).</exception>
    /// <exception cref="CedarParseException">A file is not valid Cedar (the set in force stays).</exception>
    /// <exception cref="InvalidDataException">The folder holds no policy (the set in force stays).</exception>
    /// <exception cref="ObjectDisposedException">The instance was disposed.</exception>
    public CedarPolicySet Reload()
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        lock (_reloading)
        {
            var next = Load();
            Volatile.Write(ref _current, next);
            Reloaded?.Invoke(this, EventArgs.Empty);
            return next.Evaluator.Policies;
        }
    }

    /// <summary>Raised after a set was put in force (the executor decides its running operations' intents again).</summary>
    internal event EventHandler? Reloaded;

    /// <summary>
    /// Reloads when a <c>.cedar</c> file under the folder changes, once the changes have settled for
    /// <paramref name="debounce"/> (so that a save in several writes is read once). A reload that fails keeps the set in
    /// force and is reported to <paramref name="onError"/>. Write policy files atomically (to a temporary name, then
    /// rename), so that a reload never reads half a file; several files changed together may be read half old, half
    /// new, until the next change settles.
    /// </summary>
    /// <param name="debounce">How long the files must be still before a reload; 500 ms by default.</param>
    /// <param name="onError">Told about a reload that failed (the set in force stays).</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="debounce"/> is negative.</exception>
    /// <exception cref="InvalidOperationException">Already watching.</exception>
    /// <exception cref="ObjectDisposedException">The instance was disposed.</exception>
    public void WatchForChanges(TimeSpan? debounce = null, Action<Exception>? onError = null)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        var delay = debounce ?? TimeSpan.FromMilliseconds(500);
        ArgumentOutOfRangeException.ThrowIfLessThan(delay, TimeSpan.Zero, nameof(debounce));
        lock (_reloading)
        {
            if (_watcher is not null)
            {
                throw new InvalidOperationException("The folder is already watched.");
            }

            _onReloadError = onError;
            _debounce = new Timer(_ => ReloadQuietly(), null, Timeout.Infinite, Timeout.Infinite);
            _watcher = new FileSystemWatcher(_directory, "*.cedar") { IncludeSubdirectories = true };
            FileSystemEventHandler changed = (_, _) => _debounce.Change(delay, Timeout.InfiniteTimeSpan);
            _watcher.Changed += changed;
            _watcher.Created += changed;
            _watcher.Deleted += changed;
            _watcher.Renamed += (_, _) => _debounce.Change(delay, Timeout.InfiniteTimeSpan);
            _watcher.EnableRaisingEvents = true;
        }
    }

    /// <summary>Stops watching; the set in force stays usable.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        lock (_reloading)
        {
            _watcher?.Dispose();
            _debounce?.Dispose();
        }
    }

    private static Func<CedarPolicySet, CedarPolicyEvaluator> CheckProvider(IEntityProvider entityProvider)
    {
        ArgumentNullException.ThrowIfNull(entityProvider);
        return set => new CedarPolicyEvaluator(set, entityProvider);
    }

    private void ReloadQuietly()
    {
        try
        {
            if (Volatile.Read(ref _disposed) == 0)
            {
                Reload();
            }
        }
        catch (Exception ex)
        {
            try
            {
                _onReloadError?.Invoke(ex);
            }
            catch (Exception)
            {
                // A failing error callback must not take the watcher down; the set in force stays.
            }
        }
    }

    private Snapshot Load()
    {
        var set = CedarPolicySet.FromDirectory(_directory);
        if (set.PolicyIds.Count == 0)
        {
            throw new InvalidDataException($"The folder '{_directory}' holds no Cedar policy: every call would be denied. The policies in force (if any) stay.");
        }

        return new Snapshot(_evaluatorFor(set), DateTimeOffset.UtcNow);
    }

    /// <summary>A set in force and when it was read, swapped as one.</summary>
    private sealed record Snapshot(CedarPolicyEvaluator Evaluator, DateTimeOffset LoadedAt);
}
