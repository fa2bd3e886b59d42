using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using GovernedExecution.Policies.Cedar;
using GovernedExecution.Testing;

namespace GovernedExecution.Tests.Policies.Cedar;

/// <summary>
/// Requests and entities validated against a schema as Cedar does (request validation, entity validation), and the
/// entity-data rules Cedar applies with or without a schema; each case is also put to the official engine
/// (@cedar-policy/cedar-wasm under Node.js, tests/interop/cedar-request-oracle.mjs, installed by .ci/setup-node-tools).
/// </summary>
public sealed class CedarRequestValidationTests
{
    private const string App = """
        type Addr = { city: String, zip?: String };
        entity Group;
        entity User in [Group] = { name: String, age?: Long, addr?: Addr, manager?: User, roles: Set<String> } tags Long;
        entity Doc = { owner: User };
        entity Color enum ["red", "green"];
        action view appliesTo { principal: [User], resource: [Doc], context: { n: Long, ip?: ipaddr, d?: decimal, when?: datetime, dur?: duration, who?: User, tags?: Set<String>, addr?: Addr, color?: Color, flag?: Bool } };
        action edit in [view] appliesTo { principal: User, resource: [Doc, Group] };
        action nothing;
        namespace Shop { entity Item; action "use" appliesTo { principal: User, resource: Item }; }
        """;

    private const string Nested = """
        entity G in [G];
        entity User;
        entity Doc;
        action view appliesTo { principal: User, resource: Doc };
        """;

    private const string View = """{"n": 1}""";

