using System.Text.Json;
using GovernedExecution.Execution;
using GovernedExecution.Extensions.AI;
using GovernedExecution.Intents;
using GovernedExecution.Policies.Rules;
using GovernedExecution.Testing;
using Microsoft.Extensions.AI;

namespace GovernedExecution.Integrations.Tests.Extensions.AI;

/// <summary>
/// The governed tool's less travelled paths: which selector names a refusal, what a refused call never reaches, what the
/// tool receives besides its arguments, and how bound values at the edges become context and digest.
/// </summary>
public sealed class GovernedAIFunctionMutationGapTests : IDisposable
{
    private readonly GovernedTestHost _host = new(policies: AgentTools.Policies());
    private readonly AgentTools _tools = new();

    public enum Mode
    {
        Soft,
        Hard,
    }

    [Fact]
    public async Task The_artifact_selector_is_never_asked_about_a_call_whose_arguments_do_not_bind()
    {
        var asked = 0;
        var options = new GovernedToolOptions { Principal = AgentTools.SupportBot, ArtifactSelector = _ => { asked++; return null; } };

        var result = await _tools.LookupOrder.WithGovernance(_host.Executor, options).InvokeAsync(new() { ["orderId"] = "A-1", ["note"] = "x" });

        Assert.Equal("an argument is not a parameter of the tool", RefusalJson.AssertRefused(result, DenialReason.ArgumentsInvalid).GetProperty("detail").GetString());
        Assert.Equal(0, asked);
        Assert.Empty(_tools.Ran);
    }

    [Fact]
    public async Task An_artifact_selector_that_finds_no_artifact_is_a_missing_artifact_even_where_policies_permit()
    {
        var options = new GovernedToolOptions { Principal = AgentTools.SupportBot, ArtifactSelector = _ => null };

        var result = await _tools.LookupOrder.WithGovernance(_host.Executor, options).InvokeAsync(new() { ["orderId"] = "A-1" });

        RefusalJson.AssertRefused(result, DenialReason.ArtifactMissing);
        Assert.Empty(_tools.Ran);
    }

    [Fact]
    public async Task The_first_selector_that_fails_names_the_refusal()
    {
        var options = new GovernedToolOptions
        {
            PrincipalSelector = _ => throw new InvalidOperationException("no session"),
            ResourceSelector = _ => throw new TimeoutException("no catalogue"),
        };

        var result = await _tools.LookupOrder.WithGovernance(_host.Executor, options).InvokeAsync(new() { ["orderId"] = "A-1" });

        var refusal = RefusalJson.AssertRefused(result, DenialReason.GovernanceFault);
        Assert.Equal("the principal selector failed: InvalidOperationException", refusal.GetProperty("detail").GetString());
        Assert.Empty(_tools.Ran);
    }

    [Fact]
    public async Task A_missing_principal_names_the_refusal_before_a_resource_selector_that_returns_null()
    {
        Assert.Null(GovernedAgent.Current);
        var options = new GovernedToolOptions { ResourceSelector = _ => null! };

        var result = await _tools.LookupOrder.WithGovernance(_host.Executor, options).InvokeAsync(new() { ["orderId"] = "A-1" });

        var refusal = RefusalJson.AssertRefused(result, DenialReason.GovernanceFault);
        Assert.Equal("no principal: none is configured and no agent is in scope", refusal.GetProperty("detail").GetString());
        var records = _host.Lineage.Records.Where(r => r.Event.ExecutionId == refusal.GetProperty("executionId").GetGuid()).ToList();
        Assert.Equal("Unresolved::\"principal\"", records[0].Event["principal"]);
        Assert.Empty(_tools.Ran);
    }

    [Fact]
    public async Task A_selector_that_fails_throws_the_denial_when_the_tool_is_configured_to()
    {
        var options = new GovernedToolOptions { Principal = AgentTools.SupportBot, ResourceSelector = _ => throw new TimeoutException("no catalogue"), ThrowOnDenial = true };
        var governed = _tools.LookupOrder.WithGovernance(_host.Executor, options);

        var denied = await Assert.ThrowsAsync<ExecutionDeniedException>(() => governed.InvokeAsync(new() { ["orderId"] = "A-1" }).AsTask());

        Assert.Equal(DenialReason.GovernanceFault, denied.Reason);
        Assert.Equal("the resource selector failed: TimeoutException", denied.Denial.Detail);
        Assert.Empty(_tools.Ran);
    }

