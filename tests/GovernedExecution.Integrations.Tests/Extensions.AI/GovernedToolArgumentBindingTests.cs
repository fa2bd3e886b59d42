using System.Text.Json;
using GovernedExecution.Execution;
using GovernedExecution.Extensions.AI;
using GovernedExecution.Integrations.Tests.Binding;
using GovernedExecution.Intents;
using GovernedExecution.Policies.Rules;
using GovernedExecution.Testing;
using Microsoft.Extensions.AI;
using static GovernedExecution.Integrations.Tests.Extensions.AI.ScriptedChatClient;

namespace GovernedExecution.Integrations.Tests.Extensions.AI;

/// <summary>
/// Arguments spelled so that the policies would read one value and the tool bind another, through Microsoft.Extensions.AI:
/// the policies must evaluate exactly the values the tool receives, or the call is refused and the tool does not run.
/// </summary>
public sealed class GovernedToolArgumentBindingTests : IDisposable
{
    private readonly ArgumentAttack _attack = new();
    private readonly GovernedToolOptions _asSupportBot = new() { Principal = AgentTools.SupportBot };

    [Theory]
    [InlineData("""{"orderId":"A-1","amount":5,"Amount":5000}""", DenialReason.ArgumentsInvalid)]
    [InlineData("""{"orderId":"A-1","Amount":5000,"amount":5}""", DenialReason.ArgumentsInvalid)]
    [InlineData("""{"orderId":"A-1","amount":5,"amount":5000}""", DenialReason.ArgumentsInvalid)]
    [InlineData("""{"orderId":"A-1","AMOUNT":5000}""", DenialReason.NotPermitted)] // bound as amount 5000, which the policies see
    public async Task A_refund_amount_spelled_twice_in_two_cases_never_reaches_the_tool(string request, DenialReason reason)
    {
        var result = await Invoke(_attack.RefundTool, "refund", $$"""{"request":{{request}}}""");

        Assert.Empty(_attack.Ran);
        RefusalJson.AssertRefused(result, reason);
        AssertRefusalRecorded(result);
    }

    [Fact]
    public async Task A_refund_amount_spelled_twice_is_refused_through_a_function_invoking_chat_client()
    {
        using var request = JsonDocument.Parse("""{"orderId":"A-1","amount":5,"Amount":5000}""");
        var model = new ScriptedChatClient(Calls(Call("c1", "refund", ("request", request.RootElement.Clone()))), Text("Done."));
        using var agent = new FunctionInvokingChatClient(model);
        var options = new ChatOptions { Tools = [AIFunctionFactory.Create(_attack.RefundTool, "refund").WithGovernance(_attack.Host.Executor, _asSupportBot)] };

        await agent.GetResponseAsync("Refund 5.", options);

        Assert.Empty(_attack.Ran);
        RefusalJson.AssertRefused(model.ResultFor("c1").Result, DenialReason.ArgumentsInvalid);
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
        var result = await Invoke(_attack.TransferTool, "transfer", $$"""{"account":"acct-9","mode":{{mode}}}""");

        // The tool's binder reads each of them as Hard: so do the policies, by the enum's name.
        Assert.Empty(_attack.Ran);
        var refusal = RefusalJson.AssertRefused(result, DenialReason.PolicyDenied);
        Assert.Equal(["no-hard-transfers"], refusal.GetProperty("determiningPolicies").EnumerateArray().Select(p => p.GetString()));
        Assert.Equal(IntentValue.String("Hard"), Assert.Single(_attack.Evaluator.Evaluated).Context["mode"]);
    }

