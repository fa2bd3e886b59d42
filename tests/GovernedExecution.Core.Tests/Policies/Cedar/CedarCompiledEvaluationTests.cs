using System.Globalization;
using GovernedExecution.Policies.Cedar;
using GovernedExecution.Testing.Cedar;
using GovernedExecution.Tests.Policies.Cedar.Differential;

namespace GovernedExecution.Tests.Policies.Cedar;

/// <summary>
/// The compiled evaluator against the interpreted one it replaced (<see cref="CedarInterpretedReference"/>): the same
/// decision, the same determining policies in the same order, and the same errors with the same messages, on
/// generated cases and on expressions chosen for their evaluation order and error paths.
/// </summary>
public sealed class CedarCompiledEvaluationTests
{
    private const string Entities = """
        [
          {"uid":{"type":"User","id":"alice"},"attrs":{"n":300,"s":"str","b":true,"set":[1,2],"rec":{"x":1}},"parents":[{"type":"Group","id":"g"}],"tags":{"t":1}},
          {"uid":{"type":"Group","id":"g"},"attrs":{},"parents":[{"type":"Group","id":"top"}]},
          {"uid":{"type":"Doc","id":"d"},"attrs":{"owner":{"__entity":{"type":"User","id":"alice"}}},"parents":[]}
        ]
        """;

    private const string Context = """{"n":300,"s":"str","b":true,"big":9223372036854775807,"set":["a","b"]}""";

    public static TheoryData<string> Conditions() =>
    [
        "context.n * 300 == 90000",
        "context.n + 1 < context.n * 2",
        "-(context.n) < 0",
        "-(-9223372036854775807 - 1) > 0",
        "context.big + 1 > 0",
        "context.big * context.n > 0",
        "\"a\" + context.missing > 0",
        "(1 + \"a\") < context.missing",
        "context.missing + (1 + \"a\") < 0",
        "1 + context.s < 2",
        "context.s + context.missing < 2",
        "context.n < \"s\"",
        "context.s < 1",
        "context.n + 1 < context.s",
        "context.s < context.n + 1",
        "context.s < context.missing",
        "context.s like \"s*\"",
        "context.n like \"*\"",
        "[1, context.missing].contains(1)",
        "context.set.contains(\"a\") && !context.set.isEmpty()",
        "context.s.contains(\"a\")",
        "[\"a\", \"b\"].contains(context.s)",
        "[\"a\", \"b\"].containsAny(context.set)",
        "principal in [Group::\"top\", Group::\"x\"]",
        "principal in [1]",
        "principal in context.n",
        "context.n in Group::\"g\"",
        "principal in Group::\"top\" && resource.owner == principal",
        "resource is Doc in context.missing",
        "principal is User in Group::\"g\"",
        "context.n is User",
        "if context.b then 1 else \"x\"",
        "if context.n then true else false",
        "if context.b then context.n == 300 else context.missing",
        "context.b && context.n",
        "false && context.missing",
        "context.b && context.missing",
        "context.n && context.missing",
        "(context.b && context.n == 300) && (context.s == \"str\" && context.set.contains(\"c\"))",
        "context.b && (context.missing || true) && principal.n == 300",
        "principal.n == 300 && resource.owner == principal && context.n != 1 && context.s != \"x\"",
        "principal.n < 1 || principal.n >= 300 && resource.n <= 2",
        "context.n || true",
        "!context.n",
        "principal has n && principal.n == 300",
        "principal has rec.x && principal.rec.x == 1",
        "principal has rec.y || principal.rec.missing",
        "context.n has x",
        "Doc::\"nope\".n == 1",
        "Doc::\"nope\" has n",
        "principal.hasTag(\"t\") && principal.getTag(\"t\") == 1",
        "principal.hasTag(1)",
        "context.hasTag(\"t\")",
        "ip(\"10.0.0.1\").isInRange(ip(\"10.0.0.0/8\"))",
        "decimal(\"1.5\").lessThan(decimal(context.s))",
        "{a: 1, b: [1, 2]} == {b: [2, 1], a: 1}",
        "{a: context.n} == {a: 300}",
        "context == {\"n\": 300}",
        "?principal == principal",
    ];

