using System.Collections.Concurrent;
using GovernedExecution.Intents;
using GovernedExecution.Policies;

namespace GovernedExecution.Execution;

/// <summary>
/// The operations running under one executor, for the causes that reach many at once: the host's revocations
/// (<see cref="IExecutionRevocation"/>) and a reload of the policies (<see cref="Policies.Cedar.CedarPolicyDirectory"/>).
/// Exists only when the executor has one of them; one subscription per executor, not per call.
/// </summary>
internal sealed class AuthorizationMonitor : IObserver<RevocationNotice>
{
    private readonly ConcurrentDictionary<Guid, AuthorizationBound> _live = new();
    private readonly Lock _subscribing = new();
    private readonly Func<ExecutionIntent, ValueTask<PolicyDecision?>>? _reevaluate;
    private IDisposable? _subscription;

    internal AuthorizationMonitor(IExecutionRevocation? source, Policies.Cedar.CedarPolicyDirectory? reloadable, Func<ExecutionIntent, ValueTask<PolicyDecision?>> reevaluate)
    {
        Source = source;
        if (reloadable is not null)
        {
            _reevaluate = reevaluate;
            reloadable.Reloaded += OnPolicyReloaded;
        }
    }

    internal IExecutionRevocation? Source { get; }

    internal int Count => _live.Count;

    /// <summary>
    /// Watches <paramref name="bound"/>; subscribes to the source first when not subscribed (what Subscribe throws
    /// propagates: the execution is denied). Registered before the source is asked, so no revocation falls between.
    /// </summary>
    internal void Add(AuthorizationBound bound)
    {
        if (Source is not null && Volatile.Read(ref _subscription) is null)
        {
            lock (_subscribing)
            {
                _subscription ??= Source.Subscribe(this) ?? throw new InvalidOperationException("The revocation source returned no subscription.");
            }
        }

        _live[bound.Context.ExecutionId] = bound;
    }

    internal void Remove(AuthorizationBound bound) => _live.TryRemove(new KeyValuePair<Guid, AuthorizationBound>(bound.Context.ExecutionId, bound));

    void IObserver<RevocationNotice>.OnNext(RevocationNotice value)
    {
        if (value?.ExecutionId is { } id)
        {
            // Nested and delegated children follow through their parent's token.
            if (_live.TryGetValue(id, out var bound))
            {
                bound.TryRevoke(RevocationCause.ExecutionRevoked);
            }
        }
        else if (value?.KeyId is { } keyId)
        {
            foreach (var (_, bound) in _live)
            {
                if (string.Equals(bound.Context.Claims.KeyId, keyId, StringComparison.Ordinal))
                {
                    bound.TryRevoke(RevocationCause.KeyRevoked);
                }
            }
        }
    }

    // A source that fails or ends can no longer revoke: fail closed, and subscribe again at the next execution.
    void IObserver<RevocationNotice>.OnError(Exception error) => SourceFailed();

    void IObserver<RevocationNotice>.OnCompleted() => SourceFailed();

    private void SourceFailed()
    {
        Interlocked.Exchange(ref _subscription, null);
        foreach (var (_, bound) in _live)
        {
            bound.TryRevoke(RevocationCause.SourceFailed);
        }
    }

    private void OnPolicyReloaded(object? sender, EventArgs e)
    {
        if (!_live.IsEmpty)
        {
            // Off the reloading thread: every running operation's intent is decided again by the set now in force.
            _ = Task.Run(ReevaluateAsync);
        }
    }

    private async Task ReevaluateAsync()
    {
        foreach (var (_, bound) in _live)
        {
            RevocationCause? cause;
            try
            {
                var decision = await _reevaluate!(bound.Context.Intent).ConfigureAwait(false);
                cause = decision is null ? RevocationCause.PolicyFailed
                    : decision.IsPermitted ? null
                    : RevocationCause.PolicyWithdrawn(GovernedExecutor.ReasonFor(decision));
            }
            catch (Exception)
            {
                cause = RevocationCause.PolicyFailed;
            }

            if (cause is not null)
            {
                bound.TryRevoke(cause);
            }
        }
    }
}
