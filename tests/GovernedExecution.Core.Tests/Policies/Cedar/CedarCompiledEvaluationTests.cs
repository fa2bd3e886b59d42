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

    private static void AssertSame(CedarResponse expected, CedarResponse actual, string what)
    {
        Assert.True(expected.Decision == actual.Decision && expected.IsForbidden == actual.IsForbidden, what);
        Assert.Equal(expected.Reasons, actual.Reasons);
        Assert.Equal(expected.Errors.Select(e => e.ToString()), actual.Errors.Select(e => e.ToString()));
    }
}
