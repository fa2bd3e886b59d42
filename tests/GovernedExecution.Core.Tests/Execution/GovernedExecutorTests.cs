using GovernedExecution.Execution;
using GovernedExecution.Intents;
using GovernedExecution.Lineage;
using GovernedExecution.Policies;
using GovernedExecution.Policies.Rules;
using GovernedExecution.Testing;

namespace GovernedExecution.Tests.Execution;

public sealed class GovernedExecutorTests : IDisposable
{
    private readonly GovernedTestHost _host = new();

    public void Dispose() => _host.Dispose();

    [Fact]
    public async Task Permitted_intent_runs_once_and_returns_the_result()
    {
        var runs = 0;
        var result = await _host.Executor.RunAsync(GovernedTestHost.Intent("read"), (ctx, ct) =>
        {
            runs++;
            return ValueTask.FromResult(42);
        });

        Assert.Equal(42, result);
        Assert.Equal(1, runs);
    }

    [Fact]
    public async Task Context_carries_the_execution_the_decision_and_the_verified_claims()
    {
        GovernedContext? seen = null;
        var outcome = await _host.Executor.RunOutcomeAsync(GovernedTestHost.Intent("read"), (ctx, ct) =>
        {
            seen = ctx;
            Assert.Same(ctx, GovernedContext.Current);
            return ValueTask.FromResult(true);
        });

        Assert.True(outcome.IsSuccess);
        Assert.NotNull(seen);
        Assert.Equal(outcome.ExecutionId, seen!.ExecutionId);
        Assert.Equal(["allow-read"], seen.Decision.DeterminingPolicies);
        Assert.Equal(GovernedTestHost.Audience, seen.Claims.Audience);
        Assert.Equal(_host.Policies.PolicySetDigest, seen.Claims.PolicySetDigest);
        Assert.Null(GovernedContext.Current);
    }

    [Fact]
    public async Task Forbid_denies_with_PolicyDenied_and_names_the_forbid()
    {
        var ran = false;
        var ex = await Assert.ThrowsAsync<ExecutionDeniedException>(async () =>
            await _host.Executor.RunAsync(GovernedTestHost.Intent("delete"), (ctx, ct) => { ran = true; return ValueTask.FromResult(0); }));

        Assert.False(ran);
        DenialDetails.AssertDenied(ex.Denial, DenialReason.PolicyDenied);
        Assert.Equal(["no-delete"], ex.Denial.DeterminingPolicies);
    }

    [Fact]
    public async Task No_permit_denies_with_NotPermitted()
    {
        var ran = false;
        var outcome = await _host.Executor.RunOutcomeAsync(GovernedTestHost.Intent("export"), (ctx, ct) => { ran = true; return ValueTask.FromResult(0); });

        Assert.False(ran);
        Assert.True(outcome.IsDenied);
        DenialDetails.AssertDenied(outcome.Denial, DenialReason.NotPermitted);
        Assert.Throws<InvalidOperationException>(() => outcome.Result);
    }

    [Fact]
    public async Task A_throwing_forbid_is_an_error_that_never_lets_a_permit_through()
    {
        using var host = new GovernedTestHost(policies: new RulePolicyEvaluator(
        [
            PolicyRule.Permit("allow-all", _ => true),
            PolicyRule.Forbid("broken-forbid", _ => throw new InvalidOperationException("backend down")),
        ]));
        var ran = false;
        var outcome = await host.Executor.RunOutcomeAsync(GovernedTestHost.Intent("read"), (ctx, ct) => { ran = true; return ValueTask.FromResult(0); });

        Assert.False(ran);
        DenialDetails.AssertDenied(outcome.Denial, DenialReason.PolicyError);
        Assert.Equal("broken-forbid", Assert.Single(outcome.Denial.Decision!.Errors).PolicyId);
    }

    [Fact]
    public async Task A_throwing_permit_with_no_other_permit_is_a_PolicyError()
    {
        using var host = new GovernedTestHost(policies: new RulePolicyEvaluator([PolicyRule.Permit("broken", _ => throw new InvalidOperationException())]));
        var ran = false;
        var outcome = await host.Executor.RunOutcomeAsync(GovernedTestHost.Intent("read"), (ctx, ct) => { ran = true; return ValueTask.FromResult(0); });

        Assert.False(ran);
        DenialDetails.AssertDenied(outcome.Denial, DenialReason.PolicyError);
    }

