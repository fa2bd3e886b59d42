using System.Collections.Concurrent;
using System.Text.Json;
using GovernedExecution.Execution;
using GovernedExecution.Intents;
using GovernedExecution.Lineage;
using GovernedExecution.ModelContextProtocol;
using GovernedExecution.Policies.Rules;
using GovernedExecution.Testing;
using Microsoft.Extensions.DependencyInjection;
using ModelContextProtocol.Protocol;
using ModelContextProtocol.Server;

namespace GovernedExecution.Integrations.Tests.ModelContextProtocol;

/// <summary>
/// How a governed MCP server describes a call: what a refusal's lineage record names, what runs whatever a selector
/// does to the request, and how invalid configuration is reported.
/// </summary>
public sealed class GovernedMcpCallDescriptionTests : IDisposable
{
    private readonly GovernedTestHost _host = new(policies: new RulePolicyEvaluator([PolicyRule.Permit("everything", _ => true)]));
    private readonly ConcurrentQueue<string> _ran = new();

    [Fact]
    public async Task A_call_that_sends_no_arguments_member_runs_a_tool_that_takes_none()
    {
        await using var connection = await McpConnection.StartAsync(Server(new GovernedMcpOptions { PrincipalSelector = _ => new EntityReference("Agent", "support-bot") }), "support-bot");

        var result = await connection.Client.CallToolAsync(new CallToolRequestParams { Name = "read_all", Arguments = null });

        Assert.NotEqual(true, result.IsError);
        Assert.Equal("all tickets", Assert.IsType<TextContentBlock>(Assert.Single(result.Content)).Text);
        Assert.Equal(["read_all"], _ran);
    }

    [Fact]
    public async Task Arguments_that_do_not_bind_are_refused_as_invalid_and_recorded_with_the_unresolved_principal_when_the_selector_fails()
    {
        var governance = new GovernedMcpOptions { PrincipalSelector = _ => throw new InvalidOperationException("anonymous") };
        await using var connection = await McpConnection.StartAsync(Server(governance), "support-bot");

        var read = await connection.Client.CallToolAsync("read", GovernedMcpArgumentBindingTests.Arguments("""{"ticket":"T-1","Ticket":"T-2"}"""));

        var refusal = GovernedMcpArgumentBindingTests.AssertRefused(read, DenialReason.ArgumentsInvalid);
        Assert.Equal("an argument is not a parameter of the tool", refusal.GetProperty("detail").GetString());
        var submitted = Submitted(refusal);
        Assert.Equal(ToolSeamsUnresolvedPrincipal, submitted["principal"]);
        Assert.Equal("Action::\"read\"", submitted["action"]);
        Assert.Equal("Tool::\"read\"", submitted["resource"]);
        Assert.NotEqual(string.Empty, submitted["arguments_digest"]); // the arguments as they came are bound by the record
        Assert.Empty(_ran);
    }

    [Fact]
    public async Task A_selector_that_swaps_the_matched_tool_or_rewrites_the_arguments_does_not_change_what_runs()
    {
        var delete = McpServerTool.Create((string ticket) => Run($"delete:{ticket}", "deleted"), new() { Name = "delete" });
        var governance = new GovernedMcpOptions
        {
            PrincipalSelector = request =>
            {
                request.MatchedPrimitive = delete;
                request.Params!.Arguments = new Dictionary<string, JsonElement> { ["ticket"] = JsonSerializer.SerializeToElement("T-9") };
                return new EntityReference("Agent", "support-bot");
            },
        };
        await using var connection = await McpConnection.StartAsync(Server(governance), "support-bot");

        var read = await connection.Client.CallToolAsync("read", new Dictionary<string, object?> { ["ticket"] = "T-1" });

        Assert.NotEqual(true, read.IsError);
        Assert.Equal("ticket T-1: open", Assert.IsType<TextContentBlock>(Assert.Single(read.Content)).Text);
        Assert.Equal(["read:T-1"], _ran);
    }

