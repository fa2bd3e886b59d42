using System.Text.Json;
using FsCheck;
using FsCheck.Fluent;
using GovernedExecution.Extensions.AI;
using GovernedExecution.Integrations.Tests.Extensions.AI;
using GovernedExecution.Integrations.Tests.ModelContextProtocol;
using GovernedExecution.Intents;
using GovernedExecution.ModelContextProtocol;
using Microsoft.Extensions.AI;
using ModelContextProtocol;
using ModelContextProtocol.Protocol;
using ModelContextProtocol.Server;

namespace GovernedExecution.Integrations.Tests.Binding;

/// <summary>
/// The integration rule as a property, for both integrations: over generated argument JSON (members in other cases,
/// repeated members, numbers as strings or with a fraction, enum spellings, omitted optional parameters, nested records,
/// unknown members), whenever the tool runs, the values it received are the values in the context the policies
/// evaluated (and nothing else is there).
/// </summary>
public sealed class ArgumentBindingProperties : IDisposable
{
    private const int Cases = 200;

    // About a quarter of the generated calls run through Microsoft.Extensions.AI and a sixth through MCP (whose schema
    // binding refuses more spellings); the floors below are far under that, there only so that a generator that stops
    // producing runnable calls cannot leave the property vacuously true.
    private readonly ArgumentAttack _attack = new();

    [Fact]
    public void Through_Microsoft_Extensions_AI_a_tool_runs_only_on_the_values_the_policies_saw()
    {
        var settle = AIFunctionFactory.Create(_attack.SettleTool, "settle")
            .WithGovernance(_attack.Host.Executor, new GovernedToolOptions { Principal = AgentTools.SupportBot });

        var runs = Check(async json =>
        {
            using var document = JsonDocument.Parse(json);
            var arguments = new AIFunctionArguments(document.RootElement.EnumerateObject().ToDictionary(p => p.Name, p => (object?)p.Value.Clone(), StringComparer.Ordinal));
            try
            {
                await settle.InvokeAsync(arguments);
            }
            catch (Exception ex) when (ex is not Xunit.Sdk.XunitException)
            {
                // The tool's own failure (a null settlement), or its binder's: whether it ran is what the property checks.
            }
        }, AIJsonUtilities.DefaultOptions);

        Assert.True(runs >= Cases / 10, $"only {runs} of {Cases} generated calls ran: the property says too little");
    }

    [Fact]
    public async Task Through_an_MCP_server_a_tool_runs_only_on_the_values_the_policies_saw()
    {
        var server = new McpServerOptions { ServerInfo = new Implementation { Name = "payments", Version = "1.0" }, ToolCollection = [] };
        server.ToolCollection.Add(McpServerTool.Create(_attack.SettleTool, new() { Name = "settle" }));
        server.Filters.Request.CallToolFilters.Add(GovernedMcpServerBuilderExtensions.CreateGovernedCallToolFilter(
            _attack.Host.Executor, new GovernedMcpOptions { PrincipalSelector = _ => AgentTools.SupportBot }));
        await using var connection = await McpConnection.StartAsync(server, "support-bot");

        var runs = Check(json => connection.Client.CallToolAsync("settle", GovernedMcpArgumentBindingTests.Arguments(json)).AsTask(), McpJsonUtilities.DefaultOptions);

        Assert.True(runs >= Cases / 20, $"only {runs} of {Cases} generated calls ran: the property says too little");
    }

    public void Dispose() => _attack.Dispose();

    /// <summary>Checks the property over generated argument objects; returns how many of the calls ran the tool.</summary>
    private int Check(Func<string, Task> call, JsonSerializerOptions toolOptions)
    {
        var runs = 0;
        var property = Prop.ForAll(TopLevel().ToArbitrary(), json =>
        {
            // The property runs synchronously; the calls go through real pipelines on the thread pool.
            if (Task.Run(() => RanOnWhatWasSeenAsync(call, json, toolOptions)).GetAwaiter().GetResult())
            {
                runs++;
            }
        });
        FsCheck.Check.One(Config.QuickThrowOnFailure.WithMaxTest(Cases), property);
        return runs;
    }

    /// <summary>Makes one call; fails the property if the tool ran on values other than the evaluated ones. Returns whether it ran.</summary>
    private async Task<bool> RanOnWhatWasSeenAsync(Func<string, Task> call, string json, JsonSerializerOptions toolOptions)
    {
        _attack.Evaluator.Clear();
        _attack.Settled.Clear();
        await call(json);
        if (!_attack.Settled.TryDequeue(out var received))
        {
            return false;
        }

        var evaluated = _attack.Evaluator.Evaluated;
        Assert.True(evaluated.Count == 1, $"{json}: the tool ran after {evaluated.Count} policy evaluations");
        var expected = new Dictionary<string, IntentValue>(StringComparer.Ordinal);
        foreach (var (name, type, value) in received)
        {
            if (ToIntentValue(JsonSerializer.SerializeToElement(value, toolOptions.GetTypeInfo(type))) is { } converted)
            {
                expected.Add(name, converted);
            }
        }

        var seen = evaluated[0].Context;
        Assert.True(
            expected.Count == seen.Count && expected.All(e => seen.TryGetValue(e.Key, out var s) && s.Equals(e.Value)),
            $"{json}: the tool received {Show(expected)}, the policies saw {Show(seen)}");
        return true;
    }

