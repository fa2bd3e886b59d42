using GovernedExecution.Artifacts;
using GovernedExecution.Execution;
using GovernedExecution.Intents;
using GovernedExecution.Lineage;
using GovernedExecution.Policies.Cedar;
using GovernedExecution.Policies.Rules;
using GovernedExecution.Testing;

namespace GovernedExecution.Tests.Execution;

/// <summary>
/// The token handed to an operation lasts only as long as its authorization: expiry, max_duration, the host's
/// revocations of the execution or its key, a policy reload that withdraws the permit, the end of the parent. Tests wait
/// for the cancellation with a generous timeout and assert causes and order, never durations.
/// </summary>
public sealed class AuthorizationBoundTests : IDisposable
{
    private static readonly TimeSpan Generous = TimeSpan.FromSeconds(30);

    private readonly InMemoryExecutionRevocation _revocation = new();
    private readonly GovernedTestHost _host;

    public AuthorizationBoundTests() => _host = new GovernedTestHost(b => b.UseExecutionRevocation(_revocation));

    public void Dispose() => _host.Dispose();

    [Fact]
    public async Task An_operation_running_past_its_artifacts_expiry_sees_its_token_canceled_and_lineage_says_why()
    {
        var running = Start(_host.Executor);
        var context = await running.Started;

        // At exp the start check would still accept the artifact (clock skew, 30 s here); past exp + skew it would not.
        _host.FakeTime!.Advance(context.Claims.ExpiresAt - _host.Time.GetUtcNow());
        Assert.False(context.Bound!.Token.IsCancellationRequested);
        _host.FakeTime.Advance(TimeSpan.FromSeconds(31));
        var outcome = await running.Outcome;

        Assert.True(running.SawCancellation);
        AssertRevoked(_host, outcome, "expired", DenialReason.Expired);
        Assert.Equal("the artifact expired while the operation ran", outcome.Denial!.Detail);
    }

    [Fact]
    public async Task An_artifact_verifier_of_the_hosts_own_that_gives_a_far_expiry_still_runs_and_bounds_the_run_at_the_longest_timer()
    {
        // A verifier of the host's own may vouch for claims that end far beyond the longest time a timer can wait
        // (here the end of the calendar): the bound once threw setting its timer, and every such call was denied
        // ("revocation failed").
        var policies = GovernedTestHost.DefaultPolicies();
        var codec = new NoCryptoArtifacts(policies.PolicySetDigest);
        using var host = new GovernedTestHost(b => b.UseArtifactCodec(codec, codec), policies, TimeProvider.System, new ChainOnlyLineageSink());
        CancellationToken seen = default;

        var outcome = await host.Executor.RunOutcomeAsync(GovernedTestHost.Intent("read"), 1, (s, ctx, ct) =>
        {
            seen = ct;
            return ValueTask.FromResult(s + 1);
        });

        Assert.True(outcome.IsSuccess, outcome.IsDenied ? outcome.Denial!.Detail : "faulted");
        Assert.Equal(2, outcome.Result);
        Assert.True(seen.CanBeCanceled);
        Assert.Equal(TimeSpan.FromMilliseconds(uint.MaxValue - 1), AuthorizationBound.LongestTimer);
    }

    [Fact]
    public async Task Key_revocation_mid_run_cancels_the_operation()
    {
        var running = Start(_host.Executor);
        var context = await running.Started;

        _revocation.RevokeKey(context.Claims.KeyId);
        var outcome = await running.Outcome;

        Assert.True(running.SawCancellation);
        AssertRevoked(_host, outcome, "key_revoked", DenialReason.UntrustedKey);
    }

    [Fact]
    public async Task Execution_revocation_mid_run_cancels_the_operation()
    {
        var running = Start(_host.Executor);
        var context = await running.Started;

        _revocation.RevokeExecution(context.ExecutionId);
        var outcome = await running.Outcome;

        Assert.True(running.SawCancellation);
        AssertRevoked(_host, outcome, "execution_revoked", DenialReason.Revoked);
    }

