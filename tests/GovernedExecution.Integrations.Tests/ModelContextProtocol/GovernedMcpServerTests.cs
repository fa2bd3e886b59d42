using System.Collections.Concurrent;
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

public sealed class GovernedMcpServerTests : IDisposable
{
    private readonly GovernedTestHost _host = new(); // permits read and refund, forbids delete
    private readonly ConcurrentQueue<string> _ran = new();
    private readonly List<GovernedContext?> _contexts = [];

    private McpServerTool[] Tools() =>
    [
        McpServerTool.Create((string ticket) => Run($"read:{ticket}", $"ticket {ticket}: open"), new() { Name = "read" }),
        McpServerTool.Create((string ticket) => Run($"delete:{ticket}", "deleted"), new() { Name = "delete" }),
        McpServerTool.Create((string order, long amount) => Run($"refund:{order}:{amount}", "refunded"), new() { Name = "refund" }),
    ];

    private McpServerOptions Server(GovernedMcpOptions? governance = null, IGovernedExecutor? executor = null)
    {
        var options = new McpServerOptions { ServerInfo = new Implementation { Name = "tickets", Version = "1.0" }, ToolCollection = [] };
        foreach (var tool in Tools())
        {
            options.ToolCollection.Add(tool);
        }

        options.Filters.Request.CallToolFilters.Add(GovernedMcpServerBuilderExtensions.CreateGovernedCallToolFilter(executor ?? _host.Executor, governance));
        return options;
    }

    [Fact]
    public async Task A_permitted_tool_runs_and_a_forbidden_one_does_not_and_the_client_gets_an_error_result()
    {
        await using var connection = await McpConnection.StartAsync(Server(), "support-bot");

        var read = await connection.Client.CallToolAsync("read", new Dictionary<string, object?> { ["ticket"] = "T-1" });
        var delete = await connection.Client.CallToolAsync("delete", new Dictionary<string, object?> { ["ticket"] = "T-1" });

        Assert.NotEqual(true, read.IsError);
        Assert.Equal("ticket T-1: open", Assert.IsType<TextContentBlock>(Assert.Single(read.Content)).Text);
        Assert.True(delete.IsError);
        var refusal = JsonDocument.Parse(Assert.IsType<TextContentBlock>(Assert.Single(delete.Content)).Text).RootElement;
        Assert.True(refusal.GetProperty("refused").GetBoolean());
        Assert.Equal(nameof(DenialReason.PolicyDenied), refusal.GetProperty("reason").GetString());
        Assert.Equal((int)DenialReason.PolicyDenied, refusal.GetProperty("reasonCode").GetInt32());
        Assert.Equal(["no-delete"], refusal.GetProperty("determiningPolicies").EnumerateArray().Select(p => p.GetString()));
        Assert.Contains(_host.Lineage.Records, r => r.Event.ExecutionId == refusal.GetProperty("executionId").GetGuid());
        Assert.Equal(["read:T-1"], _ran);
    }

    [Fact]
    public async Task The_principal_is_the_client_by_its_declared_name()
    {
        using var host = new GovernedTestHost(policies: new RulePolicyEvaluator([PolicyRule.Permit("support-bot-reads", i => i.Principal == new EntityReference("McpClient", "support-bot"))]));
        await using (var supportBot = await McpConnection.StartAsync(Server(executor: host.Executor), "support-bot"))
        {
            Assert.NotEqual(true, (await supportBot.Client.CallToolAsync("read", new Dictionary<string, object?> { ["ticket"] = "T-1" })).IsError);
        }

        await using (var intruder = await McpConnection.StartAsync(Server(executor: host.Executor), "intruder"))
        {
            var refused = await intruder.Client.CallToolAsync("read", new Dictionary<string, object?> { ["ticket"] = "T-2" });
            Assert.True(refused.IsError);
            Assert.Contains(nameof(DenialReason.NotPermitted), Assert.IsType<TextContentBlock>(Assert.Single(refused.Content)).Text, StringComparison.Ordinal);
        }

        Assert.Equal(["read:T-1"], _ran);
    }

