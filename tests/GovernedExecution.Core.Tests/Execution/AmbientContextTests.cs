using GovernedExecution.Artifacts;
using GovernedExecution.Execution;
using GovernedExecution.Intents;
using GovernedExecution.Policies.Rules;
using GovernedExecution.Testing;

namespace GovernedExecution.Tests.Execution;

/// <summary>
/// <see cref="GovernedContext.Current"/> is the execution whose operation is running, and only while it runs. Work
/// that outlives the operation (a timer, a task, a thread started inside it: each captures the execution context)
/// must not record later, unrelated executions as its children, nor lend them its artifact.
/// </summary>
public sealed class AmbientContextTests : IDisposable
{
    private static readonly EntityReference Planner = new("Agent", "planner");

    private readonly GovernedTestHost _host = new(policies: new RulePolicyEvaluator([PolicyRule.Permit("agents", i => i.Principal.Type == "Agent")]));

    public void Dispose() => _host.Dispose();

    public static TheoryData<string> Outliving() => new("timer", "task", "thread");

    [Theory]
    [MemberData(nameof(Outliving))]
    public async Task Work_started_inside_an_operation_sees_no_context_once_the_operation_has_ended(string kind)
    {
        var gate = new ManualResetEventSlim();
        var observed = new TaskCompletionSource<(Guid? Seen, Guid ChildId)>(TaskCreationOptions.RunContinuationsAsynchronously);
        Action release = () => { };

        var parent = await _host.Executor.RunOutcomeAsync(GovernedTestHost.Intent("read"), (ctx, ct) =>
        {
            release = StartOutliving(kind, gate, observed);
            return ValueTask.FromResult(0);
        });
        release();
        gate.Set();
        var (seen, childId) = await observed.Task.WaitAsync(TimeSpan.FromSeconds(30));

        Assert.True(parent.IsSuccess);
        Assert.Null(seen);
        var recorded = _host.Lineage.Records.Where(r => r.Event.ExecutionId == childId).ToList();
        Assert.NotEmpty(recorded);
        Assert.All(recorded, r => Assert.Null(r.Event.ParentExecutionId));
        Assert.True(_host.Lineage.Verify().IsValid);
    }

    [Fact]
    public async Task Work_that_outlives_a_nested_execution_sees_its_still_running_parent_and_then_nothing()
    {
        var duringParent = new ManualResetEventSlim();
        var afterParent = new ManualResetEventSlim();
        var first = new TaskCompletionSource<(Guid? Seen, Guid ChildId)>(TaskCreationOptions.RunContinuationsAsynchronously);
        var second = new TaskCompletionSource<(Guid? Seen, Guid ChildId)>(TaskCreationOptions.RunContinuationsAsynchronously);
        Guid parentId = default, nestedId = default;
        (Guid? Seen, Guid ChildId) whileParentRan = default;

        var parent = await _host.Executor.RunOutcomeAsync(GovernedTestHost.Intent("read"), async (outer, ct) =>
        {
            parentId = outer.ExecutionId;
            var nested = await _host.Executor.RunOutcomeAsync(GovernedTestHost.Intent("refund"), (inner, ct2) =>
            {
                nestedId = inner.ExecutionId;
                StartOutliving("task", duringParent, first);
                StartOutliving("task", afterParent, second);
                return ValueTask.FromResult(0);
            }, ct);
            Assert.True(nested.IsSuccess);
            Assert.Same(outer, GovernedContext.Current);
            duringParent.Set();
            whileParentRan = await first.Task.WaitAsync(TimeSpan.FromSeconds(30), ct);
            return 0;
        });
        afterParent.Set();
        var afterParentEnded = await second.Task.WaitAsync(TimeSpan.FromSeconds(30));

        Assert.True(parent.IsSuccess);
        Assert.Equal(parentId, whileParentRan.Seen);
        Assert.Equal(parentId, ParentOf(whileParentRan.ChildId));
        Assert.Null(afterParentEnded.Seen);
        Assert.Null(ParentOf(afterParentEnded.ChildId));
        Assert.NotEqual(nestedId, whileParentRan.Seen);
    }

