using System.Text.Json;
using System.Text.Json.Serialization;
using GovernedExecution.Execution;
using GovernedExecution.Extensions.AI;
using GovernedExecution.Intents;
using GovernedExecution.Lineage;
using GovernedExecution.Policies.Rules;
using GovernedExecution.Testing;
using Microsoft.Extensions.AI;

namespace GovernedExecution.Integrations.Tests.Extensions.AI;

/// <summary>
/// Tools whose description and serializer are not the plain ones of a .NET method: a method tool whose published schema
/// names more than its parameters, and a tool with serializer options of its own given .NET values rather than JSON.
/// The policies must see what the tool receives, written as the tool itself writes it.
/// </summary>
public sealed class GovernedToolSchemaAndOptionsTests : IDisposable
{
    private const string RefundWithReason = """
        {"type":"object","properties":{"orderId":{"type":"string"},"reason":{"type":"string"}},"required":["orderId","reason"]}
        """;

    private const string PricedItem = """
        {"type":"object","properties":{"price":{"type":"string"}},"required":["price"]}
        """;

    private static readonly JsonSerializerOptions MoneyAsText = new(AIJsonUtilities.DefaultOptions) { Converters = { new MoneyConverter() } };

    private readonly RecordingPolicyEvaluator _policies = new(new RulePolicyEvaluator([PolicyRule.Permit("all", _ => true)]));
    private readonly GovernedTestHost _host;
    private readonly List<string> _ran = [];

    public GovernedToolSchemaAndOptionsTests() => _host = new GovernedTestHost(policies: _policies);

    [Fact]
    public async Task A_method_tool_whose_schema_names_a_property_the_method_lacks_is_bound_by_its_schema()
    {
        var method = AIFunctionFactory.Create((string orderId) => { _ran.Add("refund:" + orderId); return "refunded " + orderId; }, "refund");
        var governed = new PublishedSchema(method, RefundWithReason).WithGovernance(_host.Executor, new GovernedToolOptions { Principal = AgentTools.SupportBot });

        var withReason = await governed.InvokeAsync(new() { ["orderId"] = "A-1", ["reason"] = "damaged" });
        var withoutReason = await governed.InvokeAsync(new() { ["orderId"] = "A-2" });

        // The schema is the contract: the policies see every property it names, and one it requires must be given.
        Assert.Equal("refunded A-1", withReason?.ToString());
        Assert.Equal(IntentValue.String("damaged"), Assert.Single(_policies.Evaluated).Context["reason"]);
        Assert.Equal(ToolBindingRefusalsText.MissingRequired, RefusalJson.AssertRefused(withoutReason, DenialReason.ArgumentsInvalid).GetProperty("detail").GetString());
        Assert.Equal(["refund:A-1"], _ran);
    }

    [Fact]
    public async Task A_tool_with_its_own_serializer_options_is_given_a_net_value_as_its_options_write_it()
    {
        var tool = new OwnOptionsFunction("price_item", PricedItem, MoneyAsText);
        var governed = tool.WithGovernance(_host.Executor, new GovernedToolOptions { Principal = AgentTools.SupportBot });

        var result = await governed.InvokeAsync(new() { ["price"] = new Money(12.50m, "EUR") });

        // Written with the default options the value is an object, which the schema's string would refuse.
        Assert.Equal("""{"price":"12.50 EUR"}""", result?.ToString());
        Assert.Equal(IntentValue.String("12.50 EUR"), Assert.Single(_policies.Evaluated).Context["price"]);
    }

    [Fact]
    public async Task A_refused_call_with_a_net_value_is_recorded_with_the_digest_of_the_value_as_the_tools_options_write_it()
    {
        var tool = new OwnOptionsFunction("price_item", PricedItem, MoneyAsText);
        var governed = tool.WithGovernance(_host.Executor, new GovernedToolOptions { Principal = AgentTools.SupportBot });

        var result = await governed.InvokeAsync(new() { ["price"] = new Money(12.50m, "EUR"), ["note"] = "x" });

        var refusal = RefusalJson.AssertRefused(result, DenialReason.ArgumentsInvalid);
        Assert.Equal(ToolBindingRefusalsText.UnknownArgument, refusal.GetProperty("detail").GetString());
        var expected = GovernedToolIntent.Create(
            AIFunctionFactory.Create((Func<JsonElement?, JsonElement?, string>)Raw, "raw"),
            new AIFunctionArguments { ["price"] = "12.50 EUR", ["note"] = "x" },
            new GovernedToolOptions { Principal = AgentTools.SupportBot });
        var submitted = _host.Lineage.Records.First(r => r.Event.ExecutionId == refusal.GetProperty("executionId").GetGuid() && r.Event.Kind == LineageEventKind.IntentSubmitted);
        Assert.Equal(Convert.ToHexStringLower(expected.ArgumentsDigest.Span), submitted.Event["arguments_digest"]);
        Assert.Empty(_policies.Evaluated);
    }

