using GovernedExecution.Approvals;
using GovernedExecution.Artifacts.Keys;
using GovernedExecution.DependencyInjection;
using GovernedExecution.Execution;
using GovernedExecution.Intents;
using GovernedExecution.Lineage;
using GovernedExecution.Policies;
using GovernedExecution.Policies.Cedar;
using GovernedExecution.Testing;
using Microsoft.Extensions.Logging;

namespace GovernedExecution.Tests.Execution;

/// <summary>What the executor logs for denials, governance faults and failing lineage sinks.</summary>
public sealed class ExecutorLoggingTests
{
    private const int ExecutionPermitted = 1000;
    private const int ExecutionDenied = 1001;
    private const int GovernanceFault = 1002;
    private const int LineageSinkFailed = 1003;

    private const string ApprovalPolicies = """
        @requires_approval("finance")
        permit (principal, action == Action::"refund", resource);
        """;

    private readonly CapturingLoggerFactory _logs = new();

    private GovernedTestHost Host(Action<GovernedExecutorBuilder>? customize = null, IPolicyEvaluator? policies = null) => new(
        b =>
        {
            b.UseLoggerFactory(_logs);
            customize?.Invoke(b);
        },
        policies);

    private static ValueTask<GovernedOutcome<int>> RunAsync(GovernedTestHost host, string action = "read") =>
        host.Executor.RunOutcomeAsync(GovernedTestHost.Intent(action), (ctx, ct) => ValueTask.FromResult(1));

    [Fact]
    public async Task A_permitted_run_is_logged_as_debug_with_its_execution_principal_action_and_resource_before_the_operation()
    {
        using var host = Host();
        var loggedBefore = false;

        var outcome = await host.Executor.RunOutcomeAsync(GovernedTestHost.Intent("read"), (ctx, ct) =>
        {
            loggedBefore = _logs.Entries.Any(e => e.EventId == ExecutionPermitted);
            return ValueTask.FromResult(1);
        });

        Assert.True(outcome.IsSuccess);
        Assert.True(loggedBefore, "event 1000 is logged before the operation runs");
        var permitted = Assert.Single(_logs.Entries);
        Assert.Equal(ExecutionPermitted, permitted.EventId);
        Assert.Equal(LogLevel.Debug, permitted.Level);
        Assert.Equal(outcome.ExecutionId, permitted.State["ExecutionId"]);
        Assert.Equal("Agent::\"support-bot\"", permitted.State["Principal"]?.ToString());
        Assert.Equal("Action::\"read\"", permitted.State["Action"]?.ToString());
        Assert.Equal("Ticket::\"ticket-1\"", permitted.State["Resource"]?.ToString());
    }

    [Fact]
    public async Task A_denied_run_is_not_logged_as_permitted()
    {
        using var host = Host();

        await RunAsync(host, "delete");

        Assert.DoesNotContain(_logs.Entries, e => e.EventId == ExecutionPermitted);
    }

    [Fact]
    public async Task A_policy_denial_is_logged_as_information_with_its_reason_and_is_not_a_fault()
    {
        using var host = Host();

        var outcome = await RunAsync(host, "delete");

        var denied = Assert.Single(_logs.Entries);
        Assert.Equal(ExecutionDenied, denied.EventId);
        Assert.Equal(LogLevel.Information, denied.Level);
        Assert.Equal(outcome.ExecutionId, denied.State["ExecutionId"]);
        Assert.Equal(DenialReason.PolicyDenied, denied.State["Reason"]);
        Assert.Equal("a forbid policy applied", denied.State["Detail"]);
        Assert.Null(denied.Exception);
    }

    [Fact]
    public async Task A_denial_for_want_of_an_approver_is_logged_as_a_denial_and_is_not_a_fault()
    {
        using var host = Host(policies: new CedarPolicyEvaluator(CedarPolicySet.Parse(ApprovalPolicies, "approval.cedar")));

        var outcome = await RunAsync(host, "refund");

        Assert.Equal(DenialReason.ApprovalRequired, outcome.Denial!.Reason);
        var denied = Assert.Single(_logs.Entries);
        Assert.Equal(ExecutionDenied, denied.EventId);
        Assert.Equal(DenialReason.ApprovalRequired, denied.State["Reason"]);
    }

