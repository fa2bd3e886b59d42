using System.Text.Json;
using GovernedExecution.Execution;
using GovernedExecution.Extensions.AI;
using GovernedExecution.Intents;
using GovernedExecution.Policies.Rules;
using GovernedExecution.Testing;
using Microsoft.Extensions.AI;
using static GovernedExecution.Integrations.Tests.Extensions.AI.ScriptedChatClient;

namespace GovernedExecution.Integrations.Tests.Extensions.AI;

/// <summary>A real <see cref="FunctionInvokingChatClient"/> over a scripted model, with governed tools.</summary>
public sealed class GovernedAgentLoopTests : IDisposable
{
    private readonly GovernedTestHost _host = new(policies: AgentTools.Policies());
    private readonly AgentTools _tools = new();

    [Fact]
    public async Task Only_permitted_calls_run_and_the_model_receives_each_refusal_as_the_function_result()
    {
        var model = new ScriptedChatClient(
            Calls(
                Call("c1", "lookup_order", ("orderId", "A-1")),
                Call("c2", "refund", ("orderId", "A-1"), ("amount", 50L)),
                Call("c3", "refund", ("orderId", "A-1"), ("amount", 500L)),
                Call("c4", "delete_customer", ("customerId", "C-9"))),
            Text("Done."));
        using var agent = new FunctionInvokingChatClient(model);
        var options = new ChatOptions { Tools = _tools.All.WithGovernance(_host.Executor, new GovernedToolOptions { Principal = AgentTools.SupportBot }) };

        var response = await agent.GetResponseAsync("Refund order A-1 and delete customer C-9.", options);

        Assert.Equal("Done.", response.Text);
        Assert.Equal(["lookup_order:A-1", "refund:A-1:50"], _tools.Ran);
        Assert.Equal("order A-1: 2 items", model.ResultFor("c1").Result?.ToString());
        Assert.Equal("refunded 50", model.ResultFor("c2").Result?.ToString());

        var bigRefund = RefusalJson.Parse(model.ResultFor("c3").Result);
        Assert.True(bigRefund.GetProperty("refused").GetBoolean());
        Assert.Equal("refund", bigRefund.GetProperty("tool").GetString());
        Assert.Equal(nameof(DenialReason.PolicyDenied), bigRefund.GetProperty("reason").GetString());
        Assert.Equal((int)DenialReason.PolicyDenied, bigRefund.GetProperty("reasonCode").GetInt32());
        Assert.Equal(["no-big-refunds"], bigRefund.GetProperty("determiningPolicies").EnumerateArray().Select(p => p.GetString()));
        Assert.NotEqual(Guid.Empty, bigRefund.GetProperty("executionId").GetGuid());

        var delete = RefusalJson.Parse(model.ResultFor("c4").Result);
        Assert.Equal(["agents-never-delete"], delete.GetProperty("determiningPolicies").EnumerateArray().Select(p => p.GetString()));
        // Every member but the execution id, whose hex digits can hold "500" by chance.
        Assert.DoesNotContain("500", string.Join("|", bigRefund.EnumerateObject().Where(p => p.Name != "executionId").Select(p => p.Value.GetRawText())), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_refusal_is_recorded_in_the_lineage_under_the_execution_id_the_model_received()
    {
        var model = new ScriptedChatClient(Calls(Call("c1", "delete_customer", ("customerId", "C-9"))), Text("Done."));
        using var agent = new FunctionInvokingChatClient(model);
        var options = new ChatOptions { Tools = _tools.All.WithGovernance(_host.Executor, new GovernedToolOptions { Principal = AgentTools.SupportBot }) };

        await agent.GetResponseAsync("Delete customer C-9.", options);

        var executionId = RefusalJson.Parse(model.ResultFor("c1").Result).GetProperty("executionId").GetGuid();
        Assert.Contains(_host.Lineage.Records, r => r.Event.ExecutionId == executionId);
        Assert.True(_host.Lineage.Verify().IsValid);
        Assert.Empty(_tools.Ran);
    }

    [Fact]
    public async Task Tool_calls_of_an_agent_run_inside_a_governed_execution_record_it_as_their_parent()
    {
        var seen = new List<(Guid Id, Guid? Parent)>();
        var probe = AIFunctionFactory.Create(() =>
        {
            var current = GovernedContext.Current!;
            seen.Add((current.ExecutionId, current.ParentExecutionId));
            return "ok";
        }, "lookup_order");
        var model = new ScriptedChatClient(Calls(Call("c1", "lookup_order")), Text("Done."));
        using var agent = new FunctionInvokingChatClient(model);
        var options = new ChatOptions { Tools = [probe.WithGovernance(_host.Executor, new GovernedToolOptions { Principal = AgentTools.SupportBot })] };
        var outer = new ExecutionIntent(AgentTools.SupportBot, new EntityReference("Action", "lookup_order"), new EntityReference("Tool", "orchestrator"));

        var outerId = await _host.Executor.RunAsync(outer, async (context, ct) =>
        {
            await agent.GetResponseAsync("Look it up.", options, ct);
            return context.ExecutionId;
        });

        var (id, parent) = Assert.Single(seen);
        Assert.Equal(outerId, parent);
        Assert.NotEqual(outerId, id);
    }

    [Fact]
    public async Task A_sub_agent_started_by_a_tool_acts_as_itself_under_the_tools_execution()
    {
        using var host = new GovernedTestHost(policies: new RulePolicyEvaluator(
        [
            PolicyRule.Permit("support-asks-researcher", i => i.Principal == AgentTools.SupportBot && i.Action.Id == "ask_researcher"),
            PolicyRule.Permit("researcher-looks-up-orders", i => i.Principal.Id == "researcher" && i.Action.Id == "lookup_order"),
        ]));
        var researcher = new EntityReference("Agent", "researcher");
        var seen = new List<(Guid Id, Guid? Parent, EntityReference Principal)>();
        var lookup = AIFunctionFactory.Create((string orderId) =>
        {
            var current = GovernedContext.Current!;
            seen.Add((current.ExecutionId, current.ParentExecutionId, current.Intent.Principal));
            return "order " + orderId;
        }, "lookup_order").WithGovernance(host.Executor);
        var subModel = new ScriptedChatClient(Calls(Call("s1", "lookup_order", ("orderId", "A-7"))), Text("A-7 is fine."));
        var delegateResearch = AIFunctionFactory.Create(async (string question, CancellationToken ct) =>
        {
            var current = GovernedContext.Current!;
            seen.Add((current.ExecutionId, current.ParentExecutionId, current.Intent.Principal));
            using var subAgent = new FunctionInvokingChatClient(subModel);
            using (GovernedAgent.BeginScope(researcher))
            {
                return (await subAgent.GetResponseAsync(question, new ChatOptions { Tools = [lookup] }, ct)).Text;
            }
        }, "ask_researcher", "Asks the research agent.").WithGovernance(host.Executor);
        var model = new ScriptedChatClient(Calls(Call("c1", "ask_researcher", ("question", "Is A-7 fine?"))), Text("Done."));
        using var agent = new FunctionInvokingChatClient(model);

        using (GovernedAgent.BeginScope(AgentTools.SupportBot))
        {
            await agent.GetResponseAsync("Check A-7.", new ChatOptions { Tools = [delegateResearch] });
        }

        Assert.Equal("A-7 is fine.", model.ResultFor("c1").Result?.ToString());
        Assert.Equal(2, seen.Count);
        var (parentId, parentsParent, parentPrincipal) = seen[0];
        var (childId, childsParent, childPrincipal) = seen[1];
        Assert.Null(parentsParent);
        Assert.Equal(AgentTools.SupportBot, parentPrincipal);
        Assert.Equal(parentId, childsParent);
        Assert.Equal(researcher, childPrincipal);
        Assert.NotEqual(parentId, childId);
    }

    [Fact]
    public async Task An_artifact_minted_for_other_arguments_is_rejected_and_the_tool_does_not_run()
    {
        // The orchestrator decided call c1 (a refund of 50) and minted an artifact for it; the model then asks c1 for 90.
        var decided = new Dictionary<string, Artifacts.AuthorizationArtifact>();
        var governance = new GovernedToolOptions
        {
            Principal = AgentTools.SupportBot,
            ArtifactSelector = _ => decided.GetValueOrDefault(FunctionInvokingChatClient.CurrentContext!.CallContent.CallId),
        };
        var fifty = GovernedToolIntent.Create(_tools.Refund, new AIFunctionArguments { ["orderId"] = "A-1", ["amount"] = 50L }, governance);
        decided["c1"] = (await _host.Executor.IssueAsync(fifty)).Artifact!;
        decided["c2"] = (await _host.Executor.IssueAsync(fifty)).Artifact!;

        var model = new ScriptedChatClient(
            Calls(Call("c1", "refund", ("orderId", "A-1"), ("amount", 90L)), Call("c2", "refund", ("orderId", "A-1"), ("amount", 50L)), Call("c3", "refund", ("orderId", "A-1"), ("amount", 50L))),
            Text("Done."));
        using var agent = new FunctionInvokingChatClient(model);
        var options = new ChatOptions { Tools = [_tools.Refund.WithGovernance(_host.Executor, governance)] };

        await agent.GetResponseAsync("Refund.", options);

        Assert.Equal(["refund:A-1:50"], _tools.Ran);
        Assert.Equal(nameof(DenialReason.IntentMismatch), RefusalJson.Parse(model.ResultFor("c1").Result).GetProperty("reason").GetString());
        Assert.Equal("refunded 50", model.ResultFor("c2").Result?.ToString());
        Assert.Equal(nameof(DenialReason.ArtifactMissing), RefusalJson.Parse(model.ResultFor("c3").Result).GetProperty("reason").GetString());
    }

    [Fact]
    public async Task Arguments_the_model_sends_as_json_are_governed_as_the_tool_binds_them()
    {
        // "150" is the number 150 to the tool's binder, so it is to the policies; 1.5e2 is no long to it, so it is refused.
        using var asString = JsonDocument.Parse("""{"orderId":"A-1","amount":"150"}""");
        using var withExponent = JsonDocument.Parse("""{"orderId":"A-1","amount":1.5e2}""");
        var model = new ScriptedChatClient(
            Calls(
                new FunctionCallContent("c1", "refund", asString.RootElement.EnumerateObject().ToDictionary(p => p.Name, p => (object?)p.Value.Clone())),
                new FunctionCallContent("c2", "refund", withExponent.RootElement.EnumerateObject().ToDictionary(p => p.Name, p => (object?)p.Value.Clone()))),
            Text("Done."));
        using var agent = new FunctionInvokingChatClient(model);
        var options = new ChatOptions { Tools = _tools.All.WithGovernance(_host.Executor, new GovernedToolOptions { Principal = AgentTools.SupportBot }) };

        await agent.GetResponseAsync("Refund 150.", options);

        Assert.Empty(_tools.Ran);
        Assert.Equal(["no-big-refunds"], RefusalJson.Parse(model.ResultFor("c1").Result).GetProperty("determiningPolicies").EnumerateArray().Select(p => p.GetString()));
        Assert.Equal(nameof(DenialReason.ArgumentsInvalid), RefusalJson.Parse(model.ResultFor("c2").Result).GetProperty("reason").GetString());
    }

    [Fact]
    public async Task Concurrent_calls_in_a_streaming_response_each_run_in_their_own_execution()
    {
        var executions = new System.Collections.Concurrent.ConcurrentBag<(string Order, Guid Id, EntityReference Principal)>();
        var lookup = AIFunctionFactory.Create(async (string orderId) =>
        {
            await Task.Yield();
            var current = GovernedContext.Current!;
            executions.Add((orderId, current.ExecutionId, current.Intent.Principal));
            return "ok";
        }, "lookup_order");
        var model = new ScriptedChatClient(
            Calls(Call("c1", "lookup_order", ("orderId", "A-1")), Call("c2", "lookup_order", ("orderId", "A-2")), Call("c3", "delete_customer", ("customerId", "C-1")), Call("c4", "lookup_order", ("orderId", "A-3"))),
            Text("Done."));
        using var agent = new FunctionInvokingChatClient(model) { AllowConcurrentInvocation = true };
        var options = new ChatOptions { Tools = new AITool[] { lookup, _tools.DeleteCustomer }.WithGovernance(_host.Executor) };

        using (GovernedAgent.BeginScope(AgentTools.SupportBot))
        {
            await foreach (var update in agent.GetStreamingResponseAsync("Look them up.", options))
            {
                _ = update;
            }
        }

        Assert.Equal(["A-1", "A-2", "A-3"], executions.Select(e => e.Order).Order());
        Assert.Equal(3, executions.Select(e => e.Id).Distinct().Count());
        Assert.All(executions, e => Assert.Equal(AgentTools.SupportBot, e.Principal));
        Assert.Equal(nameof(DenialReason.PolicyDenied), RefusalJson.Parse(model.ResultFor("c3").Result).GetProperty("reason").GetString());
        Assert.Empty(_tools.Ran);
    }

    public void Dispose() => _host.Dispose();
}
