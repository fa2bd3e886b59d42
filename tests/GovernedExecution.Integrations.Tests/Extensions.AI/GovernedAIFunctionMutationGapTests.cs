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

    public void Dispose() => _host.Dispose();

    private static string Transfer(string account, Mode mode = Mode.Hard, Mode? fallback = Mode.Hard) => $"{account}:{mode}:{fallback}";

    private static string Values(JsonElement? a = null, JsonElement? b = null, JsonElement? c = null, JsonElement? d = null) => "ok";

    private static ExecutionIntent IntentOf(string json) =>
        GovernedToolIntent.Create(
            AIFunctionFactory.Create((Func<JsonElement?, JsonElement?, JsonElement?, JsonElement?, string>)Values, "values"),
            new AIFunctionArguments(JsonDocument.Parse(json).RootElement.EnumerateObject().ToDictionary(p => p.Name, p => (object?)p.Value.Clone())),
            new GovernedToolOptions { Principal = AgentTools.SupportBot });

    private sealed class OneStringServices(string value) : IServiceProvider
    {
        public object? GetService(Type serviceType) => serviceType == typeof(string) ? value : null;
    }
}