    [Fact]
    public async Task A_revoked_key_denies_a_new_execution_before_its_operation_runs()
    {
        var probe = await _host.Executor.RunOutcomeAsync(GovernedTestHost.Intent("read"), (ctx, _) => ValueTask.FromResult(ctx.Claims.KeyId));
        _revocation.RevokeKey(probe.Result);
        var ran = false;

        var outcome = await _host.Executor.RunOutcomeAsync(GovernedTestHost.Intent("read"), (_, _) => { ran = true; return ValueTask.FromResult(1); });

        Assert.False(ran);
        DenialDetails.AssertDenied(outcome.Denial, DenialReason.UntrustedKey);
    }

    [Fact]
    public async Task Revocation_after_completion_does_not_rewrite_the_outcome()
    {
        var outcome = await _host.Executor.RunOutcomeAsync(GovernedTestHost.Intent("read"), (_, _) => ValueTask.FromResult(1));
        _revocation.RevokeExecution(outcome.ExecutionId);
        _host.FakeTime!.Advance(TimeSpan.FromMinutes(5));

        Assert.Equal(GovernedOutcomeKind.Succeeded, outcome.Kind);
        var records = _host.Lineage.Records.Where(r => r.Event.ExecutionId == outcome.ExecutionId).Select(r => r.Event.Kind).ToList();
        Assert.Equal(LineageEventKind.ExecutionCompleted, records[^1]);
        Assert.DoesNotContain(LineageEventKind.ExecutionRevoked, records);
    }

    [Fact]
    public async Task An_operation_that_ignores_its_token_and_returns_later_gets_Revoked_and_one_outcome_record()
    {
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var started = new TaskCompletionSource<GovernedContext>(TaskCreationOptions.RunContinuationsAsynchronously);
        var run = _host.Executor.RunOutcomeAsync(GovernedTestHost.Intent("read"), async (ctx, _) =>
        {
            started.SetResult(ctx);
            await release.Task.WaitAsync(Generous, CancellationToken.None);
            return 42;
        }).AsTask();
        var context = await started.Task.WaitAsync(Generous);

        _revocation.RevokeExecution(context.ExecutionId);
        release.SetResult();
        var outcome = await run.WaitAsync(Generous);

        Assert.Equal(GovernedOutcomeKind.Revoked, outcome.Kind);
        Assert.Throws<InvalidOperationException>(() => outcome.Result);
        Assert.Equal(DenialReason.Revoked, Assert.Throws<ExecutionDeniedException>(() => outcome.GetResultOrThrow()).Denial.Reason);
        var outcomes = _host.Lineage.Records.Where(r => r.Event.ExecutionId == outcome.ExecutionId
            && r.Event.Kind is LineageEventKind.ExecutionCompleted or LineageEventKind.ExecutionFailed or LineageEventKind.ExecutionRevoked).ToList();
        Assert.Equal(LineageEventKind.ExecutionRevoked, Assert.Single(outcomes).Event.Kind);
    }

    [Fact]
    public async Task Many_calls_racing_their_revocation_each_get_one_consistent_outcome_and_leave_nothing_registered()
    {
        var revoked = 0;
        var tasks = Enumerable.Range(0, 400).Select(i => Task.Run(async () =>
        {
            var outcome = await _host.Executor.RunOutcomeAsync(GovernedTestHost.Intent("read"), async (ctx, ct) =>
            {
                // Revoke itself from another thread while returning: either side may win the swap.
                var revoke = Task.Run(() => _revocation.RevokeExecution(ctx.ExecutionId), CancellationToken.None);
                if (i % 2 == 0)
                {
                    await revoke;
                }

                return ct.IsCancellationRequested;
            });
            if (outcome.Kind == GovernedOutcomeKind.Revoked)
            {
                Interlocked.Increment(ref revoked);
            }
            else
            {
                Assert.Equal(GovernedOutcomeKind.Succeeded, outcome.Kind);
                Assert.False(outcome.Result); // a Succeeded operation never saw its token canceled by a revocation
            }

            return outcome;
        })).ToArray();
        var outcomes = await Task.WhenAll(tasks).WaitAsync(TimeSpan.FromMinutes(2));

        foreach (var outcome in outcomes)
        {
            var kinds = _host.Lineage.Records.Where(r => r.Event.ExecutionId == outcome.ExecutionId).Select(r => r.Event.Kind).ToList();
            var last = Assert.Single(kinds, k => k is LineageEventKind.ExecutionCompleted or LineageEventKind.ExecutionFailed or LineageEventKind.ExecutionRevoked);
            Assert.Equal(outcome.Kind == GovernedOutcomeKind.Revoked ? LineageEventKind.ExecutionRevoked : LineageEventKind.ExecutionCompleted, last);
        }

        Assert.True(revoked >= 200, $"{revoked} revoked"); // every awaited revocation wins
        Assert.Equal(0, LiveBounds(_host.Executor));
        Assert.True(_host.Lineage.Verify().IsValid);
    }