    [Theory]
    [MemberData(nameof(Conditions))]
    public void Compiled_and_interpreted_agree_on_a_condition(string condition)
    {
        var text =
            "permit (principal, action, resource) when { " + condition + " };\n" +
            "forbid (principal, action, resource) unless { " + condition + " };\n" +
            "permit (principal in Group::\"top\", action, resource) when { true };\n";
        CedarPolicySet set;
        try
        {
            set = CedarPolicySet.Parse(text);
        }
        catch (CedarParseException)
        {
            // Some of the conditions are not valid policies (a slot in a static policy): nothing to evaluate.
            return;
        }

        var entities = CedarEntities.ParseJson(Entities);
        var request = CedarRequest.Create("User::\"alice\"", "Action::\"view\"", "Doc::\"d\"", Context);

        AssertSame(CedarInterpretedReference.Of(set).Evaluate(request, entities), set.Evaluate(request, entities), condition);
    }

    [Fact]
    public void Compiled_and_interpreted_agree_on_generated_cases()
    {
        var generator = new CedarCaseGenerator(20_261_205);
        int requests = 0, errors = 0, allowed = 0;
        for (var i = 0; i < 1_500; i++)
        {
            var c = generator.Next("case" + i.ToString(CultureInfo.InvariantCulture));
            CedarPolicySet set;
            CedarEntities entities;
            try
            {
                set = CedarPolicySet.Parse(c.PolicyText);
                entities = CedarEntities.ParseJson(c.EntitiesJson().ToJsonString());
            }
            catch (CedarParseException)
            {
                continue;
            }

            var reference = CedarInterpretedReference.Of(set);
            foreach (var r in c.Requests)
            {
                var json = r.ToJson();
                CedarRequest request;
                try
                {
                    request = CedarRequest.Create(Uid(json["principal"]!), Uid(json["action"]!), Uid(json["resource"]!), json["context"]?.ToJsonString());
                }
                catch (CedarParseException)
                {
                    continue;
                }

                var expected = reference.Evaluate(request, entities);
                var actual = set.Evaluate(request, entities);
                AssertSame(expected, actual, c.PolicyText);
                requests++;
                errors += expected.Errors.Count;
                allowed += expected.IsAllowed ? 1 : 0;
            }
        }

        // The generated cases reach every outcome, errors included.
        Assert.True(requests > 1_000 && errors > 100 && allowed > 100, $"{requests} requests, {errors} errors, {allowed} allowed");

        static string Uid(System.Text.Json.Nodes.JsonNode n) => (string)n["type"]! + "::" + CedarText.Quote((string)n["id"]!);
    }

    [Fact]
    public void One_buffer_shared_by_policy_sets_stores_and_contexts_never_reads_another_decisions_attribute()
    {
        // Each policy set numbers its attribute slots in its own order, so a context or entity value cached for one
        // decision, store or set would land on another attribute of the next one.
        var first = CedarPolicySet.Parse("""
            permit (principal, action, resource) when { context.a == 1 && principal.x == 1 };
            forbid (principal, action, resource) when { context.b == 1 && resource.y == 1 };
            """);
        var second = CedarPolicySet.Parse("""
            permit (principal, action, resource) when { context.b == 2 && resource.y == 2 && principal has x };
            permit (principal, action, resource) when { principal.x == 2 && context.a == 2 };
            forbid (principal, action, resource) unless { context has a || context.c == 3 };
            """);
        var one = CedarEntities.ParseJson("""
            [{"uid":{"type":"User","id":"u"},"attrs":{"x":1,"y":2},"parents":[]},
             {"uid":{"type":"Doc","id":"d"},"attrs":{"x":2,"y":1},"parents":[]}]
            """);
        var two = CedarEntities.ParseJson("""
            [{"uid":{"type":"User","id":"u"},"attrs":{"x":2},"parents":[]},
             {"uid":{"type":"Doc","id":"d"},"attrs":{"y":2},"parents":[]}]
            """);
        string[] contexts = ["""{"a":1,"b":2}""", """{"a":2,"b":1}""", """{"b":2}""", """{"a":1}""", """{"c":3}""", "{}"];
        string[] resources = ["Doc::\"d\"", "User::\"u\"", "Doc::\"absent\""];
        var buffer = new CedarDecisionBuffer();
        var decisions = 0;
        for (var round = 0; round < 2; round++)
        {
            foreach (var context in contexts)
            {
                foreach (var resource in resources)
                {
                    foreach (var set in new[] { first, second })
                    {
                        foreach (var entities in new[] { one, two })
                        {
                            var request = CedarRequest.Create("User::\"u\"", "Action::\"a\"", resource, context);
                            var expected = CedarInterpretedReference.Of(set).Evaluate(request, entities);
                            var allowed = set.Decide(request.Principal, request.Action, request.Resource, request.Context, entities.Store, buffer);
                            var what = $"{context} {resource}";
                            Assert.True(expected.IsAllowed == allowed && expected.IsForbidden == buffer.Forbidden, what);
                            Assert.Equal(expected.Reasons, buffer.Reasons);
                            Assert.Equal(expected.Errors.Select(e => e.ToString()), buffer.Errors.Select(e => e.ToString()));
                            decisions += allowed ? 1 : 0;
                        }
                    }
                }
            }
        }

        Assert.True(decisions > 0);
    }