    [Fact]
    public async Task Empty_policy_set_denies_everything()
    {
        using var host = new GovernedTestHost(policies: new RulePolicyEvaluator([]));
        var ran = false;
        var outcome = await host.Executor.RunOutcomeAsync(GovernedTestHost.Intent("read"), (ctx, ct) => { ran = true; return ValueTask.FromResult(0); });

        Assert.False(ran);
        DenialDetails.AssertDenied(outcome.Denial, DenialReason.NotPermitted);
    }

    [Fact]
    public async Task Delegate_exceptions_pass_through_unchanged_and_are_recorded()
    {
        var thrown = new FormatException("bad input");
        var caught = await Assert.ThrowsAsync<FormatException>(async () =>
            await _host.Executor.RunAsync<int>(GovernedTestHost.Intent("read"), (ctx, ct) => throw thrown));

        Assert.Same(thrown, caught);
        var last = _host.Lineage.Records[^1];
        Assert.Equal(LineageEventKind.ExecutionFailed, last.Event.Kind);
        Assert.Equal(typeof(FormatException).FullName, last.Event["exception"]);
    }

    [Fact]
    public async Task Unknown_obligation_on_a_permit_denies()
    {
        using var host = new GovernedTestHost(policies: new RulePolicyEvaluator(
            [PolicyRule.Permit("allow", _ => true, [new("requires_hardware_token", "yes")])]));
        var ran = false;
        var outcome = await host.Executor.RunOutcomeAsync(GovernedTestHost.Intent("read"), (ctx, ct) => { ran = true; return ValueTask.FromResult(0); });

        Assert.False(ran);
        DenialDetails.AssertDenied(outcome.Denial, DenialReason.ObligationUnsatisfied);
    }

    [Fact]
    public async Task Ttl_obligation_caps_the_artifact_lifetime()
    {
        using var host = new GovernedTestHost(policies: new RulePolicyEvaluator([PolicyRule.Permit("allow", _ => true, [new("ttl", "5s")])]));
        var outcome = await host.Executor.RunOutcomeAsync(GovernedTestHost.Intent("read"), (ctx, ct) => ValueTask.FromResult(ctx.Claims.ExpiresAt - ctx.Claims.IssuedAt));

        Assert.Equal(TimeSpan.FromSeconds(5), outcome.Result);
    }

    [Fact]
    public async Task Canceled_before_start_is_a_denial_and_the_delegate_does_not_run()
    {
        using var cts = new CancellationTokenSource();
        cts.Cancel();
        var ran = false;
        var outcome = await _host.Executor.RunOutcomeAsync(GovernedTestHost.Intent("read"), (ctx, ct) => { ran = true; return ValueTask.FromResult(0); }, cts.Token);

        Assert.False(ran);
        DenialDetails.AssertDenied(outcome.Denial, DenialReason.Canceled);
    }

    [Fact]
    public async Task Nested_run_records_its_parent()
    {
        Guid outerId = default, innerParent = default;
        await _host.Executor.RunAsync(GovernedTestHost.Intent("read"), async (outer, ct) =>
        {
            outerId = outer.ExecutionId;
            await _host.Executor.RunAsync(GovernedTestHost.Intent("refund"), (inner, ct2) =>
            {
                innerParent = inner.ParentExecutionId!.Value;
                return ValueTask.FromResult(0);
            }, ct);
            return 0;
        });

        Assert.NotEqual(Guid.Empty, outerId);
        Assert.Equal(outerId, innerParent);
        Assert.Contains(_host.Lineage.Records, r => r.Event.ParentExecutionId == outerId && r.Event.Kind == LineageEventKind.ExecutionCompleted);
        Assert.True(_host.Lineage.Verify().IsValid);
    }

