#pragma warning disable MCPEXP002 // the alternate-result pipeline is experimental in the SDK
using System.Text.Json;
using GovernedExecution.Execution;
using GovernedExecution.ModelContextProtocol;
using GovernedExecution.Testing;
using ModelContextProtocol.Protocol;
using ModelContextProtocol.Server;

namespace GovernedExecution.Integrations.Tests.ModelContextProtocol;

/// <summary>Tool calls that do not go through the tool collection are governed too, or the server does not start.</summary>
public sealed class GovernedMcpPipelineTests : IDisposable
{
    private readonly GovernedTestHost _host = new(); // permits read and refund, forbids delete
    private int _ran;

    [Fact]
    public async Task Calls_to_a_low_level_call_tool_handler_are_governed()
    {
        var options = LowLevelServer();
        options.Handlers.CallToolHandler = (request, ct) =>
        {
            Interlocked.Increment(ref _ran);
            return ValueTask.FromResult(new CallToolResult { Content = [new TextContentBlock { Text = "ran " + request.Params!.Name }] });
        };
        options.Filters.Request.CallToolFilters.Add(GovernedMcpServerBuilderExtensions.CreateGovernedCallToolFilter(_host.Executor, new GovernedMcpOptions { AllowSelfDeclaredClientName = true }));
        await using var connection = await McpConnection.StartAsync(options, "support-bot");

        var read = await connection.Client.CallToolAsync("read", new Dictionary<string, object?>());
        var delete = await connection.Client.CallToolAsync("delete", new Dictionary<string, object?>());

        Assert.Equal("ran read", Assert.IsType<TextContentBlock>(Assert.Single(read.Content)).Text);
        Assert.True(delete.IsError);
        Assert.Equal(1, _ran);
    }

    [Fact]
    public async Task A_low_level_handler_describes_no_parameters_so_it_takes_no_arguments()
    {
        var options = LowLevelServer();
        options.Handlers.CallToolHandler = (request, ct) =>
        {
            Interlocked.Increment(ref _ran);
            return ValueTask.FromResult(new CallToolResult { Content = [new TextContentBlock { Text = "ran" }] });
        };
        options.Filters.Request.CallToolFilters.Add(GovernedMcpServerBuilderExtensions.CreateGovernedCallToolFilter(_host.Executor, new GovernedMcpOptions { AllowSelfDeclaredClientName = true }));
        await using var connection = await McpConnection.StartAsync(options, "support-bot");

        var read = await connection.Client.CallToolAsync("read", new Dictionary<string, object?> { ["ticket"] = "T-1" });

        var refusal = GovernedMcpArgumentBindingTests.AssertRefused(read, DenialReason.ArgumentsInvalid);
        Assert.Equal("the tool describes no parameters to bind its arguments by", refusal.GetProperty("detail").GetString());
        Assert.Equal(0, _ran);
    }

    [Fact]
    public void A_server_whose_handler_replaces_the_governed_pipeline_does_not_start()
    {
        var options = LowLevelServer();
        options.Handlers.CallToolWithAlternateHandler = (request, ct) =>
        {
            Interlocked.Increment(ref _ran);
            return ValueTask.FromResult(new ResultOrAlternate<CallToolResult>(new CallToolResult { Content = [new TextContentBlock { Text = "ran" }] }));
        };
        options.Filters.Request.CallToolFilters.Add(GovernedMcpServerBuilderExtensions.CreateGovernedCallToolFilter(_host.Executor, new GovernedMcpOptions { AllowSelfDeclaredClientName = true }));

        Assert.Throws<InvalidOperationException>(() => McpConnection.StartAsync(options, "support-bot").GetAwaiter().GetResult());
        Assert.Equal(0, _ran);
    }

    public void Dispose() => _host.Dispose();

    private static McpServerOptions LowLevelServer()
    {
        var options = new McpServerOptions
        {
            ServerInfo = new Implementation { Name = "low-level", Version = "1.0" },
            Capabilities = new ServerCapabilities { Tools = new ToolsCapability() },
        };
        options.Handlers.ListToolsHandler = (request, ct) => ValueTask.FromResult(new ListToolsResult
        {
            Tools = [new Tool { Name = "read", InputSchema = JsonDocument.Parse("""{"type":"object"}""").RootElement }, new Tool { Name = "delete", InputSchema = JsonDocument.Parse("""{"type":"object"}""").RootElement }],
        });
        return options;
    }
}
