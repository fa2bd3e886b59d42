namespace GovernedExecution.Execution;

/// <summary>
/// The life of one running operation's authorization: the token handed to the operation, canceled when the first
/// cause ends it (expiry, max_duration, a revocation, a policy reload, the parent's end). One compare-and-swap decides
/// between the operation's completion and its revocation, so an execution gets one outcome; the token is canceled only
/// after a revocation has won (or after completion, to reach what the operation left running).
/// </summary>
internal sealed class AuthorizationBound : IDisposable
{
    private static readonly object Completed = new();

    private readonly CancellationTokenSource _source = new();
    private readonly AuthorizationMonitor? _monitor;
    private RevocationCause _timerCause = RevocationCause.Expired;
    private ITimer? _timer;
    private CancellationTokenRegistration _caller;
    private CancellationTokenRegistration _parent;
    private object? _end; // null while running, Completed, or the RevocationCause that won
    private int _releases;
    private int _disposed;

    internal AuthorizationBound(GovernedContext context, AuthorizationMonitor? monitor)
    {
        Context = context;
        _monitor = monitor;
        Token = _source.Token; // read once: the source's Token throws once it is disposed
    }

    internal GovernedContext Context { get; }

    /// <summary>The token handed to the operation.</summary>
    internal CancellationToken Token { get; }

    /// <summary>The cause that ended the authorization, or <see langword="null"/> while it holds (or once completed).</summary>
    internal RevocationCause? Cause => Volatile.Read(ref _end) as RevocationCause;

    /// <summary>The longest due time a timer accepts (<see cref="System.Threading.Timer"/>: 2^32 - 2 milliseconds).</summary>
    internal static readonly TimeSpan LongestTimer = TimeSpan.FromMilliseconds(uint.MaxValue - 1);

    /// <summary>
    /// Arms the bound: the caller's token cancels the operation (a cancellation, not a revocation), the parent's ends it,
    /// and a timer ends it just after <paramref name="untilExpiry"/> or <paramref name="maxDuration"/>, whichever is first.
    /// </summary>
    internal void Start(TimeProvider time, TimeSpan untilExpiry, TimeSpan? maxDuration, CancellationToken caller, CancellationToken parent)
    {
        if (caller.CanBeCanceled)
        {
            _caller = caller.UnsafeRegister(static s => ((AuthorizationBound)s!).CancelQuietly(), this);
        }

        if (parent.CanBeCanceled)
        {
            _parent = parent.UnsafeRegister(static s => ((AuthorizationBound)s!).TryRevoke(RevocationCause.ParentEnded), this);
        }

        var due = untilExpiry;
        if (maxDuration is { } max && max < untilExpiry)
        {
            due = max;
            _timerCause = RevocationCause.MaxDuration;
        }

        if (due < TimeSpan.Zero)
        {
            TryRevoke(_timerCause);
            return;
        }

        // The end is inclusive, as in the check before the start (expired once now > exp + skew): fire one tick after it.
        // An end beyond the longest time a timer can wait (about 49.7 days; only an artifact verifier of the host's
        // own can give one) ends the authorization at that longest time instead: earlier, never later.
        due = due >= LongestTimer ? LongestTimer : due + TimeSpan.FromTicks(1);

        // The timer does not capture the flow: its callback must not run as (or inside) the governed execution. A
        // caller may have suppressed the flow already: it stays as the caller left it.
        if (ExecutionContext.IsFlowSuppressed())
        {
            _timer = CreateTimer(time, due);
            return;
        }

        using (ExecutionContext.SuppressFlow())
        {
            _timer = CreateTimer(time, due);
        }
    }

    /// <summary>Ends the authorization with <paramref name="cause"/> unless the operation completed or another cause won first.</summary>
    internal bool TryRevoke(RevocationCause cause)
    {
        if (Interlocked.CompareExchange(ref _end, cause, null) is not null)
        {
            return false;
        }

        CancelQuietly();
        Release();
        return true;
    }

    /// <summary>Marks the operation completed; false when a revocation won first.</summary>
    internal bool TryComplete() => Interlocked.CompareExchange(ref _end, Completed, null) is null || ReferenceEquals(Volatile.Read(ref _end), Completed);

    /// <summary>Disarms everything on every path; cancels the token of a completed operation for what it left running.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        TryComplete();
        _monitor?.Remove(this);
        _timer?.Dispose();
        _caller.Dispose(); // waits for a callback running elsewhere
        _parent.Dispose();
        if (ReferenceEquals(Volatile.Read(ref _end), Completed))
        {
            // Nothing else cancels the source now: the timer's callback and the monitor lose the swap.
            CancelQuietly();
            _source.Dispose();
        }
        else
        {
            Release();
        }
    }

    private ITimer CreateTimer(TimeProvider time, TimeSpan due) =>
        time.CreateTimer(static s => ((AuthorizationBound)s!).OnTimer(), this, due, Timeout.InfiniteTimeSpan);

    private void OnTimer() => TryRevoke(_timerCause);

    /// <summary>The revoker and <see cref="Dispose"/> both release a revoked bound; the second disposes the source.</summary>
    private void Release()
    {
        if (Interlocked.Increment(ref _releases) == 2)
        {
            _source.Dispose();
        }
    }

    private void CancelQuietly()
    {
        try
        {
            _source.Cancel();
        }
        catch (AggregateException)
        {
            // A callback the operation registered threw; the token is canceled all the same.
        }
        catch (ObjectDisposedException)
        {
            // Already disposed: the operation has ended.
        }
    }
}
