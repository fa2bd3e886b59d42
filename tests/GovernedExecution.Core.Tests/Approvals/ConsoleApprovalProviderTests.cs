using GovernedExecution.Approvals;
using GovernedExecution.Execution;
using GovernedExecution.Intents;
using GovernedExecution.Policies.Cedar;
using GovernedExecution.Testing;
using GovernedExecution.Tests.Internal;

namespace GovernedExecution.Tests.Approvals;

/// <summary>What the console approver shows a human: everything that decides the answer, and nothing that can disguise it.</summary>
public sealed class ConsoleApprovalProviderTests
{
    private const string Policies = """
        @id("finance-approves-refunds")
        @requires_approval("finance")
        permit (principal, action == Action::"refund", resource);
        """;

    private static ApprovalRequest Request(ExecutionIntent intent, string group = "finance", string policy = "finance-approves-refunds") =>
        new(Guid.NewGuid(), intent, IntentEncoding.Digest(intent), group, policy, DateTimeOffset.UnixEpoch);

    private static async Task<string> AskAsync(ApprovalRequest request, string answer = "n")
    {
        using var output = new StringWriter();
        using var provider = new ConsoleApprovalProvider("operator", new StringReader(answer + "\n"), output);
        await provider.RequestApprovalAsync(request, CancellationToken.None);
        return output.ToString();
    }

    [Fact]
    public async Task The_prompt_shows_the_refund_amount_and_the_arguments_digest_before_asking()
    {
        var output = new StringWriter();
        using var provider = new ConsoleApprovalProvider("operator", new StringReader("y\n"), output);
        using var host = new GovernedTestHost(b => b.UseApprovalProvider(provider), new CedarPolicyEvaluator(CedarPolicySet.Parse(Policies)), TimeProvider.System);
        var arguments = ArgumentsDigest.Compute([new("orderId", "A-1"), new("amount", 5000L)]);
        var intent = new ExecutionIntent(GovernedTestHost.Agent(), new("Action", "refund"), new("Order", "A-1"))
        {
            Context = new Dictionary<string, IntentValue> { ["amount"] = 5000L, ["currency"] = "EUR", ["reason"] = IntentValue.Decimal("12.5") },
            ArgumentsDigest = arguments,
        };
        var runs = 0;

        var outcome = await host.Executor.RunOutcomeAsync(intent, (_, _) => { runs++; return ValueTask.FromResult(0); });

        Assert.True(outcome.IsSuccess, outcome.ToString());
        Assert.Equal(1, runs);
        var printed = output.ToString();
        var question = printed.IndexOf("approve? [y/N]", StringComparison.Ordinal);
        Assert.True(question > 0, printed);
        var shown = printed[..question];
        Assert.Contains("context.amount = 5000", shown, StringComparison.Ordinal);
        Assert.Contains("context.currency = \"EUR\"", shown, StringComparison.Ordinal);
        Assert.Contains("context.reason = decimal(\"12.5\")", shown, StringComparison.Ordinal);
        Assert.Contains("arguments digest " + Convert.ToHexStringLower(arguments), shown, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_prompt_says_when_there_is_no_context_and_no_arguments()
    {
        var printed = await AskAsync(Request(GovernedTestHost.Intent("refund")));

        Assert.Contains("context: (empty)", printed, StringComparison.Ordinal);
        Assert.Contains("arguments digest (none)", printed, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Bidi_overrides_and_control_characters_are_escaped_in_every_field_printed()
    {
        var hostile = TerminalSafety.Hostile;
        var intent = new ExecutionIntent(new("Agent", "bot" + hostile), new("Action", "refund" + hostile), new("Order", hostile))
        {
            Context = new Dictionary<string, IntentValue>
            {
                ["note" + hostile] = "pay " + hostile,
                ["nested"] = IntentValue.Record([new("k" + hostile, IntentValue.Set("a" + hostile, new EntityReference("User", hostile)))]),
            },
        };

        var printed = await AskAsync(Request(intent, group: "finance" + hostile, policy: "policy" + hostile));

        TerminalSafety.AssertSafe(printed);
        Assert.Contains("\\u{202e}", printed, StringComparison.Ordinal);
        Assert.Contains("\\u{1b}[2J", printed, StringComparison.Ordinal);
        Assert.Contains("\\u{d}", printed, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_string_value_cannot_fake_another_context_entry()
    {
        // Without quoting, this value would print as if the context also held amount = 1.
        var intent = new ExecutionIntent(GovernedTestHost.Agent(), new("Action", "refund"), new("Order", "o-1"))
        {
            Context = new Dictionary<string, IntentValue> { ["amount"] = 5000L, ["memo"] = "x\ncontext.amount = 1" },
        };

        var printed = await AskAsync(Request(intent));

        Assert.DoesNotContain("\ncontext.amount = 1", printed.Replace("  ", string.Empty, StringComparison.Ordinal), StringComparison.Ordinal);
        Assert.Contains("context.memo = \"x\\u{a}context.amount = 1\"", printed, StringComparison.Ordinal);
        Assert.Single(printed.Split('\n'), l => l.TrimStart().StartsWith("context.amount", StringComparison.Ordinal));
    }
}
