using GovernedExecution.Execution;
using GovernedExecution.Intents;
using GovernedExecution.Policies.Cedar;
using GovernedExecution.Testing;
using GovernedExecution.Tests.Execution;

namespace GovernedExecution.Tests.Intents;

/// <summary>
/// <see cref="ExecutionIntent.WithArguments"/>: one argument list gives both what the policies see (the context) and
/// what the artifact binds (the arguments digest), so the two cannot drift apart.
/// </summary>
public sealed class IntentArgumentsTests
{
    private static ExecutionIntent Refund() => new(GovernedTestHost.Agent(), new("Action", "refund"), new("Order", "A-1001"));

    [Fact]
    public void Every_argument_goes_into_the_context_and_the_digest_is_the_one_ArgumentsDigest_computes()
    {
        KeyValuePair<string, IntentValue>[] arguments = [new("orderId", "A-1001"), new("amount", 20L), new("express", true)];

        var intent = Refund().WithArguments(arguments);

        Assert.Equal(ArgumentsDigest.Compute(arguments), intent.ArgumentsDigest.ToArray());
        Assert.Equal(3, intent.Context.Count);
        Assert.All(arguments, a => Assert.Equal(a.Value, intent.Context[a.Key]));
    }

    [Fact]
    public void The_intent_is_the_one_written_by_hand_and_order_does_not_matter()
    {
        var byList = Refund().WithArguments([new("orderId", "A-1001"), new("amount", 20L)]);
        var reordered = Refund().WithArguments([new("amount", 20L), new("orderId", "A-1001")]);
        var byHand = new ExecutionIntent(GovernedTestHost.Agent(), new("Action", "refund"), new("Order", "A-1001"))
        {
            Context = new Dictionary<string, IntentValue> { ["orderId"] = "A-1001", ["amount"] = 20L },
            ArgumentsDigest = ArgumentsDigest.Compute([new("orderId", "A-1001"), new("amount", 20L)]),
        };

        Assert.Equal(IntentEncoding.Digest(byHand), IntentEncoding.Digest(byList));
        Assert.Equal(IntentEncoding.Digest(byHand), IntentEncoding.Digest(reordered));
    }

    [Fact]
    public void Context_attributes_already_set_are_kept_and_principal_action_resource_and_parent_too()
    {
        var parent = Guid.NewGuid();
        var before = new ExecutionIntent(GovernedTestHost.Agent(), new("Action", "refund"), new("Order", "A-1001"))
        {
            Context = new Dictionary<string, IntentValue> { ["channel"] = "chat" },
            ParentExecutionId = parent,
        };

        var intent = before.WithArguments([new("amount", 20L)]);

        Assert.Equal("chat", intent.Context["channel"].AsString());
        Assert.Equal(20L, intent.Context["amount"].AsLong());
        Assert.Equal(ArgumentsDigest.Compute([new("amount", 20L)]), intent.ArgumentsDigest.ToArray());
        Assert.Equal(before.Principal, intent.Principal);
        Assert.Equal(before.Action, intent.Action);
        Assert.Equal(before.Resource, intent.Resource);
        Assert.Equal(parent, intent.ParentExecutionId);
        Assert.True(before.ArgumentsDigest.IsEmpty); // the original is unchanged
        Assert.False(before.Context.ContainsKey("amount"));
    }

    [Fact]
    public void An_argument_named_like_a_context_attribute_is_refused()
    {
        // Otherwise the policies would see the attribute's 10 while the operation receives the argument's 10000.
        var intent = new ExecutionIntent(GovernedTestHost.Agent(), new("Action", "refund"), new("Order", "A-1001"))
        {
            Context = new Dictionary<string, IntentValue> { ["amount"] = 10L },
        };

        var thrown = Assert.Throws<ArgumentException>(() => intent.WithArguments([new("amount", 10_000L)]));

        Assert.Contains("amount", thrown.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_intent_that_already_has_an_arguments_digest_is_refused()
    {
        var intent = Refund().WithArguments([new("amount", 20L)]);

        Assert.Throws<InvalidOperationException>(() => intent.WithArguments([new("amount", 20_000L)]));
    }

    [Fact]
    public void A_name_given_twice_or_a_null_value_is_refused()
    {
        Assert.Throws<ArgumentException>(() => Refund().WithArguments([new("amount", 20L), new("amount", 20_000L)]));
        Assert.Throws<ArgumentNullException>(() => Refund().WithArguments([new KeyValuePair<string, IntentValue>("amount", null!)]));
        Assert.Throws<ArgumentNullException>(() => Refund().WithArguments((IEnumerable<KeyValuePair<string, IntentValue>>)null!));
    }

    [Fact]
    public void No_arguments_give_an_empty_record_digest_not_an_empty_digest()
    {
        var intent = Refund().WithArguments([]);

        Assert.Equal(ArgumentsDigest.Compute([]), intent.ArgumentsDigest.ToArray());
    }

    [Fact]
    public async Task Policies_see_the_arguments_the_operation_receives()
    {
        const string Policies = """permit (principal, action == Action::"refund", resource) when { context.amount <= 100 };""";
        using var host = new GovernedTestHost(policies: new CedarPolicyEvaluator(CedarPolicySet.Parse(Policies, "refunds.cedar")));

        var small = await host.Executor.RunOutcomeAsync(Refund().WithArguments([new("orderId", "A-1001"), new("amount", 20L)]), (_, _) => ValueTask.FromResult(1));
        var large = await host.Executor.RunOutcomeAsync(Refund().WithArguments([new("orderId", "A-1001"), new("amount", 2_000L)]), (_, _) => ValueTask.FromResult(1));

        Assert.True(small.IsSuccess, small.ToString());
        DenialDetails.AssertDenied(large.Denial, DenialReason.NotPermitted);
    }
}