    private static readonly Case[] Cases =
    [
        // Requests: the action, the principal and resource types it applies to, the context type.
        R("conforming", View, true),
        R("context missing a required attribute", "{}", false),
        R("context long given as a string", """{"n": "1"}""", false),
        R("context long given as a bool", """{"n": true}""", false),
        R("context with an undeclared attribute", """{"n": 1, "extra": true}""", false),
        R("context ipaddr", """{"n": 1, "ip": "10.0.0.1"}""", true),
        R("context ipaddr that does not parse", """{"n": 1, "ip": "nope"}""", false),
        R("context decimal", """{"n": 1, "d": "1.5"}""", true),
        R("context decimal with five fraction digits", """{"n": 1, "d": "1.55555"}""", false),
        R("context datetime", """{"n": 1, "when": "2024-01-01"}""", true),
        R("context datetime that does not parse", """{"n": 1, "when": "yesterday"}""", false),
        R("context duration", """{"n": 1, "dur": "1h30m"}""", true),
        R("context entity of the declared type", """{"n": 1, "who": {"type": "User", "id": "b"}}""", true),
        R("context entity escaped", """{"n": 1, "who": {"__entity": {"type": "User", "id": "b"}}}""", true),
        R("context entity of another type", """{"n": 1, "who": {"type": "Doc", "id": "b"}}""", false),
        R("context entity of an undeclared type", """{"n": 1, "who": {"type": "Nope", "id": "b"}}""", false),
        R("context set of strings", """{"n": 1, "tags": ["a", "b"]}""", true),
        R("context empty set", """{"n": 1, "tags": []}""", true),
        R("context set with a long in it", """{"n": 1, "tags": ["a", 1]}""", false),
        R("context set given as a string", """{"n": 1, "tags": "a"}""", false),
        R("context nested record", """{"n": 1, "addr": {"city": "Paris"}}""", true),
        R("context nested record missing a required attribute", """{"n": 1, "addr": {"zip": "1"}}""", false),
        R("context nested record with an undeclared attribute", """{"n": 1, "addr": {"city": "Paris", "street": "x"}}""", false),
        R("context nested record with a wrong type", """{"n": 1, "addr": {"city": 1}}""", false),
        R("context nested record with null", """{"n": 1, "addr": {"city": "Paris", "zip": null}}""", false),
        R("context enumerated entity", """{"n": 1, "color": {"type": "Color", "id": "red"}}""", true),
        R("context enumerated entity with another id", """{"n": 1, "color": {"type": "Color", "id": "blue"}}""", false),
        R("context bool given as a number", """{"n": 1, "flag": 1}""", false),
        R("context ipaddr given as a decimal", """{"n": 1, "ip": {"__extn": {"fn": "decimal", "arg": "1.0"}}}""", false),
        R("context decimal escaped", """{"n": 1, "d": {"__extn": {"fn": "decimal", "arg": "1.0"}}}""", true),
        // (Node reads JSON numbers as doubles: beyond 2^53 the oracle would see another number.)
        R("context large long", """{"n": 9007199254740991}""", true),
        R("context long given with a fraction", """{"n": 1.5}""", false),
        R("context not an object", "[]", false),
        R("principal of a type the action does not apply to", View, false, principal: "Doc::\"x\""),
        R("principal of a declared group type", View, false, principal: "Group::\"g\""),
        R("principal of an undeclared type", View, false, principal: "Nope::\"x\""),
        R("principal of an enumerated type", View, false, principal: "Color::\"red\""),
        R("resource of a type the action does not apply to", View, false, resource: "User::\"u\""),
        R("action not declared", "{}", false, action: "Action::\"delete\""),
        R("action that applies to nothing", "{}", false, action: "Action::\"nothing\""),
        R("action with an empty context", "{}", true, action: "Action::\"edit\""),
        R("action with a second resource type", "{}", true, action: "Action::\"edit\"", resource: "Group::\"g\""),
        R("action whose empty context is closed", View, false, action: "Action::\"edit\""),
        R("namespaced action", "{}", true, action: "Shop::Action::\"use\"", resource: "Shop::Item::\"i\""),
        R("namespaced action, resource type unqualified", "{}", false, action: "Shop::Action::\"use\"", resource: "Item::\"i\""),
        R("namespaced action named without its namespace", "{}", false, action: "Action::\"use\"", resource: "Shop::Item::\"i\""),
        R("namespaced action with a namespaced principal that is not declared", "{}", false, action: "Shop::Action::\"use\"", principal: "Shop::User::\"a\"", resource: "Shop::Item::\"i\""),

        // Entities with the schema: types, attributes, parents, tags, enumerations, actions.
        E("entity conforming", """[{"uid": {"type": "User", "id": "a"}, "attrs": {"name": "A", "roles": []}, "parents": []}]""", true),
        E("entity missing a required attribute", """[{"uid": {"type": "User", "id": "a"}, "attrs": {"roles": []}, "parents": []}]""", false),
        E("entity with an undeclared attribute", """[{"uid": {"type": "User", "id": "a"}, "attrs": {"name": "A", "roles": [], "admin": true}, "parents": []}]""", false),
        E("entity attribute of the wrong type", """[{"uid": {"type": "User", "id": "a"}, "attrs": {"name": "A", "roles": [], "age": "x"}, "parents": []}]""", false),
        E("entity nested record", """[{"uid": {"type": "User", "id": "a"}, "attrs": {"name": "A", "roles": ["r"], "addr": {"city": "P", "zip": "1"}}, "parents": []}]""", true),
        E("entity nested record with an undeclared attribute", """[{"uid": {"type": "User", "id": "a"}, "attrs": {"name": "A", "roles": [], "addr": {"city": "P", "x": "1"}}, "parents": []}]""", false),
        E("entity reference attribute", """[{"uid": {"type": "User", "id": "a"}, "attrs": {"name": "A", "roles": [], "manager": {"type": "User", "id": "b"}}, "parents": []}]""", true),
        E("entity reference attribute of another type", """[{"uid": {"type": "User", "id": "a"}, "attrs": {"name": "A", "roles": [], "manager": {"type": "Doc", "id": "b"}}, "parents": []}]""", false),
        E("entity required reference", """[{"uid": {"type": "Doc", "id": "d"}, "attrs": {"owner": {"type": "User", "id": "a"}}, "parents": []}]""", true),
        E("entity parent of a declared member type", """[{"uid": {"type": "User", "id": "a"}, "attrs": {"name": "A", "roles": []}, "parents": [{"type": "Group", "id": "g"}]}]""", true),
        E("entity parent of a type it may not be in", """[{"uid": {"type": "User", "id": "a"}, "attrs": {"name": "A", "roles": []}, "parents": [{"type": "Doc", "id": "d"}]}]""", false),
        E("entity tags of the tag type", """[{"uid": {"type": "User", "id": "a"}, "attrs": {"name": "A", "roles": []}, "parents": [], "tags": {"k": 1}}]""", true),
        E("entity tag of the wrong type", """[{"uid": {"type": "User", "id": "a"}, "attrs": {"name": "A", "roles": []}, "parents": [], "tags": {"k": "v"}}]""", false),
        E("entity tags on a type without tags", """[{"uid": {"type": "Doc", "id": "d"}, "attrs": {"owner": {"type": "User", "id": "a"}}, "parents": [], "tags": {"k": 1}}]""", false),
        E("entity of an undeclared type", """[{"uid": {"type": "Intruder", "id": "x"}, "attrs": {}, "parents": []}]""", false),
        E("entity of an enumerated type", """[{"uid": {"type": "Color", "id": "red"}, "attrs": {}, "parents": []}]""", true),
        E("entity of an enumerated type with another id", """[{"uid": {"type": "Color", "id": "blue"}, "attrs": {}, "parents": []}]""", false),
        E("action listed as declared", """[{"uid": {"type": "Action", "id": "edit"}, "attrs": {}, "parents": [{"type": "Action", "id": "view"}]}]""", true),
        E("action listed with other parents", """[{"uid": {"type": "Action", "id": "edit"}, "attrs": {}, "parents": []}]""", false),
        E("action entity not declared", """[{"uid": {"type": "Action", "id": "delete"}, "attrs": {}, "parents": []}]""", false),

        // Entity data: Cedar's rules with or without a schema.
        E("entity without attrs", """[{"uid": {"type": "Group", "id": "g"}, "parents": []}]""", false),
        E("entity without parents", """[{"uid": {"type": "Group", "id": "g"}, "attrs": {}}]""", false),
        E("entity with null attrs", """[{"uid": {"type": "Group", "id": "g"}, "attrs": null, "parents": []}]""", false),
        E("entity with null tags", """[{"uid": {"type": "User", "id": "a"}, "attrs": {"name": "A", "roles": []}, "parents": [], "tags": null}]""", false),
        E("entity listed twice identically", """[{"uid": {"type": "Group", "id": "g"}, "attrs": {}, "parents": []}, {"uid": {"type": "Group", "id": "g"}, "attrs": {}, "parents": []}]""", true),
        E("entity listed twice differently", """[{"uid": {"type": "User", "id": "a"}, "attrs": {"name": "A", "roles": []}, "parents": []}, {"uid": {"type": "User", "id": "a"}, "attrs": {"name": "B", "roles": []}, "parents": []}]""", false),
        E("entities in a cycle", """[{"uid": {"type": "G", "id": "a"}, "attrs": {}, "parents": [{"type": "G", "id": "b"}]}, {"uid": {"type": "G", "id": "b"}, "attrs": {}, "parents": [{"type": "G", "id": "a"}]}]""", false, Nested),
        E("entity its own parent", """[{"uid": {"type": "G", "id": "a"}, "attrs": {}, "parents": [{"type": "G", "id": "a"}]}]""", false, Nested),
        E("entities in a chain", """[{"uid": {"type": "G", "id": "a"}, "attrs": {}, "parents": [{"type": "G", "id": "b"}]}, {"uid": {"type": "G", "id": "b"}, "attrs": {}, "parents": [{"type": "G", "id": "c"}]}]""", true, Nested),
        E("entity whose parent is not in the data", """[{"uid": {"type": "G", "id": "a"}, "attrs": {}, "parents": [{"type": "G", "id": "elsewhere"}]}]""", true, Nested),
    ];