    [Fact]
    public async Task An_omitted_optional_parameter_is_seen_by_the_policy_with_its_default()
    {
        var result = await Invoke(_attack.RefundOrderTool, "refund_order", """{"orderId":"A-1"}""");

        Assert.Empty(_attack.Ran);
        var refusal = RefusalJson.AssertRefused(result, DenialReason.PolicyDenied);
        Assert.Equal(["no-big-order-refunds"], refusal.GetProperty("determiningPolicies").EnumerateArray().Select(p => p.GetString()));
        Assert.Equal(IntentValue.Long(10_000), Assert.Single(_attack.Evaluator.Evaluated).Context["amount"]);
    }

    [Theory]
    [InlineData("""{"orderId":"A-1","amount":5,"note":"x"}""", "an argument is not a parameter of the tool")]
    [InlineData("""{"orderId":"A-1","Amount":5}""", "an argument is not a parameter of the tool")]
    [InlineData("""{"amount":5}""", "a required parameter is missing")]
    [InlineData("""{"orderId":"A-1","amount":"many"}""", "an argument does not bind to its parameter unambiguously")]
    [InlineData("""{"orderId":"A-1","amount":1.5}""", "an argument does not bind to its parameter unambiguously")]
    [InlineData("""{"orderId":"A-1","amount":null}""", "an argument does not bind to its parameter unambiguously")]
    public async Task Arguments_that_do_not_bind_are_refused_recorded_and_never_evaluated(string arguments, string detail)
    {
        var result = await Invoke(_attack.RefundOrderTool, "refund_order", arguments);

        Assert.Empty(_attack.Ran);
        Assert.Empty(_attack.Evaluator.Evaluated);
        Assert.Equal(detail, RefusalJson.AssertRefused(result, DenialReason.ArgumentsInvalid).GetProperty("detail").GetString());
        var records = AssertRefusalRecorded(result);
        Assert.Equal("refused", records[0].Event["mode"]);
        Assert.Equal(AgentTools.SupportBot.ToString(), records[0].Event["principal"]);
    }

    [Fact]
    public async Task The_policy_sees_the_bound_values_so_a_small_refund_runs_however_it_is_spelled()
    {
        await Invoke(_attack.RefundTool, "refund", """{"request":{"orderId":"A-1","amount":"50"}}""");
        await Invoke(_attack.RefundOrderTool, "refund_order", """{"orderId":"A-2","amount":"60"}""");
        await Invoke(_attack.TransferTool, "transfer", """{"account":"acct-9","mode":"soft"}""");

        Assert.Equal(["refund:A-1:50", "refund_order:A-2:60", "transfer:acct-9:Soft"], _attack.Ran);
    }

    [Fact]
    public async Task A_tool_without_a_method_is_bound_by_its_schema_strictly()
    {
        var remote = new SchemaOnlyFunction("refund_order", """{"type":"object","properties":{"orderId":{"type":"string"},"amount":{"type":"integer","default":10000}},"required":["orderId"]}""");
        var governed = remote.WithGovernance(_attack.Host.Executor, _asSupportBot);

        var lenient = await governed.InvokeAsync(new AIFunctionArguments { ["orderId"] = "A-1", ["amount"] = "50" });
        var omitted = await governed.InvokeAsync(new AIFunctionArguments { ["orderId"] = "A-1" });
        var exact = await governed.InvokeAsync(new AIFunctionArguments { ["orderId"] = "A-1", ["amount"] = 50.0 });

        RefusalJson.AssertRefused(lenient, DenialReason.ArgumentsInvalid);
        RefusalJson.AssertRefused(omitted, DenialReason.PolicyDenied);
        Assert.Equal("""{"amount":50,"orderId":"A-1"}""", exact?.ToString());
    }

    [Fact]
    public async Task A_tool_that_describes_no_parameters_takes_no_arguments()
    {
        var governed = new SchemaOnlyFunction("refund_order", "{}").WithGovernance(_attack.Host.Executor, _asSupportBot);

        var refused = await governed.InvokeAsync(new AIFunctionArguments { ["orderId"] = "A-1" });

        Assert.Equal("the tool describes no parameters to bind its arguments by", RefusalJson.AssertRefused(refused, DenialReason.ArgumentsInvalid).GetProperty("detail").GetString());
    }

