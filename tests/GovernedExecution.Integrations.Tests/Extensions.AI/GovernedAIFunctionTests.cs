using System.Text.Json;
using GovernedExecution.Execution;
using GovernedExecution.Extensions.AI;
using GovernedExecution.Intents;
using GovernedExecution.Policies.Rules;
using GovernedExecution.Testing;
using Microsoft.Extensions.AI;

namespace GovernedExecution.Integrations.Tests.Extensions.AI;

public sealed class GovernedAIFunctionTests : IDisposable
{
    private readonly GovernedTestHost _host = new(policies: AgentTools.Policies());
    private readonly AgentTools _tools = new();
    private readonly GovernedToolOptions _asSupportBot = new() { Principal = AgentTools.SupportBot };

    [Fact]
    public void The_governed_tool_keeps_the_name_description_and_schemas()
    {
        var governed = _tools.Refund.WithGovernance(_host.Executor, _asSupportBot);

        Assert.NotSame(_tools.Refund, governed);
        Assert.Equal(_tools.Refund.Name, governed.Name);
        Assert.Equal(_tools.Refund.Description, governed.Description);
        Assert.True(JsonElement.DeepEquals(_tools.Refund.JsonSchema, governed.JsonSchema));
        Assert.Equal(_tools.Refund.ReturnJsonSchema.HasValue, governed.ReturnJsonSchema.HasValue);
    }

    [Fact]
    public void The_governed_tool_never_hands_out_the_tool_it_governs()
    {
        var governed = _tools.Refund.WithGovernance(_host.Executor, _asSupportBot);

        Assert.Same(governed, governed.GetService<AIFunction>());
        Assert.Same(governed, governed.GetService<AIFunctionDeclaration>());
        for (var type = _tools.Refund.GetType(); type is not null; type = type.BaseType)
        {
            Assert.NotSame(_tools.Refund, governed.GetService(type));
        }

        Assert.Null(governed.GetService(_tools.Refund.GetType()));
    }

    [Fact]
    public async Task A_tool_that_requires_approval_still_says_so_and_its_marker_runs_governed()
    {
        var governed = new ApprovalRequiredAIFunction(_tools.DeleteCustomer).WithGovernance(_host.Executor, _asSupportBot);

        var marker = governed.GetService<ApprovalRequiredAIFunction>();

        Assert.NotNull(marker);
        var refusal = RefusalJson.AssertRefused(await marker.InvokeAsync(new() { ["customerId"] = "C-1" }), DenialReason.PolicyDenied);
        Assert.Equal(["agents-never-delete"], refusal.GetProperty("determiningPolicies").EnumerateArray().Select(p => p.GetString()));
        Assert.Null(_tools.DeleteCustomer.WithGovernance(_host.Executor, _asSupportBot).GetService<ApprovalRequiredAIFunction>());
        Assert.Empty(_tools.Ran);
    }

    public static TheoryData<string> FailingSeams => ["principal selector throws", "principal selector returns null", "resource selector throws", "resource selector returns null", "artifact selector throws"];

    [Theory]
    [MemberData(nameof(FailingSeams))]
    public async Task A_selector_that_fails_is_a_recorded_refusal_and_the_tool_does_not_run(string seam)
    {
        var options = new GovernedToolOptions { Principal = AgentTools.SupportBot };
        switch (seam)
        {
            case "principal selector throws": options.PrincipalSelector = _ => throw new InvalidOperationException("no session"); break;
            case "principal selector returns null": options.PrincipalSelector = _ => null!; break;
            case "resource selector throws": options.ResourceSelector = call => new EntityReference("Order", call.JsonArguments["order"].GetString()!); break;
            case "resource selector returns null": options.ResourceSelector = _ => null!; break;
            default: options.ArtifactSelector = _ => throw new TimeoutException("the orchestrator is gone"); break;
        }

        var governed = _tools.LookupOrder.WithGovernance(_host.Executor, options);

        var refusal = RefusalJson.AssertRefused(await governed.InvokeAsync(new() { ["orderId"] = "A-1" }), DenialReason.GovernanceFault);

        Assert.Contains(_host.Lineage.Records, r => r.Event.ExecutionId == refusal.GetProperty("executionId").GetGuid() && r.Event.Kind == Lineage.LineageEventKind.ExecutionDenied);
        Assert.Empty(_tools.Ran);
    }

