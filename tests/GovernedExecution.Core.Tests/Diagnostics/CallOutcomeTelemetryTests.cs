using System.Diagnostics;
using GovernedExecution.Approvals;
using GovernedExecution.Execution;
using GovernedExecution.Policies.Cedar;
using GovernedExecution.Testing;

namespace GovernedExecution.Tests.Diagnostics;

/// <summary>
/// How each kind of call ended, as its root span and its call-duration measurement name it (<c>succeeded</c>,
/// <c>denied</c>), and what the policy, verify and approval spans say about their own phase.
/// </summary>
public sealed class CallOutcomeTelemetryTests
{
    private const string CallDuration = "governed_execution.execution.duration";
    private const string Outcome = "governed_execution.outcome";
    private const string Reason = "governed_execution.denial.reason";
    private const string Decision = "governed_execution.decision";

    /// <summary>Runs one call under a trace of its own: its root span and its one call-duration measurement.</summary>
    /// <remarks>A call that returns no execution id (an issued artifact) must be the only root of the trace.</remarks>
    private static async Task<(Activity Root, TraceRecorder.Measurement Call, Activity[] Spans)> TracedAsync(Func<Task<Guid?>> call)
    {
        using var trace = new TraceRecorder();
        var executionId = await call();
        var root = executionId is { } id ? trace.Root(id) : Assert.Single(trace.Roots);
        return (root, Assert.Single(trace.Measurements(CallDuration)), trace.Stopped);
    }

    private static void AssertEnded(Activity root, TraceRecorder.Measurement call, string outcome, string? reason)
    {
        Assert.Equal(outcome, root.GetTagItem(Outcome));
        Assert.Equal(outcome, call.Tags[Outcome]);
        Assert.Equal(reason, root.GetTagItem(Reason));
        Assert.Equal(reason, call.Tags.GetValueOrDefault(Reason));
    }

    [Fact]
    public async Task An_issue_ends_succeeded_when_minted_and_denied_when_refused_on_its_span_and_its_measurement()
    {
        using var host = new GovernedTestHost();

        var (issued, issuedCall, _) = await TracedAsync(async () =>
        {
            Assert.True((await host.Executor.IssueAsync(GovernedTestHost.Intent("read"))).IsIssued);
            return null;
        });
        var (refused, refusedCall, _) = await TracedAsync(async () => (Guid?)(await host.Executor.IssueAsync(GovernedTestHost.Intent("delete"))).Denial!.ExecutionId);

        AssertEnded(issued, issuedCall, "succeeded", null);
        Assert.Equal("issue", issuedCall.Tags["governed_execution.mode"]);
        AssertEnded(refused, refusedCall, "denied", "PolicyDenied");
        Assert.Equal("issue", refusedCall.Tags["governed_execution.mode"]);
    }

    [Fact]
    public async Task A_dry_run_ends_succeeded_when_allowed_and_denied_when_not_on_its_span_and_its_measurement()
    {
        using var host = new GovernedTestHost();

        var (allowed, allowedCall, _) = await TracedAsync(async () => (Guid?)(await host.Executor.AuthorizeAsync(GovernedTestHost.Intent("read"))).ExecutionId);
        var (denied, deniedCall, _) = await TracedAsync(async () => (Guid?)(await host.Executor.AuthorizeAsync(GovernedTestHost.Intent("delete"))).ExecutionId);

        AssertEnded(allowed, allowedCall, "succeeded", null);
        Assert.Equal("permit", allowed.GetTagItem(Decision));
        AssertEnded(denied, deniedCall, "denied", "PolicyDenied");
        Assert.Equal("deny", denied.GetTagItem(Decision));
        // A dry run answers either way: neither answer is an error.
        Assert.Equal(ActivityStatusCode.Unset, allowed.Status);
        Assert.Equal(ActivityStatusCode.Unset, denied.Status);
    }

    [Fact]
    public async Task A_refusal_is_a_root_span_named_for_its_action_that_ends_denied_with_the_callers_reason()
    {
        using var host = new GovernedTestHost();

        var (root, call, _) = await TracedAsync(async () =>
            (Guid?)(await host.Executor.RefuseAsync(GovernedTestHost.Intent("read"), DenialReason.ArgumentsInvalid, "an argument is not a parameter of the tool")).ExecutionId);

        Assert.Equal("governed.refuse read", root.DisplayName);
        AssertEnded(root, call, "denied", "ArgumentsInvalid");
        Assert.Equal("refused", call.Tags["governed_execution.mode"]);
        Assert.Equal(ActivityStatusCode.Error, root.Status);
    }

