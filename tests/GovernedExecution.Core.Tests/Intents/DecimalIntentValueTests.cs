using GovernedExecution.Execution;
using GovernedExecution.Intents;
using GovernedExecution.Policies.Cedar;
using GovernedExecution.Testing;
using GovernedExecution.Tests.Execution;

namespace GovernedExecution.Tests.Intents;

/// <summary>
/// <see cref="IntentValue.Decimal(decimal)"/>: a C# <see langword="decimal"/> becomes a Cedar <c>decimal</c> exactly, or
/// is refused; it is never rounded into a value a policy would judge differently.
/// </summary>
public sealed class DecimalIntentValueTests
{
    private const string Policies = """
        permit (principal, action == Action::"refund", resource) when { context.amount.lessThanOrEqual(decimal("100.0000")) };
        permit (principal, action == Action::"credit", resource) when { context.amount.lessThan(decimal("0.0")) };
        """;

    public static TheoryData<string> Inexact() =>
    [
        "100.00005",                       // a fifth fraction digit: rounding would make it 100.0000 and permit it
        "99.99999",
        "-0.00001",
        "1.0000000000000000000000000001",  // 28 fraction digits: value x 10,000 would be rounded by decimal arithmetic
        "922337203685477.5808",            // one past Cedar's maximum
        "-922337203685477.5809",           // one past Cedar's minimum
        "79228162514264337593543950335",   // decimal.MaxValue
        "-79228162514264337593543950335",  // decimal.MinValue
    ];

    [Theory]
    [MemberData(nameof(Inexact))]
    public void A_decimal_that_Cedar_cannot_hold_exactly_is_refused_not_rounded(string text)
    {
        var value = decimal.Parse(text, System.Globalization.CultureInfo.InvariantCulture);

        var thrown = Assert.Throws<ArgumentOutOfRangeException>(() => IntentValue.Decimal(value));

        Assert.Equal("value", thrown.ParamName);
    }

    [Theory]
    [InlineData("100.5", "100.5", 1_005_000L)]
    [InlineData("100.50000000", "100.5", 1_005_000L)] // trailing zeros are the same number
    [InlineData("0.0001", "0.0001", 1L)]
    [InlineData("-0.75", "-0.75", -7_500L)]
    [InlineData("922337203685477.5807", "922337203685477.5807", long.MaxValue)]
    [InlineData("-922337203685477.5808", "-922337203685477.5808", long.MinValue)]
    public void A_decimal_within_four_fraction_digits_and_the_range_is_exact(string text, string cedar, long scaled)
    {
        var value = decimal.Parse(text, System.Globalization.CultureInfo.InvariantCulture);

        var intentValue = IntentValue.Decimal(value);

        Assert.Equal(IntentValueKind.Decimal, intentValue.Kind);
        Assert.Equal(scaled, intentValue.AsScaledDecimal());
        Assert.Equal(IntentValue.Decimal(cedar), intentValue);
        Assert.Equal(value, intentValue.AsDecimal());
    }

    [Fact]
    public void The_digest_is_the_same_whether_the_decimal_came_from_CSharp_or_from_text_and_whatever_its_scale()
    {
        static ExecutionIntent With(IntentValue amount) => new ExecutionIntent(GovernedTestHost.Agent(), new("Action", "refund"), new("Order", "A-1"))
            .WithArguments([new("amount", amount)]);

        var fromText = IntentEncoding.Digest(With(IntentValue.Decimal("12.5")));

        Assert.Equal(fromText, IntentEncoding.Digest(With(IntentValue.Decimal(12.5m))));
        Assert.Equal(fromText, IntentEncoding.Digest(With(IntentValue.Decimal(12.5000m))));
        Assert.NotEqual(fromText, IntentEncoding.Digest(With(IntentValue.Decimal(12.5001m))));
        Assert.NotEqual(fromText, IntentEncoding.Digest(With(IntentValue.Long(12))));
    }

    [Fact]
    public void The_canonical_encoding_is_tag_4_over_exponent_minus_4_and_the_scaled_mantissa()
    {
        var writer = new System.Formats.Cbor.CborWriter(System.Formats.Cbor.CborConformanceMode.Canonical);

        IntentEncoding.WriteValue(writer, IntentValue.Decimal(12.5m));

        Assert.Equal("C482231A0001E848", Convert.ToHexString(writer.Encode()));
    }

    [Fact]
    public void AsDecimal_throws_for_another_kind()
    {
        Assert.Throws<InvalidOperationException>(() => IntentValue.Long(1).AsDecimal());
    }

