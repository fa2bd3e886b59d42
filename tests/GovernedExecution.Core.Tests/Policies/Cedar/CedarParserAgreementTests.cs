using GovernedExecution.Policies.Cedar;

namespace GovernedExecution.Tests.Policies.Cedar;

/// <summary>
/// Corners of the policy grammar where the parser must accept and refuse exactly what the official Cedar parser
/// (4.13) does; each case was observed on the official engine.
/// </summary>
public sealed class CedarParserAgreementTests
{
    private static readonly CedarRequest Request = CedarRequest.Create("User::\"a\"", "Action::\"view\"", "Photo::\"p\"");

    [Theory]
    [InlineData("principal.if")]
    [InlineData("principal.then == 1")]
    [InlineData("principal.true == 1")]
    [InlineData("principal.is == 1")]
    [InlineData("principal.in == 1")]
    [InlineData("principal.like == 1")]
    [InlineData("principal.__cedar == 1")]
    [InlineData("principal has if")]
    [InlineData("principal has in")]
    [InlineData("principal has true")]
    [InlineData("principal has __cedar")]
    [InlineData("principal has a.if")]
    [InlineData("principal has a.__cedar")]
    [InlineData("{if: 1} == {}")]
    [InlineData("{then: 1} == {}")]
    [InlineData("{false: 1} == {}")]
    [InlineData("{has: 1} == {}")]
    [InlineData("{__cedar: 1} == {}")]
    public void Reserved_words_are_refused_as_attribute_names_and_record_keys(string condition)
    {
        var e = Assert.Throws<CedarParseException>(() => CedarPolicySet.Parse("permit(principal, action, resource) when { " + condition + " };"));
        Assert.Contains("reserved", Assert.Single(e.Diagnostics).Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("permit(principal, action, resource) when { principal[\"if\"] == 1 };")]
    [InlineData("permit(principal, action, resource) when { principal has \"if\" };")]
    [InlineData("permit(principal, action, resource) when { principal has \"__cedar\" };")]
    [InlineData("permit(principal, action, resource) when { {\"if\": 1, \"__cedar\": 2} == {} };")]
    [InlineData("permit(principal, action, resource) when { principal.permit.when.unless.principal.context == 1 };")]
    [InlineData("permit(principal, action, resource) when { principal has permit.forbid };")]
    [InlineData("permit(principal, action, resource) when { {principal: 1, when: 2, __cedarx: 3} == {} };")]
    [InlineData("permit(principal, action, resource) when { principal.__cedarx == 1 };")]
    [InlineData("@if(\"x\") @true @__cedar permit(principal, action, resource);")]
    public void Words_that_are_not_reserved_in_that_place_are_accepted(string text) =>
        Assert.Single(CedarPolicySet.Parse(text).PolicyIds);

    [Theory]
    [InlineData("[1, 2,] == [1, 2]", true)]
    [InlineData("{a: 1,} == {a: 1}", true)]
    [InlineData("{\"a\": 1, b: 2,} == {a: 1, b: 2}", true)]
    [InlineData("ip(\"10.0.0.1\",).isIpv4()", true)]
    [InlineData("[1, 2].contains(1,)", true)]
    [InlineData("ip(\"10.0.0.1\").isInRange(ip(\"10.0.0.0/8\"),)", true)]
    public void Trailing_commas_are_accepted_where_Cedar_accepts_them(string condition, bool expected)
    {
        var set = CedarPolicySet.Parse("permit(principal, action, resource) when { " + condition + " };");
        Assert.Equal(expected ? CedarDecision.Allow : CedarDecision.Deny, set.Evaluate(Request, CedarEntities.Empty).Decision);
    }

    [Fact]
    public void A_trailing_comma_is_accepted_in_the_action_list()
    {
        var set = CedarPolicySet.Parse("permit(principal, action in [Action::\"view\", Action::\"edit\",], resource);");
        Assert.Equal(CedarDecision.Allow, set.Evaluate(Request, CedarEntities.Empty).Decision);
    }

    [Theory]
    [InlineData("permit(principal, action, resource) when { [,] == [] };")]
    [InlineData("permit(principal, action, resource) when { {,} == {} };")]
    [InlineData("permit(principal, action, resource) when { ip(,) == 1 };")]
    [InlineData("permit(principal, action, resource) when { [1,,] == [] };")]
    [InlineData("permit(principal, action, resource) when { [1].isEmpty(,) };")]
    [InlineData("permit(principal, action in [,], resource);")]
    [InlineData("permit(principal, action in [Action::\"a\",,], resource);")]
    public void A_comma_without_an_element_before_it_is_refused(string text) =>
        Assert.Throws<CedarParseException>(() => CedarPolicySet.Parse(text));

    [Theory]
    [InlineData('\u0085')]
    [InlineData('\u00a0')]
    [InlineData('\u1680')]
    [InlineData('\u2003')]
    [InlineData('\u200a')]
    [InlineData('\u2028')]
    [InlineData('\u2029')]
    [InlineData('\u202f')]
    [InlineData('\u205f')]
    [InlineData('\u3000')]
    [InlineData('\u000b')]
    [InlineData('\u000c')]
    public void Unicode_white_space_separates_tokens(char space)
    {
        var set = CedarPolicySet.Parse("permit(principal," + space + "action," + space + "resource)" + space + "when" + space + "{ true };");
        Assert.Equal(CedarDecision.Allow, set.Evaluate(Request, CedarEntities.Empty).Decision);
    }

    [Theory]
    [InlineData('\ufeff')]
    [InlineData('\u200b')]
    [InlineData('\u180e')]
    [InlineData('\u001c')]
    public void Characters_that_are_not_white_space_are_refused(char notSpace) =>
        Assert.Throws<CedarParseException>(() => CedarPolicySet.Parse("permit(principal," + notSpace + "action, resource);"));

    [Fact]
    public void A_carriage_return_ends_a_comment()
    {
        var set = CedarPolicySet.Parse("// a comment\rpermit(principal, action, resource);");
        Assert.Equal(CedarDecision.Allow, set.Evaluate(Request, CedarEntities.Empty).Decision);
    }

    [Theory]
    [InlineData("\"abc\" like \"a\\u{2a}\"", true)]
    [InlineData("\"abc\" like \"a\\u{2A}\"", true)]
    [InlineData("\"abc\" like \"a\\x2a\"", true)]
    [InlineData("\"abc\" like \"\\x2ab\\x2a\"", true)]
    [InlineData("\"abc\" like \"a\\*\"", false)]
    [InlineData("\"a*\" like \"a\\*\"", true)]
    [InlineData("\"a*\" like \"a\\u{2a}\"", true)]
    public void In_like_only_a_backslash_star_is_a_literal_star(string condition, bool expected)
    {
        var set = CedarPolicySet.Parse("permit(principal, action, resource) when { " + condition + " };");
        Assert.Equal(expected ? CedarDecision.Allow : CedarDecision.Deny, set.Evaluate(Request, CedarEntities.Empty).Decision);
    }
}
