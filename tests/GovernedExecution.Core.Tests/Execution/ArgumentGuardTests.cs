using GovernedExecution.Artifacts;
using GovernedExecution.Execution;
using GovernedExecution.Intents;
using GovernedExecution.Policies.Cedar;
using GovernedExecution.Testing;

namespace GovernedExecution.Tests.Execution;

/// <summary>Missing arguments are the caller's bug: they throw at once, naming the argument, and nothing is recorded.</summary>
public sealed class ArgumentGuardTests : IDisposable
{
    private static readonly Func<GovernedContext, CancellationToken, ValueTask<int>> Operation = (_, _) => ValueTask.FromResult(1);
    private static readonly ExecutionIntent Intent = GovernedTestHost.Intent();
    private static readonly DelegationScope Scope = new([new EntityReference("Action", "read")], [new EntityReference("Ticket", "ticket-1")]);
    private readonly GovernedTestHost _host = new();

    public void Dispose() => _host.Dispose();

    [Fact]
    public async Task The_executor_names_the_missing_argument_before_doing_anything()
    {
        var executor = _host.Executor;
        Func<int, GovernedContext, CancellationToken, ValueTask<int>> stateful = (_, _, _) => ValueTask.FromResult(1);

        await Assert.ThrowsAsync<ArgumentNullException>("intent", async () => await executor.RunOutcomeAsync(null!, 0, stateful));
        await Assert.ThrowsAsync<ArgumentNullException>("operation", async () => await executor.RunOutcomeAsync(Intent, 0, (Func<int, GovernedContext, CancellationToken, ValueTask<int>>)null!));
        await Assert.ThrowsAsync<ArgumentNullException>("intent", async () => await executor.RunOutcomeAsync(null!, null, 0, stateful));
        await Assert.ThrowsAsync<ArgumentNullException>("operation", async () => await executor.RunOutcomeAsync(Intent, null, 0, (Func<int, GovernedContext, CancellationToken, ValueTask<int>>)null!));
        await Assert.ThrowsAsync<ArgumentNullException>("intent", async () => await executor.IssueAsync(null!));
        await Assert.ThrowsAsync<ArgumentNullException>("intent", async () => await executor.IssueAsync(null!, "tests", Scope));
        await Assert.ThrowsAsync<ArgumentNullException>("scope", async () => await executor.IssueAsync(Intent, "tests", null!));
        await Assert.ThrowsAsync<ArgumentNullException>("intent", async () => await executor.AuthorizeAsync(null!));

        Assert.Equal(0, _host.Lineage.Count);
    }

    [Fact]
    public async Task A_context_names_the_missing_argument_of_a_delegation()
    {
        var outcome = await _host.Executor.RunOutcomeAsync(Intent, async (ctx, _) =>
        {
            await Assert.ThrowsAsync<ArgumentNullException>("childIntent", async () => await ctx.DelegateAsync(null!, Scope));
            await Assert.ThrowsAsync<ArgumentNullException>("scope", async () => await ctx.DelegateAsync(Intent, null!));
            return true;
        });

        Assert.True(outcome.IsSuccess, outcome.ToString());
    }

    [Fact]
    public async Task The_verifier_names_the_missing_argument()
    {
        var verifier = CoseArtifacts.CreateVerifier(_host.TrustStore, new InMemoryReplayGuard(TimeProvider.System));
        var context = new ArtifactVerificationContext(Intent, "tests");
        var artifact = AuthorizationArtifact.FromBytes([0xd2]);

        await Assert.ThrowsAsync<ArgumentNullException>("artifact", async () => await verifier.VerifyAsync(null!, context, CancellationToken.None));
        await Assert.ThrowsAsync<ArgumentNullException>("context", async () => await verifier.VerifyAsync(artifact, null!, CancellationToken.None));
    }

    [Fact]
    public async Task The_cedar_evaluator_names_the_missing_argument()
    {
        var policies = CedarPolicySet.Parse("permit(principal, action, resource);", "guard.cedar");

        Assert.Throws<ArgumentNullException>("policies", () => new CedarPolicyEvaluator(null!));
        Assert.Throws<ArgumentNullException>("policies", () => new CedarPolicyEvaluator(null!, new ThrowingEntityProvider()));
        Assert.Throws<ArgumentNullException>("entityProvider", () => new CedarPolicyEvaluator(policies, (GovernedExecution.Policies.IEntityProvider)null!));
        await Assert.ThrowsAsync<ArgumentNullException>("intent", async () => await new CedarPolicyEvaluator(policies).EvaluateAsync(null!, DateTimeOffset.UnixEpoch, CancellationToken.None));
        await Assert.ThrowsAsync<ArgumentNullException>("intent", async () => await new CedarPolicyEvaluator(policies, new ThrowingEntityProvider()).EvaluateAsync(null!, DateTimeOffset.UnixEpoch, CancellationToken.None));
    }

    private sealed class ThrowingEntityProvider : GovernedExecution.Policies.IEntityProvider
    {
        public ValueTask<CedarEntities> GetEntitiesAsync(ExecutionIntent intent, CancellationToken cancellationToken) => throw new InvalidOperationException("not called");
    }
}
