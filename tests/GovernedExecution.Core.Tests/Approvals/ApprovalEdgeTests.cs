using GovernedExecution.Approvals;
using GovernedExecution.Execution;
using GovernedExecution.Intents;
using GovernedExecution.Lineage;
using GovernedExecution.Policies.Cedar;
using GovernedExecution.Testing;
using GovernedExecution.Tests.Execution;
using Microsoft.Extensions.Time.Testing;

namespace GovernedExecution.Tests.Approvals;

/// <summary>The edges of approvals: the last instant of an approval, several approvals, answers without reasons or at all.</summary>
public sealed class ApprovalEdgeTests
{
    private const string Policies = """
        @id("finance-approves-refunds")
        @requires_approval("finance")
        permit (principal, action == Action::"refund", resource);

        @id("legal-approves-refunds")
        @requires_approval("legal")
        permit (principal, action == Action::"refund", resource) when { context has legal };
        """;

    private static readonly DateTimeOffset Start = new(2026, 11, 26, 12, 0, 0, TimeSpan.Zero);

    private static GovernedTestHost Host(Func<ApprovalRequest, ApprovalDecision?> answer) => new(
        b => b.UseApprovalProvider(new DelegateApprovalProvider((request, _) => ValueTask.FromResult(answer(request)!))),
        new CedarPolicyEvaluator(CedarPolicySet.Parse(Policies)),
        new FakeTimeProvider(Start));

    private static Task<GovernedOutcome<GovernedContext>> RefundAsync(GovernedTestHost host, bool legal = false)
    {
        var intent = new ExecutionIntent(GovernedTestHost.Agent(), new("Action", "refund"), new("Ticket", "ticket-1"))
        {
            Context = legal ? new Dictionary<string, IntentValue> { ["legal"] = true } : new Dictionary<string, IntentValue>(),
        };

        return host.Executor.RunOutcomeAsync(intent, (ctx, _) => ValueTask.FromResult(ctx)).AsTask();
    }

    [Fact]
    public async Task A_refusal_without_a_reason_says_so_and_is_recorded_without_an_expiry()
    {
        using var host = Host(request => ApprovalDecision.Refuse(request, "bob"));

        var outcome = await RefundAsync(host);

        DenialDetails.AssertDenied(outcome.Denial, DenialReason.ApprovalRefused);
        Assert.Equal("'finance' refused: no reason given", outcome.Denial!.Detail);
        var record = host.Lineage.Records.Single(r => r.Event.Kind == LineageEventKind.ApprovalRecorded).Event;
        Assert.Equal("finance", record["group"]);
        Assert.Equal("finance-approves-refunds", record["policy"]);
        Assert.Equal("bob", record["approver"]);
        Assert.Equal("false", record["approved"]);
        Assert.Equal(string.Empty, record["expires"]);
    }

    [Fact]
    public async Task A_refusal_gives_the_approvers_reason()
    {
        using var host = Host(request => ApprovalDecision.Refuse(request, "bob", "over budget"));

        var outcome = await RefundAsync(host);

        Assert.Equal("'finance' refused: over budget", outcome.Denial!.Detail);
    }

    [Fact]
    public async Task An_approval_is_recorded_with_its_expiry()
    {
        using var host = Host(request => ApprovalDecision.Approve(request, "alice", Start.AddMinutes(3)));

        var outcome = await RefundAsync(host);

        Assert.True(outcome.IsSuccess, outcome.ToString());
        var record = host.Lineage.Records.Single(r => r.Event.Kind == LineageEventKind.ApprovalRecorded).Event;
        Assert.Equal("2026-11-26T12:03:00.0000000Z", record["expires"]);
        Assert.Equal("true", record["approved"]);
    }

    [Fact]
    public async Task An_approval_that_expires_at_this_instant_is_no_longer_valid()
    {
        using var host = Host(request => ApprovalDecision.Approve(request, "alice", request.RequestedAt));

        var outcome = await RefundAsync(host);

        DenialDetails.AssertDenied(outcome.Denial, DenialReason.ApprovalRefused);
        Assert.Equal("the approval is not valid for this intent (another intent, group, or expired)", outcome.Denial!.Detail);
    }

    [Fact]
    public async Task With_several_approvals_the_artifact_ends_with_the_earliest()
    {
        // Both well within the artifact lifetime, so that only the approvals bound the artifact.
        using var host = Host(request => ApprovalDecision.Approve(request, "approver", Start.AddSeconds(request.Group == "finance" ? 10 : 20)));
        using var reversed = Host(request => ApprovalDecision.Approve(request, "approver", Start.AddSeconds(request.Group == "finance" ? 20 : 10)));

        var outcome = await RefundAsync(host, legal: true);
        var other = await RefundAsync(reversed, legal: true);

        Assert.Equal(2, outcome.Result.Claims.Approvals.Count);
        Assert.Equal(Start.AddSeconds(10), outcome.Result.Claims.ExpiresAt);
        Assert.Equal(Start.AddSeconds(10), other.Result.Claims.ExpiresAt);
    }

    [Fact]
    public async Task An_approver_that_answers_nothing_is_a_governance_fault()
    {
        using var host = Host(_ => null);

        var outcome = await RefundAsync(host);

        DenialDetails.AssertDenied(outcome.Denial, DenialReason.GovernanceFault);
        Assert.Equal("approval failed: InvalidOperationException", outcome.Denial!.Detail);
    }
}
