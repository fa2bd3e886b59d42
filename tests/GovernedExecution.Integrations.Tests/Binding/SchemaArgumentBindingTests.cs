using System.Text.Json;
using GovernedExecution.Execution;
using GovernedExecution.Extensions.AI;
using GovernedExecution.Integrations.Tests.Extensions.AI;
using GovernedExecution.Integrations.Tests.ModelContextProtocol;
using GovernedExecution.ModelContextProtocol;
using GovernedExecution.Policies.Rules;
using GovernedExecution.Testing;
using Microsoft.Extensions.AI;
using ModelContextProtocol.Protocol;
using ModelContextProtocol.Server;

namespace GovernedExecution.Integrations.Tests.Binding;

/// <summary>
/// Binding by a tool's JSON schema alone (a tool with no .NET method: a remote tool, an MCP server's tool): only
/// arguments that mean one thing to any binder are taken, and the tool receives their canonical form. Every call here
/// is permitted, so a refusal is the binding's.
/// </summary>
public sealed class SchemaArgumentBindingTests : IDisposable
{
    private const string Refused = "refused: ";
    private readonly GovernedTestHost _host = new(policies: new RulePolicyEvaluator([PolicyRule.Permit("everything", _ => true)]));

    public static TheoryData<string, string, string> Cases => new()
    {
        // Types: exactly the declared JSON type; integral numbers written as integers.
        { """{"type":"object","properties":{"n":{"type":"integer"}},"required":["n"]}""", """{"n":2.0}""", """{"n":2}""" },
        { """{"type":"object","properties":{"n":{"type":"integer"}},"required":["n"]}""", """{"n":2e1}""", """{"n":20}""" },
        { """{"type":"object","properties":{"n":{"type":"integer"}},"required":["n"]}""", """{"n":18446744073709551615}""", """{"n":18446744073709551615}""" },
        { """{"type":"object","properties":{"n":{"type":"integer"}},"required":["n"]}""", """{"n":2.5}""", Refused + "an argument does not bind to its parameter unambiguously" },
        { """{"type":"object","properties":{"n":{"type":"integer"}},"required":["n"]}""", """{"n":"2"}""", Refused + "an argument does not bind to its parameter unambiguously" },
        { """{"type":"object","properties":{"n":{"type":"integer"}},"required":["n"]}""", """{"n":1e30}""", Refused + "an argument does not bind to its parameter unambiguously" },
        { """{"type":"object","properties":{"x":{"type":"number"}},"required":["x"]}""", """{"x":2.50}""", """{"x":2.50}""" },
        { """{"type":"object","properties":{"x":{"type":"number"}},"required":["x"]}""", """{"x":3.0}""", """{"x":3}""" },
        { """{"type":"object","properties":{"b":{"type":"boolean"}},"required":["b"]}""", """{"b":"true"}""", Refused + "an argument does not bind to its parameter unambiguously" },
        { """{"type":"object","properties":{"b":{"type":"boolean"}},"required":["b"]}""", """{"b":false}""", """{"b":false}""" },
        { """{"type":"object","properties":{"s":{"type":["string","null"]}},"required":["s"]}""", """{"s":null}""", """{"s":null}""" },
        { """{"type":"object","properties":{"s":{"type":"string"}},"required":["s"]}""", """{"s":null}""", Refused + "an argument does not bind to its parameter unambiguously" },
        { """{"type":"object","properties":{"s":{"type":"string","minLength":5,"x-mcp-header":"S"}},"required":["s"]}""", """{"s":"\u0041"}""", """{"s":"A"}""" },
        { """{"type":"object","properties":{"s":{"type":"string"}},"required":["s"]}""", """{"s":{"k":1}}""", Refused + "an argument does not bind to its parameter unambiguously" },

        // Enums and constants: spelled exactly.
        { """{"type":"object","properties":{"m":{"type":"string","enum":["Soft","Hard"]}},"required":["m"]}""", """{"m":"Hard"}""", """{"m":"Hard"}""" },
        { """{"type":"object","properties":{"m":{"type":"string","enum":["Soft","Hard"]}},"required":["m"]}""", """{"m":"hard"}""", Refused + "an argument does not bind to its parameter unambiguously" },
        { """{"type":"object","properties":{"m":{"enum":["Soft",1]}},"required":["m"]}""", """{"m":1.0}""", """{"m":1.0}""" },
        { """{"type":"object","properties":{"m":{"type":"string","enum":[1]}},"required":["m"]}""", """{"m":1}""", Refused + "an argument does not bind to its parameter unambiguously" },
        { """{"type":"object","properties":{"m":{"const":"on"}},"required":["m"]}""", """{"m":"on"}""", """{"m":"on"}""" },
        { """{"type":"object","properties":{"m":{"const":"on"}},"required":["m"]}""", """{"m":"off"}""", Refused + "an argument does not bind to its parameter unambiguously" },

        // Members: named exactly, once; every declared one present or given a default.
        { """{"type":"object","properties":{"r":{"type":"object","properties":{"a":{"type":"integer"},"b":{"type":"integer","default":7}},"required":["a"]}},"required":["r"]}""", """{"r":{"a":1}}""", """{"r":{"a":1,"b":7}}""" },
        { """{"type":"object","properties":{"r":{"type":"object","properties":{"a":{"type":"integer"},"b":{"type":"integer"}},"required":["a"]}},"required":["r"]}""", """{"r":{"a":1}}""", Refused + "an omitted parameter has no default the tool describes" },
        { """{"type":"object","properties":{"r":{"type":"object","properties":{"a":{"type":"integer"}},"required":["a"]}},"required":["r"]}""", """{"r":{}}""", Refused + "a required parameter is missing" },
        { """{"type":"object","properties":{"r":{"type":"object","properties":{"a":{"type":"integer"}},"required":["a"]}},"required":["r"]}""", """{"r":{"a":1,"A":2}}""", Refused + "an argument does not bind to its parameter unambiguously" },
        { """{"type":"object","properties":{"r":{"type":"object","properties":{"a":{"type":"integer"}},"required":["a"]}},"required":["r"]}""", """{"r":{"a":1,"a":2}}""", Refused + "an argument does not bind to its parameter unambiguously" },
        { """{"type":"object","properties":{"r":{"type":"object","properties":{"a":{"type":"integer"}},"required":["a"]}},"required":["r"]}""", """{"r":{"a":1,"z":2}}""", Refused + "an argument does not bind to its parameter unambiguously" },
        { """{"type":"object","properties":{"d":{"type":"object","additionalProperties":{"type":"integer"}}},"required":["d"]}""", """{"d":{"z":2,"Z":3}}""", """{"d":{"Z":3,"z":2}}""" },
        { """{"type":"object","properties":{"d":{"type":"object","additionalProperties":{"type":"integer"}}},"required":["d"]}""", """{"d":{"z":"2"}}""", Refused + "an argument does not bind to its parameter unambiguously" },
        { """{"type":"object","properties":{"d":{"type":"object","properties":{"id":{"type":"string"}},"required":["id"],"additionalProperties":true}},"required":["d"]}""", """{"d":{"id":"x","ID":"y"}}""", Refused + "an argument does not bind to its parameter unambiguously" },
        { """{"type":"object","properties":{"any":true},"required":["any"]}""", """{"any":{"b":[1,{"y":2,"x":1}],"a":1.50}}""", """{"any":{"a":1.50,"b":[1,{"x":1,"y":2}]}}""" },
        { """{"type":"object","properties":{"any":{}},"required":["any"]}""", """{"any":{"k":1,"k":2}}""", Refused + "an argument does not bind to its parameter unambiguously" },
        { """{"type":"object","properties":{"no":false}}""", """{"no":1}""", Refused + "an argument does not bind to its parameter unambiguously" },
        { """{"type":"object","properties":{"n":{"type":"integer","default":3}},"required":[]}""", """{}""", """{"n":3}""" },
        { """{"type":"object","properties":{"n":{"type":"integer"}}}""", """{"N":3}""", Refused + "an argument is not a parameter of the tool" },
        { """{"type":"object","properties":{"n":{"type":"integer"}}}""", """{}""", Refused + "an omitted parameter has no default the tool describes" },
        { """{"type":"object","properties":{"n":{"type":"integer"}},"required":["n"]}""", """{}""", Refused + "a required parameter is missing" },

        // Arrays: every item by the item schema.
        { """{"type":"object","properties":{"l":{"type":"array","items":{"type":"integer"}}},"required":["l"]}""", """{"l":[1,2.0,1]}""", """{"l":[1,2,1]}""" },
        { """{"type":"object","properties":{"l":{"type":"array","items":{"type":"integer"}}},"required":["l"]}""", """{"l":[1,"2"]}""", Refused + "an argument does not bind to its parameter unambiguously" },
        { """{"type":"object","properties":{"l":{"type":"array"}},"required":["l"]}""", """{"l":[{"b":1,"a":2}]}""", """{"l":[{"a":2,"b":1}]}""" },

        // References and alternatives.
        { """{"type":"object","properties":{"p":{"$ref":"#/$defs/point"},"q":{"$ref":"#/properties/p"}},"required":["p","q"],"$defs":{"point":{"type":"object","properties":{"x":{"type":"integer"}},"required":["x"]}}}""", """{"p":{"x":1},"q":{"x":2.0}}""", """{"p":{"x":1},"q":{"x":2}}""" },
        { """{"type":"object","properties":{"p":{"$ref":"#/$defs/missing"}},"required":["p"]}""", """{"p":1}""", Refused + "the tool's input schema uses a construct governance cannot bind by" },
        { """{"type":"object","properties":{"p":{"$ref":"https://example.com/schema"}},"required":["p"]}""", """{"p":1}""", Refused + "the tool's input schema uses a construct governance cannot bind by" },
        { """{"type":"object","properties":{"p":{"$ref":"#/$defs/a"}},"required":["p"],"$defs":{"a":{"$ref":"#/$defs/a"}}}""", """{"p":1}""", Refused + "the tool's input schema uses a construct governance cannot bind by" },
        { """{"type":"object","properties":{"p":{"$ref":"#/$defs/a~1b"}},"required":["p"],"$defs":{"a/b":{"type":"integer"}}}""", """{"p":4}""", """{"p":4}""" },
        { """{"type":"object","properties":{"p":{"$ref":"#/$defs/l/1"}},"required":["p"],"$defs":{"l":[{"type":"string"},{"type":"integer"}]}}""", """{"p":4}""", """{"p":4}""" },
        { """{"type":"object","properties":{"v":{"anyOf":[{"type":"null"},{"type":"integer"}]}},"required":["v"]}""", """{"v":null}""", """{"v":null}""" },
        { """{"type":"object","properties":{"v":{"anyOf":[{"type":"null"},{"type":"integer"}]}},"required":["v"]}""", """{"v":5.0}""", """{"v":5}""" },
        { """{"type":"object","properties":{"v":{"oneOf":[{"type":"integer"},{"type":"number"}]}},"required":["v"]}""", """{"v":5}""", Refused + "an argument does not bind to its parameter unambiguously" },
        { """{"type":"object","properties":{"v":{"anyOf":[{"type":"string"},{"type":"boolean"}]}},"required":["v"]}""", """{"v":5}""", Refused + "an argument does not bind to its parameter unambiguously" },
        { """{"type":"object","properties":{"v":{"anyOf":[{"type":"string"}],"type":"string"}},"required":["v"]}""", """{"v":"x"}""", Refused + "the tool's input schema uses a construct governance cannot bind by" },
        { """{"type":"object","properties":{"v":{"anyOf":[{"type":"string"},{"allOf":[]}]}},"required":["v"]}""", """{"v":"x"}""", Refused + "the tool's input schema uses a construct governance cannot bind by" },

        // Constructs whose effect on binding is not followed: refused, whatever the arguments.
        { """{"type":"object","properties":{"v":{"allOf":[{"type":"integer"}]}},"required":["v"]}""", """{"v":1}""", Refused + "the tool's input schema uses a construct governance cannot bind by" },
        { """{"type":"object","properties":{"r":{"type":"object","patternProperties":{"^a":{}}}},"required":["r"]}""", """{"r":{}}""", Refused + "the tool's input schema uses a construct governance cannot bind by" },
        { """{"type":"object","properties":{"a":{"type":"integer"},"A":{"type":"integer"}},"required":["a"]}""", """{"a":1}""", Refused + "the tool's input schema uses a construct governance cannot bind by" },
        { """{"type":"object","properties":{"t":{"type":7}},"required":["t"]}""", """{"t":1}""", Refused + "the tool's input schema uses a construct governance cannot bind by" },
        { """{"type":"object","properties":{"t":{"type":["integer",7]}},"required":["t"]}""", """{"t":1}""", Refused + "the tool's input schema uses a construct governance cannot bind by" },
        { """{"type":"object","properties":{"n":{"type":"integer"}},"required":"n"}""", """{"n":1}""", Refused + "the tool's input schema uses a construct governance cannot bind by" },
        { """{"type":"object","properties":{"l":{"type":"array","items":[{"type":"integer"}]}},"required":["l"]}""", """{"l":[1]}""", Refused + "the tool's input schema uses a construct governance cannot bind by" },
        { """{"type":"object","properties":{"s":"integer"},"required":["s"]}""", """{"s":1}""", Refused + "the tool's input schema uses a construct governance cannot bind by" },
        { """{"type":"object","properties":{"r":{"type":"object","properties":[]}},"required":["r"]}""", """{"r":{}}""", Refused + "the tool's input schema uses a construct governance cannot bind by" },
        { """{"type":"object","allOf":[],"properties":{}}""", """{}""", Refused + "the tool's input schema uses a construct governance cannot bind by" },

        // Typed enums and constants: the value is of the declared type as well as listed.
        { """{"type":"object","properties":{"m":{"type":"null","const":null}},"required":["m"]}""", """{"m":null}""", """{"m":null}""" },
        { """{"type":"object","properties":{"m":{"type":"boolean","enum":[true]}},"required":["m"]}""", """{"m":true}""", """{"m":true}""" },
        { """{"type":"object","properties":{"m":{"type":"integer","enum":[2]}},"required":["m"]}""", """{"m":2.0}""", """{"m":2.0}""" },
        { """{"type":"object","properties":{"m":{"type":"integer","enum":[2.5]}},"required":["m"]}""", """{"m":2.5}""", Refused + "an argument does not bind to its parameter unambiguously" },
        { """{"type":"object","properties":{"m":{"type":"object","const":{"b":1,"a":2}}},"required":["m"]}""", """{"m":{"a":2,"b":1}}""", """{"m":{"a":2,"b":1}}""" },
        { """{"type":"object","properties":{"m":{"type":"array","const":[1]}},"required":["m"]}""", """{"m":[1]}""", """{"m":[1]}""" },
        { """{"type":"object","properties":{"m":{"enum":"on"}},"required":["m"]}""", """{"m":"on"}""", Refused + "an argument does not bind to its parameter unambiguously" },
        { """{"type":"object","properties":{"x":{"type":"number","enum":[2.5]}},"required":["x"]}""", """{"x":2.5}""", """{"x":2.5}""" },
        { """{"type":"object","properties":{"l":{"type":"array","items":[{"type":"integer"}]}},"required":["l"]}""", """{"l":[]}""", Refused + "the tool's input schema uses a construct governance cannot bind by" },

        // Open objects and item schemas that take everything or nothing.
        { """{"type":"object","properties":{"d":{"type":"object","properties":{"id":{"type":"string"}},"required":["id"],"additionalProperties":true}},"required":["d"]}""", """{"d":{"id":"x","note":{"b":1,"a":2}}}""", """{"d":{"id":"x","note":{"a":2,"b":1}}}""" },
        { """{"type":"object","properties":{"d":{"type":"object","properties":{"id":{"type":"string"}},"required":["id"],"additionalProperties":false}},"required":["d"]}""", """{"d":{"id":"x","note":1}}""", Refused + "an argument does not bind to its parameter unambiguously" },
        { """{"type":"object","properties":{"l":{"type":"array","items":false}},"required":["l"]}""", """{"l":[]}""", """{"l":[]}""" },
        { """{"type":"object","properties":{"l":{"type":"array","items":false}},"required":["l"]}""", """{"l":[1]}""", Refused + "an argument does not bind to its parameter unambiguously" },
        { """{"type":"object","properties":{"l":{"type":"array","items":true}},"required":["l"]}""", """{"l":[{"b":1,"a":2}]}""", """{"l":[{"a":2,"b":1}]}""" },
        { """{"type":"object","properties":{"any":true}}""", """{}""", Refused + "an omitted parameter has no default the tool describes" },
        { """{"type":"object","properties":{"any":true},"required":["any"]}""", """{"any":{"k":1,"k":2}}""", Refused + "an argument does not bind to its parameter unambiguously" },
        { """{"type":"object","properties":{"any":true},"required":["any"]}""", """{"any":{"k":null,"k":1}}""", Refused + "an argument does not bind to its parameter unambiguously" },
        { """{"type":"object","properties":{"any":true},"required":["any"]}""", """{"any":[{"k":1,"k":null}]}""", Refused + "an argument does not bind to its parameter unambiguously" },
        { """{"type":"object","properties":{"n":{"type":"integer"}},"required":[1]}""", """{"n":1}""", Refused + "the tool's input schema uses a construct governance cannot bind by" },

        // More references and alternatives.
        { """{"type":"object","properties":{"p":{"$ref":"#/$defs/a~0b"}},"required":["p"],"$defs":{"a~b":{"type":"integer"}}}""", """{"p":4}""", """{"p":4}""" },
        { """{"type":"object","properties":{"p":{"$ref":"#/$defs/l/2"}},"required":["p"],"$defs":{"l":[{"type":"string"},{"type":"integer"}]}}""", """{"p":4}""", Refused + "the tool's input schema uses a construct governance cannot bind by" },
        { """{"type":"object","properties":{"p":{"$ref":"#point"}},"required":["p"],"$defs":{"point":{"$anchor":"point","type":"integer"}}}""", """{"p":4}""", Refused + "the tool's input schema uses a construct governance cannot bind by" },
        { """{"type":"object","properties":{"p":{"$ref":1}},"required":["p"]}""", """{"p":4}""", Refused + "the tool's input schema uses a construct governance cannot bind by" },
        { """{"type":"object","properties":{"p":{"$ref":"#/$defs/n","type":"string"}},"required":["p"],"$defs":{"n":{"type":"integer"}}}""", """{"p":4}""", Refused + "the tool's input schema uses a construct governance cannot bind by" },
        { """{"type":"object","properties":{"p":{"$ref":"#/$defs/n","description":"a count"}},"required":["p"],"$defs":{"n":{"type":"integer"}}}""", """{"p":4.0}""", """{"p":4}""" },
        { """{"type":"object","properties":{"p":{"anyOf":[{"type":"null"},{"$ref":"#"}]}},"required":["p"]}""", """{"p":{"p":null}}""", """{"p":{"p":null}}""" },
        { """{"type":"object","properties":{"v":{"anyOf":{"type":"string"}}},"required":["v"]}""", """{"v":"x"}""", Refused + "the tool's input schema uses a construct governance cannot bind by" },
        { """{"type":"object","properties":{"v":{"anyOf":[{"type":"string"}],"oneOf":[{"type":"string"}]}},"required":["v"]}""", """{"v":"x"}""", Refused + "the tool's input schema uses a construct governance cannot bind by" },
        { """{"type":"object","properties":{},"anyOf":[{}]}""", """{}""", Refused + "the tool's input schema uses a construct governance cannot bind by" },
        { """{"type":"object","properties":{},"oneOf":[{}]}""", """{}""", Refused + "the tool's input schema uses a construct governance cannot bind by" },

        // A tool that describes no parameters takes none.
        { """{"type":"object"}""", """{}""", """{}""" },
        { """{"type":"object"}""", """{"a":1}""", Refused + "an argument is not a parameter of the tool" },
        { """{"description":"anything"}""", """{"a":1}""", Refused + "the tool describes no parameters to bind its arguments by" },
        { """true""", """{}""", """{}""" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task A_schema_binds_only_what_means_one_thing_and_the_tool_receives_it_canonically(string schema, string arguments, string expected)
    {
        var governed = new SchemaOnlyFunction("tool", schema).WithGovernance(_host.Executor, new GovernedToolOptions { Principal = AgentTools.SupportBot });
        using var document = JsonDocument.Parse(arguments);

        var result = await governed.InvokeAsync(new AIFunctionArguments(document.RootElement.EnumerateObject().ToDictionary(p => p.Name, p => (object?)p.Value.Clone(), StringComparer.Ordinal)));

        if (expected.StartsWith(Refused, StringComparison.Ordinal))
        {
            Assert.Equal(expected[Refused.Length..], RefusalJson.AssertRefused(result, DenialReason.ArgumentsInvalid).GetProperty("detail").GetString());
        }
        else
        {
            Assert.Equal(expected, Assert.IsType<string>(result));
        }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Through_an_MCP_server_a_tools_schema_binds_the_same(string schema, string arguments, string expected)
    {
        var tool = new SchemaOnlyServerTool(schema);
        if (!tool.IsValid)
        {
            return; // the SDK takes only object schemas for a server tool
        }

        var server = new McpServerOptions { ServerInfo = new Implementation { Name = "tools", Version = "1.0" }, ToolCollection = [tool] };
        server.Filters.Request.CallToolFilters.Add(GovernedMcpServerBuilderExtensions.CreateGovernedCallToolFilter(_host.Executor, new GovernedMcpOptions { PrincipalSelector = _ => AgentTools.SupportBot }));
        await using var connection = await McpConnection.StartAsync(server, "support-bot");
        using var document = JsonDocument.Parse(arguments);

        var result = await connection.Client.CallToolAsync("tool", document.RootElement.EnumerateObject().ToDictionary(p => p.Name, p => (object?)p.Value.Clone(), StringComparer.Ordinal));

        if (expected.StartsWith(Refused, StringComparison.Ordinal))
        {
            var refusal = GovernedMcpArgumentBindingTests.AssertRefused(result, DenialReason.ArgumentsInvalid);
            Assert.Equal(expected[Refused.Length..], refusal.GetProperty("detail").GetString());
        }
        else
        {
            Assert.NotEqual(true, result.IsError);
            Assert.Equal(expected, Assert.IsType<TextContentBlock>(Assert.Single(result.Content)).Text);
        }
    }

    /// <summary>
    /// Alternatives nested through references are followed 64 levels deep, and a chain of references 63 hops long: a
    /// schema nested deeper is refused, never followed until the stack runs out.
    /// </summary>
    public static TheoryData<string, string, string> LimitCases => new()
    {
        { NestedAlternatives(63), """{"v":5.0}""", """{"v":5}""" },
        { NestedAlternatives(64), """{"v":5.0}""", Refused + "an argument does not bind to its parameter unambiguously" },
        { ReferenceChain(63), """{"v":5.0}""", """{"v":5}""" },
        { ReferenceChain(64), """{"v":5.0}""", Refused + "the tool's input schema uses a construct governance cannot bind by" },
        { """{"type":"object","properties":{"v":{"$ref":"#/$defs/a"}},"required":["v"],"$defs":{"a":{"anyOf":[{"$ref":"#/$defs/a"}]}}}""", """{"v":5}""", Refused + "an argument does not bind to its parameter unambiguously" },
    };

    [Theory]
    [MemberData(nameof(LimitCases))]
    public async Task Alternatives_and_references_are_followed_only_to_a_fixed_depth(string schema, string arguments, string expected)
    {
        await A_schema_binds_only_what_means_one_thing_and_the_tool_receives_it_canonically(schema, arguments, expected);
        await Through_an_MCP_server_a_tools_schema_binds_the_same(schema, arguments, expected);
    }

    [Fact]
    public async Task Nesting_deeper_than_the_binder_follows_is_refused()
    {
        const int depth = 70;
        var schema = """{"type":"object","properties":{"v":{"$ref":"#/$defs/node"}},"required":["v"],"$defs":{"node":{"type":"array","items":{"$ref":"#/$defs/node"}}}}""";
        var governed = new SchemaOnlyFunction("tool", schema).WithGovernance(_host.Executor, new GovernedToolOptions { Principal = AgentTools.SupportBot });
        var value = JsonDocument.Parse(new string('[', depth) + new string(']', depth), new JsonDocumentOptions { MaxDepth = 128 }).RootElement;

        var result = await governed.InvokeAsync(new AIFunctionArguments { ["v"] = value });

        RefusalJson.AssertRefused(result, DenialReason.ArgumentsInvalid);
    }

    /// <summary>Text that is not UTF-16 (a lone surrogate escape) in a value or a member name: no binder reads it one way.</summary>
    public static TheoryData<string, string> LoneSurrogates => new()
    {
        { """{"type":"object","properties":{"s":{"type":"string"}},"required":["s"]}""", """{"s":"\ud800"}""" },
        { """{"type":"object","properties":{"s":true},"required":["s"]}""", """{"s":["\udc00"]}""" },
        { """{"type":"object","properties":{"s":{"type":"object","additionalProperties":true}},"required":["s"]}""", """{"s":{"\ud800":1}}""" },
        { """{"type":"object","properties":{"s":{"enum":["a"]}},"required":["s"]}""", """{"s":"\ud800"}""" },
    };

    [Theory]
    [MemberData(nameof(LoneSurrogates))]
    public async Task Text_that_is_not_UTF16_is_refused_and_recorded(string schema, string arguments)
    {
        var tool = new SchemaOnlyFunction("tool", schema);
        var governed = tool.WithGovernance(_host.Executor, new GovernedToolOptions { Principal = AgentTools.SupportBot });
        using var document = JsonDocument.Parse(arguments);

        var result = await governed.InvokeAsync(new AIFunctionArguments(document.RootElement.EnumerateObject().ToDictionary(p => p.Name, p => (object?)p.Value.Clone(), StringComparer.Ordinal)));

        var refusal = RefusalJson.AssertRefused(result, DenialReason.ArgumentsInvalid);
        Assert.Equal("an argument does not bind to its parameter unambiguously", refusal.GetProperty("detail").GetString());
        var records = _host.Lineage.Records.Where(r => r.Event.ExecutionId == refusal.GetProperty("executionId").GetGuid()).ToList();
        Assert.Equal(Lineage.LineageEventKind.ExecutionDenied, records[^1].Event.Kind);

        // The arguments as they came cannot be written either: the record carries the digest of no arguments.
        var none = GovernedToolIntent.Create(AIFunctionFactory.Create(() => "ok", "none"), [], new GovernedToolOptions { Principal = AgentTools.SupportBot });
        Assert.Equal(Convert.ToHexStringLower(none.ArgumentsDigest.Span), records[0].Event["arguments_digest"]);
    }

    /// <remarks>
    /// The MCP SDK decodes every string of a request before any filter runs: a request with such text is answered with a
    /// protocol error, and neither the governing filter nor the tool sees it. If the SDK ever passed it on, the governing
    /// filter would refuse it as a tool built from a method does.
    /// </remarks>
    [Theory]
    [MemberData(nameof(LoneSurrogates))]
    public async Task Through_an_MCP_server_text_that_is_not_UTF16_never_reaches_the_tool(string schema, string arguments)
    {
        var reached = new List<string>();
        var server = new McpServerOptions { ServerInfo = new Implementation { Name = "tools", Version = "1.0" }, ToolCollection = [new SchemaOnlyServerTool(schema)] };
        server.Filters.Request.CallToolFilters.Add(GovernedMcpServerBuilderExtensions.CreateGovernedCallToolFilter(_host.Executor, new GovernedMcpOptions { PrincipalSelector = _ => AgentTools.SupportBot }));
        server.Filters.Request.CallToolFilters.Add(next => (request, ct) =>
        {
            reached.Add(JsonSerializer.Serialize(request.Params!.Arguments));
            return next(request, ct);
        });
        await using var client = await RawMcpClient.StartAsync(server, "support-bot");

        // A client writes the lone surrogate escape by hand.
        var hostile = await Record.ExceptionAsync(() => client.CallToolAsync("tool", arguments));
        var plain = await client.CallToolAsync("tool", arguments.Replace("\\ud800", "a", StringComparison.Ordinal).Replace("\\udc00", "a", StringComparison.Ordinal));

        Assert.Contains("The server answered with an error", Assert.IsType<InvalidOperationException>(hostile).Message, StringComparison.Ordinal);
        Assert.NotEqual(true, plain.IsError);
        Assert.Single(reached);
        Assert.DoesNotContain(reached, r => r.Contains("\\u", StringComparison.OrdinalIgnoreCase));
    }

    [Fact]
    public async Task Values_that_are_not_JSON_yet_are_written_with_the_tools_serializer_options()
    {
        var governed = new SchemaOnlyFunction("tool", """{"type":"object","properties":{"n":{"type":"integer"},"s":{"type":"array","items":{"type":"string"}}},"required":["n","s"]}""")
            .WithGovernance(_host.Executor, new GovernedToolOptions { Principal = AgentTools.SupportBot });

        var result = await governed.InvokeAsync(new AIFunctionArguments { ["n"] = 5.0m, ["s"] = new[] { "a", "b" } });

        Assert.Equal("""{"n":5,"s":["a","b"]}""", result);
    }

    public void Dispose() => _host.Dispose();

    /// <summary>A parameter whose schema is <paramref name="levels"/> single-branch alternatives, each one a reference to the next, around an integer.</summary>
    private static string NestedAlternatives(int levels)
    {
        var definitions = Enumerable.Range(0, levels).Select(i => i == levels - 1
            ? $"\"a{i}\":{{\"anyOf\":[{{\"type\":\"integer\"}}]}}"
            : $"\"a{i}\":{{\"anyOf\":[{{\"$ref\":\"#/$defs/a{i + 1}\"}}]}}");
        return $"{{\"type\":\"object\",\"properties\":{{\"v\":{{\"$ref\":\"#/$defs/a0\"}}}},\"required\":[\"v\"],\"$defs\":{{{string.Join(',', definitions)}}}}}";
    }

    /// <summary>A parameter whose schema is an integer reached through <paramref name="hops"/> references.</summary>
    private static string ReferenceChain(int hops)
    {
        var definitions = Enumerable.Range(1, hops).Select(i => i == hops
            ? $"\"r{i}\":{{\"type\":\"integer\"}}"
            : $"\"r{i}\":{{\"$ref\":\"#/$defs/r{i + 1}\"}}");
        return $"{{\"type\":\"object\",\"properties\":{{\"v\":{{\"$ref\":\"#/$defs/r1\"}}}},\"required\":[\"v\"],\"$defs\":{{{string.Join(',', definitions)}}}}}";
    }

    /// <summary>A server tool known only by its schema: it answers with the JSON arguments it received.</summary>
    private sealed class SchemaOnlyServerTool : McpServerTool
    {
        private readonly Tool? _tool;

        public SchemaOnlyServerTool(string schema)
        {
            try
            {
                _tool = new Tool { Name = "tool", InputSchema = JsonDocument.Parse(schema).RootElement.Clone() };
            }
            catch (ArgumentException)
            {
                _tool = null;
            }
        }

        public bool IsValid => _tool is not null;

        public override Tool ProtocolTool => _tool!;

        public override IReadOnlyList<object> Metadata => [];

        public override ValueTask<CallToolResult> InvokeAsync(RequestContext<CallToolRequestParams> request, CancellationToken cancellationToken = default) =>
            ValueTask.FromResult(new CallToolResult
            {
                Content = [new TextContentBlock { Text = JsonSerializer.Serialize((request.Params!.Arguments ?? new Dictionary<string, JsonElement>()).OrderBy(a => a.Key, StringComparer.Ordinal).ToDictionary(a => a.Key, a => a.Value)) }],
            });
    }
}