    [Fact]
    public async Task A_parents_cancellation_reaches_a_delegated_child()
    {
        var planner = new EntityReference("Agent", "planner");
        var plan = new EntityReference("Action", "plan");
        var search = new EntityReference("Action", "search");
        var trip = new EntityReference("Trip", "t-1");
        var flight = new EntityReference("Flight", "f-1");
        using var host = new GovernedTestHost(policies: new RulePolicyEvaluator([PolicyRule.Permit("agents", i => i.Principal.Type == "Agent")]));
        var parentIntent = new ExecutionIntent(planner, plan, trip);
        var parent = await host.Executor.IssueAsync(parentIntent, GovernedTestHost.Audience, new DelegationScope([plan, search], [trip, flight]));
        using var caller = new CancellationTokenSource();
        var childStarted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var childCanceled = false;
        GovernedOutcome<int> child = default;

        var run = host.Executor.RunOutcomeAsync(parentIntent, parent.Artifact, 0, async (s, ctx, ct) =>
        {
            var childIntent = new ExecutionIntent(planner, search, flight) { ParentExecutionId = ctx.ExecutionId };
            var issued = await ctx.DelegateAsync(childIntent, new DelegationScope([search], [flight]), cancellationToken: ct);
            Assert.True(issued.IsIssued, issued.Denial?.ToString());
            // The child is not handed the parent's token: it inherits the bound all the same.
            child = await host.Executor.RunOutcomeAsync(childIntent, AuthorizationArtifact.FromBytes(issued.Artifact!.Encoded.Span), 0, async (s2, c2, ct2) =>
            {
                childStarted.SetResult();
                try
                {
                    await Task.Delay(Timeout.Infinite, ct2).WaitAsync(Generous, CancellationToken.None);
                }
                catch (OperationCanceledException) when (ct2.IsCancellationRequested)
                {
                    childCanceled = true;
                    throw;
                }

                return s2;
            }, CancellationToken.None);
            return s;
        }, caller.Token).AsTask();
        await childStarted.Task.WaitAsync(Generous);

        await caller.CancelAsync();
        var outcome = await run.WaitAsync(Generous);

        Assert.True(outcome.IsSuccess);
        Assert.True(childCanceled);
        AssertRevoked(host, child, "parent_ended", DenialReason.Revoked);
        Assert.IsAssignableFrom<OperationCanceledException>(child.Exception);
    }

    [Fact]
    public async Task Revoking_a_parent_execution_cancels_its_nested_child()
    {
        var childStarted = new TaskCompletionSource<Guid>(TaskCreationOptions.RunContinuationsAsynchronously);
        GovernedOutcome<int> child = default;
        var run = _host.Executor.RunOutcomeAsync(GovernedTestHost.Intent("read"), async (ctx, _) =>
        {
            child = await _host.Executor.RunOutcomeAsync(GovernedTestHost.Intent("refund"), async (inner, ct) =>
            {
                childStarted.SetResult(ctx.ExecutionId);
                await Task.Delay(Timeout.Infinite, ct).WaitAsync(Generous, CancellationToken.None);
                return 1;
            }, CancellationToken.None);
            return 0;
        }).AsTask();
        var parentId = await childStarted.Task.WaitAsync(Generous);

        _revocation.RevokeExecution(parentId);
        var parent = await run.WaitAsync(Generous);

        AssertRevoked(_host, child, "parent_ended", DenialReason.Revoked);
        AssertRevoked(_host, parent, "execution_revoked", DenialReason.Revoked);
    }

