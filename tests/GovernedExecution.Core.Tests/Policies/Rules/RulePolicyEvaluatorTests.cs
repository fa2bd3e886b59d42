using System.Security.Cryptography;
using System.Text;
using GovernedExecution.Policies;
using GovernedExecution.Policies.Rules;
using GovernedExecution.Testing;

namespace GovernedExecution.Tests.Policies.Rules;

public sealed class RulePolicyEvaluatorTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 26, 12, 0, 0, TimeSpan.Zero);

    private static ValueTask<PolicyDecision> Evaluate(RulePolicyEvaluator rules, string action = "read") =>
        rules.EvaluateAsync(GovernedTestHost.Intent(action), Now, CancellationToken.None);

    [Fact]
    public void Rules_are_required_and_their_ids_unique()
    {
        Assert.Throws<ArgumentNullException>("rules", () => new RulePolicyEvaluator(null!));
        Assert.Throws<ArgumentNullException>("rules", () => new RulePolicyEvaluator([PolicyRule.Permit("a", _ => true), null!]));
        var duplicate = Assert.Throws<ArgumentException>("rules", () => new RulePolicyEvaluator([PolicyRule.Permit("same", _ => true), PolicyRule.Forbid("same", _ => true)]));
        Assert.StartsWith("Two rules have the id 'same'.", duplicate.Message, StringComparison.Ordinal);
        Assert.Equal(2, new RulePolicyEvaluator([PolicyRule.Permit("a", _ => true), PolicyRule.Permit("A", _ => true)]).Count);
    }

    [Fact]
    public async Task The_intent_is_required()
    {
        await Assert.ThrowsAsync<ArgumentNullException>("intent", async () => await new RulePolicyEvaluator([]).EvaluateAsync(null!, Now, CancellationToken.None));
    }

    [Fact]
    public async Task No_rule_applies_no_permit()
    {
        var rules = new RulePolicyEvaluator([PolicyRule.Permit("writes", i => i.Action.Id == "write", [new("ttl", "30s")])]);

        var decision = await Evaluate(rules);

        Assert.Equal(PolicyDecisionKind.NotPermitted, decision.Kind);
        Assert.Empty(decision.DeterminingPolicies);
        Assert.Empty(decision.Errors);
        Assert.Empty(decision.Obligations);
        Assert.Equal(rules.PolicySetDigest, decision.PolicySetDigest);
    }

    [Fact]
    public async Task Applying_permits_determine_a_permit_and_bring_their_obligations_only()
    {
        var rules = new RulePolicyEvaluator(
        [
            PolicyRule.Permit("reads", i => i.Action.Id == "read", [new("ttl", "30s"), new("max_uses", "1")]),
            PolicyRule.Permit("anything", _ => true),
            PolicyRule.Permit("writes", i => i.Action.Id == "write", [new("requires_approval", "ops")]),
            PolicyRule.Forbid("deletes", i => i.Action.Id == "delete"),
        ]);

        var decision = await Evaluate(rules);

        Assert.Equal(PolicyDecisionKind.Permitted, decision.Kind);
        Assert.True(decision.IsPermitted);
        Assert.Equal(["anything", "reads"], decision.DeterminingPolicies);
        Assert.Equal([new PolicyObligation("ttl", "30s", "reads"), new PolicyObligation("max_uses", "1", "reads")], decision.Obligations);
        Assert.Empty(decision.Errors);
        Assert.Equal(rules.PolicySetDigest, decision.PolicySetDigest);
    }

    [Fact]
    public async Task Any_applying_forbid_overrides_every_permit_and_carries_no_obligation()
    {
        var rules = new RulePolicyEvaluator(
        [
            PolicyRule.Permit("anything", _ => true, [new("ttl", "30s")]),
            PolicyRule.Forbid("no-deletes", i => i.Action.Id == "delete"),
            PolicyRule.Forbid("freeze", _ => true),
            PolicyRule.Forbid("never", _ => false),
        ]);

        var decision = await Evaluate(rules, "delete");

        Assert.Equal(PolicyDecisionKind.Forbidden, decision.Kind);
        Assert.Equal(["freeze", "no-deletes"], decision.DeterminingPolicies);
        Assert.Empty(decision.Obligations);
        Assert.Equal(rules.PolicySetDigest, decision.PolicySetDigest);
    }

    [Theory]
    [InlineData(PolicyEffect.Permit)]
    [InlineData(PolicyEffect.Forbid)]
    public async Task A_throwing_rule_is_skipped_and_reported_and_the_others_still_decide(PolicyEffect effect)
    {
        PolicyRule Throwing(string id) => effect == PolicyEffect.Permit
            ? PolicyRule.Permit(id, _ => throw new InvalidOperationException("boom"))
            : PolicyRule.Forbid(id, _ => throw new InvalidOperationException("boom"));

        // Sorted by id, the throwing rule comes first: what follows it must still be evaluated.
        var permitted = await Evaluate(new RulePolicyEvaluator([Throwing("a-throws"), PolicyRule.Permit("b-reads", _ => true)]));
        var forbidden = await Evaluate(new RulePolicyEvaluator([Throwing("a-throws"), PolicyRule.Forbid("b-freeze", _ => true)]));
        var nothing = await Evaluate(new RulePolicyEvaluator([Throwing("a-throws")]));

        var expected = new PolicyEvaluationError("a-throws", effect, "InvalidOperationException: boom");
        Assert.Equal(PolicyDecisionKind.Permitted, permitted.Kind);
        Assert.Equal(["b-reads"], permitted.DeterminingPolicies);
        Assert.Equal([expected], permitted.Errors);
        Assert.Equal(effect == PolicyEffect.Permit, permitted.IsPermitted);
        Assert.Equal(PolicyDecisionKind.Forbidden, forbidden.Kind);
        Assert.Equal(["b-freeze"], forbidden.DeterminingPolicies);
        Assert.Equal([expected], forbidden.Errors);
        Assert.Equal(PolicyDecisionKind.NotPermitted, nothing.Kind);
        Assert.Equal([expected], nothing.Errors);
    }

    [Fact]
    public void The_digest_covers_ids_effects_and_obligations_in_a_documented_canonical_text()
    {
        var rules = new RulePolicyEvaluator(
        [
            PolicyRule.Permit("reads", _ => true, [new("ttl", "30s"), new("max_uses", "1")]),
            PolicyRule.Forbid("deletes", _ => false),
        ]);

        // Sorted by id; obligations sorted by name; every string prefixed with its length.
        var canonical = "forbid 7:deletes\npermit 5:reads @8:max_uses=1:1 @3:ttl=3:30s\n";
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(canonical))), rules.PolicySetDigest);
    }

    [Fact]
    public void The_digest_ignores_order_and_predicates_and_follows_every_other_change()
    {
        RulePolicyEvaluator Set(params PolicyRule[] rules) => new(rules);
        var baseline = Set(PolicyRule.Permit("a", _ => true, [new("ttl", "30s")]), PolicyRule.Forbid("b", _ => true)).PolicySetDigest;

        Assert.Equal(baseline, Set(PolicyRule.Forbid("b", _ => false), PolicyRule.Permit("a", _ => false, [new("ttl", "30s")])).PolicySetDigest);
        Assert.NotEqual(baseline, Set(PolicyRule.Permit("a", _ => true, [new("ttl", "31s")]), PolicyRule.Forbid("b", _ => true)).PolicySetDigest);
        Assert.NotEqual(baseline, Set(PolicyRule.Permit("a", _ => true), PolicyRule.Forbid("b", _ => true)).PolicySetDigest);
        Assert.NotEqual(baseline, Set(PolicyRule.Permit("a", _ => true, [new("ttl", "30s")]), PolicyRule.Permit("b", _ => true)).PolicySetDigest);
        Assert.NotEqual(baseline, Set(PolicyRule.Permit("a", _ => true, [new("ttl", "30s")]), PolicyRule.Forbid("c", _ => true)).PolicySetDigest);
        Assert.NotEqual(baseline, Set(PolicyRule.Permit("a", _ => true, [new("ttl", "30s")])).PolicySetDigest);
    }
}
