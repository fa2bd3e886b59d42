using GovernedExecution.Approvals;
using GovernedExecution.Artifacts;
using GovernedExecution.Artifacts.Keys;
using GovernedExecution.DependencyInjection;
using GovernedExecution.Execution;
using GovernedExecution.Intents;
using GovernedExecution.Lineage;
using GovernedExecution.Policies;
using GovernedExecution.Policies.Rules;
using GovernedExecution.Testing;

namespace GovernedExecution.Tests.Execution;

/// <summary>
/// The executor never resumes on the caller's synchronization context: a caller that blocks on it (a UI thread, a
/// classic ASP.NET request) cannot deadlock it, and governance work never queues behind the caller's own.
/// </summary>
/// <remarks>
/// The call starts on a thread whose context counts what is posted to it. Every seam completes synchronously but
/// one, which completes later on a timer thread: every await on the stack at that moment suspends, and one that had
/// captured the caller's context would have to post its continuation there. Each case makes another seam the slow
/// one, so that every await of the executor and the verifier is on the stack in at least one case.
/// </remarks>
public sealed class SynchronizationContextTests
{
    public enum Seam
    {
        Policy,
        SigningKey,
        Approval,
        TrustedKey,
        ParentTrustedKey,
        Replay,
        LineageBeforeRun,
        Operation,
        LineageOutcome,
        LineageDenial,
        LineageIssue,
        LineageDryRun,
    }

    public enum Shape
    {
        Run,
        RunDenied,
        Issue,
        IssueDenied,
        DryRun,
        Delegated,
        Refused,
    }

