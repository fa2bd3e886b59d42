using GovernedExecution.Artifacts;
using GovernedExecution.Execution;
using GovernedExecution.Intents;
using GovernedExecution.Lineage;
using GovernedExecution.Policies.Rules;
using GovernedExecution.Testing;

namespace GovernedExecution.Tests.Testing;

/// <summary>What the GovernedExecution.Testing package gives users to test their own code with.</summary>
public sealed class TestingPackageTests
{
    private static ExecutionIntent Refund(long amount) => new(new("User", "support-bot"), new("Action", "refund"), new("Order", "A-1"))
    {
        Context = new Dictionary<string, IntentValue> { ["amount"] = amount },
    };

    [Fact]
    public async Task The_fake_executor_decides_by_its_rules_and_records_every_call()
    {
        using var executor = new FakeGovernedExecutor(
            PolicyRule.Permit("refunds", i => i.Action.Id == "refund"),
            PolicyRule.Forbid("large-refunds", i => i.Context.TryGetValue("amount", out var amount) && amount.AsLong() > 100));

        var small = await executor.RunOutcomeAsync(Refund(20), (ctx, ct) => ValueTask.FromResult(ctx.Claims.Audience));
        var large = await executor.RunOutcomeAsync(Refund(5000), (ctx, ct) => ValueTask.FromResult("ran"));
        var other = await executor.RunOutcomeAsync(new ExecutionIntent(new("User", "u"), new("Action", "export"), new("Report", "r")), (ctx, ct) => ValueTask.FromResult("ran"));

        Assert.Equal("tests", small.Result);
        Assert.Equal(DenialReason.PolicyDenied, large.Denial!.Reason);
        Assert.Equal(["large-refunds"], large.Denial.DeterminingPolicies);
        Assert.Equal(DenialReason.NotPermitted, other.Denial!.Reason);
        Assert.Equal([true, false, false], executor.Calls.Select(c => c.OperationRan));
        Assert.Equal([GovernedOutcomeKind.Succeeded, GovernedOutcomeKind.Denied, GovernedOutcomeKind.Denied], executor.Calls.Select(c => c.Kind));
        Assert.Equal(small.ExecutionId, executor.Calls[0].ExecutionId);
        Assert.True(LineageVerifier.Verify(executor.Lineage.Records).IsValid);
    }

    [Fact]
    public async Task The_fake_executor_signs_real_artifacts_that_its_trusted_key_verifies()
    {
        using var executor = FakeGovernedExecutor.PermitAll();
        var issuance = await executor.IssueAsync(Refund(5));

        var outcome = await executor.RunOutcomeAsync(Refund(5), issuance.Artifact, 0, (s, ctx, ct) => ValueTask.FromResult(ctx.Artifact.ComputeDigest()));
        var replayed = await executor.RunOutcomeAsync(Refund(5), issuance.Artifact, 0, (s, ctx, ct) => ValueTask.FromResult("ran twice"));

        Assert.Equal(issuance.Artifact!.ComputeDigest(), outcome.Result);
        Assert.Equal(DenialReason.Replayed, replayed.Denial!.Reason);
        Assert.False(executor.Calls[1].OperationRan);
        Assert.Equal(executor.TrustedKey.KeyId, executor.TrustedKey.KeyId);
    }

    [Fact]
    public async Task The_fake_executor_with_no_rules_denies_and_an_operation_exception_is_recorded()
    {
        using var none = new FakeGovernedExecutor();
        using var all = FakeGovernedExecutor.PermitAll();
        var thrown = new InvalidOperationException("boom");

        var denied = await none.RunOutcomeAsync(Refund(1), (ctx, ct) => ValueTask.FromResult(1));
        var faulted = await all.RunOutcomeAsync<int>(Refund(1), (ctx, ct) => throw thrown);

        Assert.Equal(DenialReason.NotPermitted, denied.Denial!.Reason);
        Assert.Same(thrown, faulted.Exception);
        Assert.Same(thrown, all.Calls.Single().Exception);
        Assert.True(all.Calls.Single().OperationRan);
    }

    [Fact]
    public void Result_factories_build_what_the_executor_returns()
    {
        var id = Guid.NewGuid();
        var denial = GovernedResults.Denial(DenialReason.PolicyDenied, executionId: id, decision: GovernedResults.Forbid("no-refunds"));

        var succeeded = GovernedResults.Succeeded(42, id);
        var denied = GovernedResults.Denied<int>(denial);
        var faulted = GovernedResults.Faulted<int>(new TimeoutException(), id);
        var allowed = GovernedResults.Allowed(GovernedResults.Permit("refunds"), id);
        var notAllowed = GovernedResults.NotAllowed(denial);
        var issued = GovernedResults.Issued(AuthorizationArtifact.FromBytes([0xD2, 0x84, 0x40, 0xA0, 0x40, 0x40]));
        var notIssued = GovernedResults.NotIssued(denial);

        Assert.Equal(42, succeeded.Result);
        Assert.Equal(id, succeeded.ExecutionId);
        Assert.True(denied.IsDenied);
        Assert.Equal(["no-refunds"], denied.Denial!.DeterminingPolicies);
        Assert.Throws<ExecutionDeniedException>(() => denied.GetResultOrThrow());
        Assert.Equal(GovernedOutcomeKind.Faulted, faulted.Kind);
        Assert.IsType<TimeoutException>(faulted.Exception);
        Assert.True(allowed.IsAllowed);
        Assert.Equal(["refunds"], allowed.Decision!.DeterminingPolicies);
        Assert.False(notAllowed.IsAllowed);
        Assert.Same(denial, notAllowed.Denial);
        Assert.True(issued.IsIssued);
        Assert.False(notIssued.IsIssued);
        Assert.Equal(GovernedResults.TestDetail, GovernedResults.Denial(DenialReason.Expired).Detail);
    }

    [Fact]
    public void Result_factories_refuse_values_the_executor_never_returns()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => GovernedResults.Denial((DenialReason)999));
        Assert.Throws<ArgumentException>(() => GovernedResults.Allowed(GovernedResults.Forbid()));
        Assert.Throws<ArgumentNullException>(() => GovernedResults.Denied<int>(null!));
        Assert.Throws<ArgumentNullException>(() => GovernedResults.NotIssued(null!));
    }
}
