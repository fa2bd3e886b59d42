using GovernedExecution.Lineage;

namespace GovernedExecution.Integrations.Tests;

/// <summary>
/// A caller's synchronization context (a UI thread, a classic ASP.NET request) that counts what is posted to it. A
/// governed call that resumed on it would queue governance work behind the caller's own, and deadlock a caller that
/// blocks on the call.
/// </summary>
internal sealed class CallerContext : SynchronizationContext
{
    private int _posts;

    /// <summary>How many continuations were posted or sent to this context.</summary>
    public int Posts => Volatile.Read(ref _posts);

    /// <summary>Starts <paramref name="call"/> on a pool thread that has this context current.</summary>
    public async Task<T> Run<T>(Func<Task<T>> call)
    {
        var task = await Task.Factory.StartNew(
            () =>
            {
                var previous = Current;
                SetSynchronizationContext(this);
                try
                {
                    return call();
                }
                finally
                {
                    SetSynchronizationContext(previous);
                }
            },
            CancellationToken.None,
            TaskCreationOptions.DenyChildAttach,
            TaskScheduler.Default).ConfigureAwait(false);
        return await task.ConfigureAwait(false);
    }

    public override void Post(SendOrPostCallback d, object? state)
    {
        Interlocked.Increment(ref _posts);
        ThreadPool.QueueUserWorkItem(_ => d(state));
    }

    public override void Send(SendOrPostCallback d, object? state)
    {
        Interlocked.Increment(ref _posts);
        d(state);
    }

    public override SynchronizationContext CreateCopy() => this;
}

/// <summary>
/// A lineage sink whose every append completes later, on a timer thread: every await of the executor on the stack
/// suspends there, so an integration that awaited the executor on the caller's context would have to post back to it.
/// </summary>
internal sealed class LateLineageSink(ILineageSink inner) : ILineageSink
{
    private int _appendsOnCallerContext;

    /// <summary>How many appends started while a <see cref="CallerContext"/> was current (the test reached the await it means to).</summary>
    public int AppendsOnCallerContext => Volatile.Read(ref _appendsOnCallerContext);

    public async ValueTask AppendAsync(IReadOnlyList<LineageEvent> events, CancellationToken cancellationToken)
    {
        if (SynchronizationContext.Current is CallerContext)
        {
            Interlocked.Increment(ref _appendsOnCallerContext);
        }

        await Task.Delay(1, CancellationToken.None).ConfigureAwait(false);
        await inner.AppendAsync(events, cancellationToken).ConfigureAwait(false);
    }
}
