using System.Text.Json;
using GovernedExecution.Execution;
using GovernedExecution.Intents;
using GovernedExecution.ModelContextProtocol;
using GovernedExecution.Policies.Rules;
using GovernedExecution.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using ModelContextProtocol.Protocol;
using ModelContextProtocol.Server;

namespace GovernedExecution.Integrations.Tests.ModelContextProtocol;

/// <summary>
/// The governing filter at its edges: arguments that bind but cannot be described, schemas nested through arrays and
/// alternatives, misconfigured options and servers, and requests only a hostile client would send.
/// </summary>
public sealed class GovernedMcpFilterEdgeTests : IDisposable
{
    private readonly GovernedTestHost _host = new(policies: new RulePolicyEvaluator([PolicyRule.Permit("everything", _ => true)]));
    private readonly List<string> _ran = [];

    [Fact]
    public async Task A_value_with_a_member_twice_is_refused_before_any_selector_sees_it()
    {
        var seen = new List<int>();
        var options = Server(new GovernedMcpOptions
        {
            PrincipalSelector = request =>
            {
                seen.Add(request.Params!.Arguments?.Count ?? 0);
                return new EntityReference("Agent", "support-bot");
            },
        });
        await using var connection = await McpConnection.StartAsync(options, "support-bot");

        var result = await connection.Client.CallToolAsync("note", GovernedMcpArgumentBindingTests.Arguments("""{"note":{"k":1,"k":2}}"""));

        var refusal = GovernedMcpArgumentBindingTests.AssertRefused(result, DenialReason.ArgumentsInvalid);
        Assert.Equal("an argument does not bind to its parameter unambiguously", refusal.GetProperty("detail").GetString());
        Assert.Equal([0], seen);
        Assert.Empty(_ran);
    }

    [Theory]
    [InlineData(31, false)]
    [InlineData(33, true)]
    public async Task Arrays_nested_in_alternatives_count_toward_the_depth_the_binder_follows(int levels, bool refused)
    {
        // Each level is an alternative around an array: two steps of the binder for one level of the value, so that a
        // value the SDK reads (it reads 64 levels) reaches the binder's limit.
        const string schema = """{"type":"object","properties":{"v":{"$ref":"#/$defs/node"}},"required":["v"],"$defs":{"node":{"anyOf":[{"type":"integer"},{"type":"array","items":{"$ref":"#/$defs/node"}}]}}}""";
        var options = new McpServerOptions { ServerInfo = new Implementation { Name = "tools", Version = "1.0" }, ToolCollection = [new SchemaServerTool(schema, _ran)] };
        options.Filters.Request.CallToolFilters.Add(GovernedMcpServerBuilderExtensions.CreateGovernedCallToolFilter(_host.Executor, new GovernedMcpOptions { PrincipalSelector = _ => new EntityReference("Agent", "support-bot") }));
        await using var client = await RawMcpClient.StartAsync(options, "support-bot");

        var result = await client.CallToolAsync("tool", $$"""{"v":{{new string('[', levels)}}1{{new string(']', levels)}}}""");

        if (refused)
        {
            GovernedMcpArgumentBindingTests.AssertRefused(result, DenialReason.ArgumentsInvalid);
            Assert.Empty(_ran);
        }
        else
        {
            Assert.NotEqual(true, result.IsError);
            Assert.Single(_ran);
        }
    }

