using System.Text.Json;
using GovernedExecution.Execution;
using GovernedExecution.Extensions.AI;
using GovernedExecution.Integrations.Tests.Binding;
using GovernedExecution.Integrations.Tests.Extensions.AI;
using GovernedExecution.Intents;
using GovernedExecution.Lineage;
using GovernedExecution.ModelContextProtocol;
using Microsoft.Extensions.AI;
using ModelContextProtocol.Protocol;
using ModelContextProtocol.Server;

namespace GovernedExecution.Integrations.Tests.ModelContextProtocol;

/// <summary>
/// Arguments spelled so that the policies would read one value and the tool bind another, through a real MCP server
/// and client: the policies must evaluate exactly the values the tool receives, or the call is refused and the tool
/// does not run.
/// </summary>
public sealed class GovernedMcpArgumentBindingTests : IDisposable
{
    private readonly ArgumentAttack _attack = new();

    [Theory]
    [InlineData("""{"orderId":"A-1","amount":5,"Amount":5000}""")]
    [InlineData("""{"orderId":"A-1","Amount":5000,"amount":5}""")]
    [InlineData("""{"orderId":"A-1","amount":5,"amount":5000}""")]
    [InlineData("""{"orderId":"A-1","AMOUNT":5000}""")]
    public async Task A_refund_amount_spelled_twice_in_two_cases_never_reaches_the_tool(string request)
    {
        await using var connection = await McpConnection.StartAsync(Server(), "support-bot");

        var result = await connection.Client.CallToolAsync("refund", Arguments($$"""{"request":{{request}}}"""));

        Assert.Empty(_attack.Ran);
        Assert.Empty(_attack.Evaluator.Evaluated);
        var refusal = AssertRefused(result, DenialReason.ArgumentsInvalid);
        Assert.Equal("an argument does not bind to its parameter unambiguously", refusal.GetProperty("detail").GetString());
        var records = _attack.Host.Lineage.Records.Where(r => r.Event.ExecutionId == refusal.GetProperty("executionId").GetGuid()).ToList();
        Assert.Equal(["refused", null], records.Select(r => r.Event["mode"]));
        Assert.Equal(LineageEventKind.ExecutionDenied, records[^1].Event.Kind);
    }

    [Theory]
    [InlineData("\"hard\"")]
    [InlineData("\"HARD\"")]
    [InlineData("1")]
    [InlineData("\"1\"")]
    [InlineData("\"Soft, Hard\"")]
    [InlineData("\" Hard\"")]
    public async Task A_forbidden_enum_value_spelled_another_way_is_still_forbidden(string mode)
    {
        await using var connection = await McpConnection.StartAsync(Server(), "support-bot");

        var result = await connection.Client.CallToolAsync("transfer", Arguments($$"""{"account":"acct-9","mode":{{mode}}}"""));

        // The tool publishes its enum as the strings "Soft" and "Hard": any other spelling could mean either to its binder.
        Assert.Empty(_attack.Ran);
        AssertRefused(result, DenialReason.ArgumentsInvalid);
    }

    [Fact]
    public async Task The_forbidden_enum_value_spelled_exactly_is_forbidden_by_the_policy()
    {
        await using var connection = await McpConnection.StartAsync(Server(), "support-bot");

        var result = await connection.Client.CallToolAsync("transfer", Arguments("""{"account":"acct-9","mode":"Hard"}"""));

        Assert.Empty(_attack.Ran);
        var refusal = AssertRefused(result, DenialReason.PolicyDenied);
        Assert.Equal(["no-hard-transfers"], refusal.GetProperty("determiningPolicies").EnumerateArray().Select(p => p.GetString()));
    }

    [Fact]
    public async Task An_omitted_optional_parameter_is_seen_by_the_policy_with_its_default()
    {
        await using var connection = await McpConnection.StartAsync(Server(), "support-bot");

        var result = await connection.Client.CallToolAsync("refund_order", Arguments("""{"orderId":"A-1"}"""));

        Assert.Empty(_attack.Ran);
        var refusal = AssertRefused(result, DenialReason.PolicyDenied);
        Assert.Equal(["no-big-order-refunds"], refusal.GetProperty("determiningPolicies").EnumerateArray().Select(p => p.GetString()));
        Assert.Equal(IntentValue.Long(10_000), Assert.Single(_attack.Evaluator.Evaluated).Context["amount"]);
    }

    [Theory]
    [InlineData("""{"request":{"orderId":"A-1","amount":"50"}}""")]
    [InlineData("""{"request":{"orderId":"A-1","amount":50,"note":"x"}}""")]
    [InlineData("""{"request":{"orderId":"A-1"}}""")]
    [InlineData("""{"request":{"orderId":"A-1","amount":50.5}}""")]
    [InlineData("""{"Request":{"orderId":"A-1","amount":50}}""")]
    public async Task Arguments_outside_the_tools_published_schema_are_refused_and_never_evaluated(string arguments)
    {
        await using var connection = await McpConnection.StartAsync(Server(), "support-bot");

        var result = await connection.Client.CallToolAsync("refund", Arguments(arguments));

        Assert.Empty(_attack.Ran);
        Assert.Empty(_attack.Evaluator.Evaluated);
        AssertRefused(result, DenialReason.ArgumentsInvalid);
    }