    [Fact]
    public async Task A_context_kept_after_its_execution_ended_cannot_delegate()
    {
        var scope = new DelegationScope([new EntityReference("Action", "plan"), new EntityReference("Action", "search")], [new EntityReference("Trip", "t-1"), new EntityReference("Flight", "f-1")]);
        var parentIntent = new ExecutionIntent(Planner, new("Action", "plan"), new("Trip", "t-1"));
        var parentArtifact = (await _host.Executor.IssueAsync(parentIntent, GovernedTestHost.Audience, scope)).Artifact!;
        GovernedContext? kept = null;
        var whileRunning = await _host.Executor.RunOutcomeAsync(parentIntent, parentArtifact, 0, async (s, ctx, ct) =>
        {
            kept = ctx;
            return await ctx.DelegateAsync(new ExecutionIntent(Planner, new("Action", "search"), new("Flight", "f-1")), new DelegationScope([new("Action", "search")], [new("Flight", "f-1")]), cancellationToken: ct);
        });

        var afterwards = await kept!.DelegateAsync(new ExecutionIntent(Planner, new("Action", "search"), new("Flight", "f-1")), new DelegationScope([new("Action", "search")], [new("Flight", "f-1")]));

        Assert.True(whileRunning.Result.IsIssued, whileRunning.Result.Denial?.ToString());
        Assert.Null(afterwards.Artifact);
        DenialDetails.AssertDenied(afterwards.Denial, DenialReason.ScopeViolation);
        Assert.Equal("the parent execution has ended: nothing can be delegated from it", afterwards.Denial.Detail);
    }

    [Fact]
    public async Task A_child_artifact_run_alone_after_its_parent_ended_does_not_borrow_the_finished_parent()
    {
        var scope = new DelegationScope([new EntityReference("Action", "plan"), new EntityReference("Action", "search")], [new EntityReference("Trip", "t-1"), new EntityReference("Flight", "f-1")]);
        var parentIntent = new ExecutionIntent(Planner, new("Action", "plan"), new("Trip", "t-1"));
        var parentArtifact = (await _host.Executor.IssueAsync(parentIntent, GovernedTestHost.Audience, scope)).Artifact!;
        var gate = new ManualResetEventSlim();
        Task<GovernedOutcome<int>>? later = null;
        var ran = false;

        var parent = await _host.Executor.RunOutcomeAsync(parentIntent, parentArtifact, 0, async (s, ctx, ct) =>
        {
            var childIntent = new ExecutionIntent(Planner, new("Action", "search"), new("Flight", "f-1")) { ParentExecutionId = ctx.ExecutionId };
            var child = await ctx.DelegateAsync(childIntent, new DelegationScope([new("Action", "search")], [new("Flight", "f-1")]), cancellationToken: ct);
            var bare = AuthorizationArtifact.FromBytes(child.Artifact!.Encoded.Span);
            // Fire and forget: runs the child, without its parent, once the parent has ended.
            later = Task.Run(async () =>
            {
                gate.Wait();
                return await _host.Executor.RunOutcomeAsync(childIntent, bare, 0, (s2, c2, ct2) => { ran = true; return ValueTask.FromResult(s2); });
            });
            return s;
        });
        gate.Set();
        var outcome = await later!.WaitAsync(TimeSpan.FromSeconds(30));

        Assert.True(parent.IsSuccess);
        Assert.False(ran);
        DenialDetails.AssertDenied(outcome.Denial, DenialReason.ScopeViolation);
        Assert.Equal("the parent artifact was neither presented nor known here", outcome.Denial.Detail);
    }

    private Guid? ParentOf(Guid execution) => _host.Lineage.Records.First(r => r.Event.ExecutionId == execution).Event.ParentExecutionId;

    /// <summary>
    /// Starts work of the given kind that, once <paramref name="gate"/> is set, reads the ambient context and runs a
    /// governed execution; returns what must be done after the operation to let it proceed (a timer is armed then).
    /// </summary>
    private Action StartOutliving(string kind, ManualResetEventSlim gate, TaskCompletionSource<(Guid? Seen, Guid ChildId)> observed)
    {
        async Task ObserveAsync()
        {
            try
            {
                gate.Wait();
                var seen = GovernedContext.Current?.ExecutionId;
                var child = await _host.Executor.RunOutcomeAsync(GovernedTestHost.Intent("refund"), (ctx, ct) => ValueTask.FromResult(0));
                Assert.True(child.IsSuccess, child.ToString());
                observed.TrySetResult((seen, child.ExecutionId));
            }
            catch (Exception ex)
            {
                observed.TrySetException(ex);
            }
        }

        switch (kind)
        {
            case "timer":
                // Created (and its execution context captured) inside the operation, armed after it.
                var timer = new Timer(_ => _ = ObserveAsync(), null, Timeout.Infinite, Timeout.Infinite);
                observed.Task.ContinueWith(_ => timer.Dispose(), TaskScheduler.Default);
                return () => timer.Change(0, Timeout.Infinite);
            case "task":
                _ = Task.Run(ObserveAsync);
                return () => { };
            default:
                new Thread(() => ObserveAsync().GetAwaiter().GetResult()) { IsBackground = true }.Start();
                return () => { };
        }
    }
}
