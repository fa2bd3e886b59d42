using System.Diagnostics;
using GovernedExecution.Policies.Cedar;

namespace GovernedExecution.Tests.Policies.Cedar;

public sealed class CedarParserTests
{
    [Theory]
    [InlineData("permit(principal, action, resource) when { 1 = 2 };", 1, 46, "unknown operator '='")]
    [InlineData("permit(principal, action, resource) when { \"abc };", 1, 44, "unterminated string")]
    [InlineData("permit(principal, action, resource) when { 1 # 2 };", 1, 46, "unexpected character '#'")]
    [InlineData("permit(principal, action, resource)\nwhen { a & b };", 2, 10, "unknown operator '&'")]
    [InlineData("permit(principal, action, resource) when { [1].contains(1, 2) };", 1, 48, "wrong number of arguments for 'contains'")]
    [InlineData("permit(principal, action, resource) when { [1].isEmpty(1) };", 1, 48, "wrong number of arguments for 'isEmpty'")]
    [InlineData("permit(principal, action, resource) when { principal.frobnicate() };", 1, 54, "unknown method 'frobnicate'")]
    [InlineData("permit(principal, action, resource) when { frob(1) };", 1, 44, "unknown function 'frob'")]
    [InlineData("permit(principal, action, resource) when { \"a\\q\" };", 1, 44, "unknown escape")]
    [InlineData("permit(principal, action, resource) when { 9223372036854775808 };", 1, 44, "does not fit")]
    [InlineData("permit(principal, action, resource) when { !!!!!true };", 1, 44, "too many unary operators")]
    [InlineData("permit(principal, action, resource) when { 1 == 2 == 3 };", 1, 51, "expected '}'")]
    [InlineData("permit(principal, action, resource) when { {a: 1, a: 2} };", 1, 51, "duplicate key")]
    [InlineData("allow(principal, action, resource);", 1, 1, "expected 'permit' or 'forbid'")]
    [InlineData("permit(action, principal, resource);", 1, 8, "expected 'principal'")]
    [InlineData("permit(principal, action, resource)", 1, 36, "expected ';'")]
    [InlineData("permit(principal, action, resource) when { };", 1, 44, "expected an expression")]
    [InlineData("permit(principal == ?resource, action, resource);", 1, 21, "expected slot ?principal")]
    [InlineData("permit(principal, action, resource) when { ?principal };", 1, 44, "slots are only allowed")]
    [InlineData("@id(\"a\") @id(\"b\") permit(principal, action, resource);", 1, 11, "duplicate annotation")]
    [InlineData("permit(principal, action, resource) when { if true then 1 };", 1, 59, "expected 'else'")]
    [InlineData("permit(principal, action, resource) when { 1 + if true then 1 else 2 };", 1, 48, "'if' must be parenthesised")]
    [InlineData("permit(principal, action == User::\"a\", resource);", 1, 29, "expected an action entity")]
    [InlineData("permit(principal, action in [Action::\"a\", Ns::Thing::\"b\"], resource);", 1, 43, "expected an action entity")]
    [InlineData("permit(principal, action is User, resource);", 1, 26, "'is' is not allowed in the action scope")]
    public void Reports_source_line_column_and_what_was_expected(string text, int line, int column, string fragment)
    {
        var e = Assert.Throws<CedarParseException>(() => CedarPolicySet.Parse(text, "bad.cedar"));
        var d = Assert.Single(e.Diagnostics);
        Assert.Equal("bad.cedar", d.Source);
        Assert.Contains(fragment, d.Message, StringComparison.Ordinal);
        Assert.Equal((line, column), (d.Line, d.Column));
        Assert.StartsWith($"bad.cedar:{line}:{column}: ", e.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void A_bad_policy_after_good_ones_yields_no_policy_set()
    {
        const string text = """
            permit(principal, action, resource);
            forbid(principal, action, resource) when { 1 + };
            """;
        var e = Assert.Throws<CedarParseException>(() => CedarPolicySet.Parse(text, "two.cedar"));
        Assert.Equal(2, e.Diagnostics[0].Line);
    }

    [Fact]
    public void Every_bad_policy_is_reported()
    {
        const string text = """
            permit(principal, action, resource) when { 1 + };
            permit(principal, action, resource);
            forbid(principal, action, resource) when { principal. };
            """;
        var e = Assert.Throws<CedarParseException>(() => CedarPolicySet.Parse(text, "many.cedar"));
        Assert.Equal([1, 3], e.Diagnostics.Select(d => d.Line));
        Assert.Equal(2, e.ToString().Split('\n').Length);
    }

    [Theory]
    [InlineData(10_000)]
    [InlineData(201)]
    public void Deep_nesting_is_rejected_with_a_clear_error(int depth)
    {
        var text = "permit(principal, action, resource) when { " + new string('(', depth) + "true" + new string(')', depth) + " };";
        var e = Assert.Throws<CedarParseException>(() => CedarPolicySet.Parse(text));
        Assert.Contains("nested too deeply", e.Diagnostics[0].Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Moderate_nesting_is_accepted()
    {
        var text = "permit(principal, action, resource) when { " + new string('(', 50) + "true" + new string(')', 50) + " };";
        Assert.Single(CedarPolicySet.Parse(text).PolicyIds);
    }

    [Theory]
    [InlineData("[", "]")]
    [InlineData("{a: ", "}")]
    [InlineData("!(", ")")]
    [InlineData("if true then 1 else (", ")")]
    public void Deep_nesting_of_every_construct_is_bounded(string open, string close)
    {
        var sb = new System.Text.StringBuilder("permit(principal, action, resource) when { ");
        for (int i = 0; i < 5000; i++)
        {
            sb.Append(open);
        }

        sb.Append("true");
        for (int i = 0; i < 5000; i++)
        {
            sb.Append(close);
        }

        sb.Append(" };");
        var e = Assert.Throws<CedarParseException>(() => CedarPolicySet.Parse(sb.ToString()));
        Assert.Contains("nested too deeply", e.Diagnostics[0].Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(" && ", "true")]
    [InlineData(" + ", "1")]
    [InlineData(".", "principal")]
    public void Long_operator_chains_are_bounded(string separator, string operand)
    {
        var text = "permit(principal, action, resource) when { " + string.Join(separator, Enumerable.Repeat(operand, 100_000)) + " };";
        var e = Assert.Throws<CedarParseException>(() => CedarPolicySet.Parse(text));
        Assert.Contains("nested too deeply", e.Diagnostics[0].Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Chains_nested_in_parentheses_are_bounded_by_total_height()
    {
        // Each level is a modest chain, but together they would make a very tall tree.
        var sb = new System.Text.StringBuilder("permit(principal, action, resource) when { ");
        sb.Append(new string('(', 150)).Append("true");
        for (int i = 0; i < 150; i++)
        {
            sb.Append(string.Concat(Enumerable.Repeat(" || false", 20))).Append(')');
        }

        sb.Append(" };");
        var e = Assert.Throws<CedarParseException>(() => CedarPolicySet.Parse(sb.ToString()));
        Assert.Contains("nested too deeply", e.Diagnostics[0].Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_policy_with_hundreds_of_alternatives_is_accepted()
    {
        var text = "permit(principal, action, resource) when { " + string.Join(" || ", Enumerable.Range(0, 500).Select(i => $"principal == User::\"u{i}\"")) + " };";
        var set = CedarPolicySet.Parse(text);
        Assert.True(set.Evaluate(CedarRequest.Create("User::\"u499\"", "A::\"a\"", "R::\"r\""), CedarEntities.Empty).IsAllowed);
    }

    [Fact]
    public void Has_chains_are_bounded()
    {
        var text = "permit(principal, action, resource) when { principal has " + string.Join(".", Enumerable.Repeat("a", 50_000)) + " };";
        var e = Assert.Throws<CedarParseException>(() => CedarPolicySet.Parse(text));
        Assert.Contains("nested too deeply", e.Diagnostics[0].Message, StringComparison.Ordinal);
    }

    [Fact]
    public void One_megabyte_of_random_bytes_fails_cleanly_and_quickly()
    {
        var random = new Random(12345);
        var bytes = new byte[1 << 20];
        random.NextBytes(bytes);
        var text = System.Text.Encoding.Latin1.GetString(bytes);
        var watch = Stopwatch.StartNew();
        var e = Assert.Throws<CedarParseException>(() => CedarPolicySet.Parse(text, "random.bin"));
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(5));
        Assert.Equal("random.bin", e.Diagnostics[0].Source);
        Assert.True(e.Diagnostics[0].Line >= 1);
    }

    [Fact]
    public void Random_token_soup_never_crashes()
    {
        var pieces = new[] { "permit", "forbid", "(", ")", "principal", "action", "resource", ",", ";", "when", "{", "}", "[", "]", "==", "in", "is", "has", "like", "\"s\"", "1", "-", "!", "&&", "||", ".", "::", "User", "?principal", "@a", "if", "then", "else", "+", "*", ":", "decimal", "contains" };
        var random = new Random(7);
        for (int n = 0; n < 2000; n++)
        {
            var sb = new System.Text.StringBuilder();
            int len = random.Next(1, 40);
            for (int i = 0; i < len; i++)
            {
                sb.Append(pieces[random.Next(pieces.Length)]).Append(' ');
            }

            try
            {
                CedarPolicySet.Parse(sb.ToString());
            }
            catch (CedarParseException e)
            {
                Assert.NotEmpty(e.Diagnostics);
            }
        }
    }

    [Fact]
    public void Parses_the_whole_grammar()
    {
        const string text = """
            // a comment
            @id("first") @advice
            permit (
              principal is Ns::User in Ns::Group::"g",
              action in [Action::"a", Ns::Action::"b"],
              resource == Photo::"p\u{e9}"
            )
            when { context has "x y" && context["x y"] like "a*\*b" && !-1 < 0 }
            unless { principal.tags.containsAny(["a"]) || (if true then {a: [1], "b": -2} else {}) == {} };
            forbid(principal == ?principal, action, resource in ?resource) when { resource is Doc in Folder::"f" };
            """;
        var set = CedarPolicySet.Parse(text);
        Assert.Equal(["policy0"], set.PolicyIds);
        Assert.Equal(["policy1"], set.TemplateIds);
        var p = set.Policies[0];
        Assert.Equal([new("id", "first"), new("advice", "")], p.Annotations);
        Assert.Equal(ScopeKind.IsIn, p.Principal.Kind);
        Assert.Equal("Ns::User", p.Principal.EntityType);
        Assert.Equal(new EntityUid("Ns::Group", "g"), p.Principal.Entity);
        Assert.Equal(2, p.Action.Entities!.Count);
        Assert.Equal(new EntityUid("Photo", "p\u00e9"), p.Resource.Entity);
        Assert.Equal(2, p.Conditions.Count);
        Assert.False(p.Conditions[1].IsWhen);
    }

    [Fact]
    public void Templates_link_and_evaluate()
    {
        var set = CedarPolicySet.Parse("permit(principal == ?principal, action, resource in ?resource);");
        var linked = set.Link("policy0", "alice-docs", new Dictionary<string, string> { ["?principal"] = "User::\"alice\"", ["?resource"] = "Folder::\"docs\"" });
        Assert.Equal(["alice-docs"], linked.PolicyIds);
        var entities = CedarEntities.ParseJson("""[{"uid": {"type": "Doc", "id": "d"}, "attrs": {}, "parents": [{"type": "Folder", "id": "docs"}]}]""");
        Assert.True(linked.Evaluate(CedarRequest.Create("User::\"alice\"", "Action::\"read\"", "Doc::\"d\""), entities).IsAllowed);
        Assert.False(linked.Evaluate(CedarRequest.Create("User::\"bob\"", "Action::\"read\"", "Doc::\"d\""), entities).IsAllowed);
        Assert.Throws<ArgumentException>(() => set.Link("policy0", "x", new Dictionary<string, string> { ["?principal"] = "User::\"alice\"" }));
        Assert.Throws<ArgumentException>(() => set.Link("nope", "x", new Dictionary<string, string>()));
    }

    [Fact]
    public void Unlinked_templates_take_no_part_in_evaluation()
    {
        var set = CedarPolicySet.Parse("permit(principal == ?principal, action, resource);");
        Assert.Empty(set.PolicyIds);
        Assert.False(set.Evaluate(CedarRequest.Create("User::\"alice\"", "Action::\"a\"", "R::\"r\""), CedarEntities.Empty).IsAllowed);
    }
}