    [Fact]
    public async Task A_call_that_does_not_bind_is_recorded_under_the_principal_chosen_for_a_call_without_arguments()
    {
        var seen = new List<int>();
        var options = new GovernedToolOptions
        {
            PrincipalSelector = call =>
            {
                seen.Add(call.JsonArguments.Count);
                return new EntityReference("Agent", "caller-" + call.JsonArguments.Count);
            },
        };

        var result = await _tools.LookupOrder.WithGovernance(_host.Executor, options).InvokeAsync(new() { ["orderId"] = "A-1", ["note"] = "x" });

        var refusal = RefusalJson.AssertRefused(result, DenialReason.ArgumentsInvalid);
        var records = _host.Lineage.Records.Where(r => r.Event.ExecutionId == refusal.GetProperty("executionId").GetGuid()).ToList();
        Assert.Equal("Agent::\"caller-0\"", records[0].Event["principal"]);
        Assert.Equal([0], seen);
        Assert.Empty(_tools.Ran);
    }

    [Fact]
    public async Task The_tool_receives_the_callers_services_and_context_with_the_authorized_arguments()
    {
        using var host = new GovernedTestHost(policies: new RulePolicyEvaluator([PolicyRule.Permit("all", _ => true)]));
        var tool = AIFunctionFactory.Create((string orderId, AIFunctionArguments arguments) =>
            $"{orderId}:{arguments.Context?["tenant"]}:{arguments.Services?.GetService(typeof(string))}", "lookup");
        var governed = tool.WithGovernance(host.Executor, new GovernedToolOptions { Principal = AgentTools.SupportBot });

        var result = await governed.InvokeAsync(new AIFunctionArguments
        {
            ["orderId"] = "A-1",
            Services = new OneStringServices("svc"),
            Context = new Dictionary<object, object?> { ["tenant"] = "t-1" },
        });

        Assert.Equal("A-1:t-1:svc", result?.ToString());
    }

    [Fact]
    public void The_governed_tool_hands_out_no_keyed_service()
    {
        var governed = _tools.Refund.WithGovernance(_host.Executor, new GovernedToolOptions { Principal = AgentTools.SupportBot });

        Assert.Null(governed.GetService<AIFunction>("key"));
        Assert.Null(governed.GetService<ApprovalRequiredAIFunction>());
        Assert.Throws<ArgumentNullException>(() => governed.GetService(null!));
    }

