using GovernedExecution.Artifacts;
using GovernedExecution.Artifacts.Keys;
using GovernedExecution.Execution;
using GovernedExecution.Lineage;
using GovernedExecution.Testing;

namespace GovernedExecution.Tests.Diagnostics;

/// <summary>
/// Whatever path a governed call takes (permitted, denied, faulted in any seam, a dry run, an issue, nested or
/// delegated), its spans form one well-formed tree: one root per call, every span stopped, every other span's parent a
/// span of the same tree.
/// </summary>
public sealed class SpanTreeTests
{
    public enum Path
    {
        Permitted,
        PolicyDenied,
        PolicyEvaluatorThrows,
        SigningKeyThrows,
        RequiredSinkThrows,
        BestEffortSinkThrows,
        ArtifactMissing,
        ArtifactForAnotherIntent,
        OperationThrows,
        CanceledBeforeTheOperation,
        DryRunAllowed,
        DryRunDenied,
        DryRunPolicyEvaluatorThrows,
        Issued,
        IssueDenied,
        Refused,
        NestedRun,
        DelegatedAndRun,
    }

    public static TheoryData<Path> Paths() => new(Enum.GetValues<Path>());

    [Theory]
    [MemberData(nameof(Paths))]
    public async Task Every_path_leaves_one_root_per_call_and_no_orphan_or_unstopped_span(Path path)
    {
        using var key = SigningKey.Generate();
        using var host = new GovernedTestHost(b =>
        {
            switch (path)
            {
                case Path.SigningKeyThrows:
                    b.UseSigningKeyProvider(new FaultySigningKeyProvider(key, FaultKind.Throws));
                    break;
                case Path.RequiredSinkThrows:
                    b.AddLineageSink(new FaultyLineageSink(FaultKind.Throws), LineageSinkMode.Required);
                    break;
                case Path.BestEffortSinkThrows:
                    b.AddLineageSink(new FaultyLineageSink(FaultKind.Throws), LineageSinkMode.BestEffort);
                    break;
            }
        }, path is Path.PolicyEvaluatorThrows or Path.DryRunPolicyEvaluatorThrows ? new FaultyPolicyEvaluator(GovernedTestHost.DefaultPolicies(), FaultKind.Throws) : null);
        var executor = host.Executor;
        var read = GovernedTestHost.Intent("read");
        int calls;

        using (var trace = new TraceRecorder())
        {
            calls = await DriveAsync(path, executor, read);
            AssertWellFormed(trace, calls);
        }
    }

    private static async Task<int> DriveAsync(Path path, IGovernedExecutor executor, GovernedExecution.Intents.ExecutionIntent read)
    {
        static ValueTask<int> One(GovernedContext ctx, CancellationToken ct) => ValueTask.FromResult(1);
        switch (path)
        {
            case Path.PolicyDenied:
                Assert.True((await executor.RunOutcomeAsync(GovernedTestHost.Intent("delete"), One)).IsDenied);
                return 1;
            case Path.ArtifactMissing:
                Assert.True((await executor.RunOutcomeAsync(read, null, 0, (s, ctx, ct) => ValueTask.FromResult(s))).IsDenied);
                return 1;
            case Path.ArtifactForAnotherIntent:
                var other = await executor.IssueAsync(GovernedTestHost.Intent("read", "ticket-2"));
                Assert.True((await executor.RunOutcomeAsync(read, other.Artifact, 0, (s, ctx, ct) => ValueTask.FromResult(s))).IsDenied);
                return 2;
            case Path.OperationThrows:
                Assert.Equal(GovernedOutcomeKind.Faulted, (await executor.RunOutcomeAsync<int>(read, (ctx, ct) => throw new FormatException("boom"))).Kind);
                return 1;
            case Path.CanceledBeforeTheOperation:
                using (var cancel = new CancellationTokenSource())
                {
                    await cancel.CancelAsync();
                    Assert.True((await executor.RunOutcomeAsync(read, One, cancel.Token)).IsDenied);
                }

                return 1;
            case Path.DryRunAllowed:
                Assert.True((await executor.AuthorizeAsync(read)).IsAllowed);
                return 1;
            case Path.DryRunDenied:
            case Path.DryRunPolicyEvaluatorThrows:
                Assert.False((await executor.AuthorizeAsync(path == Path.DryRunDenied ? GovernedTestHost.Intent("delete") : read)).IsAllowed);
                return 1;
            case Path.Issued:
                Assert.True((await executor.IssueAsync(read)).IsIssued);
                return 1;
            case Path.IssueDenied:
                Assert.False((await executor.IssueAsync(GovernedTestHost.Intent("delete"))).IsIssued);
                return 1;
            case Path.Refused:
                await executor.RefuseAsync(read, DenialReason.ArgumentsInvalid, "the arguments could not be bound");
                return 1;
            case Path.NestedRun:
                var nested = await executor.RunOutcomeAsync(read, async (ctx, ct) =>
                {
                    var inner = await executor.RunOutcomeAsync(GovernedTestHost.Intent("read", "ticket-2"), One, ct);
                    var denied = await executor.RunOutcomeAsync(GovernedTestHost.Intent("delete", "ticket-2"), One, ct);
                    return inner.Result + (denied.IsDenied ? 1 : 0);
                });
                Assert.Equal(2, nested.Result);
                return 3;
            case Path.DelegatedAndRun:
                var scope = new DelegationScope([read.Action], [read.Resource]);
                var parent = await executor.IssueAsync(read, null, scope);
                var delegated = await executor.RunOutcomeAsync(read, parent.Artifact, 0, async (s, ctx, ct) =>
                {
                    var childIntent = new GovernedExecution.Intents.ExecutionIntent(read.Principal, read.Action, read.Resource) { ParentExecutionId = ctx.ExecutionId };
                    var child = await ctx.DelegateAsync(childIntent, new DelegationScope([read.Action], [read.Resource]), cancellationToken: ct);
                    Assert.True(child.IsIssued, child.Denial?.ToString());
                    var run = await executor.RunOutcomeAsync(childIntent, AuthorizationArtifact.FromBytes(child.Artifact!.Encoded.Span), 0, (s2, c2, ct2) => ValueTask.FromResult(1), ct);
                    Assert.True(run.IsSuccess, run.Denial?.ToString());
                    return 1;
                });
                Assert.True(delegated.IsSuccess, delegated.Denial?.ToString());
                return 4;
            default:
                await executor.RunOutcomeAsync(read, One);
                return 1;
        }
    }

    private static void AssertWellFormed(TraceRecorder trace, int calls)
    {
        var started = trace.Started;
        var stopped = trace.Stopped;
        Assert.NotEmpty(started);
        Assert.Equal(started.ToHashSet(), stopped.ToHashSet());
        Assert.All(stopped, s => Assert.True(s.IsStopped, s.DisplayName + " was never stopped"));

        var spanIds = stopped.Select(s => s.SpanId).ToHashSet();
        var roots = trace.Roots;
        Assert.Equal(calls, roots.Length);
        foreach (var span in stopped)
        {
            if (roots.Contains(span))
            {
                // A call's root hangs under the caller's span: the test's, or the operation of the call it is nested in.
                Assert.True(span.ParentSpanId == trace.Marker.SpanId || spanIds.Contains(span.ParentSpanId), span.DisplayName + " hangs under a span not recorded");
            }
            else
            {
                Assert.True(spanIds.Contains(span.ParentSpanId), span.DisplayName + " is an orphan: its parent is not a span of a governed call");
            }
        }
    }
}
