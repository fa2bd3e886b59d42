using System.Text.Json;
using GovernedExecution.Policies.Cedar;

namespace GovernedExecution.Tests.Cli;

/// <summary><c>govexec policy format</c>, <c>policy translate</c> and <c>policy link</c>, in process.</summary>
public sealed class PolicyInterchangeCommandsTests : IDisposable
{
    private const string Unformatted = "permit(principal,action,resource)when{context.a&&context.b};";
    private const string Formatted = "permit (principal, action, resource)\nwhen { context.a && context.b };\n";
    private const string Template = "permit(principal == ?principal, action == Action::\"view\", resource in ?resource);";

    private readonly string _dir = Directory.CreateTempSubdirectory("govexec-interchange-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static async Task<(int Code, string Output, string Error)> InvokeAsync(params string[] args)
    {
        var run = await Govexec.InProcessAsync(args);
        run.AssertNoCrash();
        return (run.Code, run.Output, run.Error);
    }

    private string Write(string name, string text)
    {
        var path = Path.Combine(_dir, name);
        File.WriteAllText(path, text);
        return path;
    }

    [Fact]
    public async Task Format_prints_the_formatted_policies()
    {
        var (code, output, _) = await InvokeAsync("policy", "format", Write("p.cedar", Unformatted));
        Assert.Equal((0, Formatted), (code, output));
    }

    [Fact]
    public async Task Format_check_exits_3_when_the_file_is_not_formatted_and_0_when_it_is()
    {
        var (unformatted, output, error) = await InvokeAsync("policy", "format", "--check", Write("u.cedar", Unformatted));
        var (formatted, _, _) = await InvokeAsync("policy", "format", "--check", Write("f.cedar", Formatted));
        Assert.Equal((3, string.Empty), (unformatted, output));
        Assert.Contains("u.cedar: not formatted", error, StringComparison.Ordinal);
        Assert.Equal(0, formatted);
    }

    [Fact]
    public async Task Format_of_invalid_or_missing_input_exits_1_with_file_line_column()
    {
        var (bad, _, error) = await InvokeAsync("policy", "format", Write("bad.cedar", "permit(principal, action, resource)\nwhen { 1 + };"));
        var (missing, _, _) = await InvokeAsync("policy", "format", Path.Combine(_dir, "none.cedar"));
        Assert.Equal(1, bad);
        Assert.Matches(@"bad\.cedar:2:\d+: ", error);
        Assert.Equal(1, missing);
    }

    [Fact]
    public async Task Translate_to_json_and_back_keeps_the_policies()
    {
        var cedar = Write("p.cedar", "@id(\"a\")\npermit(principal, action, resource) when { principal has address.enabled };");
        var (toJson, json, _) = await InvokeAsync("policy", "translate", cedar, "--to", "json");
        Assert.Equal(0, toJson);
        using (var doc = JsonDocument.Parse(json))
        {
            Assert.True(doc.RootElement.GetProperty("staticPolicies").TryGetProperty("policy0", out _));
        }

        var (toCedar, text, _) = await InvokeAsync("policy", "translate", Write("p.json", json), "--to", "cedar");
        Assert.Equal(0, toCedar);
        Assert.Equal(CedarPolicySet.Parse(File.ReadAllText(cedar)).Digest, CedarPolicySet.Parse(text).Digest);
    }

    [Theory]
    [InlineData("yaml")]
    [InlineData("")]
    public async Task Translate_to_an_unknown_format_is_a_usage_error(string to)
    {
        var (code, _, _) = await InvokeAsync("policy", "translate", Write("p.cedar", Unformatted), "--to", to);
        Assert.Equal(2, code);
    }

    [Fact]
    public async Task Link_prints_the_set_with_the_link_and_the_linked_policy_evaluates()
    {
        var templates = Write("t.json", CedarPolicySet.Parse(Template).ToJson());
        var (code, json, error) = await InvokeAsync("policy", "link", templates, "--template", "policy0", "--slot", "?principal=User::\"alice\"", "--slot", "?resource=Album::\"trip\"", "--id", "alice-trip");
        Assert.True(code == 0, error);

        var set = CedarPolicySet.ParseJson(json);
        Assert.Equal(["alice-trip"], set.PolicyIds);
        var entities = CedarEntities.ParseJson("""[{"uid": {"type": "Photo", "id": "p"}, "attrs": {}, "parents": [{"type": "Album", "id": "trip"}]}]""");
        Assert.True(set.Evaluate(CedarRequest.Create("User::\"alice\"", "Action::\"view\"", "Photo::\"p\""), entities).IsAllowed);
        Assert.False(set.Evaluate(CedarRequest.Create("User::\"bob\"", "Action::\"view\"", "Photo::\"p\""), entities).IsAllowed);
    }

    [Theory]
    [InlineData("--template", "nope", "--slot", "?principal=User::\"a\"", "--slot", "?resource=Album::\"b\"")]
    [InlineData("--template", "policy0", "--slot", "?principal=User::\"a\"")]
    [InlineData("--template", "policy0", "--slot", "?principal=not an entity", "--slot", "?resource=Album::\"b\"")]
    [InlineData("--template", "policy0", "--slot", "?principal=User::\"a\"", "--slot", "?resource=Album::\"b\"", "--slot", "?action=Action::\"c\"")]
    public async Task Link_with_an_unknown_template_or_wrong_slots_exits_1(params string[] args)
    {
        var templates = Write("t.json", CedarPolicySet.Parse(Template).ToJson());
        var (code, output, error) = await InvokeAsync(["policy", "link", templates, .. args]);
        Assert.Equal(1, code);
        Assert.Equal(string.Empty, output);
        Assert.StartsWith("govexec: ", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Link_slot_without_an_equals_sign_is_a_usage_error()
    {
        var templates = Write("t.json", CedarPolicySet.Parse(Template).ToJson());
        var (code, _, _) = await InvokeAsync("policy", "link", templates, "--template", "policy0", "--slot", "?principal");
        Assert.Equal(2, code);
    }

    [Theory]
    [InlineData("format")]
    [InlineData("translate", "--to", "json")]
    [InlineData("link", "--template", "policy0", "--slot", "?principal=User::\"a\"")]
    public async Task A_file_without_policies_is_an_error_with_exit_1(string command, params string[] rest)
    {
        var (code, output, error) = await InvokeAsync(["policy", command, Write("empty.cedar", "// only a comment\n"), .. rest]);
        Assert.Equal((1, string.Empty), (code, output));
        Assert.Contains("no policies or templates", error, StringComparison.Ordinal);
    }
}