    private static readonly string Modules = Path.Combine(TestPaths.RepositoryRoot, ".tools", "node", "node_modules");
    private static readonly string Script = Path.Combine(TestPaths.RepositoryRoot, "tests", "interop", "cedar-request-oracle.mjs");

    public static TheoryData<string> CaseNames()
    {
        var data = new TheoryData<string>();
        foreach (var c in Cases)
        {
            data.Add(c.Name);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(CaseNames))]
    public void A_request_and_its_entities_are_accepted_exactly_when_they_conform(string name)
    {
        var c = Cases.Single(x => x.Name == name);
        var (accepted, error) = Ours(c);
        Assert.True(accepted == c.Valid, $"{name}: expected {(c.Valid ? "accepted" : "refused")}, ours {(accepted ? "accepts" : "refuses: " + error)}");
    }

    [Fact]
    public void Every_case_list_has_at_least_forty_requests()
    {
        Assert.True(Cases.Count(c => c.Entities == "[]") >= 40);
        Assert.Contains(Cases, c => c.Valid);
        Assert.Contains(Cases, c => !c.Valid);
    }

    [SkippableFact]
    public async Task Official_engine_accepts_and_refuses_the_same_requests_and_entities()
    {
        var verdicts = await RunOracleAsync(Cases);
        var disagreements = new List<string>();
        foreach (var c in Cases)
        {
            var verdict = verdicts[c.Name];
            var official = verdict.GetProperty("ok").GetBoolean();
            var (ours, error) = Ours(c);
            if (official != ours || official != c.Valid)
            {
                disagreements.Add($"{c.Name}: official {(official ? "accepts" : "refuses: " + verdict.GetProperty("error").GetString())}; ours {(ours ? "accepts" : "refuses: " + error)}; expected {(c.Valid ? "valid" : "invalid")}");
            }
        }

        Assert.True(disagreements.Count == 0, string.Join("\n", disagreements));
    }

