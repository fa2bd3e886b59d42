using GovernedExecution.Execution;
using GovernedExecution.Intents;
using GovernedExecution.Policies;
using GovernedExecution.Policies.Cedar;
using GovernedExecution.Testing;

namespace GovernedExecution.Tests.Policies;

public sealed class CedarPolicyEvaluatorTests
{
    private const string Policies = """
        @id("read-tickets")
        permit (principal is Agent, action == Action::"read", resource is Ticket);

        @id("refund-small")
        @ttl("10s")
        permit (principal in Team::"support", action == Action::"refund", resource)
        when { context.amount <= 100 && context.currency == "EUR" && context.price.lessThanOrEqual(decimal("99.99")) };

        @id("no-vip-refunds")
        forbid (principal, action == Action::"refund", resource)
        when { context.tags.contains("vip") };

        @id("broken-forbid")
        forbid (principal, action == Action::"export", resource) when { context.missing > 1 };

        permit (principal, action == Action::"export", resource);

        @id("needs-token")
        @requires_hardware_token("yes")
        permit (principal, action == Action::"wire", resource);
        """;

    private static readonly CedarEntities Entities = CedarEntities.ParseJson("""
        [
          { "uid": { "type": "Agent", "id": "support-bot" }, "attrs": {}, "parents": [ { "type": "Team", "id": "support" } ] },
          { "uid": { "type": "Team", "id": "support" }, "attrs": {}, "parents": [] }
        ]
        """);

    private static GovernedTestHost Host() => new(policies: new CedarPolicyEvaluator(CedarPolicySet.Parse(Policies), Entities));

    private static ExecutionIntent Refund(long amount, string price = "10.50", params string[] tags) =>
        new(GovernedTestHost.Agent(), new("Action", "refund"), new("Order", "o-1"))
        {
            Context = new Dictionary<string, IntentValue>
            {
                ["amount"] = amount,
                ["currency"] = "EUR",
                ["price"] = IntentValue.Decimal(price),
                ["tags"] = IntentValue.Set(tags.Select(t => (IntentValue)t)),
            },
        };

    private static async Task<(bool Ran, GovernedOutcome<TimeSpan> Outcome)> RunAsync(GovernedTestHost host, ExecutionIntent intent)
    {
        var ran = false;
        var outcome = await host.Executor.RunOutcomeAsync(intent, (ctx, ct) => { ran = true; return ValueTask.FromResult(ctx.Claims.ExpiresAt - ctx.Claims.IssuedAt); });
        return (ran, outcome);
    }

    [Fact]
    public async Task Permit_runs_and_names_the_policy_by_its_id_annotation()
    {
        using var host = Host();
        var (ran, outcome) = await RunAsync(host, GovernedTestHost.Intent("read"));

        Assert.True(ran);
        Assert.True(outcome.IsSuccess);
    }

    [Fact]
    public async Task Hierarchy_context_and_decimal_conditions_decide_and_ttl_caps_the_artifact()
    {
        using var host = Host();
        var (ran, outcome) = await RunAsync(host, Refund(50));

        Assert.True(ran);
        Assert.Equal(TimeSpan.FromSeconds(10), outcome.Result);
    }

    [Fact]
    public async Task Failing_condition_is_NotPermitted()
    {
        using var host = Host();
        var (ran, outcome) = await RunAsync(host, Refund(500));

        Assert.False(ran);
        Assert.Equal(DenialReason.NotPermitted, outcome.Denial!.Reason);
    }

    [Fact]
    public async Task Decimal_bound_is_enforced()
    {
        using var host = Host();
        var (ran, outcome) = await RunAsync(host, Refund(50, price: "100.00"));

        Assert.False(ran);
        Assert.Equal(DenialReason.NotPermitted, outcome.Denial!.Reason);
    }

    [Fact]
    public async Task Forbid_on_a_set_member_denies_and_names_the_forbid()
    {
        using var host = Host();
        var (ran, outcome) = await RunAsync(host, Refund(50, "10.50", "vip"));

        Assert.False(ran);
        Assert.Equal(DenialReason.PolicyDenied, outcome.Denial!.Reason);
        Assert.Equal(["no-vip-refunds"], outcome.Denial.DeterminingPolicies);
    }

    [Fact]
    public async Task An_erroring_forbid_denies_with_PolicyError_even_though_a_permit_applies()
    {
        using var host = Host();
        var (ran, outcome) = await RunAsync(host, GovernedTestHost.Intent("export"));

        Assert.False(ran);
        Assert.Equal(DenialReason.PolicyError, outcome.Denial!.Reason);
        Assert.Equal("broken-forbid", Assert.Single(outcome.Denial.Decision!.Errors).PolicyId);
    }

    [Fact]
    public async Task An_unknown_obligation_annotation_on_the_permit_denies()
    {
        using var host = Host();
        var (ran, outcome) = await RunAsync(host, GovernedTestHost.Intent("wire"));

        Assert.False(ran);
        Assert.Equal(DenialReason.ObligationUnsatisfied, outcome.Denial!.Reason);
    }

    [Fact]
    public async Task Entities_can_come_from_a_provider_and_a_failing_provider_denies()
    {
        using var ok = new GovernedTestHost(policies: new CedarPolicyEvaluator(CedarPolicySet.Parse(Policies), new FixedEntities(Entities)));
        using var broken = new GovernedTestHost(policies: new CedarPolicyEvaluator(CedarPolicySet.Parse(Policies), new FixedEntities(null)));

        Assert.True((await RunAsync(ok, Refund(50))).Ran);
        var (ran, outcome) = await RunAsync(broken, Refund(50));
        Assert.False(ran);
        Assert.Equal(DenialReason.GovernanceFault, outcome.Denial!.Reason);
    }

    [Fact]
    public void Digest_is_the_policy_set_digest()
    {
        var set = CedarPolicySet.Parse(Policies);
        Assert.Equal(set.Digest, new CedarPolicyEvaluator(set).PolicySetDigest);
        Assert.Matches("^[0-9a-f]{64}$", set.Digest);
    }

    [Fact]
    public async Task Sample_policies_load_from_embedded_resources_and_decide()
    {
        var set = CedarPolicySet.FromEmbeddedResources(typeof(CedarPolicyEvaluatorTests).Assembly, "GovernedExecution.Tests.Policies.");
        Assert.Equal(2, set.PolicyIds.Count);
        using var host = new GovernedTestHost(policies: new CedarPolicyEvaluator(set));

        Assert.True((await RunAsync(host, GovernedTestHost.Intent("read"))).Ran);
        Assert.False((await RunAsync(host, GovernedTestHost.Intent("delete"))).Ran);
    }

    private sealed class FixedEntities(CedarEntities? entities) : IEntityProvider
    {
        public ValueTask<CedarEntities> GetEntitiesAsync(ExecutionIntent intent, CancellationToken cancellationToken) => ValueTask.FromResult(entities!);
    }
}
