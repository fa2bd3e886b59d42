using System.Collections.Concurrent;
using GovernedExecution.Execution;
using GovernedExecution.Intents;
using GovernedExecution.ModelContextProtocol;
using GovernedExecution.Testing;
using ModelContextProtocol.Protocol;
using ModelContextProtocol.Server;

namespace GovernedExecution.Integrations.Tests.ModelContextProtocol;

/// <summary>
/// The governing filter never resumes on the synchronization context of the code that called it: a server whose
/// outer filter or host runs requests on a single-threaded context cannot be deadlocked by governance. An outer filter
/// makes a counting context current before it calls the governing filter, and every lineage append completes later,
/// so that every await of the executor suspends.
/// </summary>
public sealed class GovernedMcpSynchronizationContextTests : IDisposable
{
    private readonly LateLineageSink _sink;
    private readonly GovernedTestHost _host; // permits read and refund, forbids delete
    private readonly ConcurrentQueue<string> _ran = new();

    public GovernedMcpSynchronizationContextTests()
    {
        _sink = new LateLineageSink(new Lineage.InMemoryLineageSink());
        _host = new GovernedTestHost(lineage: _sink);
    }

    public enum Path
    {
        Runs,
        DeniedByPolicy,
        ArgumentsDoNotBind,
        SelectorFails,
    }

    [Theory]
    [InlineData(Path.Runs)]
    [InlineData(Path.DeniedByPolicy)]
    [InlineData(Path.ArgumentsDoNotBind)]
    [InlineData(Path.SelectorFails)]
    public async Task Nothing_is_posted_to_the_callers_context(Path path)
    {
        var context = new CallerContext();
        var governance = path == Path.SelectorFails
            ? new GovernedMcpOptions { PrincipalSelector = _ => throw new InvalidOperationException("no session") }
            : new GovernedMcpOptions { PrincipalSelector = _ => new EntityReference("Agent", "support-bot") };
        var options = new McpServerOptions { ServerInfo = new Implementation { Name = "support", Version = "1.0" }, ToolCollection = [] };
        options.ToolCollection.Add(McpServerTool.Create((string orderId) => Record("refund:" + orderId), new() { Name = "refund" }));
        options.ToolCollection.Add(McpServerTool.Create((string customerId) => Record("delete:" + customerId), new() { Name = "delete" }));
        options.Filters.Request.CallToolFilters.Add(next => (request, ct) => new ValueTask<CallToolResult>(context.Run(() => next(request, ct).AsTask())));
        options.Filters.Request.CallToolFilters.Add(GovernedMcpServerBuilderExtensions.CreateGovernedCallToolFilter(_host.Executor, governance));
        await using var connection = await McpConnection.StartAsync(options, "support-bot");
        var (tool, arguments) = path switch
        {
            Path.DeniedByPolicy => ("delete", """{"customerId":"C-1"}"""),
            Path.ArgumentsDoNotBind => ("refund", """{"orderId":"A-1","note":"x"}"""),
            _ => ("refund", """{"orderId":"A-1"}"""),
        };

        var result = await connection.Client.CallToolAsync(tool, GovernedMcpArgumentBindingTests.Arguments(arguments));

        Assert.True(_sink.AppendsOnCallerContext > 0, "no await of the executor suspended with the caller's context current");
        Assert.Equal(0, context.Posts);
        switch (path)
        {
            case Path.Runs:
                Assert.Equal("ran refund:A-1", Assert.IsType<TextContentBlock>(Assert.Single(result.Content)).Text);
                Assert.Equal(["refund:A-1"], _ran);
                break;
            case Path.DeniedByPolicy:
                GovernedMcpArgumentBindingTests.AssertRefused(result, DenialReason.PolicyDenied);
                Assert.Empty(_ran);
                break;
            case Path.ArgumentsDoNotBind:
                GovernedMcpArgumentBindingTests.AssertRefused(result, DenialReason.ArgumentsInvalid);
                Assert.Empty(_ran);
                break;
            default:
                GovernedMcpArgumentBindingTests.AssertRefused(result, DenialReason.GovernanceFault);
                Assert.Empty(_ran);
                break;
        }
    }

    public void Dispose() => _host.Dispose();

    private string Record(string run)
    {
        _ran.Enqueue(run);
        return "ran " + run;
    }
}
