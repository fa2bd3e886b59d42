using System.Text.Json;
using GovernedExecution.Extensions.AI;
using GovernedExecution.Intents;
using Microsoft.Extensions.AI;

namespace GovernedExecution.Integrations.Tests.Extensions.AI;

public sealed class GovernedToolIntentTests
{
    private static readonly AIFunction Tool = AIFunctionFactory.Create((Func<JsonElement?, JsonElement?, JsonElement?, JsonElement?, JsonElement?, JsonElement?, JsonElement?, JsonElement?, JsonElement?, JsonElement?, JsonElement?, JsonElement?, JsonElement?, string>)Transfer, "transfer");
    private static readonly GovernedToolOptions Options = new() { Principal = new EntityReference("Agent", "bot") };

    private static ExecutionIntent IntentOf(string json) =>
        GovernedToolIntent.Create(Tool, new AIFunctionArguments(JsonDocument.Parse(json).RootElement.EnumerateObject().ToDictionary(p => p.Name, p => (object?)p.Value.Clone())), Options);

    [Fact]
    public void The_intent_names_the_principal_the_tool_as_action_and_the_tool_as_default_resource()
    {
        var intent = IntentOf("{}");

        Assert.Equal(new EntityReference("Agent", "bot"), intent.Principal);
        Assert.Equal(new EntityReference("Action", "transfer"), intent.Action);
        Assert.Equal(new EntityReference("Tool", "transfer"), intent.Resource);
        Assert.Null(intent.ParentExecutionId);
    }

    [Fact]
    public void Arguments_become_context_attributes_by_json_type()
    {
        var context = IntentOf("""
            {"to":"acct-9","amount":150,"whole":1.5e2,"zero":150.0,"fraction":1.25,"huge":1e30,"urgent":true,
             "tags":["a","b","a",null],"meta":{"n":1,"skip":null},"nothing":null}
            """).Context;

        Assert.Equal(IntentValue.String("acct-9"), context["to"]);
        Assert.Equal(IntentValue.Long(150), context["amount"]);
        Assert.Equal(IntentValue.Long(150), context["whole"]);
        Assert.Equal(IntentValue.Long(150), context["zero"]);
        Assert.Equal(IntentValue.String("1.25"), context["fraction"]);
        Assert.Equal(IntentValue.String("1e30"), context["huge"]);
        Assert.Equal(IntentValue.Boolean(true), context["urgent"]);
        Assert.Equal(IntentValue.Set("a", "b"), context["tags"]);
        Assert.Equal(IntentValue.Record([KeyValuePair.Create("n", IntentValue.Long(1))]), context["meta"]);
        Assert.False(context.ContainsKey("nothing"));
    }

    [Fact]
    public void Typed_arguments_give_the_same_intent_as_their_json()
    {
        var typed = GovernedToolIntent.Create(Tool, new AIFunctionArguments { ["to"] = "acct-9", ["amount"] = 150, ["tags"] = new[] { "a" } }, Options);
        var json = IntentOf("""{"tags":["a"],"amount":150,"to":"acct-9"}""");

        Assert.Equal(json.Context, typed.Context);
        Assert.True(json.ArgumentsDigest.Span.SequenceEqual(typed.ArgumentsDigest.Span));
    }

    [Theory]
    [InlineData("""{"amount":1.5}""", """{"amount":"1.5"}""")]
    [InlineData("""{"tags":["a","a"]}""", """{"tags":["a"]}""")]
    [InlineData("""{"tags":["a","b"]}""", """{"tags":["b","a"]}""")]
    [InlineData("""{"x":[null]}""", """{"x":[]}""")]
    [InlineData("""{"x":1.50}""", """{"x":1.5}""")]
    public void The_digest_tells_apart_arguments_that_the_context_cannot(string left, string right)
    {
        Assert.Equal(32, IntentOf(left).ArgumentsDigest.Length);
        Assert.False(IntentOf(left).ArgumentsDigest.Span.SequenceEqual(IntentOf(right).ArgumentsDigest.Span));
    }

    [Fact]
    public void The_digest_ignores_the_order_of_members_and_white_space()
    {
        var left = IntentOf("""{"b":{"y":1,"x":[1, 2]},"a":"s"}""");
        var right = IntentOf("""{ "a" : "s", "b" : { "x" : [1,2], "y" : 1 } }""");

        Assert.True(left.ArgumentsDigest.Span.SequenceEqual(right.ArgumentsDigest.Span));
    }

    [Fact]
    public void An_object_with_a_member_twice_is_refused()
    {
        Assert.Throws<ArgumentException>(() => IntentOf("""{"meta":{"n":1,"n":2}}"""));
    }

    [Fact]
    public void Without_a_principal_or_an_ambient_agent_no_intent_is_made()
    {
        Assert.Throws<InvalidOperationException>(() => GovernedToolIntent.Create(Tool, new AIFunctionArguments()));
    }

    [Theory]
    [InlineData("""{"Amount":1}""")]
    [InlineData("""{"unknown":1}""")]
    [InlineData("""{"meta":{"n":1,"n":2}}""")]
    public void Arguments_that_do_not_bind_to_the_tools_parameters_make_no_intent(string json)
    {
        Assert.Throws<ArgumentException>(() => IntentOf(json));
    }

    [Fact]
    public void A_null_argument_and_an_omitted_one_with_a_null_default_are_the_same_call()
    {
        var omitted = IntentOf("""{"to":"acct-9"}""");
        var explicitNull = IntentOf("""{"to":"acct-9","amount":null}""");

        Assert.Equal(omitted.Context, explicitNull.Context);
        Assert.True(omitted.ArgumentsDigest.Span.SequenceEqual(explicitNull.ArgumentsDigest.Span));
    }

    [Fact]
    public void The_intent_holds_the_defaults_of_omitted_parameters()
    {
        var tool = AIFunctionFactory.Create((Func<string, long, string>)RefundUpTo, "refund");

        var omitted = GovernedToolIntent.Create(tool, new AIFunctionArguments { ["orderId"] = "A-1" }, Options);
        var explicitDefault = GovernedToolIntent.Create(tool, new AIFunctionArguments { ["orderId"] = "A-1", ["amount"] = 10_000L }, Options);

        Assert.Equal(IntentValue.Long(10_000), omitted.Context["amount"]);
        Assert.True(omitted.ArgumentsDigest.Span.SequenceEqual(explicitDefault.ArgumentsDigest.Span));
    }

    private static string RefundUpTo(string orderId, long amount = 10_000) => $"{orderId}:{amount}";

    // Every argument the tests use is a parameter that takes any JSON, so that the mapping of JSON to context is what is tested.
    private static string Transfer(
        JsonElement? to = null, JsonElement? amount = null, JsonElement? whole = null, JsonElement? zero = null, JsonElement? fraction = null,
        JsonElement? huge = null, JsonElement? urgent = null, JsonElement? tags = null, JsonElement? meta = null, JsonElement? nothing = null,
        JsonElement? x = null, JsonElement? a = null, JsonElement? b = null) => "ok";
}
