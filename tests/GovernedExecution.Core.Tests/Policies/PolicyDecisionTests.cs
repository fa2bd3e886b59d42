using GovernedExecution.Policies;

namespace GovernedExecution.Tests.Policies;

public sealed class PolicyDecisionTests
{
    private const string Digest = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    [Fact]
    public void Every_argument_is_required()
    {
        Assert.Throws<ArgumentNullException>("determiningPolicies", () => new PolicyDecision(PolicyDecisionKind.Permitted, null!, [], [], Digest));
        Assert.Throws<ArgumentNullException>("errors", () => new PolicyDecision(PolicyDecisionKind.Permitted, [], null!, [], Digest));
        Assert.Throws<ArgumentNullException>("obligations", () => new PolicyDecision(PolicyDecisionKind.Permitted, [], [], null!, Digest));
        Assert.Throws<ArgumentNullException>("policySetDigest", () => new PolicyDecision(PolicyDecisionKind.Permitted, [], [], [], null!));
    }

    [Fact]
    public void Determining_policies_are_kept_in_ordinal_order_and_the_rest_as_given()
    {
        PolicyEvaluationError[] errors = [new("z", PolicyEffect.Permit, "late"), new("a", PolicyEffect.Permit, "early")];
        PolicyObligation[] obligations = [new("ttl", "30s", "b"), new("max_uses", "1", "a")];

        var decision = new PolicyDecision(PolicyDecisionKind.Permitted, ["b", "a", "B", "a-1"], errors, obligations, Digest);

        Assert.Equal(PolicyDecisionKind.Permitted, decision.Kind);
        Assert.Equal(["B", "a", "a-1", "b"], decision.DeterminingPolicies);
        Assert.Equal(errors, decision.Errors);
        Assert.Equal(obligations, decision.Obligations);
        Assert.Equal(Digest, decision.PolicySetDigest);
    }

    [Theory]
    [InlineData(PolicyDecisionKind.Permitted, null, true)]
    [InlineData(PolicyDecisionKind.Permitted, PolicyEffect.Permit, true)]
    [InlineData(PolicyDecisionKind.Permitted, PolicyEffect.Forbid, false)]
    [InlineData(PolicyDecisionKind.Forbidden, null, false)]
    [InlineData(PolicyDecisionKind.NotPermitted, null, false)]
    [InlineData(PolicyDecisionKind.NotPermitted, PolicyEffect.Permit, false)]
    public void Only_a_permit_without_an_erroring_forbid_lets_the_executor_go_on(PolicyDecisionKind kind, PolicyEffect? erroring, bool permitted)
    {
        // The erroring policy comes after a harmless one: every error is looked at, not only the first.
        PolicyEvaluationError[] errors = erroring is { } effect ? [new("harmless", PolicyEffect.Permit, "x"), new("failing", effect, "y")] : [];

        var decision = new PolicyDecision(kind, kind == PolicyDecisionKind.NotPermitted ? [] : ["p"], errors, [], Digest);

        Assert.Equal(permitted, decision.IsPermitted);
    }

    [Fact]
    public void An_unknown_kind_is_not_a_permit()
    {
        Assert.False(new PolicyDecision((PolicyDecisionKind)42, ["p"], [], [], Digest).IsPermitted);
        Assert.False(new PolicyDecision(default, ["p"], [], [], Digest).IsPermitted);
    }

    [Fact]
    public void ToString_names_the_kind_the_policies_and_the_error_count()
    {
        Assert.Equal("Permitted by [a, b]", new PolicyDecision(PolicyDecisionKind.Permitted, ["b", "a"], [], [], Digest).ToString());
        Assert.Equal("Forbidden by [f], 2 error(s)", new PolicyDecision(PolicyDecisionKind.Forbidden, ["f"], [new("x", PolicyEffect.Permit, "m"), new("y", PolicyEffect.Forbid, "n")], [], Digest).ToString());
        Assert.Equal("NotPermitted by []", new PolicyDecision(PolicyDecisionKind.NotPermitted, [], [], [], Digest).ToString());
    }
}
