using System.Text.Json;
using GovernedExecution.Policies.Cedar;

namespace GovernedExecution.Tests.Policies.Cedar;

/// <summary>Reading and writing Cedar's JSON policy format (EST) as the official engine (4.13) reads and writes it.</summary>
public sealed class CedarJsonPolicyFormatTests
{
    private const string Entities = """
        [
          { "uid": {"type": "User", "id": "with"}, "attrs": {"address": {"enabled": true}}, "parents": [] },
          { "uid": {"type": "User", "id": "partial"}, "attrs": {"address": {}}, "parents": [] },
          { "uid": {"type": "User", "id": "without"}, "attrs": {}, "parents": [] }
        ]
        """;

    private static string Policy(string body, string extra = "") => """
        {"staticPolicies": {"p": {"effect": "permit", "principal": {"op": "All"}, "action": {"op": "All"},
          "resource": {"op": "All"}, "conditions": [{"kind": "when", "body": 
        """ + body + "}]" + extra + "}}}";

    [Fact]
    public void Reads_the_nested_has_path_that_Cedar_4_writes()
    {
        var set = CedarPolicySet.ParseJson(Policy("""{"has": {"left": {"Var": "principal"}, "attr": ["address", "enabled"]}}"""));
        var entities = CedarEntities.ParseJson(Entities);

        Assert.Equal(CedarDecision.Allow, Decide(set, "with", entities).Decision);
        var partial = Decide(set, "partial", entities);
        Assert.Equal((CedarDecision.Deny, 0), (partial.Decision, partial.Errors.Count));
        var without = Decide(set, "without", entities);
        Assert.Equal((CedarDecision.Deny, 0), (without.Decision, without.Errors.Count));
    }

    [Fact]
    public void The_has_path_reads_to_the_same_policy_as_its_text_form()
    {
        var fromJson = CedarPolicySet.ParseJson(Policy("""{"has": {"left": {"Var": "principal"}, "attr": ["address", "enabled"]}}"""));
        var fromText = CedarPolicySet.Parse("permit(principal, action, resource) when { principal has address.enabled };");
        Assert.Equal(fromText.Digest, fromJson.Digest);
    }