    [Fact]
    public async Task A_throwing_policy_evaluator_is_logged_as_a_governance_fault_with_its_exception()
    {
        using var host = Host(policies: new FaultyPolicyEvaluator(GovernedTestHost.DefaultPolicies(), FaultKind.Throws));

        var outcome = await RunAsync(host);

        Assert.Equal(DenialReason.GovernanceFault, outcome.Denial!.Reason);
        var fault = AssertFault(outcome, "policy");
        Assert.IsType<InvalidOperationException>(fault.Exception);
        Assert.Equal("injected fault", fault.Exception!.Message);
    }

    [Fact]
    public async Task A_policy_evaluator_that_returns_no_decision_is_logged_as_a_governance_fault()
    {
        using var host = Host(policies: new FaultyPolicyEvaluator(GovernedTestHost.DefaultPolicies(), FaultKind.ReturnsDefault));

        var outcome = await RunAsync(host);

        var fault = AssertFault(outcome, "policy");
        Assert.Equal("The policy evaluator returned no decision.", fault.Exception!.Message);
    }

    [Fact]
    public async Task A_timed_out_dependency_is_logged_as_a_governance_fault()
    {
        using var host = Host(policies: new ThrowingPolicyEvaluator(new TimeoutException("policy store timed out")));

        var outcome = await RunAsync(host);

        Assert.Equal("policy timed out", outcome.Denial!.Detail);
        var fault = AssertFault(outcome, "policy");
        Assert.IsType<TimeoutException>(fault.Exception);
    }

    [Fact]
    public async Task An_unavailable_signing_key_is_logged_as_a_governance_fault()
    {
        using var key = SigningKey.Generate();
        using var host = Host(b => b.UseSigningKeyProvider(new FaultySigningKeyProvider(key, FaultKind.Throws)));

        var outcome = await RunAsync(host);

        Assert.Equal(DenialReason.KeyUnavailable, outcome.Denial!.Reason);
        var fault = AssertFault(outcome, "issuer");
        Assert.Equal("KeyUnavailableException", fault.Exception!.GetType().Name);
        Assert.Equal("injected fault", fault.Exception.InnerException!.Message);
    }

    [Fact]
    public async Task An_approval_provider_that_returns_no_decision_is_logged_as_a_governance_fault()
    {
        using var host = Host(
            b => b.UseApprovalProvider(new DelegateApprovalProvider((request, ct) => ValueTask.FromResult<ApprovalDecision>(null!))),
            new CedarPolicyEvaluator(CedarPolicySet.Parse(ApprovalPolicies, "approval.cedar")));

        var outcome = await RunAsync(host, "refund");

        Assert.Equal(DenialReason.GovernanceFault, outcome.Denial!.Reason);
        var fault = AssertFault(outcome, "approval");
        Assert.Equal("The approval provider returned no decision.", fault.Exception!.Message);
    }

    [Fact]
    public async Task A_failing_best_effort_sink_is_logged_with_its_type_mode_and_execution()
    {
        using var host = Host(b => b.AddLineageSink(new FaultyLineageSink(FaultKind.Throws), LineageSinkMode.BestEffort));

        var outcome = await RunAsync(host);

        Assert.True(outcome.IsSuccess);
        var failures = _logs.Entries.Where(e => e.EventId == LineageSinkFailed).ToArray();
        // One per append: the records before the operation, then the outcome record.
        Assert.Equal(2, failures.Length);
        Assert.All(failures, failure =>
        {
            Assert.Equal(LogLevel.Warning, failure.Level);
            Assert.Equal(nameof(FaultyLineageSink), failure.State["Sink"]);
            Assert.Equal("BestEffort", failure.State["Mode"]);
            Assert.Equal(outcome.ExecutionId, failure.State["ExecutionId"]);
            Assert.Equal("injected fault", failure.Exception!.Message);
        });
        Assert.Equal(1, failures[^1].State["Count"]);
        Assert.DoesNotContain(_logs.Entries, e => e.EventId is GovernanceFault or ExecutionDenied);
    }

