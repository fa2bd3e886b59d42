using System.Collections.Concurrent;
using GovernedExecution.Intents;
using GovernedExecution.Policies.Rules;
using Microsoft.Extensions.AI;

namespace GovernedExecution.Integrations.Tests.Extensions.AI;

/// <summary>A support agent's tools, which record every run, and the policies that govern them.</summary>
internal sealed class AgentTools
{
    public static readonly EntityReference SupportBot = new("Agent", "support-bot");

    public AgentTools()
    {
        LookupOrder = AIFunctionFactory.Create((string orderId) => Record($"lookup_order:{orderId}", $"order {orderId}: 2 items"), "lookup_order", "Looks up an order.");
        Refund = AIFunctionFactory.Create((string orderId, long amount) => Record($"refund:{orderId}:{amount}", $"refunded {amount}"), "refund", "Refunds an order.");
        DeleteCustomer = AIFunctionFactory.Create((string customerId) => Record($"delete_customer:{customerId}", "deleted"), "delete_customer", "Deletes a customer.");
    }

    public ConcurrentQueue<string> Ran { get; } = new();

    public AIFunction LookupOrder { get; }

    public AIFunction Refund { get; }

    public AIFunction DeleteCustomer { get; }

    public IReadOnlyList<AITool> All => [LookupOrder, Refund, DeleteCustomer];

    /// <summary>Agents may look orders up and refund up to 100; they never delete customers.</summary>
    public static RulePolicyEvaluator Policies() => new(
    [
        PolicyRule.Permit("agents-look-up-orders", i => i.Action.Id == "lookup_order"),
        PolicyRule.Permit("agents-refund", i => i.Action.Id == "refund"),
        PolicyRule.Forbid("no-big-refunds", i => i.Action.Id == "refund" && (!i.Context.TryGetValue("amount", out var amount) || amount.Kind != IntentValueKind.Long || amount.AsLong() > 100)),
        PolicyRule.Permit("admins-delete", i => i.Action.Id == "delete_customer"),
        PolicyRule.Forbid("agents-never-delete", i => i.Action.Id == "delete_customer" && i.Principal.Type == "Agent"),
    ]);

    private string Record(string run, string result)
    {
        Ran.Enqueue(run);
        return result;
    }
}