    [Fact]
    public async Task A_denial_throws_when_configured_to_and_the_tool_does_not_run()
    {
        var governed = _tools.Refund.WithGovernance(_host.Executor, new GovernedToolOptions { Principal = AgentTools.SupportBot, ThrowOnDenial = true });

        var denied = await Assert.ThrowsAsync<ExecutionDeniedException>(() => governed.InvokeAsync(new() { ["orderId"] = "A-1", ["amount"] = 500L }).AsTask());

        Assert.Equal(DenialReason.PolicyDenied, denied.Reason);
        Assert.Equal(["no-big-refunds"], denied.Denial.DeterminingPolicies);
        Assert.Empty(_tools.Ran);
    }

    [Fact]
    public async Task The_tools_own_exception_passes_through_unchanged()
    {
        var failure = new InvalidOperationException("the payment service is down");
        Func<string, long, string> refund = (orderId, amount) => throw failure;
        var failing = AIFunctionFactory.Create(refund, "refund");

        var thrown = await Assert.ThrowsAsync<InvalidOperationException>(() =>
            failing.WithGovernance(_host.Executor, _asSupportBot).InvokeAsync(new() { ["orderId"] = "A-1", ["amount"] = 5L }).AsTask());

        Assert.Same(failure, thrown);
    }

    [Fact]
    public async Task The_ambient_agent_is_the_principal_when_none_is_configured()
    {
        var host = new GovernedTestHost(policies: new RulePolicyEvaluator([PolicyRule.Permit("alpha-only", i => i.Principal == new EntityReference("Agent", "alpha"))]));
        using var _ = host;
        var governed = _tools.LookupOrder.WithGovernance(host.Executor);

        using (GovernedAgent.BeginScope(new EntityReference("Agent", "alpha")))
        {
            Assert.Equal("order A-1: 2 items", (await governed.InvokeAsync(new() { ["orderId"] = "A-1" }))?.ToString());
            using (GovernedAgent.BeginScope(new EntityReference("Agent", "beta")))
            {
                Assert.Equal(nameof(DenialReason.NotPermitted), RefusalJson.Parse(await governed.InvokeAsync(new() { ["orderId"] = "A-2" })).GetProperty("reason").GetString());
            }

            Assert.Equal(new EntityReference("Agent", "alpha"), GovernedAgent.Current);
        }

        Assert.Null(GovernedAgent.Current);
        var unidentified = RefusalJson.Parse(await governed.InvokeAsync(new() { ["orderId"] = "A-3" }));
        Assert.Equal(nameof(DenialReason.GovernanceFault), unidentified.GetProperty("reason").GetString());
        Assert.Equal("no principal: none is configured and no agent is in scope", unidentified.GetProperty("detail").GetString());
        Assert.Equal(["lookup_order:A-1"], _tools.Ran);
    }

    [Fact]
    public async Task The_principal_selector_takes_precedence_over_the_fixed_principal()
    {
        var governed = _tools.DeleteCustomer.WithGovernance(_host.Executor, new GovernedToolOptions
        {
            Principal = AgentTools.SupportBot,
            PrincipalSelector = call => new EntityReference("Admin", call.ToolName),
        });

        await governed.InvokeAsync(new() { ["customerId"] = "C-1" });

        Assert.Equal(["delete_customer:C-1"], _tools.Ran);
    }

