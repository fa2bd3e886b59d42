using GovernedExecution.Policies.Cedar;

namespace GovernedExecution.Tests.Policies.Cedar;

/// <summary>The formatter's output on inputs whose official <c>cedar format</c> output (4.13) was observed.</summary>
public sealed class CedarFormatterTests
{
    [Theory]
    [InlineData(
        "permit(principal,action,resource)when{context.a   has   b&&context[\"c d\"]like\"x*\"&&principal is   A::B in Group::\"g\"&&principal in [Group::\"a\",Group::\"b\",]};",
        "permit (principal, action, resource)\nwhen\n{\n  context.a has b &&\n  context[\"c d\"] like \"x*\" &&\n  principal is A::B in Group::\"g\" &&\n  principal in [Group::\"a\", Group::\"b\"]\n};\n")]
    [InlineData(
        "permit(principal, action, resource) when { true };",
        "permit (principal, action, resource)\nwhen { true };\n")]
    [InlineData(
        "permit(principal, action, resource) when { {a: 1, \"b c\": [2]} == {} && [] == [1] && ip(\"1.2.3.4\").isIpv4() };",
        "permit (principal, action, resource)\nwhen { { a: 1, \"b c\": [2] } == {} && [] == [1] && ip(\"1.2.3.4\").isIpv4() };\n")]
    [InlineData(
        "permit(principal, action, resource) when { principal.x.y.contains(1) && (1 + 2) == 3 && -1 == - 1 && context[\"a\"] };",
        "permit (principal, action, resource)\nwhen { principal.x.y.contains(1) && (1 + 2) == 3 && -1 == -1 && context[\"a\"] };\n")]
    [InlineData(
        "permit(principal, action == Action::\"aVeryLongActionNameThatGoesOnAndOn\", resource in Folder::\"anotherVeryLongFolderName\") when { context.someLongAttribute == \"some long string value that is long\" && context.another > 5 };",
        "permit (\n  principal,\n  action == Action::\"aVeryLongActionNameThatGoesOnAndOn\",\n  resource in Folder::\"anotherVeryLongFolderName\"\n)\nwhen\n{\n  context.someLongAttribute == \"some long string value that is long\" &&\n  context.another > 5\n};\n")]
    [InlineData(
        "permit(principal, action, resource) when { true }\nwhen { false };",
        "permit (principal, action, resource)\nwhen { true }\nwhen { false };\n")]
    [InlineData(
        "// leading comment\n@id(\"a\") @b\npermit(principal == User::\"alice\", action in [Action::\"read\", Action::\"write\"], resource is Photo in Album::\"x\") // trailing\nwhen { principal.age > 18 && context.ip.isInRange(ip(\"10.0.0.0/8\")) || (resource.owner == principal) } unless { principal has banned.really };\nforbid(principal, action, resource);",
        "// leading comment\n@id(\"a\")\n@b\npermit (\n  principal == User::\"alice\",\n  action in [Action::\"read\", Action::\"write\"],\n  resource is Photo in Album::\"x\"\n) // trailing\nwhen\n{\n  principal.age > 18 &&\n  context.ip.isInRange(ip(\"10.0.0.0/8\")) ||\n  (resource.owner == principal)\n}\nunless { principal has banned.really };\n\nforbid (principal, action, resource);\n")]
    public void Lays_out_policies_as_cedar_format_does(string input, string expected) =>
        Assert.Equal(expected, CedarPolicySet.Format(input));

    [Fact]
    public void Formatting_is_idempotent_and_keeps_the_policies()
    {
        const string text = "// c0\n@id(\"x\")\npermit(principal in Group::\"g\", action, resource) // c1\nwhen { context.a && context.b || !context.c } // c3\n;";
        var once = CedarPolicySet.Format(text);
        Assert.Equal(once, CedarPolicySet.Format(once));
        Assert.Equal(CedarPolicySet.Parse(text).Digest, CedarPolicySet.Parse(once).Digest);
        Assert.Contains("// c0", once, StringComparison.Ordinal);
        Assert.Contains("// c1", once, StringComparison.Ordinal);
        Assert.Contains("// c3", once, StringComparison.Ordinal);
    }

    [Fact]
    public void Invalid_text_is_refused_and_not_formatted()
    {
        var e = Assert.Throws<CedarParseException>(() => CedarPolicySet.Format("permit(principal, action, resource) when { 1 + };", "bad.cedar"));
        Assert.Equal("bad.cedar", Assert.Single(e.Diagnostics).Source);
    }
}