    [Fact]
    public async Task The_tool_receives_the_canonical_values_the_policy_saw()
    {
        await using var connection = await McpConnection.StartAsync(Server(), "support-bot");

        // 50.0 and 6e1 are integers to the policies; the tool's binder, given them as written, would not read them.
        await connection.Client.CallToolAsync("refund", Arguments("""{"request":{"amount":50.0,"orderId":"A-1"}}"""));
        await connection.Client.CallToolAsync("refund_order", Arguments("""{"orderId":"A-2","amount":6e1}"""));
        await connection.Client.CallToolAsync("transfer", Arguments("""{"account":"acct-9","mode":"Soft"}"""));

        Assert.Equal(["refund:A-1:50", "refund_order:A-2:60", "transfer:acct-9:Soft"], _attack.Ran);
        Assert.Equal(IntentValue.Long(60), _attack.Evaluator.Evaluated[1].Context["amount"]);
    }

    [Fact]
    public async Task The_selectors_see_the_bound_arguments_only()
    {
        var seen = new List<string>();
        var governance = new GovernedMcpOptions
        {
            PrincipalSelector = request =>
            {
                seen.Add("principal " + JsonSerializer.Serialize(request.Params!.Arguments));
                return new EntityReference("Agent", "support-bot");
            },
            ResourceSelector = request =>
            {
                seen.Add("resource " + JsonSerializer.Serialize(request.Params!.Arguments));
                return new EntityReference("Order", request.Params!.Arguments!["orderId"].GetString()!);
            },
        };
        await using var connection = await McpConnection.StartAsync(Server(governance), "support-bot");

        await connection.Client.CallToolAsync("refund_order", Arguments("""{"orderId":"A-1","amount":5.0}"""));
        await connection.Client.CallToolAsync("refund_order", Arguments("""{"orderId":"A-2","Amount":5}"""));

        Assert.Equal(
        [
            """principal {"amount":5,"orderId":"A-1"}""",
            """resource {"amount":5,"orderId":"A-1"}""",
            "principal {}",
        ], seen);
        Assert.Equal(["refund_order:A-1:5"], _attack.Ran);
    }

    [Fact]
    public async Task A_tool_governed_as_an_AIFunction_is_bound_by_its_method_on_an_MCP_server()
    {
        var options = new McpServerOptions { ServerInfo = new Implementation { Name = "payments", Version = "1.0" }, ToolCollection = [] };
        options.ToolCollection.Add(McpServerTool.Create(AIFunctionFactory.Create(_attack.RefundTool, "refund")
            .WithGovernance(_attack.Host.Executor, new GovernedToolOptions { Principal = new EntityReference("Agent", "support-bot") })));
        await using var connection = await McpConnection.StartAsync(options, "support-bot");

        await connection.Client.CallToolAsync("refund", Arguments("""{"request":{"orderId":"A-1","amount":"50"}}"""));
        var collision = await connection.Client.CallToolAsync("refund", Arguments("""{"request":{"orderId":"A-1","amount":5,"Amount":5000}}"""));

        Assert.Equal(["refund:A-1:50"], _attack.Ran);
        RefusalJson.AssertRefused(Assert.IsType<TextContentBlock>(Assert.Single(collision.Content)).Text, DenialReason.ArgumentsInvalid);
    }

    public void Dispose() => _attack.Dispose();

    internal static Dictionary<string, object?> Arguments(string json)
    {
        using var document = JsonDocument.Parse(json);
        return document.RootElement.EnumerateObject().ToDictionary(p => p.Name, p => (object?)p.Value.Clone(), StringComparer.Ordinal);
    }

    internal static JsonElement AssertRefused(CallToolResult result, DenialReason reason)
    {
        Assert.True(result.IsError);
        return RefusalJson.AssertRefused(Assert.IsType<TextContentBlock>(Assert.Single(result.Content)).Text, reason);
    }

    private McpServerOptions Server(GovernedMcpOptions? governance = null)
    {
        var options = new McpServerOptions { ServerInfo = new Implementation { Name = "payments", Version = "1.0" }, ToolCollection = [] };
        options.ToolCollection.Add(McpServerTool.Create(_attack.RefundTool, new() { Name = "refund" }));
        options.ToolCollection.Add(McpServerTool.Create(_attack.RefundOrderTool, new() { Name = "refund_order" }));
        options.ToolCollection.Add(McpServerTool.Create(_attack.TransferTool, new() { Name = "transfer" }));
        options.Filters.Request.CallToolFilters.Add(GovernedMcpServerBuilderExtensions.CreateGovernedCallToolFilter(
            _attack.Host.Executor, governance ?? new GovernedMcpOptions { PrincipalSelector = _ => new EntityReference("Agent", "support-bot") }));
        return options;
    }
}