    [Fact]
    public void Options_without_a_principal_or_action_type_are_rejected_naming_the_option()
    {
        var noPrincipalType = Assert.Throws<ArgumentException>(() => GovernedMcpServerBuilderExtensions.CreateGovernedCallToolFilter(_host.Executor, new GovernedMcpOptions { AllowSelfDeclaredClientName = true, PrincipalType = null! }));
        var noActionType = Assert.Throws<ArgumentException>(() => GovernedMcpServerBuilderExtensions.CreateGovernedCallToolFilter(_host.Executor, new GovernedMcpOptions { AllowSelfDeclaredClientName = true, ActionType = null! }));

        Assert.Equal("PrincipalType", noPrincipalType.ParamName);
        Assert.StartsWith("PrincipalType is null.", noPrincipalType.Message, StringComparison.Ordinal);
        Assert.Equal("ActionType", noActionType.ParamName);
        Assert.StartsWith("ActionType is null.", noActionType.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_missing_builder_is_rejected_before_the_configuration_runs()
    {
        var configured = 0;

        var missing = Assert.Throws<ArgumentNullException>(() => GovernedMcpServerBuilderExtensions.WithGovernance(null!, _ => configured++));

        Assert.Equal("builder", missing.ParamName);
        Assert.Equal(0, configured);
    }

    [Fact]
    public async Task A_server_governed_from_its_container_but_run_without_services_runs_no_tool_and_says_why()
    {
        var services = new ServiceCollection();
        services.AddSingleton(_host.Executor);
        services.AddMcpServer(o => o.ServerInfo = new Implementation { Name = "tools", Version = "1.0" })
            .WithTools([McpServerTool.Create((string note) => Record("note:" + note), new() { Name = "note" })])
            .WithGovernance(o => o.AllowSelfDeclaredClientName = true);
        await using var provider = services.BuildServiceProvider();
        using var logs = new CapturingLoggerFactory();
        await using var connection = await McpConnection.StartAsync(provider.GetRequiredService<IOptions<McpServerOptions>>().Value, "support-bot", services: null, serverLogs: logs);

        var result = await connection.Client.CallToolAsync("note", new Dictionary<string, object?> { ["note"] = "x" });

        Assert.True(result.IsError);
        Assert.Empty(_ran);
        var failure = Assert.Single(logs.Entries, e => e.Exception is InvalidOperationException).Exception!;
        Assert.Equal("The request has no services.", failure.Message);
    }

    [Fact]
    public async Task A_call_that_names_no_tool_or_gives_no_arguments_runs_no_tool()
    {
        using var logs = new CapturingLoggerFactory();
        var options = Server(new GovernedMcpOptions { PrincipalSelector = _ => new EntityReference("Agent", "support-bot") });
        await using var client = await RawMcpClient.StartAsync(options, "support-bot", logs);

        var withoutArguments = await client.CallToolAsync("note", null);
        var withoutParameters = await client.CallWithoutParametersAsync();

        Assert.Equal("a required parameter is missing", GovernedMcpArgumentBindingTests.AssertRefused(withoutArguments, DenialReason.ArgumentsInvalid).GetProperty("detail").GetString());
        Assert.True(withoutParameters.GetProperty("isError").GetBoolean());
        Assert.Equal("The tools/call request names no tool.", Assert.Single(logs.Entries, e => e.Exception is InvalidOperationException).Exception!.Message);
        Assert.Empty(_ran);
    }

    public void Dispose() => _host.Dispose();

    private McpServerOptions Server(GovernedMcpOptions governance)
    {
        var options = new McpServerOptions { ServerInfo = new Implementation { Name = "tools", Version = "1.0" }, ToolCollection = [] };
        options.ToolCollection.Add(McpServerTool.Create((JsonElement note) => Record("note:" + note.GetRawText()), new() { Name = "note" }));
        options.Filters.Request.CallToolFilters.Add(GovernedMcpServerBuilderExtensions.CreateGovernedCallToolFilter(_host.Executor, governance));
        return options;
    }

    private string Record(string run)
    {
        lock (_ran)
        {
            _ran.Add(run);
        }

        return "ran " + run;
    }

    /// <summary>A tool known by its schema only; it records each run.</summary>
    private sealed class SchemaServerTool(string schema, List<string> ran) : McpServerTool
    {
        public override Tool ProtocolTool { get; } = new() { Name = "tool", InputSchema = JsonDocument.Parse(schema).RootElement.Clone() };

        public override IReadOnlyList<object> Metadata => [];

        public override ValueTask<CallToolResult> InvokeAsync(RequestContext<CallToolRequestParams> request, CancellationToken cancellationToken = default)
        {
            lock (ran)
            {
                ran.Add(JsonSerializer.Serialize(request.Params!.Arguments));
            }

            return ValueTask.FromResult(new CallToolResult { Content = [new TextContentBlock { Text = "ran" }] });
        }
    }
}