    [Fact]
    public async Task A_policy_reload_that_withdraws_the_permit_cancels_the_operation()
    {
        using var folder = new TempFolder();
        folder.Write("p.cedar", "permit(principal, action == Action::\"read\", resource);");
        using var policies = new CedarPolicyDirectory(folder.Path);
        using var host = new GovernedTestHost(policies: policies);
        var running = Start(host.Executor);
        await running.Started;

        folder.Write("p.cedar", "permit(principal, action == Action::\"refund\", resource);");
        policies.Reload();
        var outcome = await running.Outcome;

        Assert.True(running.SawCancellation);
        AssertRevoked(host, outcome, "policy_withdrawn", DenialReason.NotPermitted);
    }

    [Fact]
    public async Task A_policy_reload_that_still_permits_lets_the_operation_run_on()
    {
        using var folder = new TempFolder();
        folder.Write("p.cedar", "permit(principal, action == Action::\"read\", resource);");
        using var policies = new CedarPolicyDirectory(folder.Path);
        using var host = new GovernedTestHost(policies: policies);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var started = new TaskCompletionSource<GovernedContext>(TaskCreationOptions.RunContinuationsAsynchronously);
        var run = host.Executor.RunOutcomeAsync(GovernedTestHost.Intent("read"), async (ctx, ct) =>
        {
            started.SetResult(ctx);
            await release.Task.WaitAsync(Generous, CancellationToken.None);
            // The re-evaluation has had its chance: a check at the operation's own step decides with the same policies.
            await ctx.EnsureAuthorizedAsync(ct);
            return ct.IsCancellationRequested;
        }).AsTask();
        await started.Task.WaitAsync(Generous);

        folder.Write("p.cedar", "permit(principal, action in [Action::\"read\", Action::\"refund\"], resource);");
        policies.Reload();
        release.SetResult();
        var outcome = await run.WaitAsync(Generous);

        Assert.Equal(GovernedOutcomeKind.Succeeded, outcome.Kind);
        Assert.False(outcome.Result);
    }

    [Fact]
    public async Task A_max_duration_obligation_bounds_the_operation()
    {
        using var host = new GovernedTestHost(b => b.Configure(o => o.ArtifactLifetime = TimeSpan.FromMinutes(10)), policies: new RulePolicyEvaluator(
            [PolicyRule.Permit("bounded-read", i => i.Action.Id == "read", [new("max_duration", "30s")])]));
        var running = Start(host.Executor);
        await running.Started;

        host.FakeTime!.Advance(TimeSpan.FromSeconds(31));
        var outcome = await running.Outcome;

        Assert.True(running.SawCancellation);
        AssertRevoked(host, outcome, "max_duration", DenialReason.Expired);
    }

    [Theory]
    [InlineData("5 m")]
    [InlineData("0s")]
    [InlineData("-1m")]
    [InlineData("5min")]
    [InlineData("")]
    [InlineData("1.5m")]
    public async Task An_invalid_max_duration_obligation_denies_and_the_operation_does_not_run(string value)
    {
        using var host = new GovernedTestHost(policies: new RulePolicyEvaluator(
            [PolicyRule.Permit("bounded-read", i => i.Action.Id == "read", [new("max_duration", value)])]));
        var ran = false;

        var outcome = await host.Executor.RunOutcomeAsync(GovernedTestHost.Intent("read"), (_, _) => { ran = true; return ValueTask.FromResult(1); });

        Assert.False(ran);
        DenialDetails.AssertDenied(outcome.Denial, DenialReason.ObligationUnsatisfied);
    }

    [Fact]
    public async Task A_revocation_source_that_throws_denies_and_the_operation_does_not_run()
    {
        using var host = new GovernedTestHost(b => b.UseExecutionRevocation(new FaultySource { Check = () => throw new InvalidOperationException("down") }));
        var ran = false;

        var outcome = await host.Executor.RunOutcomeAsync(GovernedTestHost.Intent("read"), (_, _) => { ran = true; return ValueTask.FromResult(1); });

        Assert.False(ran);
        DenialDetails.AssertDenied(outcome.Denial, DenialReason.GovernanceFault);
        Assert.Equal("revocation failed: InvalidOperationException", outcome.Denial!.Detail);
    }

