using FsCheck.Xunit;
using GovernedExecution.Intents;
using GovernedExecution.Testing;

namespace GovernedExecution.Tests.Intents;

public sealed class IntentEncodingTests
{
    [Fact]
    public void Digest_is_independent_of_context_insertion_order_and_set_order()
    {
        var a = new ExecutionIntent(GovernedTestHost.Agent(), new("Action", "refund"), new("Order", "o-1"))
        {
            Context = new Dictionary<string, IntentValue> { ["amount"] = 10L, ["tags"] = IntentValue.Set("x", "y", 3L), ["ok"] = true },
        };
        var b = new ExecutionIntent(GovernedTestHost.Agent(), new("Action", "refund"), new("Order", "o-1"))
        {
            Context = new Dictionary<string, IntentValue> { ["ok"] = true, ["tags"] = IntentValue.Set(3L, "y", "x"), ["amount"] = 10L },
        };

        Assert.Equal(IntentEncoding.Digest(a), IntentEncoding.Digest(b));
    }

    [Fact]
    public void Every_field_changes_the_digest()
    {
        var baseline = GovernedTestHost.Intent("refund");
        var variants = new[]
        {
            GovernedTestHost.Intent("refund", principal: "other"),
            GovernedTestHost.Intent("refunds"),
            GovernedTestHost.Intent("refund", "ticket-2"),
            new ExecutionIntent(baseline.Principal, baseline.Action, baseline.Resource) { Context = new Dictionary<string, IntentValue> { ["a"] = 1L } },
            new ExecutionIntent(baseline.Principal, baseline.Action, baseline.Resource) { ArgumentsDigest = new byte[32] },
            new ExecutionIntent(baseline.Principal, baseline.Action, baseline.Resource) { ParentExecutionId = Guid.NewGuid() },
        };
        var digest = Convert.ToHexString(IntentEncoding.Digest(baseline));

        Assert.All(variants, v => Assert.NotEqual(digest, Convert.ToHexString(IntentEncoding.Digest(v))));
    }

    [Fact]
    public void Kinds_never_collide()
    {
        var values = new IntentValue[] { "1", 1L, true, IntentValue.Decimal("1.0"), new EntityReference("A", "1"), IntentValue.Set("1"), IntentValue.Record([new("1", 1L)]) };
        var digests = values.Select(v => Convert.ToHexString(ArgumentsDigest.Compute([new("v", v)]))).ToHashSet();

        Assert.Equal(values.Length, digests.Count);
    }

    [Property(MaxTest = 200)]
    public bool Arguments_digest_is_order_independent(string[] keys, long[] values)
    {
        var pairs = (keys ?? []).Where(k => k is not null).Distinct().Zip(values ?? [], (k, v) => new KeyValuePair<string, IntentValue>(k, v)).ToArray();
        var reversed = pairs.Reverse().ToArray();
        return ArgumentsDigest.Compute(pairs).AsSpan().SequenceEqual(ArgumentsDigest.Compute(reversed));
    }

    [Theory]
    [InlineData("1.5", 15000)]
    [InlineData("-0.0001", -1)]
    [InlineData("922337203685477.5807", long.MaxValue)]
    [InlineData("-922337203685477.5808", long.MinValue)]
    public void Decimals_parse_exactly(string text, long scaled) => Assert.Equal(scaled, IntentValue.Decimal(text).AsScaledDecimal());

    [Theory]
    [InlineData("1")]
    [InlineData("1.")]
    [InlineData(".5")]
    [InlineData("1.12345")]
    [InlineData("922337203685477.5808")]
    [InlineData("1e3")]
    public void Bad_decimals_are_rejected(string text) => Assert.Throws<FormatException>(() => IntentValue.Decimal(text));

    [Fact]
    public void Entity_types_are_validated()
    {
        Assert.Throws<ArgumentException>(() => new EntityReference("", "x"));
        Assert.Throws<ArgumentException>(() => new EntityReference("A::", "x"));
        Assert.Throws<ArgumentException>(() => new EntityReference("1A", "x"));
        Assert.Equal("Bank::Account::\"a\\\"b\"", new EntityReference("Bank::Account", "a\"b").ToString());
    }
}