    [Theory]
    [InlineData("""{"has": {"left": {"Var": "principal"}, "attr": []}}""", "$.staticPolicies.p.conditions[0].body.has.attr")]
    [InlineData("""{"has": {"left": {"Var": "principal"}, "attr": [1]}}""", "$.staticPolicies.p.conditions[0].body.has.attr[0]")]
    [InlineData("""{"has": {"left": {"Var": "principal"}, "attr": 1}}""", "$.staticPolicies.p.conditions[0].body.has.attr")]
    public void A_has_attr_that_is_neither_a_string_nor_a_non_empty_string_list_is_refused(string body, string path)
    {
        var e = Assert.Throws<CedarParseException>(() => CedarPolicySet.ParseJson(Policy(body)));
        Assert.Contains(path, Assert.Single(e.Diagnostics).Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""{"Value": true}""", ", \"foo\": 1", "foo", "$.staticPolicies.p")]
    [InlineData("""{"Value": true}, "x": 1""", "", "x", "$.staticPolicies.p.conditions[0]")]
    [InlineData("""{".": {"left": {"Var": "principal"}, "attr": "a", "b": 1}}""", "", "b", "$.staticPolicies.p.conditions[0].body.\".\"")]
    [InlineData("""{"has": {"left": {"Var": "principal"}, "attr": "a", "typo": 1}}""", "", "typo", "$.staticPolicies.p.conditions[0].body.has")]
    [InlineData("""{"!": {"arg": {"Value": true}, "left": {"Value": 1}}}""", "", "left", "$.staticPolicies.p.conditions[0].body.\"!\"")]
    [InlineData("""{"&&": {"left": {"Value": true}, "right": {"Value": true}, "third": {"Value": true}}}""", "", "third", "$.staticPolicies.p.conditions[0].body.\"&&\"")]
    [InlineData("""{"is": {"left": {"Var": "principal"}, "entity_type": "User", "inn": {"Value": 1}}}""", "", "inn", "$.staticPolicies.p.conditions[0].body.is")]
    [InlineData("""{"like": {"left": {"Value": "a"}, "pattern": [{"Literal": "a", "x": "b"}]}}""", "", "x", "$.staticPolicies.p.conditions[0].body.like.pattern[0]")]
    [InlineData("""{"if-then-else": {"if": {"Value": true}, "then": {"Value": true}, "else": {"Value": true}, "elif": {"Value": true}}}""", "", "elif", "$.staticPolicies.p.conditions[0].body.\"if-then-else\"")]
    public void Unknown_members_are_refused_with_their_name_and_path(string body, string extra, string member, string path)
    {
        var e = Assert.Throws<CedarParseException>(() => CedarPolicySet.ParseJson(Policy(body, extra)));
        var message = Assert.Single(e.Diagnostics).Message;
        Assert.Contains("unknown member \"" + member + "\"", message, StringComparison.Ordinal);
        Assert.StartsWith(path + ":", message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""{"staticPolicies": {}, "templatez": {}}""", "templatez", "$")]
    [InlineData("""{"staticPolicies": {"p": {"effect": "permit", "principal": {"op": "All", "entity": {"type": "User", "id": "a"}}, "action": {"op": "All"}, "resource": {"op": "All"}, "conditions": []}}}""", "entity", "$.staticPolicies.p.principal")]
    [InlineData("""{"staticPolicies": {"p": {"effect": "permit", "principal": {"op": "==", "entity": {"type": "User", "id": "a"}, "slot": "?principal"}, "action": {"op": "All"}, "resource": {"op": "All"}, "conditions": []}}}""", "entity", "$.staticPolicies.p.principal")]
    [InlineData("""{"staticPolicies": {"p": {"effect": "permit", "principal": {"op": "All"}, "action": {"op": "in", "entities": [], "entity": {"type": "Action", "id": "a"}}, "resource": {"op": "All"}, "conditions": []}}}""", "entity", "$.staticPolicies.p.action")]
    [InlineData("""{"templates": {"t": {"effect": "permit", "principal": {"op": "==", "slot": "?principal"}, "action": {"op": "All"}, "resource": {"op": "All"}, "conditions": []}}, "templateLinks": [{"templateId": "t", "newId": "l", "values": {"?principal": {"type": "User", "id": "a"}}, "extra": 1}]}""", "extra", "$.templateLinks[0]")]
    public void Unknown_members_of_the_set_scope_and_links_are_refused(string json, string member, string path)
    {
        var e = Assert.Throws<CedarParseException>(() => CedarPolicySet.ParseJson(json));
        var message = Assert.Single(e.Diagnostics).Message;
        Assert.Contains("unknown member \"" + member + "\"", message, StringComparison.Ordinal);
        Assert.StartsWith(path + ":", message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""{"staticPolicies": {"p": {"effect": "permit", "principal": {"op": "All"}, "action": {"op": "All"}, "resource": {"op": "All"}}}}""", "conditions")]
    [InlineData("""{"staticPolicies": {"p": {"effect": "permit", "principal": {"op": "All"}, "action": {"op": "All"}, "resource": {"op": "All"}, "conditions": [], "annotations": null}}}""", "annotations")]
    [InlineData("""{"templates": {"t": {"effect": "permit", "principal": {"op": "All"}, "action": {"op": "All"}, "resource": {"op": "All"}, "conditions": []}}}""", "template")]
    [InlineData("""{"templates": {"t": {"effect": "permit", "principal": {"op": "==", "slot": "?principal"}, "action": {"op": "All"}, "resource": {"op": "All"}, "conditions": []}}, "templateLinks": [{"templateId": "t", "newId": "l"}]}""", "values")]
    public void Members_Cedar_requires_are_required(string json, string fragment)
    {
        var e = Assert.Throws<CedarParseException>(() => CedarPolicySet.ParseJson(json));
        Assert.Contains(fragment, Assert.Single(e.Diagnostics).Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""{"Unknown": {"name": "x"}}""", "Unknown")]
    [InlineData("""{"frobnicate": [{"Value": 1}]}""", "frobnicate")]
    [InlineData("""{"contains": [{"Set": []}, {"Value": 1}]}""", "contains")]
    public void Unsupported_expression_kinds_are_refused_by_name(string body, string name)
    {
        var e = Assert.Throws<CedarParseException>(() => CedarPolicySet.ParseJson(Policy(body)));
        Assert.Contains(name, Assert.Single(e.Diagnostics).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_lower_case_all_operator_is_read_as_Cedar_reads_it()
    {
        var set = CedarPolicySet.ParseJson("""
            {"staticPolicies": {"p": {"effect": "permit", "principal": {"op": "all"}, "action": {"op": "all"}, "resource": {"op": "all"}, "conditions": []}}}
            """);
        Assert.Equal(CedarDecision.Allow, Decide(set, "without", CedarEntities.Empty).Decision);
    }

    [Fact]
    public void Writes_the_has_path_and_like_pattern_as_Cedar_does()
    {
        var set = CedarPolicySet.Parse("""
            @a
            @b("x")
            permit(principal, action in [Action::"v"], resource) when { principal has address.enabled && "ab" like "a\*b*" };
            """);
        using var doc = JsonDocument.Parse(set.ToJson());
        var policy = doc.RootElement.GetProperty("staticPolicies").GetProperty("policy0");
        var and = policy.GetProperty("conditions")[0].GetProperty("body").GetProperty("&&");
        Assert.Equal("""["address","enabled"]""", and.GetProperty("left").GetProperty("has").GetProperty("attr").Compact());
        Assert.Equal("""[{"Literal":"a"},{"Literal":"*"},{"Literal":"b"},"Wildcard"]""", and.GetProperty("right").GetProperty("like").GetProperty("pattern").Compact());
        Assert.Equal(JsonValueKind.Null, policy.GetProperty("annotations").GetProperty("a").ValueKind);
        Assert.Equal("x", policy.GetProperty("annotations").GetProperty("b").GetString());
        Assert.Equal("""{"op":"in","entity":{"type":"Action","id":"v"}}""", policy.GetProperty("action").Compact());
    }

    [Fact]
    public void Writes_templates_and_links_and_reads_them_back()
    {
        var set = CedarPolicySet.Parse("""
            permit(principal == ?principal, action, resource is Photo in ?resource);
            forbid(principal, action, resource) when { context.x.lessThan(decimal("1.5")) };
            """).Link("policy0", "link0", new Dictionary<string, string> { ["?principal"] = "User::\"a\"", ["?resource"] = "Album::\"b\"" });

        var json = set.ToJson();
        using var doc = JsonDocument.Parse(json);
        Assert.True(doc.RootElement.GetProperty("templates").TryGetProperty("policy0", out _));
        Assert.True(doc.RootElement.GetProperty("staticPolicies").TryGetProperty("policy1", out _));
        var link = Assert.Single(doc.RootElement.GetProperty("templateLinks").EnumerateArray());
        Assert.Equal("link0", link.GetProperty("newId").GetString());
        Assert.Equal("""{"type":"Album","id":"b"}""", link.GetProperty("values").GetProperty("?resource").Compact());

        var back = CedarPolicySet.ParseJson(json);
        Assert.Equal(set.PolicyIds, back.PolicyIds);
        Assert.Equal(set.TemplateIds, back.TemplateIds);
        Assert.Equal(set.Digest, back.Digest);
        Assert.Equal(set.ToJson(), back.ToJson());
    }

    private static CedarResponse Decide(CedarPolicySet set, string user, CedarEntities entities) =>
        set.Evaluate(CedarRequest.Create("User::\"" + user + "\"", "Action::\"view\"", "Photo::\"p\""), entities);
}

internal static class JsonElementText
{
    public static string Compact(this JsonElement e) => JsonSerializer.Serialize(e);
}

/// <summary>Text → JSON → text keeps every policy of the conformance material identical.</summary>
public sealed class CedarJsonPolicyRoundTripTests
{
    [Fact]
    public void Every_corpus_policy_survives_text_to_json_to_text()
    {
        int sets = 0, policies = 0;
        var failures = new List<string>();
        foreach (var (name, text) in CedarCorpusPolicies.CedarTexts())
        {
            var original = CedarPolicySet.Parse(text, name);
            var json = original.ToJson();
            var fromJson = CedarPolicySet.ParseJson(json, name + ".json");
            var backToText = CedarPolicySet.Parse(fromJson.ToCedarText(), name + ".back");
            var expected = PolicyForms(original);
            if (!expected.SequenceEqual(PolicyForms(fromJson)) || !expected.SequenceEqual(PolicyForms(backToText)) || fromJson.ToJson() != json)
            {
                failures.Add(name);
            }

            sets++;
            policies += original.PolicyIds.Count + original.TemplateIds.Count;
        }

        Assert.True(sets > 7000, $"only {sets} policy files found");
        Assert.True(policies > sets, $"only {policies} policies found");
        Assert.Empty(failures);
    }

    [Fact]
    public void Every_json_policy_file_survives_json_to_text_to_json()
    {
        foreach (var (name, json) in CedarCorpusPolicies.JsonPolicyTexts())
        {
            var set = CedarPolicySet.ParseJson(json, name);
            var back = CedarPolicySet.ParseJson(CedarPolicySet.Parse(set.ToCedarText(), name).ToJson(), name);
            Assert.Equal(PolicyForms(set), PolicyForms(back));
        }
    }

    /// <summary>Each policy in the JSON form, sorted: the form is structural, so equal forms mean identical policies.</summary>
    private static List<string> PolicyForms(CedarPolicySet set)
    {
        var forms = set.Policies.Select(CedarJsonPolicyWriter.WritePolicy).ToList();
        forms.Sort(StringComparer.Ordinal);
        return forms;
    }
}