    [Fact]
    public async Task A_revocation_source_whose_subscription_throws_denies_and_the_operation_does_not_run()
    {
        using var host = new GovernedTestHost(b => b.UseExecutionRevocation(new FaultySource { OnSubscribe = () => throw new InvalidOperationException("down") }));
        var ran = false;

        var outcome = await host.Executor.RunOutcomeAsync(GovernedTestHost.Intent("read"), (_, _) => { ran = true; return ValueTask.FromResult(1); });

        Assert.False(ran);
        DenialDetails.AssertDenied(outcome.Denial, DenialReason.GovernanceFault);
    }

    [Fact]
    public async Task A_revocation_source_that_hangs_denies_after_the_dependency_timeout()
    {
        var asked = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var never = new TaskCompletionSource<RevocationNotice?>();
        using var host = new GovernedTestHost(b => b.UseExecutionRevocation(new FaultySource { Check = () => { asked.TrySetResult(); return never.Task; } }));
        var ran = false;

        var run = host.Executor.RunOutcomeAsync(GovernedTestHost.Intent("read"), (_, _) => { ran = true; return ValueTask.FromResult(1); }).AsTask();
        await asked.Task.WaitAsync(Generous);
        host.FakeTime!.Advance(TimeSpan.FromSeconds(6));
        var outcome = await run.WaitAsync(Generous);

        Assert.False(ran);
        DenialDetails.AssertDenied(outcome.Denial, DenialReason.GovernanceFault);
        Assert.Equal("revocation timed out", outcome.Denial!.Detail);
    }

    [Fact]
    public async Task A_revocation_source_that_fails_mid_run_cancels_the_operation_and_the_next_call_subscribes_again()
    {
        var source = new FaultySource();
        using var host = new GovernedTestHost(b => b.UseExecutionRevocation(source));
        var running = Start(host.Executor);
        await running.Started;

        source.Fail(new IOException("stream lost"));
        var outcome = await running.Outcome;

        Assert.True(running.SawCancellation);
        AssertRevoked(host, outcome, "revocation_source_failed", DenialReason.GovernanceFault);
        var next = await host.Executor.RunOutcomeAsync(GovernedTestHost.Intent("read"), (_, _) => ValueTask.FromResult(1));
        Assert.True(next.IsSuccess);
        Assert.Equal(2, source.Subscriptions);
    }

    [Fact]
    public async Task EnsureAuthorizedAsync_after_revocation_throws_the_denial()
    {
        ExecutionDeniedException? thrown = null;
        var outcome = await _host.Executor.RunOutcomeAsync(GovernedTestHost.Intent("read"), async (ctx, ct) =>
        {
            await ctx.EnsureAuthorizedAsync(ct); // still authorized: passes, and spends no second use
            _revocation.RevokeExecution(ctx.ExecutionId);
            thrown = await Assert.ThrowsAsync<ExecutionDeniedException>(async () => await ctx.EnsureAuthorizedAsync(CancellationToken.None));
            return 1;
        });

        DenialDetails.AssertDenied(thrown!.Denial, DenialReason.Revoked);
        Assert.Equal(GovernedOutcomeKind.Revoked, outcome.Kind);
    }

    [Fact]
    public async Task EnsureAuthorizedAsync_finds_a_key_revoked_in_the_trusted_key_store()
    {
        using var host = new GovernedTestHost();
        ExecutionDeniedException? thrown = null;
        var outcome = await host.Executor.RunOutcomeAsync(GovernedTestHost.Intent("read"), async (ctx, ct) =>
        {
            host.TrustStore.Revoke(ctx.Claims.KeyId);
            thrown = await Assert.ThrowsAsync<ExecutionDeniedException>(async () => await ctx.EnsureAuthorizedAsync(CancellationToken.None));
            return ct.IsCancellationRequested;
        });

        DenialDetails.AssertDenied(thrown!.Denial, DenialReason.UntrustedKey);
        AssertRevoked(host, outcome, "key_revoked", DenialReason.UntrustedKey);
    }

