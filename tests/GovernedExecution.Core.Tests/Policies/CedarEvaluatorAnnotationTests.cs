using GovernedExecution.Intents;
using GovernedExecution.Policies;
using GovernedExecution.Policies.Cedar;
using GovernedExecution.Testing;

namespace GovernedExecution.Tests.Policies;

/// <summary>Which annotations become obligations, how decisions name policies, and how an entity provider is awaited.</summary>
public sealed class CedarEvaluatorAnnotationTests
{
    private static async Task<PolicyDecision> DecideAsync(string policies, string action = "read")
    {
        var evaluator = new CedarPolicyEvaluator(CedarPolicySet.Parse(policies, "annotations.cedar"));
        return await evaluator.EvaluateAsync(GovernedTestHost.Intent(action), DateTimeOffset.UnixEpoch, CancellationToken.None);
    }

    [Theory]
    [InlineData("id")]
    [InlineData("description")]
    [InlineData("name")]
    [InlineData("reason")]
    public async Task An_informational_annotation_is_not_an_obligation(string annotation)
    {
        var decision = await DecideAsync($"""
            @{annotation}("reads are fine")
            permit (principal, action == Action::"read", resource);
            """);

        Assert.Equal(PolicyDecisionKind.Permitted, decision.Kind);
        Assert.Empty(decision.Obligations);
    }

    [Fact]
    public async Task Every_other_annotation_of_the_determining_permits_is_an_obligation()
    {
        var decision = await DecideAsync("""
            @id("read-with-token")
            @ttl("10s")
            @requires_hardware_token("yes")
            permit (principal, action == Action::"read", resource);

            @requires_approval("finance")
            permit (principal, action == Action::"read", resource);

            @ttl("1s")
            permit (principal, action == Action::"write", resource);
            """);

        Assert.Equal(PolicyDecisionKind.Permitted, decision.Kind);
        Assert.Equal(
            new HashSet<PolicyObligation>
            {
                new("ttl", "10s", "read-with-token"),
                new("requires_hardware_token", "yes", "read-with-token"),
                new("requires_approval", "finance", "policy1"),
            },
            decision.Obligations.ToHashSet());
        Assert.Equal(3, decision.Obligations.Count);
    }

    [Fact]
    public async Task A_policy_with_an_empty_id_annotation_is_named_by_its_policy_id()
    {
        var decision = await DecideAsync("""
            @id("")
            permit (principal, action == Action::"read", resource);
            """);

        Assert.Equal(["policy0"], decision.DeterminingPolicies);
    }

    [Fact]
    public async Task A_policy_with_only_other_annotations_is_named_by_its_policy_id()
    {
        var decision = await DecideAsync("""
            @description("reads are fine")
            @ttl("10s")
            permit (principal, action == Action::"read", resource);
            """);

        Assert.Equal(["policy0"], decision.DeterminingPolicies);
        Assert.Equal("policy0", Assert.Single(decision.Obligations).PolicyId);
    }

    [Fact]
    public async Task An_id_annotation_shared_by_two_policies_names_neither()
    {
        var decision = await DecideAsync("""
            @id("reads")
            permit (principal, action == Action::"read", resource);

            @id("reads")
            forbid (principal, action == Action::"read", resource) when { context has blocked };

            @id("unique")
            permit (principal, action == Action::"read", resource);
            """);

        Assert.Equal(PolicyDecisionKind.Permitted, decision.Kind);
        Assert.Equal(new HashSet<string> { "policy0", "unique" }, decision.DeterminingPolicies.ToHashSet());
    }

    [Fact]
    public async Task An_entity_provider_that_returns_no_entities_is_an_error()
    {
        var entities = new PendingEntities(null);
        entities.Answer();
        var evaluator = new CedarPolicyEvaluator(CedarPolicySet.Parse("permit (principal, action, resource);", "annotations.cedar"), entities);

        var error = await Assert.ThrowsAsync<InvalidOperationException>(async () =>
            await evaluator.EvaluateAsync(GovernedTestHost.Intent(), DateTimeOffset.UnixEpoch, CancellationToken.None));

        Assert.Equal("The entity provider returned no entities.", error.Message);
    }

    [Fact]
    public async Task Awaiting_the_entity_provider_does_not_resume_on_the_callers_context()
    {
        var entities = new PendingEntities(CedarEntities.Empty);
        var evaluator = new CedarPolicyEvaluator(CedarPolicySet.Parse("permit (principal, action, resource);", "annotations.cedar"), entities);
        var context = new PostCountingContext();

        ValueTask<PolicyDecision> pending;
        var previous = SynchronizationContext.Current;
        SynchronizationContext.SetSynchronizationContext(context);
        try
        {
            // The provider has not answered yet: the evaluator suspends while this context is current.
            pending = evaluator.EvaluateAsync(GovernedTestHost.Intent(), DateTimeOffset.UnixEpoch, CancellationToken.None);
        }
        finally
        {
            SynchronizationContext.SetSynchronizationContext(previous);
        }

        entities.Answer();
        var decision = await pending;

        Assert.Equal(PolicyDecisionKind.Permitted, decision.Kind);
        Assert.Equal(0, context.Posts);
    }

    /// <summary>Answers with the given entities once told to, continuations off the answering thread.</summary>
    private sealed class PendingEntities(CedarEntities? entities) : IEntityProvider
    {
        private readonly TaskCompletionSource<CedarEntities> _answer = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public void Answer() => _answer.TrySetResult(entities!);

        public ValueTask<CedarEntities> GetEntitiesAsync(ExecutionIntent intent, CancellationToken cancellationToken) => new(_answer.Task);
    }

    /// <summary>Counts the continuations posted to it and runs them on the thread pool.</summary>
    private sealed class PostCountingContext : SynchronizationContext
    {
        private int _posts;

        public int Posts => Volatile.Read(ref _posts);

        public override void Post(SendOrPostCallback d, object? state)
        {
            Interlocked.Increment(ref _posts);
            ThreadPool.QueueUserWorkItem(_ => d(state));
        }
    }
}