    [Fact]
    public void Every_corpus_request_with_a_schema_is_validated_and_accepted()
    {
        var result = CedarConformanceRunner.Run(Path.Combine(TestPaths.ConformanceRoot, "cedar", "corpus-tests.tar.gz"));
        Assert.True(result.ValidatedRequests > 7_000, $"only {result.ValidatedRequests} requests were validated against their schema");
        Assert.DoesNotContain(result.Failures, f => f.Actual.StartsWith("request error: ", StringComparison.Ordinal) || f.Actual.StartsWith("setup error: ", StringComparison.Ordinal));
        Assert.Empty(result.Failures);
    }

    private static (bool Accepted, string? Error) Ours(Case c)
    {
        try
        {
            var schema = CedarSchema.Parse(c.Schema);
            CedarRequest.Create(c.Principal, c.Action, c.Resource, c.Context, schema);
            CedarEntities.ParseJson(c.Entities, schema);
            return (true, null);
        }
        catch (CedarParseException e)
        {
            return (false, e.Message);
        }
    }

    private static Case R(string name, string context, bool valid, string principal = "User::\"a\"", string action = "Action::\"view\"", string resource = "Doc::\"d\"") =>
        new(name, App, principal, action, resource, context, "[]", valid);

    private static Case E(string name, string entities, bool valid, string schema = App) =>
        schema == App ? new(name, schema, "User::\"a\"", "Action::\"view\"", "Doc::\"d\"", View, entities, valid) : new(name, schema, "User::\"a\"", "Action::\"view\"", "Doc::\"d\"", "{}", entities, valid);

    private static JsonObject UidJson(string text)
    {
        var uid = CedarParser.TryParseEntityUid(text)!;
        return new JsonObject { ["type"] = uid.Type, ["id"] = uid.Id };
    }

    private static async Task<Dictionary<string, JsonElement>> RunOracleAsync(IEnumerable<Case> cases)
    {
        var node = (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(Path.PathSeparator).Select(d => Path.Combine(d, "node")).FirstOrDefault(File.Exists);
        Skip.If(node is null, "node is not on PATH: the official Cedar engine cannot run; install Node.js and npm, then run .ci/setup-node-tools");
        Skip.IfNot(Directory.Exists(Path.Combine(Modules, "@cedar-policy", "cedar-wasm")), $"@cedar-policy/cedar-wasm is not installed in {Modules}: run .ci/setup-node-tools");

        var items = new JsonArray();
        foreach (var c in cases)
        {
            items.Add(new JsonObject
            {
                ["name"] = c.Name,
                ["schema"] = c.Schema,
                ["principal"] = UidJson(c.Principal),
                ["action"] = UidJson(c.Action),
                ["resource"] = UidJson(c.Resource),
                ["context"] = JsonNode.Parse(c.Context),
                ["entities"] = JsonNode.Parse(c.Entities),
            });
        }

        var dir = Directory.CreateTempSubdirectory("govexec-cedar-request-");
        try
        {
            var input = Path.Combine(dir.FullName, "requests.json");
            await File.WriteAllTextAsync(input, items.ToJsonString());
            var start = new ProcessStartInfo(node!) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            foreach (var argument in new[] { Script, "--modules", Modules, input })
            {
                start.ArgumentList.Add(argument);
            }

            using var process = Process.Start(start)!;
            using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(5));
            var output = process.StandardOutput.ReadToEndAsync(timeout.Token);
            var error = process.StandardError.ReadToEndAsync(timeout.Token);
            await process.WaitForExitAsync(timeout.Token);
            var text = await output;
            Assert.True(process.ExitCode == 0 && text.StartsWith('['), "node failed: " + await error);
            using var document = JsonDocument.Parse(text);
            return document.RootElement.EnumerateArray().ToDictionary(e => e.GetProperty("name").GetString()!, e => e.Clone(), StringComparer.Ordinal);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    private sealed record Case(string Name, string Schema, string Principal, string Action, string Resource, string Context, string Entities, bool Valid);
}