    [Fact]
    public async Task A_principal_and_a_resource_can_be_mapped_from_the_request()
    {
        using var host = new GovernedTestHost(policies: new RulePolicyEvaluator(
            [PolicyRule.Permit("desk-reads-own-tickets", i => i.Principal == new EntityReference("Desk", "support-bot") && i.Resource == new EntityReference("Ticket", "T-1"))]));
        var governance = new GovernedMcpOptions
        {
            PrincipalSelector = request => new EntityReference("Desk", request.Server.ClientInfo!.Name),
            ResourceSelector = request => new EntityReference("Ticket", request.Params!.Arguments!["ticket"].GetString()!),
        };
        await using var connection = await McpConnection.StartAsync(Server(governance, host.Executor), "support-bot");

        var own = await connection.Client.CallToolAsync("read", new Dictionary<string, object?> { ["ticket"] = "T-1" });
        var other = await connection.Client.CallToolAsync("read", new Dictionary<string, object?> { ["ticket"] = "T-2" });

        Assert.NotEqual(true, own.IsError);
        Assert.True(other.IsError);
        Assert.Equal(["read:T-1"], _ran);
    }

    [Fact]
    public async Task Arguments_are_context_attributes_that_policies_can_refuse()
    {
        using var host = new GovernedTestHost(policies: new RulePolicyEvaluator(
        [
            PolicyRule.Permit("refunds", i => i.Action.Id == "refund"),
            PolicyRule.Forbid("no-big-refunds", i => i.Action.Id == "refund" && (!i.Context.TryGetValue("amount", out var a) || a.Kind != IntentValueKind.Long || a.AsLong() > 100)),
        ]));
        await using var connection = await McpConnection.StartAsync(Server(executor: host.Executor), "support-bot");

        var small = await connection.Client.CallToolAsync("refund", new Dictionary<string, object?> { ["order"] = "A-1", ["amount"] = 50 });
        var big = await connection.Client.CallToolAsync("refund", new Dictionary<string, object?> { ["order"] = "A-1", ["amount"] = 500 });

        Assert.NotEqual(true, small.IsError);
        Assert.True(big.IsError);
        Assert.Equal(["refund:A-1:50"], _ran);
    }

    [Fact]
    public async Task The_tool_runs_inside_the_governed_execution()
    {
        await using var connection = await McpConnection.StartAsync(Server(), "support-bot");

        await connection.Client.CallToolAsync("read", new Dictionary<string, object?> { ["ticket"] = "T-1" });

        var context = Assert.Single(_contexts);
        Assert.NotNull(context);
        Assert.Equal(new EntityReference("McpClient", "support-bot"), context.Intent.Principal);
        Assert.Equal(new EntityReference("Action", "read"), context.Intent.Action);
        Assert.Equal(new EntityReference("Tool", "read"), context.Intent.Resource);
        Assert.Equal(IntentValue.String("T-1"), context.Intent.Context["ticket"]);
    }

    [Fact]
    public async Task The_server_builder_governs_tools_with_the_executor_from_the_container()
    {
        var services = new ServiceCollection();
        services.AddSingleton(_host.Executor);
        services.AddMcpServer(o => o.ServerInfo = new Implementation { Name = "tickets", Version = "1.0" }).WithTools(Tools()).WithGovernance();
        await using var provider = services.BuildServiceProvider();
        await using var connection = await McpConnection.StartAsync(provider.GetRequiredService<IOptions<McpServerOptions>>().Value, "support-bot", provider);

        var read = await connection.Client.CallToolAsync("read", new Dictionary<string, object?> { ["ticket"] = "T-1" });
        var delete = await connection.Client.CallToolAsync("delete", new Dictionary<string, object?> { ["ticket"] = "T-1" });

        Assert.NotEqual(true, read.IsError);
        Assert.True(delete.IsError);
        Assert.Equal(["read:T-1"], _ran);
    }

