using GovernedExecution.Policies.Cedar;
using GovernedExecution.Testing;

namespace GovernedExecution.Tests.Policies.Cedar;

public sealed class CedarJsonPolicyTests
{
    private static string CedarRoot => Path.Combine(TestPaths.ConformanceRoot, "cedar");

    public static TheoryData<string> JsonPolicyFiles()
    {
        var data = new TheoryData<string>();
        var dir = Path.Combine(CedarRoot, "json-policies");
        foreach (var f in Directory.EnumerateFiles(dir, "*.json", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
        {
            data.Add(Path.GetRelativePath(dir, f).Replace('\\', '/'));
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(JsonPolicyFiles))]
    public void Json_policy_file_parses_to_the_same_policies_as_its_text_form(string relative)
    {
        var dir = Path.Combine(CedarRoot, "json-policies");
        var fromJson = CedarPolicySet.ParseJson(File.ReadAllText(Path.Combine(dir, relative)), relative);
        var cedarPath = Path.Combine(CedarRoot, Path.ChangeExtension(relative, ".cedar"));
        var fromText = CedarPolicySet.Parse(File.ReadAllText(cedarPath), cedarPath);

        Assert.NotEmpty(fromJson.PolicyIds);
        Assert.Equal(fromText.PolicyIds, fromJson.PolicyIds);
        Assert.Equal(fromText.ToCedarText(), fromJson.ToCedarText());
        Assert.Equal(fromText.Digest, fromJson.Digest);
    }

    [Fact]
    public void Hand_written_tests_pass_with_json_policies()
    {
        var result = CedarConformanceRunner.Run(CedarRoot, preferJsonPolicies: true);
        Assert.Equal(74, result.Requests);
        Assert.Empty(result.Failures);
    }

    [Fact]
    public void Template_links_in_json_are_applied()
    {
        const string json = """
            {
              "staticPolicies": {},
              "templates": {
                "t0": {
                  "effect": "permit",
                  "principal": { "op": "==", "slot": "?principal" },
                  "action": { "op": "All" },
                  "resource": { "op": "All" },
                  "conditions": []
                }
              },
              "templateLinks": [
                { "templateId": "t0", "newId": "link0", "values": { "?principal": { "type": "User", "id": "alice" } } }
              ]
            }
            """;
        var set = CedarPolicySet.ParseJson(json);
        Assert.Equal(["link0"], set.PolicyIds);
        Assert.Equal(["t0"], set.TemplateIds);
        var allowed = set.Evaluate(CedarRequest.Create("User::\"alice\"", "Action::\"view\"", "Photo::\"p\""), CedarEntities.Empty);
        var denied = set.Evaluate(CedarRequest.Create("User::\"bob\"", "Action::\"view\"", "Photo::\"p\""), CedarEntities.Empty);
        Assert.Equal(CedarDecision.Allow, allowed.Decision);
        Assert.Equal(["link0"], allowed.Reasons);
        Assert.Equal(CedarDecision.Deny, denied.Decision);
    }

    [Theory]
    [InlineData("[]")]
    [InlineData("{\"staticPolicies\": {\"p\": {\"effect\": \"allow\"}}}")]
    [InlineData("{\"effect\": \"permit\", \"principal\": {\"op\": \"All\"}, \"action\": {\"op\": \"All\"}, \"resource\": {\"op\": \"All\"}, \"conditions\": [{\"kind\": \"when\", \"body\": {\"nope\": 1}}]}")]
    [InlineData("{\"effect\": \"permit\", \"principal\": {\"op\": \"All\"}, \"action\": {\"op\": \"All\"}, \"resource\": {\"op\": \"All\"}, \"conditions\": [{\"kind\": \"when\", \"body\": {\"Var\": \"principal\", \"Value\": 1}}]}")]
    [InlineData("{not json")]
    public void Invalid_json_policies_are_rejected(string json)
    {
        var e = Assert.Throws<CedarParseException>(() => CedarPolicySet.ParseJson(json, "bad.json"));
        Assert.NotEmpty(e.Diagnostics);
        Assert.Equal("bad.json", e.Diagnostics[0].Source);
    }
}