    [Fact]
    public async Task EnsureAuthorizedAsync_re_evaluates_the_policies_unless_told_not_to()
    {
        var permit = true;
        var policies = new RulePolicyEvaluator([PolicyRule.Permit("switch", _ => permit)]);
        using var host = new GovernedTestHost(policies: policies);
        using var lenient = new GovernedTestHost(b => b.Configure(o => o.EnsureAuthorizedEvaluatesPolicy = false), policies: policies);

        var strict = await host.Executor.RunOutcomeAsync(GovernedTestHost.Intent("read"), async (ctx, ct) =>
        {
            permit = false;
            var denied = await Assert.ThrowsAsync<ExecutionDeniedException>(async () => await ctx.EnsureAuthorizedAsync(CancellationToken.None));
            permit = true;
            return denied.Denial;
        });
        var kept = await lenient.Executor.RunOutcomeAsync(GovernedTestHost.Intent("read"), async (ctx, ct) =>
        {
            permit = false;
            await ctx.EnsureAuthorizedAsync(ct);
            permit = true;
            return 1;
        });

        Assert.Equal(GovernedOutcomeKind.Revoked, strict.Kind);
        DenialDetails.AssertDenied(strict.Denial, DenialReason.NotPermitted);
        Assert.True(kept.IsSuccess);
    }

    [Fact]
    public async Task EnsureAuthorizedAsync_on_a_context_kept_past_its_operation_throws()
    {
        var outcome = await _host.Executor.RunOutcomeAsync(GovernedTestHost.Intent("read"), (ctx, _) => ValueTask.FromResult(ctx));

        var thrown = await Assert.ThrowsAsync<ExecutionDeniedException>(async () => await outcome.Result.EnsureAuthorizedAsync());

        DenialDetails.AssertDenied(thrown.Denial, DenialReason.Revoked);
    }

    [Fact]
    public async Task An_operation_that_ignores_its_revocation_can_neither_run_nested_executions_nor_delegate()
    {
        var planner = new EntityReference("Agent", "planner");
        var plan = new EntityReference("Action", "plan");
        var search = new EntityReference("Action", "search");
        var trip = new EntityReference("Trip", "t-1");
        var revocation = new InMemoryExecutionRevocation();
        using var host = new GovernedTestHost(b => b.UseExecutionRevocation(revocation), policies: new RulePolicyEvaluator([PolicyRule.Permit("agents", i => i.Principal.Type == "Agent")]));
        var parentIntent = new ExecutionIntent(planner, plan, trip);
        var parent = await host.Executor.IssueAsync(parentIntent, GovernedTestHost.Audience, new DelegationScope([plan, search], [trip]));
        var nestedRan = false;
        ExecutionDenial? nestedDenial = null, delegatedDenial = null;

        var outcome = await host.Executor.RunOutcomeAsync(parentIntent, parent.Artifact, 0, async (s, ctx, ct) =>
        {
            revocation.RevokeExecution(ctx.ExecutionId);
            // Ignores its token and goes on:
            var nested = await host.Executor.RunOutcomeAsync(new ExecutionIntent(planner, search, trip), (_, _) => { nestedRan = true; return ValueTask.FromResult(1); }, CancellationToken.None);
            var delegated = await ctx.DelegateAsync(new ExecutionIntent(planner, search, trip), new DelegationScope([search], [trip]), cancellationToken: CancellationToken.None);
            (nestedDenial, delegatedDenial) = (nested.Denial, delegated.Denial);
            return s;
        });

        Assert.Equal(GovernedOutcomeKind.Revoked, outcome.Kind);
        Assert.False(nestedRan);
        DenialDetails.AssertDenied(nestedDenial, DenialReason.Revoked);
        DenialDetails.AssertDenied(delegatedDenial, DenialReason.ScopeViolation);
    }

    [Fact]
    public async Task A_bound_armed_where_the_caller_suppressed_the_execution_context_flow_still_arms_its_timer()
    {
        var kept = await _host.Executor.RunOutcomeAsync(GovernedTestHost.Intent("read"), (ctx, _) => ValueTask.FromResult(ctx));
        using var bound = new AuthorizationBound(kept.Result, null);

        using (ExecutionContext.SuppressFlow())
        {
            bound.Start(_host.Time, TimeSpan.FromSeconds(10), null, CancellationToken.None, CancellationToken.None);
        }

        _host.FakeTime!.Advance(TimeSpan.FromSeconds(11));
        Assert.True(bound.Token.IsCancellationRequested);
        Assert.Same(RevocationCause.Expired, bound.Cause);
    }

