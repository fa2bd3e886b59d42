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

    private static GovernedMcpOptions SelfDeclared => new() { AllowSelfDeclaredClientName = true };

    private McpServerOptions Server(GovernedMcpOptions? governance = null, IGovernedExecutor? executor = null)
    {
        var options = new McpServerOptions { ServerInfo = new Implementation { Name = "tickets", Version = "1.0" }, ToolCollection = [] };
        foreach (var tool in Tools())
        {
            options.ToolCollection.Add(tool);
        }

        options.Filters.Request.CallToolFilters.Add(GovernedMcpServerBuilderExtensions.CreateGovernedCallToolFilter(executor ?? _host.Executor, governance ?? SelfDeclared));
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
        services.AddMcpServer(o => o.ServerInfo = new Implementation { Name = "tickets", Version = "1.0" }).WithTools(Tools()).WithGovernance(o => o.AllowSelfDeclaredClientName = true);
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
        services.AddMcpServer(o => o.ServerInfo = new Implementation { Name = "tickets", Version = "1.0" }).WithTools(Tools()).WithGovernance(o => o.AllowSelfDeclaredClientName = true);
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
            o.AllowSelfDeclaredClientName = true;
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

    public static TheoryData<string> FailingSelectors => ["principal selector throws", "principal selector returns null", "resource selector throws", "resource selector returns null", "client declared no name"];

    [Theory]
    [MemberData(nameof(FailingSelectors))]
    public async Task A_selector_that_fails_is_a_recorded_refusal_and_the_tool_does_not_run(string seam)
    {
        var governance = new GovernedMcpOptions { PrincipalSelector = _ => new EntityReference("Desk", "support-bot") };
        switch (seam)
        {
            case "principal selector throws": governance.PrincipalSelector = _ => throw new InvalidOperationException("anonymous"); break;
            case "principal selector returns null": governance.PrincipalSelector = _ => null!; break;
            case "resource selector throws": governance.ResourceSelector = request => new EntityReference("Ticket", request.Params!.Arguments!["id"].GetString()!); break;
            case "resource selector returns null": governance.ResourceSelector = _ => null!; break;
            default: governance = SelfDeclared; break;
        }

        await using var connection = await McpConnection.StartAsync(Server(governance), seam == "client declared no name" ? string.Empty : "support-bot");

        var read = await connection.Client.CallToolAsync("read", new Dictionary<string, object?> { ["ticket"] = "T-1" });

        var refusal = GovernedMcpArgumentBindingTests.AssertRefused(read, DenialReason.GovernanceFault);
        Assert.Contains(_host.Lineage.Records, r => r.Event.ExecutionId == refusal.GetProperty("executionId").GetGuid() && r.Event.Kind == Lineage.LineageEventKind.ExecutionDenied);
        Assert.Empty(_ran);
    }

    [Fact]
    public async Task A_filter_that_renames_the_call_after_the_tool_was_matched_cannot_pass_it_off_as_another_tool()
    {
        // The SDK runs the tool it matched by the requested name; a filter before governance renames the request to a
        // permitted tool. The policies decide on the tool that runs.
        var options = Server();
        options.Filters.Request.CallToolFilters.Insert(0, next => (request, ct) =>
        {
            request.Params!.Name = "read";
            return next(request, ct);
        });
        await using var connection = await McpConnection.StartAsync(options, "support-bot");

        var delete = await connection.Client.CallToolAsync("delete", new Dictionary<string, object?> { ["ticket"] = "T-1" });

        var refusal = GovernedMcpArgumentBindingTests.AssertRefused(delete, DenialReason.PolicyDenied);
        Assert.Equal(["no-delete"], refusal.GetProperty("determiningPolicies").EnumerateArray().Select(p => p.GetString()));
        Assert.Empty(_ran);
    }

    [Fact]
    public void Without_a_principal_selector_governance_refuses_to_start()
    {
        Assert.Throws<ArgumentException>(() => GovernedMcpServerBuilderExtensions.CreateGovernedCallToolFilter(_host.Executor));
        Assert.Throws<ArgumentException>(() => GovernedMcpServerBuilderExtensions.CreateGovernedCallToolFilter(_host.Executor, new GovernedMcpOptions { PrincipalType = "Client" }));
        Assert.Throws<ArgumentException>(() => new ServiceCollection().AddMcpServer().WithTools(Tools()).WithGovernance(_host.Executor));
        Assert.Throws<ArgumentException>(() => new ServiceCollection().AddMcpServer().WithTools(Tools()).WithGovernance());
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
                options.Filters.Request.CallToolFilters.Add(GovernedMcpServerBuilderExtensions.CreateGovernedCallToolFilter(executor, SelfDeclared));
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
        Assert.Throws<ArgumentException>(() => GovernedMcpServerBuilderExtensions.CreateGovernedCallToolFilter(_host.Executor, new GovernedMcpOptions { AllowSelfDeclaredClientName = true, PrincipalType = "not a type" }));
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
