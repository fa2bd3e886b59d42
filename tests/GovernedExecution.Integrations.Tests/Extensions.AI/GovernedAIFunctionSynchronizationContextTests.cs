using GovernedExecution.Execution;
using GovernedExecution.Extensions.AI;
using GovernedExecution.Testing;
using Microsoft.Extensions.AI;

namespace GovernedExecution.Integrations.Tests.Extensions.AI;

/// <summary>
/// A governed tool never resumes on its caller's synchronization context: an agent invoked from a UI thread or a
/// classic ASP.NET request, which blocks on the call, cannot deadlock it. The call starts with a counting context
/// current and every lineage append completes later, so that every await of the executor suspends.
/// </summary>
public sealed class GovernedAIFunctionSynchronizationContextTests : IDisposable
{
    private readonly LateLineageSink _sink;
    private readonly GovernedTestHost _host;
    private readonly AgentTools _tools = new();

    public GovernedAIFunctionSynchronizationContextTests()
    {
        var lineage = new Lineage.InMemoryLineageSink();
        _sink = new LateLineageSink(lineage);
        _host = new GovernedTestHost(policies: AgentTools.Policies(), lineage: _sink);
    }

    public enum Path
    {
        Runs,
        DeniedByPolicy,
        RunsWithSelectedArtifact,
        ArgumentsDoNotBind,
        SelectorFails,
    }

    [Theory]
    [InlineData(Path.Runs)]
    [InlineData(Path.DeniedByPolicy)]
    [InlineData(Path.RunsWithSelectedArtifact)]
    [InlineData(Path.ArgumentsDoNotBind)]
    [InlineData(Path.SelectorFails)]
    public async Task Nothing_is_posted_to_the_callers_context(Path path)
    {
        var options = new GovernedToolOptions { Principal = AgentTools.SupportBot };
        var tool = _tools.LookupOrder;
        var arguments = new AIFunctionArguments { ["orderId"] = "A-1" };
        switch (path)
        {
            case Path.DeniedByPolicy:
                tool = _tools.DeleteCustomer;
                arguments = new AIFunctionArguments { ["customerId"] = "C-1" };
                break;
            case Path.RunsWithSelectedArtifact:
                var issued = await _host.Executor.IssueAsync(GovernedToolIntent.Create(tool, arguments, options));
                options = new GovernedToolOptions { Principal = AgentTools.SupportBot, ArtifactSelector = _ => issued.Artifact };
                break;
            case Path.ArgumentsDoNotBind:
                arguments = new AIFunctionArguments { ["orderId"] = "A-1", ["note"] = "x" };
                break;
            case Path.SelectorFails:
                options = new GovernedToolOptions { PrincipalSelector = _ => throw new InvalidOperationException("no session") };
                break;
        }

        var governed = tool.WithGovernance(_host.Executor, options);
        var context = new CallerContext();

        var result = await context.Run(() => governed.InvokeAsync(arguments).AsTask());

        Assert.True(_sink.AppendsOnCallerContext > 0, "no await of the executor suspended with the caller's context current");
        Assert.Equal(0, context.Posts);
        switch (path)
        {
            case Path.Runs or Path.RunsWithSelectedArtifact:
                Assert.Equal("order A-1: 2 items", result?.ToString());
                Assert.Equal(["lookup_order:A-1"], _tools.Ran);
                break;
            case Path.DeniedByPolicy:
                RefusalJson.AssertRefused(result, DenialReason.PolicyDenied);
                Assert.Empty(_tools.Ran);
                break;
            case Path.ArgumentsDoNotBind:
                RefusalJson.AssertRefused(result, DenialReason.ArgumentsInvalid);
                Assert.Empty(_tools.Ran);
                break;
            default:
                RefusalJson.AssertRefused(result, DenialReason.GovernanceFault);
                Assert.Empty(_tools.Ran);
                break;
        }
    }

    public void Dispose() => _host.Dispose();
}