    [Fact]
    public async Task A_failing_required_sink_is_logged_and_the_denial_is_a_lineage_fault()
    {
        using var host = Host(b => b.AddLineageSink(new FaultyLineageSink(FaultKind.Throws), LineageSinkMode.Required));

        var outcome = await RunAsync(host);

        Assert.Equal(DenialReason.LineageUnavailable, outcome.Denial!.Reason);
        var failure = _logs.Entries.First(e => e.EventId == LineageSinkFailed);
        Assert.Equal("Required", failure.State["Mode"]);
        Assert.Equal(outcome.ExecutionId, failure.State["ExecutionId"]);
        var fault = AssertFault(outcome, "lineage");
        Assert.Same(failure.Exception, fault.Exception);
    }

    /// <summary>Exactly one governance fault for the execution, with the phase and an exception; the denial is logged too.</summary>
    private LogEntry AssertFault(GovernedOutcome<int> outcome, string phase)
    {
        var fault = Assert.Single(_logs.Entries, e => e.EventId == GovernanceFault);
        Assert.Equal(LogLevel.Warning, fault.Level);
        Assert.Equal(outcome.ExecutionId, fault.State["ExecutionId"]);
        Assert.Equal(phase, fault.State["Phase"]);
        Assert.NotNull(fault.Exception);
        var denied = Assert.Single(_logs.Entries, e => e.EventId == ExecutionDenied);
        Assert.Equal(outcome.Denial!.Reason, denied.State["Reason"]);
        return fault;
    }

    [Fact]
    public async Task A_required_sink_that_fails_after_the_run_is_a_sink_failure_and_not_a_fault()
    {
        using var host = Host(b => b.AddLineageSink(new FailingOnOutcomeSink(), LineageSinkMode.Required));

        var outcome = await RunAsync(host);

        Assert.True(outcome.IsSuccess);
        var failed = Assert.Single(_logs.Entries, e => e.EventId != ExecutionPermitted);
        Assert.Equal(LineageSinkFailed, failed.EventId);
        Assert.Equal("Required", failed.State["Mode"]);
    }

    [Theory]
    [InlineData(true, "issuer", "The issuer returned no artifact.")]
    [InlineData(false, "verifier", "The verifier returned no result.")]
    public async Task An_issuer_or_verifier_that_returns_nothing_is_logged_as_a_governance_fault(bool nullIssuer, string phase, string message)
    {
        var codec = new NullArtifactCodec(nullIssuer, GovernedTestHost.DefaultPolicies().PolicySetDigest);
        using var host = Host(b => b.UseArtifactCodec(codec, codec));

        var outcome = await RunAsync(host);

        Assert.Equal(DenialReason.GovernanceFault, outcome.Denial!.Reason);
        var fault = AssertFault(outcome, phase);
        Assert.Equal(message, fault.Exception!.Message);
    }

    /// <summary>Accepts every batch but the one with the outcome.</summary>
    private sealed class FailingOnOutcomeSink : ILineageSink
    {
        public ValueTask AppendAsync(IReadOnlyList<LineageEvent> events, CancellationToken cancellationToken) =>
            events.Any(e => e.Kind == LineageEventKind.ExecutionCompleted) ? ValueTask.FromException(new IOException("disk full")) : ValueTask.CompletedTask;
    }

    private sealed class ThrowingPolicyEvaluator(Exception exception) : IPolicyEvaluator
    {
        public string PolicySetDigest => "throwing";

        public ValueTask<PolicyDecision> EvaluateAsync(ExecutionIntent intent, DateTimeOffset evaluationTime, CancellationToken cancellationToken) =>
            ValueTask.FromException<PolicyDecision>(exception);
    }
}