    [Fact]
    public void An_intent_is_not_made_for_a_call_whose_selector_fails_and_the_selectors_exception_is_kept()
    {
        var failure = new InvalidOperationException("no session");
        var options = new GovernedToolOptions { PrincipalSelector = _ => throw failure };

        var thrown = Assert.Throws<InvalidOperationException>(() => GovernedToolIntent.Create(_tools.LookupOrder, new AIFunctionArguments { ["orderId"] = "A-1" }, options));

        Assert.Same(failure, thrown.InnerException);
        Assert.Contains("the principal selector failed: InvalidOperationException", thrown.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_action_is_named_by_the_configured_action_type_and_a_missing_one_is_rejected()
    {
        var intent = GovernedToolIntent.Create(_tools.LookupOrder, new AIFunctionArguments { ["orderId"] = "A-1" }, new GovernedToolOptions { Principal = AgentTools.SupportBot, ActionType = "ToolCall" });

        Assert.Equal(new EntityReference("ToolCall", "lookup_order"), intent.Action);
        Assert.Throws<ArgumentException>(() => _tools.LookupOrder.WithGovernance(_host.Executor, new GovernedToolOptions { ActionType = null! }));
    }

    [Fact]
    public void Integers_at_the_edges_of_the_64_bit_range_are_longs_and_beyond_them_text()
    {
        var context = IntentOf("""{"a":9223372036854775807.0,"b":-9223372036854775808e0,"c":9223372036854775808,"d":-9223372036854775809.0}""").Context;

        Assert.Equal(IntentValue.Long(long.MaxValue), context["a"]);
        Assert.Equal(IntentValue.Long(long.MinValue), context["b"]);
        Assert.Equal(IntentValue.String("9223372036854775808"), context["c"]);
        Assert.Equal(IntentValue.String("-9223372036854775809.0"), context["d"]);
    }

    [Theory]
    [InlineData("""{"a":true}""", """{"a":false}""")]
    [InlineData("""{"a":true}""", """{"a":"true"}""")]
    [InlineData("""{"a":[1]}""", """{"a":{"0":1}}""")]
    [InlineData("""{"a":{"b":1}}""", """{"a":{"b":"1"}}""")]
    [InlineData("""{"a":"x"}""", """{"a":"y"}""")]
    [InlineData("""{"a":1}""", """{"b":1}""")]
    public void Different_bound_values_have_different_digests(string left, string right)
    {
        Assert.False(IntentOf(left).ArgumentsDigest.Span.SequenceEqual(IntentOf(right).ArgumentsDigest.Span));
    }

    [Fact]
    public void A_string_spelled_with_escapes_has_the_digest_of_its_plain_spelling()
    {
        Assert.True(IntentOf("""{"a":"\u0041b"}""").ArgumentsDigest.Span.SequenceEqual(IntentOf("""{"a":"Ab"}""").ArgumentsDigest.Span));
    }

    [Theory]
    [InlineData("""{"a":[{"n":1,"n":2}]}""")]
    [InlineData("""{"a":{"m":{"n":1,"n":2}}}""")]
    public void A_member_twice_anywhere_in_a_value_makes_no_intent(string json)
    {
        Assert.Throws<ArgumentException>(() => IntentOf(json));
    }

    [Fact]
    public void An_omitted_enum_parameter_is_seen_with_its_default_by_name()
    {
        var tool = AIFunctionFactory.Create((Func<string, Mode, Mode?, string>)Transfer, "transfer");

        var intent = GovernedToolIntent.Create(tool, new AIFunctionArguments { ["account"] = "acct-9" }, new GovernedToolOptions { Principal = AgentTools.SupportBot });

        Assert.Equal(IntentValue.String("Hard"), intent.Context["mode"]);
        Assert.Equal(IntentValue.String("Hard"), intent.Context["fallback"]);
    }

    [Fact]
    public async Task The_refusal_names_the_tool_and_tells_the_agent_not_to_retry_it_unchanged()
    {
        var result = await _tools.Refund.WithGovernance(_host.Executor, new GovernedToolOptions { Principal = AgentTools.SupportBot }).InvokeAsync(new() { ["orderId"] = "A-1", ["note"] = "x" });

        var refusal = RefusalJson.AssertRefused(result, DenialReason.ArgumentsInvalid);
        Assert.Equal("refund", refusal.GetProperty("tool").GetString());
        Assert.Equal("The call was refused by governance policy and the tool did not run. Do not retry it unchanged.", refusal.GetProperty("message").GetString());
        Assert.Empty(refusal.GetProperty("determiningPolicies").EnumerateArray());
        Assert.NotEqual(Guid.Empty, refusal.GetProperty("executionId").GetGuid());
    }

    [Fact]
    public async Task A_refused_call_is_recorded_with_the_digest_of_its_arguments_as_they_came()
    {
        var arguments = new AIFunctionArguments { ["orderId"] = JsonDocument.Parse("\"A-1\"").RootElement.Clone(), ["amount"] = 1.5, ["note"] = null };

        var result = await _tools.Refund.WithGovernance(_host.Executor, new GovernedToolOptions { Principal = AgentTools.SupportBot }).InvokeAsync(arguments);

        var expected = GovernedToolIntent.Create(
            AIFunctionFactory.Create((Func<JsonElement?, JsonElement?, JsonElement?, string>)Raw, "raw"),
            new AIFunctionArguments { ["orderId"] = "A-1", ["amount"] = 1.5, ["note"] = null },
            new GovernedToolOptions { Principal = AgentTools.SupportBot });
        Assert.Equal(Convert.ToHexStringLower(expected.ArgumentsDigest.Span), RecordOf(result)["arguments_digest"]);
        Assert.Empty(_tools.Ran);
    }

    [Fact]
    public async Task An_argument_that_cannot_be_written_is_refused_and_recorded_with_the_digest_of_no_arguments()
    {
        var result = await _tools.Refund.WithGovernance(_host.Executor, new GovernedToolOptions { Principal = AgentTools.SupportBot })
            .InvokeAsync(new() { ["orderId"] = new Unwritable(), ["amount"] = 5L });

        Assert.Equal("an argument does not bind to its parameter unambiguously", RefusalJson.AssertRefused(result, DenialReason.ArgumentsInvalid).GetProperty("detail").GetString());
        var none = GovernedToolIntent.Create(AIFunctionFactory.Create(() => "ok", "none"), [], new GovernedToolOptions { Principal = AgentTools.SupportBot });
        Assert.Equal(Convert.ToHexStringLower(none.ArgumentsDigest.Span), RecordOf(result)["arguments_digest"]);
        Assert.Empty(_tools.Ran);
    }

    [Fact]
    public async Task A_tool_that_describes_no_parameters_runs_a_call_without_arguments()
    {
        using var host = new GovernedTestHost(policies: new RulePolicyEvaluator([PolicyRule.Permit("all", _ => true)]));
        var governed = new Binding.SchemaOnlyFunction("ping", "{}").WithGovernance(host.Executor, new GovernedToolOptions { Principal = AgentTools.SupportBot });

        Assert.Equal("{}", (await governed.InvokeAsync([]))?.ToString());
    }

    [Fact]
    public void Disposing_an_agent_scope_twice_restores_the_previous_agent_only_once()
    {
        var alpha = new EntityReference("Agent", "alpha");
        var beta = new EntityReference("Agent", "beta");
        var gamma = new EntityReference("Agent", "gamma");
        using (GovernedAgent.BeginScope(alpha))
        {
            var inner = GovernedAgent.BeginScope(beta);
            Assert.Equal(beta, GovernedAgent.Current);
            inner.Dispose();
            Assert.Equal(alpha, GovernedAgent.Current);
            using (GovernedAgent.BeginScope(gamma))
            {
                inner.Dispose();
                Assert.Equal(gamma, GovernedAgent.Current);
            }

            Assert.Equal(alpha, GovernedAgent.Current);
        }

        Assert.Null(GovernedAgent.Current);
        Assert.Throws<ArgumentNullException>(() => GovernedAgent.BeginScope(null!));
    }

    [Fact]
    public void A_tool_list_with_a_missing_tool_or_executor_is_rejected()
    {
        var withNull = Assert.Throws<ArgumentNullException>(() => new AITool[] { _tools.Refund, null! }.WithGovernance(_host.Executor));
        Assert.Equal("tools", withNull.ParamName);
        Assert.Equal("tools", Assert.Throws<ArgumentNullException>(() => ((IEnumerable<AITool>)null!).WithGovernance(_host.Executor)).ParamName);
        Assert.Equal("executor", Assert.Throws<ArgumentNullException>(() => new AITool[] { _tools.Refund }.WithGovernance(null!)).ParamName);
        Assert.Equal("executor", Assert.Throws<ArgumentNullException>(() => _tools.Refund.WithGovernance(null!)).ParamName);
        Assert.Equal("tool", Assert.Throws<ArgumentNullException>(() => ((AIFunction)null!).WithGovernance(_host.Executor)).ParamName);
    }

    [Fact]
    public async Task Every_tool_of_a_list_is_governed()
    {
        var governed = new AITool[] { _tools.DeleteCustomer }.WithGovernance(_host.Executor, new GovernedToolOptions { Principal = AgentTools.SupportBot });

        var result = await ((AIFunction)governed[0]).InvokeAsync(new() { ["customerId"] = "C-1" });

        RefusalJson.AssertRefused(result, DenialReason.PolicyDenied);
        Assert.Empty(_tools.Ran);
    }

    [Fact]
    public void An_intent_needs_a_tool_and_arguments_and_says_why_arguments_do_not_bind()
    {
        var options = new GovernedToolOptions { Principal = AgentTools.SupportBot };

        Assert.Equal("tool", Assert.Throws<ArgumentNullException>(() => GovernedToolIntent.Create(null!, [], options)).ParamName);
        Assert.Equal("arguments", Assert.Throws<ArgumentNullException>(() => GovernedToolIntent.Create(_tools.LookupOrder, null!, options)).ParamName);
        var unbound = Assert.Throws<ArgumentException>(() => GovernedToolIntent.Create(_tools.LookupOrder, new AIFunctionArguments { ["orderId"] = "A-1", ["note"] = "x" }, options));
        Assert.Contains("The arguments of tool 'lookup_order' do not bind: an argument is not a parameter of the tool.", unbound.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Rejected_options_and_tools_say_what_is_wrong()
    {
        var invalidType = Assert.Throws<ArgumentException>(() => _tools.Refund.WithGovernance(_host.Executor, new GovernedToolOptions { ActionType = "not a type" }));
        var hosted = Assert.Throws<ArgumentException>(() => new AITool[] { new HostedWebSearchTool() }.WithGovernance(_host.Executor));

        Assert.Contains("The action type 'not a type' is not a valid entity type name.", invalidType.Message, StringComparison.Ordinal);
        Assert.Contains("does not run in this process and cannot be governed here.", hosted.Message, StringComparison.Ordinal);
        Assert.Contains(nameof(HostedWebSearchTool), hosted.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_configured_principal_takes_precedence_over_the_ambient_agent()
    {
        using (GovernedAgent.BeginScope(new EntityReference("Agent", "ambient")))
        {
            var intent = GovernedToolIntent.Create(_tools.LookupOrder, new AIFunctionArguments { ["orderId"] = "A-1" }, new GovernedToolOptions { Principal = AgentTools.SupportBot });

            Assert.Equal(AgentTools.SupportBot, intent.Principal);
        }
    }

    [Fact]
    public void True_and_false_are_booleans_to_the_policies_and_differ_from_each_other_and_from_text_in_the_digest()
    {
        var truth = IntentOf("""{"a":true}""");
        var falsehood = IntentOf("""{"a":false}""");

        Assert.Equal(IntentValue.Boolean(true), truth.Context["a"]);
        Assert.Equal(IntentValue.Boolean(false), falsehood.Context["a"]);
        Assert.False(truth.ArgumentsDigest.Span.SequenceEqual(falsehood.ArgumentsDigest.Span));
        Assert.False(truth.ArgumentsDigest.Span.SequenceEqual(IntentOf("""{"a":"true"}""").ArgumentsDigest.Span));
        Assert.False(falsehood.ArgumentsDigest.Span.SequenceEqual(IntentOf("""{"a":"false"}""").ArgumentsDigest.Span));
    }

    [Fact]
    public void The_digest_binds_each_argument_as_its_canonical_json_text()
    {
        var intent = IntentOf("""{"a":true,"b":false,"c":1.50,"d":{"y":null,"x":"\u0041"}}""");

        var expected = ArgumentsDigest.Compute(
        [
            KeyValuePair.Create("a", IntentValue.String("true")),
            KeyValuePair.Create("b", IntentValue.String("false")),
            KeyValuePair.Create("c", IntentValue.String("1.50")),
            KeyValuePair.Create("d", IntentValue.String("""{"x":"A","y":null}""")),
        ]);
        Assert.Equal(Convert.ToHexStringLower(expected), Convert.ToHexStringLower(intent.ArgumentsDigest.Span));
    }

    public void Dispose() => _host.Dispose();

    private static string Transfer(string account, Mode mode = Mode.Hard, Mode? fallback = Mode.Hard) => $"{account}:{mode}:{fallback}";

    private static string Raw(JsonElement? orderId = null, JsonElement? amount = null, JsonElement? note = null) => "ok";

    private IReadOnlyDictionary<string, string?> RecordOf(object? result)
    {
        var executionId = RefusalJson.Parse(result).GetProperty("executionId").GetGuid();
        var submitted = _host.Lineage.Records.First(r => r.Event.ExecutionId == executionId && r.Event.Kind == Lineage.LineageEventKind.IntentSubmitted);
        return new Dictionary<string, string?> { ["arguments_digest"] = submitted.Event["arguments_digest"], ["principal"] = submitted.Event["principal"] };
    }

    private static string Values(JsonElement? a = null, JsonElement? b = null, JsonElement? c = null, JsonElement? d = null) => "ok";

    private static ExecutionIntent IntentOf(string json) =>
        GovernedToolIntent.Create(
            AIFunctionFactory.Create((Func<JsonElement?, JsonElement?, JsonElement?, JsonElement?, string>)Values, "values"),
            new AIFunctionArguments(JsonDocument.Parse(json).RootElement.EnumerateObject().ToDictionary(p => p.Name, p => (object?)p.Value.Clone())),
            new GovernedToolOptions { Principal = AgentTools.SupportBot });

    private sealed class Unwritable
    {
        public string Value => throw new InvalidOperationException("not now");
    }

    private sealed class OneStringServices(string value) : IServiceProvider
    {
        public object? GetService(Type serviceType) => serviceType == typeof(string) ? value : null;
    }
}