    [Fact]
    public async Task Without_an_executor_in_the_container_no_tool_runs()
    {
        var services = new ServiceCollection();
        services.AddMcpServer(o => o.ServerInfo = new Implementation { Name = "tickets", Version = "1.0" }).WithTools(Tools()).WithGovernance();
        await using var provider = services.BuildServiceProvider();
        await using var connection = await McpConnection.StartAsync(provider.GetRequiredService<IOptions<McpServerOptions>>().Value, "support-bot", provider);

        var read = await connection.Client.CallToolAsync("read", new Dictionary<string, object?> { ["ticket"] = "T-1" });

        Assert.True(read.IsError); // the SDK reports the failure of the filter as an error result
        Assert.Empty(_ran);
    }

    [Fact]
    public async Task The_server_builder_takes_an_executor_and_options()
    {
        using var host = new GovernedTestHost(policies: new RulePolicyEvaluator([PolicyRule.Permit("bots-read", i => i.Principal.Type == "Bot" && i.Action == new EntityReference("Tool::Call", "read"))]));
        var services = new ServiceCollection();
        services.AddMcpServer(o => o.ServerInfo = new Implementation { Name = "tickets", Version = "1.0" }).WithTools(Tools()).WithGovernance(host.Executor, o =>
        {
            o.PrincipalType = "Bot";
            o.ActionType = "Tool::Call";
        });
        await using var provider = services.BuildServiceProvider();
        await using var connection = await McpConnection.StartAsync(provider.GetRequiredService<IOptions<McpServerOptions>>().Value, "support-bot", provider);

        var read = await connection.Client.CallToolAsync("read", new Dictionary<string, object?> { ["ticket"] = "T-1" });
        var refund = await connection.Client.CallToolAsync("refund", new Dictionary<string, object?> { ["order"] = "A-1", ["amount"] = 1 });

        Assert.NotEqual(true, read.IsError);
        Assert.True(refund.IsError);
        Assert.Equal(["read:T-1"], _ran);
    }

    [Fact]
    public async Task A_selector_that_fails_fails_the_call_and_the_tool_does_not_run()
    {
        var governance = new GovernedMcpOptions { ResourceSelector = request => throw new KeyNotFoundException("no ticket argument") };
        await using var connection = await McpConnection.StartAsync(Server(governance), "support-bot");

        var read = await connection.Client.CallToolAsync("read", new Dictionary<string, object?> { ["ticket"] = "T-1" });

        Assert.True(read.IsError);
        Assert.Empty(_ran);
    }

    [Fact]
    public async Task A_failing_tool_fails_as_it_would_without_governance()
    {
        static McpServerOptions Failing(bool governed, IGovernedExecutor executor)
        {
            var options = new McpServerOptions { ServerInfo = new Implementation { Name = "tickets", Version = "1.0" }, ToolCollection = [] };
            options.ToolCollection.Add(McpServerTool.Create(string (string ticket) => throw new InvalidOperationException("the ticket store is down"), new() { Name = "read" }));
            if (governed)
            {
                options.Filters.Request.CallToolFilters.Add(GovernedMcpServerBuilderExtensions.CreateGovernedCallToolFilter(executor));
            }

            return options;
        }

        var results = new List<string>();
        foreach (var governed in new[] { false, true })
        {
            await using var connection = await McpConnection.StartAsync(Failing(governed, _host.Executor), "support-bot");
            var result = await connection.Client.CallToolAsync("read", new Dictionary<string, object?> { ["ticket"] = "T-1" });
            Assert.True(result.IsError);
            results.Add(Assert.IsType<TextContentBlock>(Assert.Single(result.Content)).Text);
        }

        Assert.Equal(results[0], results[1]);
        Assert.DoesNotContain("refused", results[1], StringComparison.Ordinal);
    }

    [Fact]
    public void Invalid_options_are_rejected_when_the_filter_is_made()
    {
        Assert.Throws<ArgumentException>(() => GovernedMcpServerBuilderExtensions.CreateGovernedCallToolFilter(_host.Executor, new GovernedMcpOptions { PrincipalType = "not a type" }));
        Assert.Throws<ArgumentNullException>(() => GovernedMcpServerBuilderExtensions.CreateGovernedCallToolFilter(null!));
    }

    public void Dispose() => _host.Dispose();

    private string Run(string run, string result)
    {
        _ran.Enqueue(run);
        lock (_contexts)
        {
            _contexts.Add(GovernedContext.Current);
        }

        return result;
    }
}