    [Fact]
    public async Task A_refused_binding_throws_when_the_tool_is_configured_to()
    {
        var governed = AIFunctionFactory.Create(_attack.RefundOrderTool, "refund_order")
            .WithGovernance(_attack.Host.Executor, new GovernedToolOptions { Principal = AgentTools.SupportBot, ThrowOnDenial = true });

        var denied = await Assert.ThrowsAsync<ExecutionDeniedException>(() => governed.InvokeAsync(new() { ["orderId"] = "A-1", ["Amount"] = 5L }).AsTask());

        GovernedExecution.Tests.Execution.DenialDetails.AssertDenied(denied.Denial, DenialReason.ArgumentsInvalid);
        Assert.Empty(_attack.Ran);
    }

    [Fact]
    public async Task A_value_whose_binding_does_not_read_back_the_same_is_refused()
    {
        // The setter changes what it is given: the policies would see one count and the tool another.
        var governed = AIFunctionFactory.Create((Func<Counter, string>)(counter => "counted " + counter.Count), "count").WithGovernance(_attack.Host.Executor, _asSupportBot);

        var refused = await governed.InvokeAsync(new() { ["counter"] = JsonDocument.Parse("""{"count":1}""").RootElement });

        Assert.Equal("an argument does not bind to a value that reads back the same", RefusalJson.AssertRefused(refused, DenialReason.ArgumentsInvalid).GetProperty("detail").GetString());
    }

    [Fact]
    public async Task An_omitted_parameter_whose_default_has_no_value_to_show_is_refused()
    {
        using var host = new GovernedTestHost(policies: new RulePolicyEvaluator([PolicyRule.Permit("tickets", i => i.Action.Id == "ticket")]));
        var governed = AIFunctionFactory.Create((Func<string, Guid, string>)Ticket, "ticket").WithGovernance(host.Executor, _asSupportBot);

        var omitted = await governed.InvokeAsync(new() { ["title"] = "t" });
        var given = await governed.InvokeAsync(new() { ["title"] = "t", ["id"] = Guid.Empty.ToString() });

        Assert.Equal("an omitted parameter has no default the tool describes", RefusalJson.AssertRefused(omitted, DenialReason.ArgumentsInvalid).GetProperty("detail").GetString());
        Assert.Equal("t:" + Guid.Empty, given?.ToString());
    }

    public void Dispose() => _attack.Dispose();

    private static string Ticket(string title, Guid id = default) => $"{title}:{id}";

    public sealed class Counter
    {
        private int _count;

        public int Count
        {
            get => _count;
            set => _count = value + 1;
        }
    }

    /// <summary>The lineage records of a refusal: the intent and the denial, under the execution id the caller received.</summary>
    private List<Lineage.LineageRecord> AssertRefusalRecorded(object? result)
    {
        var executionId = RefusalJson.Parse(result).GetProperty("executionId").GetGuid();
        var records = _attack.Host.Lineage.Records.Where(r => r.Event.ExecutionId == executionId).ToList();
        Assert.Equal(Lineage.LineageEventKind.IntentSubmitted, records[0].Event.Kind);
        Assert.Equal(Lineage.LineageEventKind.ExecutionDenied, records[^1].Event.Kind);
        Assert.True(_attack.Host.Lineage.Verify().IsValid);
        return records;
    }

    private async Task<object?> Invoke(Delegate method, string name, string json)
    {
        var governed = AIFunctionFactory.Create(method, name).WithGovernance(_attack.Host.Executor, _asSupportBot);
        using var document = JsonDocument.Parse(json);
        var arguments = new AIFunctionArguments(document.RootElement.EnumerateObject().ToDictionary(p => p.Name, p => (object?)p.Value.Clone(), StringComparer.Ordinal));
        return await governed.InvokeAsync(arguments);
    }
}
