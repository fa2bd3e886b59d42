using System.CommandLine;
using System.Text.Json;
using GovernedExecution.Cli.Commands;
using GovernedExecution.Testing;

namespace GovernedExecution.Tests.Cli;

/// <summary><c>govexec policy validate</c>, <c>authorize</c> and <c>conformance cedar</c>, in process.</summary>
public sealed class PolicyCommandsTests : IDisposable
{
    private const string Policies = """
        @id("small-refunds")
        permit (principal is Agent, action == Action::"refund", resource) when { context.amount <= 100 };

        @id("no-deletes")
        forbid (principal, action == Action::"delete", resource);
        """;

    private readonly string _dir = Directory.CreateTempSubdirectory("govexec-policy-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static async Task<(int Code, string Output, string Error)> InvokeAsync(params string[] args)
    {
        var root = new RootCommand();
        PolicyCommands.Register(root);
        using var output = new StringWriter();
        using var error = new StringWriter();
        var code = await root.Parse(args).InvokeAsync(new InvocationConfiguration { Output = output, Error = error });
        return (code, output.ToString(), error.ToString());
    }

    private string Write(string name, string text)
    {
        var path = Path.Combine(_dir, name);
        File.WriteAllText(path, text);
        return path;
    }

    [Fact]
    public async Task Validate_prints_file_line_column_and_exits_1_on_error()
    {
        var good = Write("good.cedar", Policies);
        var bad = Write("bad.cedar", "permit (principal, action, resource)\nwhen { context.a + };");

        var (ok, okOutput, _) = await InvokeAsync("policy", "validate", good);
        var (failed, _, error) = await InvokeAsync("policy", "validate", good, bad);

        Assert.Equal(0, ok);
        Assert.Contains("good.cedar: ok (2 policies", okOutput, StringComparison.Ordinal);
        Assert.Equal(1, failed);
        Assert.Matches(@"bad\.cedar:2:\d+: ", error);
    }

    private const string Schema = """
        entity Agent { clearance?: Long };
        entity Order;
        action refund appliesTo { principal: Agent, resource: Order, context: { amount: Long } };
        action delete appliesTo { principal: Agent, resource: Order };
        """;

    [Fact]
    public async Task Validate_with_a_schema_exits_0_when_the_policies_type_check()
    {
        var good = Write("good.cedar", Policies);
        var schema = Write("s.cedarschema", Schema);

        var (code, output, error) = await InvokeAsync("policy", "validate", good, "--schema", schema);

        Assert.Equal(0, code);
        Assert.Contains("good.cedar: ok (2 policies, 0 templates, valid against the schema)", output, StringComparison.Ordinal);
        Assert.Equal(string.Empty, error);
    }

    [Theory]
    [InlineData("strict", 4)]
    [InlineData("permissive", 4)]
    public async Task Validate_with_a_schema_prints_one_line_per_diagnostic_and_exits_4_when_the_policies_do_not_validate(string mode, int expected)
    {
        var bad = Write("typo.cedar", "permit (principal, action == Action::\"refund\", resource)\nwhen { context.amont <= 100 };\nforbid (principal, action, resource) when { principal.clearance < 2 };");
        var schema = Write("s.cedarschema", Schema);

        var (code, output, error) = await InvokeAsync("policy", "validate", bad, "--schema", schema, "--mode", mode);

        Assert.Equal(expected, code);
        Assert.DoesNotContain(": ok", output, StringComparison.Ordinal);
        var lines = error.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(2, lines.Length);
        Assert.Matches(@"typo\.cedar:2:8: error\[unsafe attribute access\] policy typo\.cedar:policy0: .*amont", lines[0]);
        Assert.Matches(@"typo\.cedar:3:45: error\[unsafe optional attribute access\] policy typo\.cedar:policy1: .*clearance", lines[1]);
    }

    [Fact]
    public async Task Validate_with_an_unreadable_schema_exits_1()
    {
        var good = Write("good.cedar", Policies);
        var badSchema = Write("bad.cedarschema", "entity Agent { x: Nope };");

        var (invalidSchema, _, error) = await InvokeAsync("policy", "validate", good, "--schema", badSchema);
        var (missing, _, _) = await InvokeAsync("policy", "validate", good, "--schema", Path.Combine(_dir, "none.cedarschema"));
        var (badMode, _, _) = await InvokeAsync("policy", "validate", good, "--schema", badSchema, "--mode", "lenient");

        Assert.Equal(1, invalidSchema);
        Assert.Matches(@"bad\.cedarschema:1:\d+: ", error);
        Assert.Equal(1, missing);
        Assert.NotEqual(0, badMode);
    }

    [Theory]
    [InlineData("refund", 50, 0, "allow", "small-refunds")]
    [InlineData("refund", 500, 3, "deny", null)]
    [InlineData("delete", 1, 3, "deny", "no-deletes")]
    public async Task Authorize_prints_the_decision_json_with_exit_0_for_allow_and_3_for_deny(string action, long amount, int expectedCode, string decision, string? reason)
    {
        var policies = Write("p.cedar", Policies);
        var request = Write("r.json", "{\"principal\":{\"type\":\"Agent\",\"id\":\"bot\"},\"action\":{\"type\":\"Action\",\"id\":\"" + action + "\"},\"resource\":{\"type\":\"Order\",\"id\":\"o-1\"},\"context\":{\"amount\":" + amount + "}}");

        var (code, output, _) = await InvokeAsync("authorize", "--policies", policies, "--request", request);

        Assert.Equal(expectedCode, code);
        using var json = JsonDocument.Parse(output);
        Assert.Equal(decision, json.RootElement.GetProperty("decision").GetString());
        var reasons = json.RootElement.GetProperty("reasons").EnumerateArray().Select(e => e.GetString()).ToArray();
        Assert.Equal(reason is null ? [] : [reason], reasons);
        Assert.Empty(json.RootElement.GetProperty("errors").EnumerateArray());
    }

    [Fact]
    public async Task Authorize_with_a_schema_adds_its_action_groups_and_types_the_context()
    {
        var schema = Write("s.cedarschema", "entity User; entity Doc; action readOps; action archive in [\"readOps\"] appliesTo { principal: User, resource: Doc, context: { at: datetime } };");
        var policies = Write("p.cedar", "permit(principal, action in Action::\"readOps\", resource) when { context.at > datetime(\"2024-01-01\") };");
        var entities = Write("e.json", "[]");
        var request = Write("r.json", "{\"principal\":{\"type\":\"User\",\"id\":\"a\"},\"action\":{\"type\":\"Action\",\"id\":\"archive\"},\"resource\":{\"type\":\"Doc\",\"id\":\"d\"},\"context\":{\"at\":\"2024-06-01\"}}");

        var (withSchema, output, _) = await InvokeAsync("authorize", "--policies", policies, "--entities", entities, "--schema", schema, "--request", request);
        var (withoutSchema, _, _) = await InvokeAsync("authorize", "--policies", policies, "--entities", entities, "--request", request);
        var (badSchema, _, error) = await InvokeAsync("authorize", "--policies", policies, "--schema", Write("bad.cedarschema", "entity A in [B];"), "--request", request);

        Assert.Equal(0, withSchema);
        Assert.Contains("\"allow\"", output, StringComparison.Ordinal);
        Assert.Equal(3, withoutSchema);
        Assert.Equal(1, badSchema);
        Assert.Contains("bad.cedarschema:1:14:", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Authorize_reports_a_malformed_request_with_exit_1()
    {
        var (code, _, error) = await InvokeAsync("authorize", "--policies", Write("p.cedar", Policies), "--request", Write("r.json", "{\"principal\":"));

        Assert.Equal(1, code);
        Assert.StartsWith("govexec: ", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Conformance_runs_the_hand_written_cedar_tests()
    {
        var path = Path.Combine(TestPaths.ConformanceRoot, "cedar");

        var (code, output, _) = await InvokeAsync("conformance", "cedar", path);

        Assert.Equal(0, code);
        Assert.EndsWith("cedar conformance: 74 passed, 0 failed\ncedar validation: 22 agree, 0 disagree", output.TrimEnd().ReplaceLineEndings("\n"), StringComparison.Ordinal);
    }
}
