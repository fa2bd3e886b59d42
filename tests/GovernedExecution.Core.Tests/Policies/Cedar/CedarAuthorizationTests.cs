using GovernedExecution.Policies.Cedar;

namespace GovernedExecution.Tests.Policies.Cedar;

public sealed class CedarAuthorizationTests
{
    private static readonly CedarEntities Entities = CedarEntities.ParseJson("""
        [
          { "uid": {"type": "User", "id": "alice"}, "attrs": {"level": 5}, "parents": [{"type": "Group", "id": "admins"}] },
          { "uid": {"type": "Group", "id": "admins"}, "attrs": {}, "parents": [] },
          { "uid": {"type": "Action", "id": "read"}, "attrs": {}, "parents": [{"type": "Action", "id": "readOnly"}] },
          { "uid": {"type": "Action", "id": "readOnly"}, "attrs": {}, "parents": [] }
        ]
        """);

    private static CedarResponse Run(string policies, string principal = "User::\"alice\"", string action = "Action::\"read\"", string? context = null) =>
        CedarPolicySet.Parse(policies).Evaluate(CedarRequest.Create(principal, action, "Doc::\"d\"", context), Entities);

    [Fact]
    public void Default_is_deny_and_not_forbidden()
    {
        var r = Run("permit(principal == User::\"bob\", action, resource);");
        Assert.Equal(CedarDecision.Deny, r.Decision);
        Assert.False(r.IsForbidden);
        Assert.Empty(r.Reasons);
        Assert.Empty(r.Errors);
        Assert.Equal(default, r.Decision);
    }

    [Fact]
    public void Empty_policy_set_denies()
    {
        Assert.Equal(CedarDecision.Deny, Run(string.Empty).Decision);
    }

    [Fact]
    public void Permit_allows_with_reasons_in_id_order()
    {
        var r = Run("""
            permit(principal, action, resource);
            permit(principal in Group::"admins", action in Action::"readOnly", resource);
            permit(principal, action == Action::"write", resource);
            """);
        Assert.Equal(CedarDecision.Allow, r.Decision);
        Assert.Equal(["policy0", "policy1"], r.Reasons);
    }

    [Fact]
    public void Forbid_overrides_permit_and_is_reported()
    {
        var r = Run("""
            permit(principal, action, resource);
            forbid(principal, action in [Action::"readOnly"], resource) when { principal.level > 3 };
            """);
        Assert.Equal(CedarDecision.Deny, r.Decision);
        Assert.True(r.IsForbidden);
        Assert.Equal(["policy1"], r.Reasons);
    }

    [Fact]
    public void An_erroring_policy_is_skipped_and_reported()
    {
        var r = Run("""
            permit(principal, action, resource) when { principal.missing == 1 };
            forbid(principal, action, resource) when { 1 + "a" == 2 };
            permit(principal, action, resource) unless { context.flag };
            """, context: """{"flag": false}""");
        Assert.Equal(CedarDecision.Allow, r.Decision);
        Assert.Equal(["policy2"], r.Reasons);
        Assert.Equal(["policy0", "policy1"], r.Errors.Select(e => e.PolicyId));
        Assert.All(r.Errors, e => Assert.False(string.IsNullOrEmpty(e.Message)));
    }

    [Fact]
    public void An_error_never_turns_into_a_permit()
    {
        var r = Run("permit(principal, action, resource) when { 9223372036854775807 + 1 > 0 };");
        Assert.Equal(CedarDecision.Deny, r.Decision);
        Assert.Single(r.Errors);
    }

    [Fact]
    public void Non_boolean_condition_is_an_error()
    {
        var r = Run("permit(principal, action, resource) when { 1 };");
        Assert.Equal(CedarDecision.Deny, r.Decision);
        Assert.Single(r.Errors);
    }

    [Fact]
    public void Scope_uses_the_transitive_closure_and_type_tests()
    {
        Assert.True(Run("permit(principal is User in Group::\"admins\", action, resource is Doc);").IsAllowed);
        Assert.False(Run("permit(principal is Group, action, resource);").IsAllowed);
        Assert.True(Run("permit(principal, action in Action::\"readOnly\", resource);").IsAllowed);
        Assert.True(Run("permit(principal, action == Action::\"read\", resource);").IsAllowed);
        Assert.False(Run("permit(principal, action == Action::\"readOnly\", resource);").IsAllowed);
        Assert.False(Run("permit(principal, action in [], resource);").IsAllowed);
    }

    [Fact]
    public void Missing_entities_have_no_parents_and_no_attributes()
    {
        Assert.True(Run("permit(principal in User::\"ghost\", action, resource);", principal: "User::\"ghost\"").IsAllowed);
        Assert.False(Run("permit(principal in Group::\"admins\", action, resource);", principal: "User::\"ghost\"").IsAllowed);
        Assert.False(Run("permit(principal, action, resource) when { principal has level };", principal: "User::\"ghost\"").IsAllowed);
        Assert.Single(Run("permit(principal, action, resource) when { principal.level > 0 };", principal: "User::\"ghost\"").Errors);
    }

