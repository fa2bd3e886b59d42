using GovernedExecution.Policies.Cedar;

namespace GovernedExecution.Tests.Cli;

/// <summary><c>govexec policy translate</c> of schemas, and how it tells a schema from policies, in process.</summary>
public sealed class SchemaTranslateCommandTests : IDisposable
{
    /// <summary>Namespaces, common types (at the top and in a namespace), tags, an enumerated type and action groups.</summary>
    private const string Schema = """
        type Address = { street: String, zip?: String };

        namespace PhotoApp {
          type Level = Long;
          entity Color enum ["Red", "Blue"];
          entity Group;
          entity User in [Group] { name: String, level: Level, home?: Address } tags String;
          entity Photo { owner: User, color: Color, labels: Set<String> };
          action "readOps";
          action view, download in ["readOps"] appliesTo { principal: [User], resource: [Photo], context: { ip: ipaddr } };
        }

        namespace Audit {
          entity Log;
          action append appliesTo { principal: [PhotoApp::User], resource: [Log] };
        }
        """;

    private const string Policy = "permit(principal, action, resource);";

    private readonly string _dir = Directory.CreateTempSubdirectory("govexec-schema-translate-").FullName;

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
    public async Task Schema_text_to_json_and_back_keeps_the_model()
    {
        var expected = CedarSchema.Parse(Schema).Digest;
        var (toJson, json, error) = await InvokeAsync("policy", "translate", Write("s.cedarschema", Schema), "--to", "json");
        Assert.True(toJson == 0, error);
        Assert.Equal(expected, CedarSchema.ParseJson(json).Digest);

        var (toCedar, text, error2) = await InvokeAsync("policy", "translate", Write("s.json", json), "--to", "cedar");
        Assert.True(toCedar == 0, error2);
        Assert.Equal(expected, CedarSchema.Parse(text).Digest);
        Assert.Contains("tags String", text, StringComparison.Ordinal);
        Assert.Contains("enum [\"Red\", \"Blue\"]", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Translating_to_the_same_format_prints_it_normalised()
    {
        var (code, text, _) = await InvokeAsync("policy", "translate", Write("s.cedarschema", Schema), "--to", "cedar");
        var (again, same, _) = await InvokeAsync("policy", "translate", Write("n.cedarschema", text), "--to", "cedar");
        var (json, fromJson, _) = await InvokeAsync("policy", "translate", Write("s.json", CedarSchema.Parse(Schema).ToJson()), "--to", "json");
        Assert.Equal((0, 0, 0), (code, again, json));
        Assert.Equal(CedarSchema.Parse(Schema).Digest, CedarSchema.Parse(text).Digest);
        Assert.Equal(text, same);
        Assert.Equal(CedarSchema.Parse(Schema).ToJson() + "\n", fromJson);
    }

    [Fact]
    public async Task A_schema_that_does_not_parse_exits_1_with_file_line_column()
    {
        var (text, output, error) = await InvokeAsync("policy", "translate", Write("bad.cedarschema", "entity User;\nentity Photo { owner: , };\n"), "--to", "json");
        var (json, jsonOutput, jsonError) = await InvokeAsync("policy", "translate", Write("bad.json", "{\"\": {\n  \"entityTypes\": {\"User\": {\"shape\": 3}},\n  \"actions\": {}\n}}"), "--to", "cedar");
        Assert.Equal((1, string.Empty), (text, output));
        Assert.Matches(@"bad\.cedarschema:2:\d+: ", error);
        Assert.Equal((1, string.Empty), (json, jsonOutput));
        Assert.Matches(@"bad\.json:\d+:\d+: ", jsonError);
    }

    [Fact]
    public async Task A_folder_read_as_a_schema_exits_1()
    {
        Write("p.cedar", Policy);
        var (code, output, error) = await InvokeAsync("policy", "translate", _dir, "--to", "json", "--kind", "schema");
        Assert.Equal((1, string.Empty), (code, output));
        Assert.Contains("a schema is one file", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("none.cedarschema")]
    [InlineData("none.json")]
    public async Task An_unreadable_schema_exits_1(string name)
    {
        var (code, output, _) = await InvokeAsync("policy", "translate", Path.Combine(_dir, name), "--to", "json");
        Assert.Equal((1, string.Empty), (code, output));
    }

    [Theory]
    [InlineData("{}")]
    [InlineData("{\"templates\": {\"entityTypes\": {}, \"actions\": {}}}")]
    [InlineData("{\"staticPolicies\": {}, \"Other\": {\"entityTypes\": {}, \"actions\": {}}}")]
    [InlineData("[]")]
    public async Task Json_that_fits_both_formats_or_neither_is_a_usage_error_naming_kind(string json)
    {
        var (code, output, error) = await InvokeAsync("policy", "translate", Write("x.json", json), "--to", "cedar");
        Assert.Equal((2, string.Empty), (code, output));
        Assert.Contains("--kind", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Kind_settles_what_the_json_is()
    {
        var path = Write("x.json", "{\"templates\": {\"entityTypes\": {\"User\": {}}, \"actions\": {}}}");
        var (code, text, error) = await InvokeAsync("policy", "translate", path, "--to", "cedar", "--kind", "schema");
        Assert.True(code == 0, error);
        Assert.Contains("namespace templates", text, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("yaml")]
    [InlineData("")]
    public async Task An_unknown_kind_is_a_usage_error(string kind)
    {
        var (code, _, _) = await InvokeAsync("policy", "translate", Write("s.cedarschema", Schema), "--to", "json", "--kind", kind);
        Assert.Equal(2, code);
    }

    [Fact]
    public async Task A_policy_in_a_cedarschema_file_is_refused_not_read_as_a_schema()
    {
        var (code, output, error) = await InvokeAsync("policy", "translate", Write("trick.cedarschema", Policy), "--to", "json");
        Assert.Equal((1, string.Empty), (code, output));
        Assert.Matches(@"trick\.cedarschema:1:\d+: ", error);
    }

    [Fact]
    public async Task A_json_policy_set_read_as_a_schema_is_refused()
    {
        var policies = Write("p.json", CedarPolicySet.Parse("permit(principal, action, resource) when { context.a };\nforbid(principal == ?principal, action, resource);").ToJson());
        var (code, output, error) = await InvokeAsync("policy", "translate", policies, "--to", "cedar", "--kind", "schema");
        var (empty, emptyOutput, _) = await InvokeAsync("policy", "translate", Write("e.json", "{\"staticPolicies\": {}, \"templates\": {}, \"templateLinks\": []}"), "--to", "cedar", "--kind", "schema");
        Assert.Equal((1, string.Empty), (code, output));
        Assert.StartsWith("govexec: ", error, StringComparison.Ordinal);
        Assert.Equal((1, string.Empty), (empty, emptyOutput));
    }

    [Fact]
    public async Task A_schema_read_as_policies_is_refused()
    {
        var (json, jsonOutput, _) = await InvokeAsync("policy", "translate", Write("s.json", CedarSchema.Parse(Schema).ToJson()), "--to", "cedar", "--kind", "policies");
        var (text, textOutput, _) = await InvokeAsync("policy", "translate", Write("s.cedarschema", Schema), "--to", "json", "--kind", "policies");
        Assert.Equal((1, string.Empty), (json, jsonOutput));
        Assert.Equal((1, string.Empty), (text, textOutput));
    }

    [Fact]
    public async Task Json_policies_are_still_told_apart_without_kind()
    {
        var policies = Write("p.json", CedarPolicySet.Parse(Policy).ToJson());
        var (code, text, error) = await InvokeAsync("policy", "translate", policies, "--to", "cedar");
        Assert.True(code == 0, error);
        Assert.Equal(CedarPolicySet.Parse(Policy).Digest, CedarPolicySet.Parse(text).Digest);
    }
}