    public static TheoryData<Shape, Seam> Cases { get; } = new()
    {
        { Shape.Run, Seam.Policy },
        { Shape.Run, Seam.SigningKey },
        { Shape.Run, Seam.Approval },
        { Shape.Run, Seam.TrustedKey },
        { Shape.Run, Seam.Replay },
        { Shape.Run, Seam.LineageBeforeRun },
        { Shape.Run, Seam.Operation },
        { Shape.Run, Seam.LineageOutcome },
        { Shape.RunDenied, Seam.Policy },
        { Shape.RunDenied, Seam.LineageDenial },
        { Shape.Issue, Seam.Policy },
        { Shape.Issue, Seam.SigningKey },
        { Shape.Issue, Seam.Approval },
        { Shape.Issue, Seam.LineageIssue },
        { Shape.IssueDenied, Seam.Policy },
        { Shape.IssueDenied, Seam.LineageDenial },
        { Shape.DryRun, Seam.Policy },
        { Shape.DryRun, Seam.LineageDryRun },
        { Shape.Delegated, Seam.TrustedKey },
        { Shape.Delegated, Seam.ParentTrustedKey },
        { Shape.Delegated, Seam.Replay },
        { Shape.Delegated, Seam.SigningKey },
        { Shape.Refused, Seam.LineageDenial },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Nothing_is_posted_to_the_callers_context(Shape shape, Seam slow)
    {
        var context = new CountingContext();
        var seams = new Seams(slow);
        using var key = SigningKey.Generate();
        var executor = new GovernedExecutorBuilder()
            .Configure(o => o.Audience = "tests")
            .UsePolicies(new SlowPolicies(seams, new RulePolicyEvaluator(
            [
                PolicyRule.Permit("read", i => i.Action.Id == "read"),
                PolicyRule.Permit("approved-refunds", i => i.Action.Id == "refund", [new("requires_approval", "finance"), new("ttl", "30s")]),
            ])))
            .UseSigningKeyProvider(new SlowKeys(seams, key))
            .UseTrustedKeyStore(new SlowTrust(seams, new InMemoryTrustedKeyStore(key.ToTrustedKey())))
            .UseReplayGuard(new SlowReplay(seams, new InMemoryReplayGuard(TimeProvider.System)))
            .UseApprovalProvider(new SlowApprover(seams))
            .AddLineageSink(new SlowSink(seams, new InMemoryLineageSink()))
            .AddLineageSink(new InMemoryLineageSink(), LineageSinkMode.BestEffort)
            .Build();
        var refund = GovernedTestHost.Intent("refund");
        var scope = new DelegationScope([new EntityReference("Action", "read")], [new EntityReference("Ticket", "ticket-1"), new EntityReference("Ticket", "ticket-2")]);

        bool done;
        switch (shape)
        {
            case Shape.Run:
                var run = await context.Call(() => executor.RunOutcomeAsync(refund, async (_, _) =>
                {
                    await seams.At(Seam.Operation).ConfigureAwait(false);
                    return true;
                }).AsTask());
                done = run.IsSuccess;
                break;
            case Shape.RunDenied:
                var denied = await context.Call(() => executor.RunOutcomeAsync(GovernedTestHost.Intent("delete"), (_, _) => ValueTask.FromResult(true)).AsTask());
                done = denied.IsDenied;
                break;
            case Shape.Issue:
                var issued = await context.Call(() => executor.IssueAsync(refund).AsTask());
                done = issued.Artifact is not null;
                break;
            case Shape.IssueDenied:
                var refused = await context.Call(() => executor.IssueAsync(GovernedTestHost.Intent("delete")).AsTask());
                done = refused.Denial is not null;
                break;
            case Shape.DryRun:
                var dryRun = await context.Call(() => executor.AuthorizeAsync(refund).AsTask());
                done = dryRun.IsAllowed;
                break;
            case Shape.Refused:
                var refusal = await context.Call(() => executor.RefuseAsync(refund, DenialReason.ArgumentsInvalid, "the arguments could not be bound").AsTask());
                done = refusal.Reason == DenialReason.ArgumentsInvalid;
                break;
            default:
                // Everything fast while the parent artifact is issued, run and delegated; the seam is slow in the nested run.
                var parentIntent = GovernedTestHost.Intent("read", "ticket-1");
                var childIntent = GovernedTestHost.Intent("read", "ticket-2");
                seams.Enabled = false;
                var parent = await executor.IssueAsync(parentIntent, "tests", scope);
                var outer = await executor.RunOutcomeAsync(parentIntent, parent.Artifact, async (ctx, ct) =>
                {
                    seams.Enabled = slow == Seam.SigningKey;
                    var delegated = await context.Call(() => ctx.DelegateAsync(childIntent, scope, cancellationToken: ct).AsTask()).ConfigureAwait(false);
                    seams.Enabled = true;
                    var nested = await context.Call(() => executor.RunOutcomeAsync(childIntent, delegated.Artifact, (_, _) => ValueTask.FromResult(true), CancellationToken.None).AsTask()).ConfigureAwait(false);
                    return nested.IsSuccess;
                });
                done = outer.IsSuccess && outer.Result;
                break;
        }

        Assert.True(done);
        Assert.True(seams.Suspended, $"the {slow} seam was never reached with the caller's context current");
        Assert.Equal(0, context.Posts);
    }

    /// <summary>Which seam is slow; it completes later, on a timer thread.</summary>
    private sealed class Seams(Seam slow)
    {
        private int _trustLookups;

        public bool Enabled { get; set; } = true;

        public bool Suspended { get; private set; }

        public Task At(Seam seam)
        {
            if (seam == Seam.TrustedKey || seam == Seam.ParentTrustedKey)
            {
                // In a delegated run the first lookup is the child's key, the second its parent's.
                var lookup = Enabled ? Interlocked.Increment(ref _trustLookups) : 0;
                seam = lookup == 2 ? Seam.ParentTrustedKey : Seam.TrustedKey;
                if (slow == Seam.TrustedKey && lookup != 1)
                {
                    return Task.CompletedTask;
                }
            }

            if (!Enabled || seam != slow)
            {
                return Task.CompletedTask;
            }

            Suspended |= SynchronizationContext.Current is CountingContext.Counted;
            return Task.Delay(1);
        }

        public Task AtSink(IReadOnlyList<LineageEvent> events)
        {
            var kinds = events.Select(e => e.Kind).ToHashSet();
            var seam = kinds.Contains(LineageEventKind.ExecutionStarted) ? Seam.LineageBeforeRun
                : kinds.Contains(LineageEventKind.ExecutionCompleted) ? Seam.LineageOutcome
                : kinds.Contains(LineageEventKind.ExecutionDenied) ? Seam.LineageDenial
                : kinds.Contains(LineageEventKind.DryRun) ? Seam.LineageDryRun
                : kinds.Contains(LineageEventKind.ArtifactIssued) ? Seam.LineageIssue
                : (Seam)(-1);
            return At(seam);
        }
    }

    /// <summary>Counts what is posted to the context the call starts on.</summary>
    private sealed class CountingContext
    {
        private int _posts;

        public int Posts => Volatile.Read(ref _posts);

        /// <summary>Starts <paramref name="call"/> on a pool thread that has this context current.</summary>
        public async Task<T> Call<T>(Func<Task<T>> call)
        {
            var task = await Task.Factory.StartNew(() =>
            {
                SynchronizationContext.SetSynchronizationContext(new Counted(this));
                try
                {
                    return call();
                }
                finally
                {
                    SynchronizationContext.SetSynchronizationContext(null);
                }
            }, CancellationToken.None, TaskCreationOptions.DenyChildAttach, TaskScheduler.Default).ConfigureAwait(false);
            return await task.ConfigureAwait(false);
        }

        internal sealed class Counted(CountingContext counter) : SynchronizationContext
        {
            public override void Post(SendOrPostCallback d, object? state)
            {
                Interlocked.Increment(ref counter._posts);
                ThreadPool.QueueUserWorkItem(_ => d(state));
            }

            public override void Send(SendOrPostCallback d, object? state)
            {
                Interlocked.Increment(ref counter._posts);
                d(state);
            }
        }
    }

    private sealed class SlowPolicies(Seams seams, IPolicyEvaluator inner) : IPolicyEvaluator
    {
        public string PolicySetDigest => inner.PolicySetDigest;

        public async ValueTask<PolicyDecision> EvaluateAsync(ExecutionIntent intent, DateTimeOffset evaluationTime, CancellationToken cancellationToken)
        {
            await seams.At(Seam.Policy).ConfigureAwait(false);
            return await inner.EvaluateAsync(intent, evaluationTime, cancellationToken).ConfigureAwait(false);
        }
    }

    private sealed class SlowKeys(Seams seams, SigningKey key) : ISigningKeyProvider
    {
        public async ValueTask<SigningKey> GetSigningKeyAsync(CancellationToken cancellationToken)
        {
            await seams.At(Seam.SigningKey).ConfigureAwait(false);
            return key;
        }
    }

    private sealed class SlowTrust(Seams seams, ITrustedKeyStore inner) : ITrustedKeyStore
    {
        public async ValueTask<TrustedKey?> FindAsync(string keyId, CancellationToken cancellationToken)
        {
            await seams.At(Seam.TrustedKey).ConfigureAwait(false);
            return await inner.FindAsync(keyId, cancellationToken).ConfigureAwait(false);
        }
    }

    private sealed class SlowReplay(Seams seams, IReplayGuard inner) : IReplayGuard
    {
        public async ValueTask<bool> TryConsumeAsync(Guid tokenId, DateTimeOffset expiresAt, CancellationToken cancellationToken)
        {
            await seams.At(Seam.Replay).ConfigureAwait(false);
            return await inner.TryConsumeAsync(tokenId, expiresAt, cancellationToken).ConfigureAwait(false);
        }
    }

    private sealed class SlowSink(Seams seams, ILineageSink inner) : ILineageSink
    {
        public async ValueTask AppendAsync(IReadOnlyList<LineageEvent> events, CancellationToken cancellationToken)
        {
            await seams.AtSink(events).ConfigureAwait(false);
            await inner.AppendAsync(events, cancellationToken).ConfigureAwait(false);
        }
    }

    private sealed class SlowApprover(Seams seams) : IApprovalProvider
    {
        public async ValueTask<ApprovalDecision> RequestApprovalAsync(ApprovalRequest request, CancellationToken cancellationToken)
        {
            await seams.At(Seam.Approval).ConfigureAwait(false);
            return ApprovalDecision.Approve(request, "alice", request.RequestedAt.AddMinutes(5));
        }
    }
}
