using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.Extensions.AI;

namespace GovernedExecution.Integrations.Tests.Binding;

/// <summary>
/// What the binding of a tool made from a .NET method relies on in System.Text.Json, checked rather than assumed: a
/// tool's own options (Microsoft.Extensions.AI's defaults: case-insensitive names, numbers from strings, string enums)
/// made strict with <see cref="JsonSerializerOptions.AllowDuplicateProperties"/> = false and
/// <see cref="JsonUnmappedMemberHandling.Disallow"/>.
/// </summary>
public sealed class StrictSerializerOptionsTests
{
    private static readonly JsonSerializerOptions Strict = new(AIJsonUtilities.DefaultOptions)
    {
        AllowDuplicateProperties = false,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
    };

    [Theory]
    [InlineData("""{"orderId":"A-1","amount":5,"Amount":5000}""")]
    [InlineData("""{"orderId":"A-1","AMOUNT":5000,"amount":5}""")]
    [InlineData("""{"orderId":"A-1","amount":5,"amount":5000}""")]
    [InlineData("""{"orderId":"A-1","amount":5,"extra":1}""")]
    public void Members_that_are_one_under_case_insensitive_names_or_unknown_do_not_bind(string json) =>
        Assert.Throws<JsonException>(() => JsonSerializer.Deserialize(json, Strict.GetTypeInfo(typeof(RefundRequest))));

    [Fact]
    public void The_tools_own_options_read_the_same_json_as_the_last_spelling()
    {
        var lenient = (RefundRequest)JsonSerializer.Deserialize("""{"orderId":"A-1","amount":5,"Amount":5000}""", AIJsonUtilities.DefaultOptions.GetTypeInfo(typeof(RefundRequest)))!;

        Assert.Equal(5000, lenient.Amount);
    }

    [Fact]
    public void One_member_in_another_case_binds_and_writes_back_in_the_canonical_case()
    {
        var bound = JsonSerializer.Deserialize("""{"ORDERID":"A-1","Amount":"50"}""", Strict.GetTypeInfo(typeof(RefundRequest)));

        var written = JsonSerializer.SerializeToElement(bound, Strict.GetTypeInfo(typeof(RefundRequest)));
        Assert.True(JsonElement.DeepEquals(JsonDocument.Parse("""{"orderId":"A-1","amount":50}""").RootElement, written), written.GetRawText());
    }

    [Fact]
    public void Keys_of_a_dictionary_or_members_of_json_are_told_apart_ordinally()
    {
        var dictionary = (Dictionary<string, long>)JsonSerializer.Deserialize("""{"a":1,"A":2}""", Strict.GetTypeInfo(typeof(Dictionary<string, long>)))!;

        Assert.Equal(2, dictionary.Count);
        Assert.Throws<JsonException>(() => JsonSerializer.Deserialize("""{"a":1,"a":2}""", Strict.GetTypeInfo(typeof(Dictionary<string, long>))));
        Assert.Throws<JsonException>(() => JsonSerializer.Deserialize("""{"a":1,"a":2}""", Strict.GetTypeInfo(typeof(JsonElement))));
    }

    [Theory]
    [InlineData("\"hard\"")]
    [InlineData("\"HARD\"")]
    [InlineData("1")]
    [InlineData("\"1\"")]
    [InlineData("\"Soft, Hard\"")]
    public void Every_spelling_of_an_enum_value_writes_back_as_its_name(string json)
    {
        var bound = JsonSerializer.Deserialize(json, Strict.GetTypeInfo(typeof(TransferMode)));

        Assert.Equal("\"Hard\"", JsonSerializer.Serialize(bound, Strict.GetTypeInfo(typeof(TransferMode))));
    }
}