    [Theory]
    [InlineData("principal.n == 300")]
    [InlineData("principal has n")]
    [InlineData("resource.owner == principal")]
    [InlineData("resource has owner || principal.n == 1")]
    [InlineData("context.n == 300 && resource.n == 1")]
    public void Attributes_of_a_principal_or_resource_absent_from_the_store_raise_what_the_tree_raises(string condition)
    {
        var set = CedarPolicySet.Parse("permit (principal, action, resource) when { " + condition + " };\nforbid (principal, action, resource) unless { " + condition + " };");
        var entities = CedarEntities.ParseJson(Entities);
        foreach (var (principal, resource) in new[] { ("User::\"ghost\"", "Doc::\"d\""), ("User::\"alice\"", "Doc::\"gone\""), ("User::\"ghost\"", "Doc::\"gone\"") })
        {
            var request = CedarRequest.Create(principal, "Action::\"view\"", resource, Context);
            AssertSame(CedarInterpretedReference.Of(set).Evaluate(request, entities), set.Evaluate(request, entities), condition + " " + principal + " " + resource);
        }
    }

    [Fact]
    public void An_is_in_scope_selects_entities_of_its_type_only()
    {
        // Indexed exactly (no check left for evaluation): an entity of another type in the same group is not selected.
        var set = CedarPolicySet.Parse("""
            permit (principal is User in Group::"g", action, resource is Doc in Doc::"d");
            permit (principal is Group in Group::"top", action, resource);
            forbid (principal is Robot in Group::"g", action, resource);
            """);
        var entities = CedarEntities.ParseJson(Entities);
        foreach (var principal in new[] { "User::\"alice\"", "Group::\"g\"", "Group::\"top\"", "Robot::\"r\"", "User::\"ghost\"" })
        {
            foreach (var resource in new[] { "Doc::\"d\"", "Doc::\"other\"", "User::\"alice\"" })
            {
                var request = CedarRequest.Create(principal, "Action::\"view\"", resource, "{}");
                AssertSame(CedarInterpretedReference.Of(set).Evaluate(request, entities), set.Evaluate(request, entities), principal + " " + resource);
            }
        }

        var alice = set.Evaluate(CedarRequest.Create("User::\"alice\"", "Action::\"view\"", "Doc::\"d\"", "{}"), entities);
        Assert.Equal(["policy0"], alice.Reasons);
        var group = set.Evaluate(CedarRequest.Create("Group::\"g\"", "Action::\"view\"", "Doc::\"d\"", "{}"), entities);
        Assert.Equal(["policy1"], group.Reasons);
    }

    private static void AssertSame(CedarResponse expected, CedarResponse actual, string what)
    {
        Assert.True(expected.Decision == actual.Decision && expected.IsForbidden == actual.IsForbidden, what);
        Assert.Equal(expected.Reasons, actual.Reasons);
        Assert.Equal(expected.Errors.Select(e => e.ToString()), actual.Errors.Select(e => e.ToString()));
    }
}
