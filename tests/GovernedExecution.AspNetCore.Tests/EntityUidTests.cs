namespace GovernedExecution.AspNetCore.Tests;

public sealed class EntityUidTests
{
    [Theory]
    [InlineData("Action::\"refund\"", "Action", "refund")]
    [InlineData("Bank::Action::\"wire\"", "Bank::Action", "wire")]
    [InlineData("Action::\"a\\\"b\"", "Action", "a\"b")]
    [InlineData("Action::\"\"", "Action", "")]
    [InlineData("Action::\"x::\\\"y\"", "Action", "x::\"y")]
    [InlineData("Action::\"\\u{41}\"", "Action", "A")]
    public void Parses_a_cedar_entity_uid(string text, string type, string id)
    {
        var uid = EntityUid.Parse(text, "action");

        Assert.Equal(type, uid.Type);
        Assert.Equal(id, uid.Id);
    }

    [Theory]
    [InlineData("refund")]
    [InlineData("Action::refund")]
    [InlineData("Action::\"refund")]
    [InlineData("::\"refund\"")]
    [InlineData("Action::\"a\"b\"")]
    [InlineData("Action::\"a\\q\"")]
    [InlineData("1Action::\"refund\"")]
    [InlineData("Action::\"refund\" ")]
    public void Refuses_what_is_not_an_entity_uid(string text)
    {
        Assert.Throws<ArgumentException>(() => EntityUid.Parse(text, "action"));
    }
}