    [Fact]
    public async Task The_token_of_a_completed_operation_is_canceled_for_what_it_left_running()
    {
        var outcome = await _host.Executor.RunOutcomeAsync(GovernedTestHost.Intent("read"), (_, ct) => ValueTask.FromResult(ct));

        Assert.True(outcome.Result.IsCancellationRequested);
        Assert.Equal(0, LiveBounds(_host.Executor));
    }

    private static int LiveBounds(IGovernedExecutor executor) => ((GovernedExecutor)executor).LiveBounds;

    private static void AssertRevoked<T>(GovernedTestHost host, GovernedOutcome<T> outcome, string cause, DenialReason reason)
    {
        Assert.Equal(GovernedOutcomeKind.Revoked, outcome.Kind);
        DenialDetails.AssertDenied(outcome.Denial, reason);
        var records = host.Lineage.Records.Where(r => r.Event.ExecutionId == outcome.ExecutionId).Select(r => r.Event).ToList();
        var last = records[^1];
        Assert.Equal(LineageEventKind.ExecutionRevoked, last.Kind);
        Assert.Contains(new KeyValuePair<string, string>("cause", cause), last.Attributes);
        Assert.Contains(new KeyValuePair<string, string>("reason", reason.ToString()), last.Attributes);
        Assert.Contains(records, r => r.Kind == LineageEventKind.ExecutionStarted);
        Assert.DoesNotContain(records, r => r.Kind is LineageEventKind.ExecutionCompleted or LineageEventKind.ExecutionFailed);
        Assert.True(host.Lineage.Verify().IsValid);
    }

    private static Running Start(IGovernedExecutor executor)
    {
        var running = new Running();
        running.Outcome = executor.RunOutcomeAsync(GovernedTestHost.Intent("read"), async (ctx, ct) =>
        {
            running.StartedSource.SetResult(ctx);
            try
            {
                await Task.Delay(Timeout.Infinite, ct).WaitAsync(Generous, CancellationToken.None);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                running.SawCancellation = true;
                throw;
            }

            return 1;
        }).AsTask().WaitAsync(Generous);
        return running;
    }

    private sealed class Running
    {
        internal TaskCompletionSource<GovernedContext> StartedSource { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        internal Task<GovernedContext> Started => StartedSource.Task.WaitAsync(Generous);

        internal Task<GovernedOutcome<int>> Outcome { get; set; } = null!;

        internal bool SawCancellation { get; set; }
    }

    /// <summary>A revocation source whose seams throw, hang or fail on demand.</summary>
    private sealed class FaultySource : IExecutionRevocation
    {
        private IObserver<RevocationNotice>? _observer;

        internal Func<Task<RevocationNotice?>>? Check { get; init; }

        internal Action? OnSubscribe { get; init; }

        internal int Subscriptions { get; private set; }

        public ValueTask<RevocationNotice?> CheckAsync(Guid executionId, string keyId, CancellationToken cancellationToken) =>
            Check is null ? ValueTask.FromResult<RevocationNotice?>(null) : new ValueTask<RevocationNotice?>(Check());

        public IDisposable Subscribe(IObserver<RevocationNotice> observer)
        {
            OnSubscribe?.Invoke();
            Subscriptions++;
            _observer = observer;
            return new CancellationTokenSource();
        }

        internal void Fail(Exception error) => _observer!.OnError(error);
    }

    private sealed class TempFolder : IDisposable
    {
        internal string Path { get; } = Directory.CreateTempSubdirectory("govexec-revoke-").FullName;

        internal void Write(string name, string text)
        {
            var temporary = System.IO.Path.Combine(Path, name + ".tmp");
            File.WriteAllText(temporary, text);
            File.Move(temporary, System.IO.Path.Combine(Path, name), overwrite: true);
        }

        public void Dispose() => Directory.Delete(Path, recursive: true);
    }
}