    private static string Show(IEnumerable<KeyValuePair<string, IntentValue>> context) =>
        "{" + string.Join(", ", context.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => p.Key + "=" + p.Value)) + "}";

    /// <summary>The documented mapping of JSON to context values, written again here as the oracle.</summary>
    private static IntentValue? ToIntentValue(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.String => IntentValue.String(value.GetString()!),
        JsonValueKind.True => IntentValue.Boolean(true),
        JsonValueKind.False => IntentValue.Boolean(false),
        JsonValueKind.Number => value.TryGetInt64(out var number) ? IntentValue.Long(number) : IntentValue.String(value.GetRawText()),
        JsonValueKind.Array => IntentValue.Set(value.EnumerateArray().Select(ToIntentValue).OfType<IntentValue>()),
        JsonValueKind.Object => IntentValue.Record(value.EnumerateObject()
            .Select(m => (m.Name, Value: ToIntentValue(m.Value)))
            .Where(m => m.Value is not null)
            .Select(m => KeyValuePair.Create(m.Name, m.Value!))),
        _ => null,
    };

    private static Gen<string> TopLevel() =>
        from settlement in Member(
            ["settlement", "Settlement", "SETTLEMENT"],
            Gen.Frequency((14, Settlement()), (1, Gen.Elements("null", "\"acct-1\"", "5", "[]"))),
            Gen.Frequency((12, Gen.Constant(1)), (1, Gen.Constant(0))))
        from mode in Member(["mode", "Mode"], ["\"Soft\"", "\"Hard\"", "\"soft\"", "\"hard\"", "\"HARD\"", "0", "1", "\"1\"", "3", "\"Soft, Hard\"", "null", "true"], Sometimes)
        from fee in Member(["fee", "Fee"], ["25", "7", "1000", "\"7\"", "\"1e3\"", "7.0", "1.5e1", "-3", "null", "\"x\"", "9223372036854775808"], Sometimes)
        from memo in Member(["memo", "MEMO"], ["\"m\"", "\"\"", "null", "5", "{\"a\":1}"], Sometimes)
        from extra in Member(["note", "amount"], ["1", "\"x\""], Rarely)
        let members = settlement.Concat(mode).Concat(fee).Concat(memo).Concat(extra)
        // Top-level names are dictionary keys: each at most once (ordinal), as a transport delivers them.
        select "{" + string.Join(",", members.DistinctBy(m => m[..m.IndexOf("\":", StringComparison.Ordinal)], StringComparer.Ordinal)) + "}";

    private static Gen<string> Settlement() =>
        from account in Member(["account", "Account", "ACCOUNT"], ["\"acct-1\"", "\"acct-2\"", "\"\"", "5", "null"], MostlyOnce)
        from amount in Member(["amount", "Amount", "AMOUNT"], ["5", "50", "5000", "\"5\"", "\"5000\"", "5.0", "1.5e1", "-1", "null", "true", "9223372036854775808"], MostlyOnce)
        from lines in Member(
            ["lines", "Lines"],
            ["[]", "null", Lines(Line("x", "1")), Lines(Line("y", "\"2\"")), Lines(Line("z", "3"), Line("z", "3")), "[{\"sku\":\"w\",\"count\":1,\"Count\":9}]", "[{\"sku\":\"v\"}]", "[{\"SKU\":\"u\",\"count\":2}]"],
            Sometimes)
        from unknown in Member(["extra", "total"], ["1"], Rarely)
        from order in Gen.Choose(0, int.MaxValue)
        select "{" + string.Join(",", Shuffle([.. account, .. amount, .. lines, .. unknown], order)) + "}";

    private static Gen<int> MostlyOnce => Gen.Frequency((10, Gen.Constant(1)), (1, Gen.Constant(0)), (1, Gen.Constant(2)));

    private static Gen<int> Sometimes => Gen.Frequency((5, Gen.Constant(0)), (5, Gen.Constant(1)), (1, Gen.Constant(2)));

    private static Gen<int> Rarely => Gen.Frequency((8, Gen.Constant(0)), (1, Gen.Constant(1)));

    private static string Lines(params string[] lines) => "[" + string.Join(",", lines) + "]";

    private static string Line(string sku, string count) => $$"""{"sku":"{{sku}}","count":{{count}}}""";

    /// <summary>A member a number of times, each time mostly in its first spelling with its first value, else in any.</summary>
    private static Gen<string[]> Member(string[] names, string[] values, Gen<int> count) =>
        Member(names, Gen.Frequency((4, Gen.Constant(values[0])), (2, Gen.Elements(values))), count);

    private static Gen<string[]> Member(string[] names, Gen<string> value, Gen<int> count)
    {
        var one = from name in Gen.Frequency((10, Gen.Constant(names[0])), (1, Gen.Elements(names)))
                  from text in value
                  select $"\"{name}\":{text}";
        return from n in count
               from members in Gen.ListOf(one, n)
               select members.ToArray();
    }

    private static IEnumerable<string> Shuffle(string[] members, int seed)
    {
        var random = new Random(seed);
        return members.OrderBy(_ => random.Next());
    }
}
