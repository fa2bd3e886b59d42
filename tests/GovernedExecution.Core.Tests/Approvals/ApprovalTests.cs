using GovernedExecution.Approvals;
using GovernedExecution.Execution;
using GovernedExecution.Lineage;
using GovernedExecution.Policies.Cedar;
using GovernedExecution.Testing;
using GovernedExecution.Tests.Execution;

namespace GovernedExecution.Tests.Approvals;

/// <summary>Intents whose permit requires an approval run only once an approver has approved that exact intent.</summary>
public sealed class ApprovalTests
{
    private const string Policies = """
        @id("finance-approves-refunds")
        @requires_approval("finance")
        permit (principal, action == Action::"refund", resource);

        permit (principal, action == Action::"read", resource);
        """;

    private static GovernedTestHost Host(IApprovalProvider? approvals, TimeSpan? timeout = null) => new(
        b =>
        {
            b.Configure(o => o.ApprovalTimeout = timeout ?? TimeSpan.FromSeconds(5));
            if (approvals is not null)
            {
                b.UseApprovalProvider(approvals);
            }
        },
        new CedarPolicyEvaluator(CedarPolicySet.Parse(Policies)),
        TimeProvider.System);

    private static async Task<(int Runs, GovernedOutcome<GovernedContext> Outcome)> RefundAsync(GovernedTestHost host)
    {
        var runs = 0;
        var outcome = await host.Executor.RunOutcomeAsync(GovernedTestHost.Intent("refund"), (ctx, ct) => { runs++; return ValueTask.FromResult(ctx); });
        return (runs, outcome);
    }

    [Fact]
    public async Task Approved_intent_runs_and_the_artifact_references_the_approval()
    {
        ApprovalRequest? asked = null;
        using var host = Host(new DelegateApprovalProvider((request, ct) =>
        {
            asked = request;
            return ValueTask.FromResult(ApprovalDecision.Approve(request, "alice@finance", DateTimeOffset.UtcNow.AddMinutes(1)));
        }));

        var (runs, outcome) = await RefundAsync(host);

        Assert.Equal(1, runs);
        Assert.Equal("finance", asked!.Group);
        Assert.Equal("finance-approves-refunds", asked.PolicyId);
        var approvalRecord = Assert.Single(host.Lineage.Records, r => r.Event.Kind == LineageEventKind.ApprovalRecorded);
        Assert.Equal("alice@finance", approvalRecord.Event["approver"]);
        Assert.Equal("true", approvalRecord.Event["approved"]);
        var referenced = Assert.Single(outcome.Result.Claims.Approvals);
        Assert.Equal(approvalRecord.Event["approval_digest"], Convert.ToHexStringLower(referenced.Span));
        Assert.True(host.Lineage.Verify().IsValid);
    }

    [Fact]
    public async Task Refused_intent_does_not_run()
    {
        using var host = Host(new DelegateApprovalProvider((request, ct) => ValueTask.FromResult(ApprovalDecision.Refuse(request, "bob@finance", "not this one"))));

        var (runs, outcome) = await RefundAsync(host);

        Assert.Equal(0, runs);
        DenialDetails.AssertDenied(outcome.Denial, DenialReason.ApprovalRefused);
        Assert.Contains(host.Lineage.Records, r => r.Event.Kind == LineageEventKind.ApprovalRecorded && r.Event["approved"] == "false");
    }

    [Fact]
    public async Task No_answer_within_the_timeout_does_not_run()
    {
        using var host = Host(new DelegateApprovalProvider(async (request, ct) =>
        {
            await Task.Delay(Timeout.Infinite, ct);
            return ApprovalDecision.Approve(request, "late", DateTimeOffset.UtcNow.AddMinutes(1));
        }), timeout: TimeSpan.FromMilliseconds(100));

        var (runs, outcome) = await RefundAsync(host);

        Assert.Equal(0, runs);
        DenialDetails.AssertDenied(outcome.Denial, DenialReason.ApprovalTimedOut);
    }

    [Fact]
    public async Task Without_an_approver_the_intent_does_not_run()
    {
        using var host = Host(null);

        var (runs, outcome) = await RefundAsync(host);

        Assert.Equal(0, runs);
        DenialDetails.AssertDenied(outcome.Denial, DenialReason.ApprovalRequired);
    }

    [Fact]
    public async Task An_approval_for_another_intent_is_refused()
    {
        using var host = Host(new DelegateApprovalProvider((request, ct) =>
        {
            var other = new ApprovalRequest(request.ExecutionId, GovernedTestHost.Intent("refund", "another-order"), new byte[32], request.Group, request.PolicyId, request.RequestedAt);
            return ValueTask.FromResult(ApprovalDecision.Approve(other, "alice@finance", DateTimeOffset.UtcNow.AddMinutes(1)));
        }));

        var (runs, outcome) = await RefundAsync(host);

        Assert.Equal(0, runs);
        DenialDetails.AssertDenied(outcome.Denial, DenialReason.ApprovalRefused);
    }

    [Fact]
    public async Task An_expired_approval_is_refused()
    {
        using var host = Host(new DelegateApprovalProvider((request, ct) => ValueTask.FromResult(ApprovalDecision.Approve(request, "alice", DateTimeOffset.UtcNow.AddMinutes(-1)))));

        var (runs, outcome) = await RefundAsync(host);

        Assert.Equal(0, runs);
        DenialDetails.AssertDenied(outcome.Denial, DenialReason.ApprovalRefused);
    }

    [Fact]
    public async Task A_throwing_approver_is_a_governance_fault()
    {
        using var host = Host(new DelegateApprovalProvider((request, ct) => throw new InvalidOperationException("approval service down")));

        var (runs, outcome) = await RefundAsync(host);

        Assert.Equal(0, runs);
        DenialDetails.AssertDenied(outcome.Denial, DenialReason.GovernanceFault);
    }

    [Fact]
    public async Task Intents_without_the_obligation_do_not_ask()
    {
        var asked = 0;
        using var host = Host(new DelegateApprovalProvider((request, ct) => { asked++; return ValueTask.FromResult(ApprovalDecision.Refuse(request, "x")); }));

        var outcome = await host.Executor.RunOutcomeAsync(GovernedTestHost.Intent("read"), (ctx, ct) => ValueTask.FromResult(1));

        Assert.True(outcome.IsSuccess);
        Assert.Equal(0, asked);
    }

    [Fact]
    public async Task The_console_approver_reads_the_answer()
    {
        var output = new StringWriter();
        using var yes = new ConsoleApprovalProvider("operator", new StringReader("y\n"), output);
        using var no = new ConsoleApprovalProvider("operator", new StringReader("n\n"), new StringWriter());
        using var approving = Host(yes);
        using var refusing = Host(no);

        Assert.Equal(1, (await RefundAsync(approving)).Runs);
        Assert.Contains("Approval needed (finance", output.ToString(), StringComparison.Ordinal);
        DenialDetails.AssertDenied((await RefundAsync(refusing)).Outcome.Denial, DenialReason.ApprovalRefused);
    }
}