    [Theory]
    [InlineData("""{"note":"\ud800"}""")]
    [InlineData("""{"note":{"\udc00":1}}""")]
    public async Task A_method_tool_refuses_text_that_is_not_UTF16_and_records_the_refusal(string arguments)
    {
        var method = AIFunctionFactory.Create((JsonElement note) => { _ran.Add("note"); return "noted"; }, "note");
        var governed = method.WithGovernance(_host.Executor, new GovernedToolOptions { Principal = AgentTools.SupportBot });
        using var document = JsonDocument.Parse(arguments);

        var result = await governed.InvokeAsync(new AIFunctionArguments { ["note"] = document.RootElement.GetProperty("note").Clone() });

        var refusal = RefusalJson.AssertRefused(result, DenialReason.ArgumentsInvalid);
        Assert.Equal("an argument does not bind to its parameter unambiguously", refusal.GetProperty("detail").GetString());
        var records = _host.Lineage.Records.Where(r => r.Event.ExecutionId == refusal.GetProperty("executionId").GetGuid()).ToList();
        Assert.Equal(LineageEventKind.ExecutionDenied, records[^1].Event.Kind);
        var none = GovernedToolIntent.Create(AIFunctionFactory.Create(() => "ok", "none"), [], new GovernedToolOptions { Principal = AgentTools.SupportBot });
        Assert.Equal(Convert.ToHexStringLower(none.ArgumentsDigest.Span), records[0].Event["arguments_digest"]);
        Assert.Empty(_ran);
    }

    [Fact]
    public async Task A_method_tool_whose_serializer_options_cannot_describe_its_parameters_is_bound_by_its_schema()
    {
        var method = AIFunctionFactory.Create((string orderId) => { _ran.Add("lookup:" + orderId); return "found " + orderId; }, "lookup");
        var governed = new OptionsWithoutMetadata(method).WithGovernance(_host.Executor, new GovernedToolOptions { Principal = AgentTools.SupportBot });

        var found = await governed.InvokeAsync(new() { ["orderId"] = JsonDocument.Parse("\"A-1\"").RootElement.Clone() });
        var wrongType = await governed.InvokeAsync(new() { ["orderId"] = JsonDocument.Parse("5").RootElement.Clone() });

        Assert.Equal("found A-1", found?.ToString());
        RefusalJson.AssertRefused(wrongType, DenialReason.ArgumentsInvalid);
        Assert.Equal(["lookup:A-1"], _ran);
    }

    public void Dispose() => _host.Dispose();

    private static string Raw(JsonElement? price = null, JsonElement? note = null) => "ok";

    public sealed record Money(decimal Amount, string Currency);

    private static class ToolBindingRefusalsText
    {
        public const string UnknownArgument = "an argument is not a parameter of the tool";

        public const string MissingRequired = "a required parameter is missing";
    }

    /// <summary>Writes money as "12.50 EUR", as the tool's own contract says.</summary>
    private sealed class MoneyConverter : JsonConverter<Money>
    {
        public override Money Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
        {
            var parts = reader.GetString()!.Split(' ');
            return new Money(decimal.Parse(parts[0], System.Globalization.CultureInfo.InvariantCulture), parts[1]);
        }

        public override void Write(Utf8JsonWriter writer, Money value, JsonSerializerOptions options) =>
            writer.WriteStringValue(value.Amount.ToString("0.00", System.Globalization.CultureInfo.InvariantCulture) + " " + value.Currency);
    }

    /// <summary>A method tool that publishes a schema of its own (as a hand-edited or transformed schema does).</summary>
    private sealed class PublishedSchema(AIFunction inner, string schema) : DelegatingAIFunction(inner)
    {
        private readonly JsonElement _schema = JsonDocument.Parse(schema).RootElement.Clone();

        public override JsonElement JsonSchema => _schema;
    }

    /// <summary>A method tool whose serializer options have no metadata for any type (a source-generated context without them).</summary>
    private sealed class OptionsWithoutMetadata(AIFunction inner) : DelegatingAIFunction(inner)
    {
        private static readonly JsonSerializerOptions Empty = new() { TypeInfoResolver = System.Text.Json.Serialization.Metadata.JsonTypeInfoResolver.Combine() };

        public override JsonSerializerOptions JsonSerializerOptions => Empty;
    }

    /// <summary>A tool known by its schema, with serializer options of its own; it answers with the JSON it received.</summary>
    private sealed class OwnOptionsFunction(string name, string schema, JsonSerializerOptions options) : AIFunction
    {
        private readonly JsonElement _schema = JsonDocument.Parse(schema).RootElement.Clone();

        public override string Name => name;

        public override JsonElement JsonSchema => _schema;

        public override JsonSerializerOptions JsonSerializerOptions => options;

        protected override ValueTask<object?> InvokeCoreAsync(AIFunctionArguments arguments, CancellationToken cancellationToken) =>
            ValueTask.FromResult<object?>(JsonSerializer.Serialize(arguments.OrderBy(a => a.Key, StringComparer.Ordinal).ToDictionary(a => a.Key, a => (JsonElement)a.Value!)));
    }
}