    [Fact]
    public void Response_exposes_decision_for_in_memory_evaluation()
    {
        var set = CedarPolicySet.Parse("permit(principal, action, resource) when { context.n == 2 };");
        var context = new RecordValue(new Dictionary<string, CedarValue>(StringComparer.Ordinal) { ["n"] = LongValue.Of(2) });
        var r = set.Authorize(new EntityUid("User", "u"), new EntityUid("Action", "a"), new EntityUid("R", "r"), context, CedarEntityStore.Empty);
        Assert.True(r.Allowed);
        Assert.Equal(["policy0"], r.Reasons);
    }

    [Fact]
    public void Files_get_deterministic_ids_independent_of_order()
    {
        var dir = Directory.CreateTempSubdirectory("cedar-files-");
        try
        {
            var a = Path.Combine(dir.FullName, "a.cedar");
            var b = Path.Combine(dir.FullName, "b.cedar");
            File.WriteAllText(a, "permit(principal, action, resource);\nforbid(principal == User::\"x\", action, resource);");
            File.WriteAllText(b, "permit(principal == User::\"alice\", action, resource);");
            var one = CedarPolicySet.FromFiles([a, b]);
            var two = CedarPolicySet.FromFiles([b, a]);
            var three = CedarPolicySet.FromDirectory(dir.FullName);
            Assert.Equal(["a.cedar:policy0", "a.cedar:policy1", "b.cedar:policy0"], one.PolicyIds);
            Assert.Equal(one.PolicyIds, two.PolicyIds);
            Assert.Equal(one.Digest, two.Digest);
            Assert.Equal(one.Digest, three.Digest);
            Directory.CreateDirectory(Path.Combine(dir.FullName, "sub"));
            File.WriteAllText(Path.Combine(dir.FullName, "sub", "a.cedar"), "permit(principal, action, resource);");
            Assert.Contains("sub/a.cedar:policy0", CedarPolicySet.FromDirectory(dir.FullName).PolicyIds);
            Assert.Matches("^[0-9a-f]{64}$", one.Digest);

            File.WriteAllText(b, "permit(principal == , action, resource);");
            var e = Assert.Throws<CedarParseException>(() => CedarPolicySet.FromDirectory(dir.FullName));
            Assert.EndsWith("b.cedar", e.Diagnostics[0].Source, StringComparison.Ordinal);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Fact]
    public void Digest_ignores_comments_whitespace_and_order_but_not_content()
    {
        var a = CedarPolicySet.Parse("permit(principal, action, resource);\n// note\nforbid(principal, action, resource) when { 1 < 2 };");
        var b = CedarPolicySet.Parse("forbid ( principal , action , resource )   when{1<2};   permit(principal,action,resource);");
        var c = CedarPolicySet.Parse("permit(principal, action, resource);\nforbid(principal, action, resource) when { 1 < 3 };");
        Assert.Equal(a.Digest, b.Digest);
        Assert.NotEqual(a.Digest, c.Digest);
    }
}

public sealed class CedarInMemoryTests
{
    [Fact]
    public void Evaluates_from_in_memory_values()
    {
        var set = CedarPolicySet.Parse("""
            @ttl("60")
            permit(principal in Team::"ops", action == Tool::Action::"deploy", resource) when { context.env == "prod" && resource.ip.isInRange(ip("10.0.0.0/8")) && principal.getTag("level") >= 2 };
            """);
        var alice = CedarValues.Entity("User", "alice");
        var server = CedarValues.Entity("Host", "h1");
        var entities = CedarValues.Entities(
        [
            CedarValues.EntityData(alice, parents: [CedarValues.Entity("Team", "ops")], tags: [new("level", CedarValues.Long(3))]),
            CedarValues.EntityData(server, attributes: [new("ip", CedarValues.Extension("ip", "10.1.2.3"))]),
        ]);
        var context = CedarValues.Record([new("env", CedarValues.String("prod"))]);
        var allowed = set.Evaluate(alice, CedarValues.Entity("Tool::Action", "deploy"), server, context, entities);
        Assert.True(allowed.IsAllowed);
        Assert.Equal([new("ttl", "60")], set.GetAnnotations(allowed.Reasons[0]));

        var staging = CedarValues.Record([new("env", CedarValues.String("staging"))]);
        Assert.False(set.Evaluate(alice, CedarValues.Entity("Tool::Action", "deploy"), server, staging, entities).IsAllowed);
        Assert.Throws<KeyNotFoundException>(() => set.GetAnnotations("nope"));
        Assert.Throws<CedarEvaluationException>(() => CedarValues.Extension("ip", "nope"));
    }
}