    [Fact]
    public async Task The_resource_selector_maps_arguments_to_the_resource_policies_see()
    {
        var host = new GovernedTestHost(policies: new RulePolicyEvaluator([PolicyRule.Permit("own-orders", i => i.Resource == new EntityReference("Order", "A-1"))]));
        using var _ = host;
        var governed = _tools.LookupOrder.WithGovernance(host.Executor, new GovernedToolOptions
        {
            Principal = AgentTools.SupportBot,
            ResourceSelector = call => new EntityReference("Order", call.JsonArguments["orderId"].GetString()!),
        });

        await governed.InvokeAsync(new() { ["orderId"] = "A-1" });
        var refused = RefusalJson.Parse(await governed.InvokeAsync(new() { ["orderId"] = "B-2" }));

        Assert.Equal(["lookup_order:A-1"], _tools.Ran);
        Assert.Equal(nameof(DenialReason.NotPermitted), refused.GetProperty("reason").GetString());
    }

    [Fact]
    public async Task The_tool_receives_the_arguments_that_were_authorized_even_if_the_caller_changes_its_dictionary()
    {
        var arguments = new AIFunctionArguments { ["orderId"] = "A-1", ["amount"] = 50L };
        var governed = _tools.Refund.WithGovernance(_host.Executor, new GovernedToolOptions
        {
            PrincipalSelector = call =>
            {
                call.Arguments["amount"] = 5000L; // after the intent's arguments were taken
                return AgentTools.SupportBot;
            },
        });

        await governed.InvokeAsync(arguments);

        Assert.Equal(["refund:A-1:50"], _tools.Ran);
    }

    [Fact]
    public async Task A_tool_called_from_inside_a_governed_tool_records_it_as_its_parent()
    {
        Guid? innerParent = null;
        Guid outerId = Guid.Empty;
        var inner = AIFunctionFactory.Create(() => innerParent = GovernedContext.Current?.ParentExecutionId, "lookup_order").WithGovernance(_host.Executor, _asSupportBot);
        var outer = AIFunctionFactory.Create(async (string orderId, long amount) =>
        {
            outerId = GovernedContext.Current!.ExecutionId;
            await inner.InvokeAsync();
            return "refunded";
        }, "refund").WithGovernance(_host.Executor, _asSupportBot);

        await outer.InvokeAsync(new() { ["orderId"] = "A-1", ["amount"] = 10L });

        Assert.NotEqual(Guid.Empty, outerId);
        Assert.Equal(outerId, innerParent);
    }

    [Fact]
    public void A_tool_list_keeps_declarations_and_rejects_tools_that_do_not_run_here()
    {
        var declaration = _tools.LookupOrder.AsDeclarationOnly();

        var governed = new AITool[] { _tools.Refund, declaration }.WithGovernance(_host.Executor, _asSupportBot);

        Assert.IsNotType<AIFunction>(governed[1], exactMatch: false);
        Assert.Same(declaration, governed[1]);
        Assert.NotSame(_tools.Refund, governed[0]);
        Assert.Throws<ArgumentException>(() => new AITool[] { new HostedWebSearchTool() }.WithGovernance(_host.Executor, _asSupportBot));
    }

    [Fact]
    public async Task Options_changed_after_wrapping_do_not_change_the_governed_tool()
    {
        var options = new GovernedToolOptions { Principal = AgentTools.SupportBot };
        var governed = _tools.DeleteCustomer.WithGovernance(_host.Executor, options);
        options.Principal = new EntityReference("Admin", "root");

        var refused = RefusalJson.Parse(await governed.InvokeAsync(new() { ["customerId"] = "C-1" }));

        Assert.Equal(nameof(DenialReason.PolicyDenied), refused.GetProperty("reason").GetString());
        Assert.Empty(_tools.Ran);
    }

    [Fact]
    public void Invalid_options_are_rejected_when_the_tool_is_wrapped()
    {
        Assert.Throws<ArgumentException>(() => _tools.Refund.WithGovernance(_host.Executor, new GovernedToolOptions { ActionType = "not a type" }));
        Assert.Throws<ArgumentNullException>(() => _tools.Refund.WithGovernance(null!));
    }

    public void Dispose() => _host.Dispose();
}