    [Fact]
    public async Task Permitted_run_writes_every_phase_in_order()
    {
        await _host.Executor.RunAsync(GovernedTestHost.Intent("read"), (ctx, ct) => ValueTask.FromResult(0));

        Assert.Equal(
            [LineageEventKind.IntentSubmitted, LineageEventKind.PolicyEvaluated, LineageEventKind.ArtifactIssued, LineageEventKind.ArtifactVerified, LineageEventKind.ExecutionStarted, LineageEventKind.ExecutionCompleted],
            _host.Lineage.Records.Select(r => r.Event.Kind));
    }

    [Fact]
    public async Task Denied_run_records_the_denial_with_its_reason()
    {
        await _host.Executor.RunOutcomeAsync(GovernedTestHost.Intent("delete"), (ctx, ct) => ValueTask.FromResult(0));

        var last = _host.Lineage.Records[^1];
        Assert.Equal(LineageEventKind.ExecutionDenied, last.Event.Kind);
        Assert.Equal(nameof(DenialReason.PolicyDenied), last.Event["reason"]);
        Assert.DoesNotContain(_host.Lineage.Records, r => r.Event.Kind == LineageEventKind.ExecutionStarted);
    }

    [Fact]
    public async Task AuthorizeAsync_is_a_dry_run_that_mints_and_runs_nothing()
    {
        var allowed = await _host.Executor.AuthorizeAsync(GovernedTestHost.Intent("read"));
        var denied = await _host.Executor.AuthorizeAsync(GovernedTestHost.Intent("delete"));

        Assert.True(allowed.IsAllowed);
        Assert.False(denied.IsAllowed);
        DenialDetails.AssertDenied(denied.Denial, DenialReason.PolicyDenied);
        Assert.DoesNotContain(_host.Lineage.Records, r => r.Event.Kind is LineageEventKind.ArtifactIssued or LineageEventKind.ExecutionStarted);
        Assert.Equal(2, _host.Lineage.Records.Count(r => r.Event.Kind == LineageEventKind.DryRun));
    }

    [Fact]
    public async Task Task_and_state_overloads_run_through_the_same_pipeline()
    {
        var state = new List<int>();
        var value = await _host.Executor.RunAsync(GovernedTestHost.Intent("read"), state, static (s, ctx, ct) => { s.Add(1); return ValueTask.FromResult(s.Count); });
        await _host.Executor.RunAsync(GovernedTestHost.Intent("read"), ct => { state.Add(2); return Task.CompletedTask; });
        var fromTask = await _host.Executor.RunAsync(GovernedTestHost.Intent("read"), ct => Task.FromResult("t"));
        await _host.Executor.RunAsync(GovernedTestHost.Intent("read"), (ctx, ct) => { state.Add(3); return ValueTask.CompletedTask; });
        await Assert.ThrowsAsync<ExecutionDeniedException>(() => _host.Executor.RunAsync(GovernedTestHost.Intent("delete"), ct => { state.Add(99); return Task.CompletedTask; }));

        Assert.Equal(1, value);
        Assert.Equal("t", fromTask);
        Assert.Equal([1, 2, 3], state);
    }

    [Fact]
    public void Default_outcome_is_a_denial()
    {
        var outcome = default(GovernedOutcome<int>);

        Assert.True(outcome.IsDenied);
        Assert.False(outcome.IsSuccess);
        Assert.Throws<ExecutionDeniedException>(() => outcome.GetResultOrThrow());
    }

    [Fact]
    public void Default_decision_kind_and_verdict_deny()
    {
        Assert.Equal(PolicyDecisionKind.NotPermitted, default(PolicyDecisionKind));
        Assert.Equal(GovernedExecution.Artifacts.ArtifactVerdict.NotVerified, default(GovernedExecution.Artifacts.ArtifactVerdict));
        Assert.Equal(GovernedOutcomeKind.Denied, default(GovernedOutcomeKind));
    }

    [Fact]
    public async Task Intent_context_cannot_change_after_construction()
    {
        var context = new Dictionary<string, IntentValue> { ["amount"] = 10L };
        var intent = new ExecutionIntent(GovernedTestHost.Agent(), new EntityReference("Action", "refund"), new EntityReference("Ticket", "t")) { Context = context };
        context["amount"] = 1_000_000L;

        var seen = await _host.Executor.RunAsync(intent, (ctx, ct) => ValueTask.FromResult(ctx.Intent.Context["amount"].AsLong()));

        Assert.Equal(10L, seen);
    }
}