    [Fact]
    public async Task The_policy_span_of_a_permitted_run_says_permit()
    {
        using var host = new GovernedTestHost();

        var (root, _, spans) = await TracedAsync(async () => (Guid?)(await host.Executor.RunOutcomeAsync(GovernedTestHost.Intent("read"), (ctx, ct) => ValueTask.FromResult(1))).ExecutionId);

        var policy = Assert.Single(spans, s => s.ParentSpanId == root.SpanId && s.DisplayName == "governed.policy");
        Assert.Equal("permit", policy.GetTagItem(Decision));
        Assert.Equal(new[] { "allow-read" }, policy.GetTagItem("governed_execution.policy.determining"));
    }

    [Fact]
    public async Task The_verify_span_says_permit_for_a_verified_artifact_and_deny_for_one_that_authorizes_another_intent()
    {
        using var host = new GovernedTestHost();
        var intent = GovernedTestHost.Intent("read");
        var own = (await host.Executor.IssueAsync(intent)).Artifact!;
        var other = (await host.Executor.IssueAsync(GovernedTestHost.Intent("read", "ticket-2"))).Artifact!;

        var (verifiedRoot, _, verifiedSpans) = await TracedAsync(async () =>
            (Guid?)(await host.Executor.RunOutcomeAsync(intent, own, 0, (s, ctx, ct) => ValueTask.FromResult(s))).ExecutionId);
        var (rejectedRoot, _, rejectedSpans) = await TracedAsync(async () =>
        {
            var outcome = await host.Executor.RunOutcomeAsync(intent, other, 0, (s, ctx, ct) => ValueTask.FromResult(s));
            Assert.Equal(DenialReason.IntentMismatch, outcome.Denial!.Reason);
            return (Guid?)outcome.ExecutionId;
        });

        var verified = Assert.Single(verifiedSpans, s => s.ParentSpanId == verifiedRoot.SpanId && s.DisplayName == "governed.artifact.verify");
        Assert.Equal("permit", verified.GetTagItem(Decision));
        var rejected = Assert.Single(rejectedSpans, s => s.ParentSpanId == rejectedRoot.SpanId && s.DisplayName == "governed.artifact.verify");
        Assert.Equal("deny", rejected.GetTagItem(Decision));
        Assert.Equal("IntentMismatch", rejectedRoot.GetTagItem(Reason));
    }

    [Fact]
    public async Task An_approval_is_a_span_of_its_own_under_the_call_and_a_measured_phase()
    {
        const string Policies = """
            @id("finance-approves-refunds")
            @requires_approval("finance")
            permit (principal, action == Action::"refund", resource);
            """;
        TimeProvider time = TimeProvider.System;
        using var host = new GovernedTestHost(
            b => b.UseApprovalProvider(new DelegateApprovalProvider((request, ct) =>
                ValueTask.FromResult(ApprovalDecision.Approve(request, "alice@finance", time.GetUtcNow().AddMinutes(1))))),
            new CedarPolicyEvaluator(CedarPolicySet.Parse(Policies)),
            time);
        using var trace = new TraceRecorder();

        var outcome = await host.Executor.RunOutcomeAsync(GovernedTestHost.Intent("refund"), (ctx, ct) => ValueTask.FromResult(1));

        Assert.True(outcome.IsSuccess, outcome.Denial?.ToString());
        var root = trace.Root(outcome.ExecutionId);
        Assert.Single(trace.Stopped, s => s.ParentSpanId == root.SpanId && s.DisplayName == "governed.approval");
        Assert.Single(trace.Measurements("governed_execution.phase.duration"), m => (string?)m.Tags["governed_execution.phase"] == "approval");
    }

    [Fact]
    public async Task A_denied_call_whose_spans_are_sampled_out_still_names_its_reason_on_the_duration_measurement()
    {
        using var host = new GovernedTestHost();
        using var trace = new TraceRecorder(ActivitySamplingResult.PropagationData);

        var outcome = await host.Executor.RunOutcomeAsync(GovernedTestHost.Intent("delete"), (ctx, ct) => ValueTask.FromResult(1));

        Assert.Equal(DenialReason.PolicyDenied, outcome.Denial!.Reason);
        // The spans exist (the trace propagates) but record nothing.
        Assert.NotEmpty(trace.Stopped);
        Assert.All(trace.Stopped, s => Assert.Empty(s.TagObjects));
        var call = Assert.Single(trace.Measurements(CallDuration));
        Assert.Equal("denied", call.Tags[Outcome]);
        Assert.Equal("PolicyDenied", call.Tags[Reason]);
    }
}