    [Theory]
    [InlineData("100.00", true)]
    [InlineData("100", true)]
    [InlineData("99.9999", true)]
    [InlineData("-5", true)]
    [InlineData("100.0001", false)]
    [InlineData("100000", false)]
    public async Task A_policy_compares_the_amount_with_Cedar_decimal_methods(string amount, bool permitted)
    {
        using var host = new GovernedTestHost(policies: new CedarPolicyEvaluator(CedarPolicySet.Parse(Policies, "refunds.cedar")));
        var value = decimal.Parse(amount, System.Globalization.CultureInfo.InvariantCulture);
        var intent = new ExecutionIntent(GovernedTestHost.Agent(), new("Action", "refund"), new("Order", "A-1"))
            .WithArguments([new("amount", IntentValue.Decimal(value))]);
        var ran = false;

        var outcome = await host.Executor.RunOutcomeAsync(intent, (_, _) => { ran = true; return ValueTask.FromResult(1); });

        Assert.Equal(permitted, outcome.IsSuccess);
        Assert.Equal(permitted, ran);
        if (!permitted)
        {
            DenialDetails.AssertDenied(outcome.Denial, DenialReason.NotPermitted);
        }
    }

    [Fact]
    public async Task A_long_comparison_left_on_a_decimal_amount_errors_and_denies()
    {
        // A policy written for long amounts, fed a decimal: Cedar's <= takes longs only, so the permit errors.
        const string LongPolicy = """permit (principal, action == Action::"refund", resource) when { context.amount <= 100 };""";
        using var host = new GovernedTestHost(policies: new CedarPolicyEvaluator(CedarPolicySet.Parse(LongPolicy, "long.cedar")));
        var intent = new ExecutionIntent(GovernedTestHost.Agent(), new("Action", "refund"), new("Order", "A-1"))
            .WithArguments([new("amount", IntentValue.Decimal(20m))]);
        var ran = false;

        var outcome = await host.Executor.RunOutcomeAsync(intent, (_, _) => { ran = true; return ValueTask.FromResult(1); });

        Assert.False(ran);
        DenialDetails.AssertDenied(outcome.Denial, DenialReason.PolicyError);
    }

    [Fact]
    public async Task The_extremes_of_the_range_reach_the_policy_intact()
    {
        using var host = new GovernedTestHost(policies: new CedarPolicyEvaluator(CedarPolicySet.Parse(Policies, "credits.cedar")));
        var lowest = new ExecutionIntent(GovernedTestHost.Agent(), new("Action", "credit"), new("Order", "A-1"))
            .WithArguments([new("amount", IntentValue.Decimal(-922337203685477.5808m))]);
        var highest = new ExecutionIntent(GovernedTestHost.Agent(), new("Action", "refund"), new("Order", "A-1"))
            .WithArguments([new("amount", IntentValue.Decimal(922337203685477.5807m))]);

        var low = await host.Executor.RunOutcomeAsync(lowest, (_, _) => ValueTask.FromResult(1));
        var high = await host.Executor.RunOutcomeAsync(highest, (_, _) => ValueTask.FromResult(1));

        Assert.True(low.IsSuccess, low.ToString());
        DenialDetails.AssertDenied(high.Denial, DenialReason.NotPermitted);
        Assert.Empty(high.Denial!.Decision!.Errors); // denied by comparison, not by an evaluation error
    }
}

/// <summary>Invariants of decimal intent values over generated values.</summary>
public sealed class DecimalIntentValueProperties
{
    [FsCheck.Xunit.Property(MaxTest = 500)]
    public bool Every_Cedar_decimal_survives_the_CSharp_round_trip_and_reaches_Cedar_unchanged(long scaled)
    {
        var exact = new decimal(scaled) / 10_000m;
        var value = IntentValue.Decimal(exact);
        var cedar = Assert.IsType<DecimalValue>(CedarPolicyEvaluator.ToValue(value));
        return value.AsScaledDecimal() == scaled && value.AsDecimal() == exact && cedar.Scaled == scaled
            && value.Equals(IntentValue.Decimal(IntentValue.FormatDecimal(scaled)));
    }

    [FsCheck.Xunit.Property(MaxTest = 500)]
    public bool A_fifth_fraction_digit_is_always_refused(long scaled, byte fifth)
    {
        var digit = (fifth % 9) + 1;
        var inexact = (new decimal(scaled) / 10_000m) + ((scaled < 0 ? -digit : digit) / 100_000m);
        try
        {
            IntentValue.Decimal(inexact);
            return false;
        }
        catch (ArgumentOutOfRangeException)
        {
            return true;
        }
    }
}