    [Fact]
    public void An_invalid_entity_type_is_rejected_naming_the_option()
    {
        var principalType = Assert.Throws<ArgumentException>(() => GovernedMcpServerBuilderExtensions.CreateGovernedCallToolFilter(
            _host.Executor, new GovernedMcpOptions { AllowSelfDeclaredClientName = true, PrincipalType = "not a type" }));
        var actionType = Assert.Throws<ArgumentException>(() => GovernedMcpServerBuilderExtensions.CreateGovernedCallToolFilter(
            _host.Executor, new GovernedMcpOptions { AllowSelfDeclaredClientName = true, ActionType = "Tool::" }));
        var nullType = Assert.Throws<ArgumentException>(() => GovernedMcpServerBuilderExtensions.CreateGovernedCallToolFilter(
            _host.Executor, new GovernedMcpOptions { AllowSelfDeclaredClientName = true, ActionType = null! }));

        Assert.Equal(nameof(GovernedMcpOptions.PrincipalType), principalType.ParamName);
        Assert.StartsWith("PrincipalType 'not a type' is not a valid entity type name.", principalType.Message, StringComparison.Ordinal);
        Assert.NotNull(principalType.InnerException);
        Assert.Equal(nameof(GovernedMcpOptions.ActionType), actionType.ParamName);
        Assert.StartsWith("ActionType 'Tool::' is not a valid entity type name.", actionType.Message, StringComparison.Ordinal);
        Assert.Equal(nameof(GovernedMcpOptions.ActionType), nullType.ParamName);
        Assert.StartsWith("ActionType is null.", nullType.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Governance_without_a_principal_selector_says_how_to_name_the_principal()
    {
        var missing = Assert.Throws<ArgumentException>(() => GovernedMcpServerBuilderExtensions.CreateGovernedCallToolFilter(_host.Executor));

        Assert.Equal("options", missing.ParamName);
        Assert.StartsWith(
            "No PrincipalSelector is set. Map the principal from the authenticated caller, or set AllowSelfDeclaredClientName to take the name a client declares for itself (any client can claim any name).",
            missing.Message,
            StringComparison.Ordinal);
    }

    [Fact]
    public void A_missing_builder_or_executor_is_rejected()
    {
        Assert.Equal("builder", Assert.Throws<ArgumentNullException>(() => GovernedMcpServerBuilderExtensions.WithGovernance(null!, o => o.AllowSelfDeclaredClientName = true)).ParamName);
        Assert.Equal("builder", Assert.Throws<ArgumentNullException>(() => GovernedMcpServerBuilderExtensions.WithGovernance(null!, _host.Executor)).ParamName);
        Assert.Equal("executor", Assert.Throws<ArgumentNullException>(() => new ServiceCollection().AddMcpServer().WithGovernance((IGovernedExecutor)null!)).ParamName);
        Assert.Equal("executor", Assert.Throws<ArgumentNullException>(() => GovernedMcpServerBuilderExtensions.CreateGovernedCallToolFilter(null!)).ParamName);
    }

    public void Dispose() => _host.Dispose();

    private const string ToolSeamsUnresolvedPrincipal = "Unresolved::\"principal\"";

    private LineageEvent Submitted(JsonElement refusal)
    {
        var id = refusal.GetProperty("executionId").GetGuid();
        return Assert.Single(_host.Lineage.Records, r => r.Event.ExecutionId == id && r.Event.Kind == LineageEventKind.IntentSubmitted).Event;
    }

    private McpServerOptions Server(GovernedMcpOptions governance)
    {
        var options = new McpServerOptions { ServerInfo = new Implementation { Name = "tickets", Version = "1.0" }, ToolCollection = [] };
        options.ToolCollection.Add(McpServerTool.Create((string ticket) => Run($"read:{ticket}", $"ticket {ticket}: open"), new() { Name = "read" }));
        options.ToolCollection.Add(McpServerTool.Create(() => Run("read_all", "all tickets"), new() { Name = "read_all" }));
        options.Filters.Request.CallToolFilters.Add(GovernedMcpServerBuilderExtensions.CreateGovernedCallToolFilter(_host.Executor, governance));
        return options;
    }

    private string Run(string run, string result)
    {
        _ran.Enqueue(run);
        return result;
    }
}
