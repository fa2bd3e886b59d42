using System.Collections.Concurrent;
using GovernedExecution.Policies.Cedar;
using GovernedExecution.Testing;

namespace GovernedExecution.Integrations.Tests.Binding;

public enum TransferMode
{
    Soft,
    Hard,
}

public sealed record RefundRequest(string OrderId, long Amount);

public sealed record SettlementLine(string Sku, int Count);

public sealed record Settlement(string Account, long Amount, SettlementLine[]? Lines = null);

/// <summary>
/// Tools whose arguments an attacker spells so that the policies read one value and the tool binds another, the Cedar
/// policies they try to get past, and a record of every run. The same tools serve the Microsoft.Extensions.AI and the
/// MCP tests.
/// </summary>
internal sealed class ArgumentAttack : IDisposable
{
    public const string Policies = """
        @id("small-refunds")
        permit (principal, action == Action::"refund", resource) when { context.request.amount <= 100 };

        @id("order-refunds")
        permit (principal, action == Action::"refund_order", resource);

        @id("no-big-order-refunds")
        forbid (principal, action == Action::"refund_order", resource) when { context has amount && context.amount > 100 };

        @id("transfers")
        permit (principal, action == Action::"transfer", resource);

        @id("no-hard-transfers")
        forbid (principal, action == Action::"transfer", resource) when { context.mode == "Hard" };

        @id("settlements")
        permit (principal, action == Action::"settle", resource);

        @id("no-hard-settlements")
        forbid (principal, action == Action::"settle", resource) when { context.mode == "Hard" };
        """;

    public ArgumentAttack() =>
        Host = new GovernedTestHost(policies: Evaluator = new RecordingPolicyEvaluator(new CedarPolicyEvaluator(CedarPolicySet.Parse(Policies, "attack.cedar"))));

    public GovernedTestHost Host { get; }

    public RecordingPolicyEvaluator Evaluator { get; }

    public ConcurrentQueue<string> Ran { get; } = new();

    /// <summary>The tools, each as the delegate of a real method (so that defaults are the method's own).</summary>
    public Func<RefundRequest, string> RefundTool => Refund;

    public Func<string, long, string> RefundOrderTool => RefundOrder;

    public Func<string, TransferMode, string> TransferTool => Transfer;

    public Func<Settlement, TransferMode, long, string?, string> SettleTool => Settle;

    /// <summary>What each run of settle received, parameter by parameter.</summary>
    public ConcurrentQueue<IReadOnlyList<(string Name, Type Type, object? Value)>> Settled { get; } = new();

    /// <summary>refund(request): a record whose members bind case-insensitively.</summary>
    public string Refund(RefundRequest request) => Record($"refund:{request.OrderId}:{request.Amount}");

    /// <summary>refund_order(orderId, amount = 10 000): an optional parameter with a large default.</summary>
    public string RefundOrder(string orderId, long amount = 10_000) => Record($"refund_order:{orderId}:{amount}");

    /// <summary>transfer(account, mode): an enum the binder reads in any case, as a number or as a numeric string.</summary>
    public string Transfer(string account, TransferMode mode) => Record($"transfer:{account}:{mode}");

    /// <summary>settle(settlement, mode, fee, memo): nested records, an enum, optional parameters with defaults.</summary>
    public string Settle(Settlement settlement, TransferMode mode = TransferMode.Soft, long fee = 25, string? memo = null)
    {
        Settled.Enqueue([("settlement", typeof(Settlement), settlement), ("mode", typeof(TransferMode), mode), ("fee", typeof(long), fee), ("memo", typeof(string), memo)]);
        return Record($"settle:{settlement.Account}:{settlement.Amount}");
    }

    public void Dispose() => Host.Dispose();

    private string Record(string run)
    {
        Ran.Enqueue(run);
        return "done " + run;
    }
}
