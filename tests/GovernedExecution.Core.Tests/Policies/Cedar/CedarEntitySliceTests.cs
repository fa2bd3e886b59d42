using System.Formats.Tar;
using System.Globalization;
using System.IO.Compression;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using GovernedExecution.Intents;
using GovernedExecution.Policies;
using GovernedExecution.Policies.Cedar;
using GovernedExecution.Testing;
using GovernedExecution.Tests.Policies.Cedar.Differential;

namespace GovernedExecution.Tests.Policies.Cedar;

/// <summary>
/// The consulted-entity slice a decision records: deciding a request against the slice alone gives the decision it
/// got against the whole store, over the differential generator's random cases; its canonical form is stable.
/// </summary>
public sealed class CedarEntitySliceTests
{
    [Theory]
    [InlineData(20_261_205, false)]
    [InlineData(20_261_206, false)]
    [InlineData(20_261_205, true)]
    [InlineData(20_261_207, true)]
    public void Deciding_with_the_slice_alone_gives_the_decision_made_with_the_whole_store(int seed, bool withSchema)
    {
        var plain = new CedarCaseGenerator(seed);
        var typed = new CedarSchemaCaseGenerator(seed);
        int requests = 0, sliced = 0;
        for (var i = 0; i < 250; i++)
        {
            var generated = withSchema ? typed.Next(string.Create(CultureInfo.InvariantCulture, $"slice-{seed}-{i}")) : plain.Next(string.Create(CultureInfo.InvariantCulture, $"slice-{seed}-{i}"));
            CedarPolicySet policies;
            CedarEntities store;
            CedarSchema? schema = null;
            try
            {
                policies = CedarPolicySet.Parse(generated.PolicyText);
                schema = generated.Schema is null ? null : CedarSchema.Parse(generated.Schema);
                store = schema is null ? CedarEntities.ParseJson(generated.EntitiesJson().ToJsonString()) : CedarEntities.ParseJson(generated.EntitiesJson().ToJsonString(), schema);
            }
            catch (CedarParseException)
            {
                continue; // a case the engine refuses has no decision to replay
            }

            var evaluator = new CedarPolicyEvaluator(policies);
            foreach (var r in generated.Requests)
            {
                var json = r.ToJson();
                CedarRequest request;
                try
                {
                    request = CedarRequest.Create(Uid(json["principal"]!), Uid(json["action"]!), Uid(json["resource"]!), json["context"]?.ToJsonString(), schema);
                }
                catch (CedarParseException)
                {
                    continue;
                }

                requests++;
                var whole = evaluator.Replay(request, store);
                var slice = whole.ConsultedEntities!;
                Assert.NotNull(slice.EntitiesJson);
                sliced += slice.Count < store.Count ? 1 : 0;
                var alone = evaluator.Replay(request, CedarEntities.ParseJson(Encoding.UTF8.GetString(slice.EntitiesJson!), "slice"));
                Assert.True(Same(whole, alone), $"{generated.Name}: {Describe(whole)} with the store, {Describe(alone)} with the slice\n{generated.PolicyText}\n{Encoding.UTF8.GetString(slice.EntitiesJson!)}");
                // Canonical and closed: the slice of the slice is the slice, byte for byte.
                Assert.Equal(slice.EntitiesDigest, alone.ConsultedEntities!.EntitiesDigest);
            }
        }

        Assert.True(requests > 200, $"only {requests} requests were decided");
        Assert.True(sliced > 0, "no slice was smaller than its store: the test would not notice a slice that is the whole store");
    }

    [Fact]
    public void Over_the_conformance_corpus_the_slice_gives_every_request_its_decision()
    {
        var files = ReadTarGz(Path.Combine(TestPaths.ConformanceRoot, "cedar", "corpus-tests.tar.gz"));
        var cache = new Dictionary<string, object>(StringComparer.Ordinal);
        T Load<T>(string key, Func<T> load)
            where T : class
        {
            if (!cache.TryGetValue(key, out var value))
            {
                cache[key] = value = load();
            }

            return (T)value;
        }

        var evaluators = new Dictionary<CedarPolicySet, CedarPolicyEvaluator>(ReferenceEqualityComparer.Instance);
        int requests = 0, sliced = 0, dependent = 0;
        foreach (var name in files.Keys.Where(k => k.EndsWith(".json", StringComparison.Ordinal)).Order(StringComparer.Ordinal))
        {
            using var doc = JsonDocument.Parse(files[name], CedarJsonValues.DocumentOptions);
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("requests", out var list))
            {
                continue;
            }

            CedarPolicySet policies;
            CedarEntities store;
            CedarSchema? schema;
            try
            {
                schema = root.TryGetProperty("schema", out var s) && s.ValueKind == JsonValueKind.String
                    ? Load("schema:" + s.GetString(), () => Resolve(files, name, s.GetString()!) is var path && path.EndsWith(".cedarschema", StringComparison.Ordinal) ? CedarSchema.Parse(files[path], path) : CedarSchema.ParseJson(files[path], path))
                    : null;
                var json = root.TryGetProperty("policyFormat", out var format) && format.GetString() == "json";
                var policiesPath = Resolve(files, name, root.GetProperty("policies").GetString()!);
                policies = Load("policies:" + policiesPath, () => json || policiesPath.EndsWith(".json", StringComparison.Ordinal) ? CedarPolicySet.ParseJson(files[policiesPath], policiesPath) : CedarPolicySet.Parse(files[policiesPath], policiesPath));
                var entitiesPath = Resolve(files, name, root.GetProperty("entities").GetString()!);
                var schemaKey = schema is null ? string.Empty : "#" + root.GetProperty("schema").GetString();
                store = Load("entities:" + entitiesPath + schemaKey, () => CedarEntities.ParseJson(files[entitiesPath], entitiesPath, schema));
            }
            catch (Exception e) when (e is CedarParseException or FileNotFoundException or KeyNotFoundException)
            {
                continue; // a test whose setup the engine refuses decides nothing
            }

            if (!evaluators.TryGetValue(policies, out var evaluator))
            {
                evaluators[policies] = evaluator = new CedarPolicyEvaluator(policies);
            }

            foreach (var r in list.EnumerateArray())
            {
                CedarRequest request;
                try
                {
                    var action = CedarJsonValues.ParseUid(r.GetProperty("action"));
                    var context = r.TryGetProperty("context", out var c) ? CedarJsonValues.ParseRecord(c, schema?.GetActionContext(action)) : RecordValue.Empty;
                    request = CedarRequest.FromValues(CedarJsonValues.ParseUid(r.GetProperty("principal")), action, CedarJsonValues.ParseUid(r.GetProperty("resource")), context);
                }
                catch (CedarEvaluationException)
                {
                    continue;
                }

                requests++;
                var whole = evaluator.Replay(request, store);
                var slice = whole.ConsultedEntities!;
                sliced += slice.Count < store.Count ? 1 : 0;
                var alone = evaluator.Replay(request, CedarEntities.ParseJson(Encoding.UTF8.GetString(slice.EntitiesJson!), "slice"));
                Assert.True(Same(whole, alone), $"{name}: {Describe(whole)} with the store, {Describe(alone)} with the slice");
                Assert.Equal(slice.EntitiesDigest, alone.ConsultedEntities!.EntitiesDigest);
                dependent += Same(whole, evaluator.Replay(request, CedarEntities.Empty)) ? 0 : 1;
            }
        }

        Assert.True(requests > 60_000, $"only {requests} corpus requests were decided");
        // Not vacuous: these decisions (1,338 of the corpus) read entity data, so a slice missing what they read would be
        // noticed there. Few of them reach entities beyond the request's own: the generated cases above are the sharper test.
        Assert.True(dependent > 1_000, $"only {dependent} corpus decisions depend on entity data");
        Assert.True(sliced > 1_000, $"only {sliced} slices were smaller than their store");
    }

    [Fact]
    public void An_entity_reached_only_through_an_attribute_of_an_ancestor_is_in_the_slice()
    {
        var policies = CedarPolicySet.Parse("""
            permit (principal, action, resource) when { principal in Team::"t" && Team::"t".lead.level > 2 };
            """);
        var store = CedarEntities.ParseJson("""
            [
              {"uid":{"type":"User","id":"a"},"attrs":{},"parents":[{"type":"Team","id":"t"}]},
              {"uid":{"type":"Team","id":"t"},"attrs":{"lead":{"__entity":{"type":"User","id":"boss"}}},"parents":[{"type":"Org","id":"o"}]},
              {"uid":{"type":"Org","id":"o"},"attrs":{},"parents":[]},
              {"uid":{"type":"User","id":"boss"},"attrs":{"level":{"__extn":{"fn":"decimal","arg":"3.5"}}},"parents":[]},
              {"uid":{"type":"User","id":"unrelated"},"attrs":{"level":9},"parents":[]}
            ]
            """);
        var evaluator = new CedarPolicyEvaluator(policies);
        var request = CedarRequest.Create("User::\"a\"", "Action::\"view\"", "Doc::\"d\"");
        var decision = evaluator.Replay(request, store);
        var json = Encoding.UTF8.GetString(decision.ConsultedEntities!.EntitiesJson!);
        Assert.Contains("\"boss\"", json, StringComparison.Ordinal);
        Assert.Contains("\"Org\"", json, StringComparison.Ordinal);
        Assert.DoesNotContain("unrelated", json, StringComparison.Ordinal);
        Assert.Equal(4, decision.ConsultedEntities.Count);
    }

    [Fact]
    public void The_canonical_form_sorts_entities_members_parents_and_set_elements_and_escapes_only_what_JSON_needs()
    {
        var store = CedarEntities.ParseJson("""
            [
              {"uid":{"type":"User","id":"b"},"attrs":{"z":1,"a":["y","x",{"__entity":{"type":"User","id":"a"}}],"t":"é\u0001\"\\"},"parents":[{"type":"G","id":"2"},{"type":"G","id":"1"}]},
              {"uid":{"type":"User","id":"a"},"attrs":{"when":{"__extn":{"fn":"datetime","arg":"2024-10-15T11:35:00Z"}},"ip":{"__extn":{"fn":"ip","arg":"10.0.0.0/8"}},"d":{"__extn":{"fn":"duration","arg":"1h"}}},"parents":[],"tags":{"k":true}}
            ]
            """);
        var slice = CedarEntitySlice.Take(Uid("User", "b"), Uid("Action", "x"), Uid("R", "r"), RecordValue.Empty, store.Store, []);
        var json = Encoding.UTF8.GetString(slice.EntitiesJson!);
        Assert.Equal(
            "[{\"uid\":{\"type\":\"User\",\"id\":\"a\"},\"attrs\":{\"d\":{\"__extn\":{\"fn\":\"duration\",\"arg\":\"3600000ms\"}},\"ip\":{\"__extn\":{\"fn\":\"ip\",\"arg\":\"10.0.0.0/8\"}},"
            + "\"when\":{\"__extn\":{\"fn\":\"offset\",\"args\":[{\"__extn\":{\"fn\":\"datetime\",\"arg\":\"1970-01-01\"}},{\"__extn\":{\"fn\":\"duration\",\"arg\":\"1728992100000ms\"}}]}}},\"parents\":[],\"tags\":{\"k\":true}},"
            + "{\"uid\":{\"type\":\"User\",\"id\":\"b\"},\"attrs\":{\"a\":[\"x\",\"y\",{\"__entity\":{\"type\":\"User\",\"id\":\"a\"}}],\"t\":\"é\\u0001\\\"\\\\\",\"z\":1},\"parents\":[{\"type\":\"G\",\"id\":\"1\"},{\"type\":\"G\",\"id\":\"2\"}]}]",
            json);
        Assert.Equal(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(slice.EntitiesJson!)), slice.EntitiesDigest);
        // Read back, every value is the same value.
        var again = CedarEntitySlice.Take(Uid("User", "b"), Uid("Action", "x"), Uid("R", "r"), RecordValue.Empty, CedarEntities.ParseJson(json).Store, []);
        Assert.Equal(slice.EntitiesDigest, again.EntitiesDigest);
    }

    [Fact]
    public void Entity_literals_are_read_from_scopes_and_conditions_including_namespaced_and_escaped_ones()
    {
        var policies = CedarPolicySet.Parse("""
            permit (principal == A::B::User::"q\"x", action in [Action::"a", Action::"b"], resource in Folder::"f")
            when { context.x == Ns::Thing::"lit" && "Not::\"an entity\"" like "*" };
            """);
        var literals = CedarEntitySlice.Literals(policies).Select(u => u.ToString()).Order(StringComparer.Ordinal).ToArray();
        Assert.Equal(["A::B::User::\"q\\\"x\"", "Action::\"a\"", "Action::\"b\"", "Folder::\"f\"", "Ns::Thing::\"lit\""], literals);
    }

    [Fact]
    public async Task An_entity_provider_s_answer_for_the_request_is_what_the_slice_is_taken_from()
    {
        var policies = CedarPolicySet.Parse("permit (principal, action, resource) when { principal.clearance >= resource.level };");
        var provider = new PerIntentProvider();
        var evaluator = new CedarPolicyEvaluator(policies, provider);
        var intent = new ExecutionIntent(new EntityReference("User", "a"), new EntityReference("Action", "read"), new EntityReference("Doc", "d"));
        var decision = await evaluator.EvaluateAsync(intent, DateTimeOffset.UnixEpoch, CancellationToken.None);
        Assert.Equal(PolicyDecisionKind.Permitted, decision.Kind);
        var json = Encoding.UTF8.GetString(decision.ConsultedEntities!.EntitiesJson!);
        Assert.Contains("\"clearance\":5", json, StringComparison.Ordinal); // what this provider answered for this request
        Assert.DoesNotContain("noise", json, StringComparison.Ordinal);
        var alone = new CedarPolicyEvaluator(policies).Replay(CedarRequest.Create("User::\"a\"", "Action::\"read\"", "Doc::\"d\""), CedarEntities.ParseJson(json));
        Assert.Equal(PolicyDecisionKind.Permitted, alone.Kind);
    }

    /// <summary>Finds a file a corpus test names, as the conformance runner does: as given, then beside the test and up.</summary>
    private static string Resolve(Dictionary<string, string> files, string testFile, string relative)
    {
        if (files.ContainsKey(relative))
        {
            return relative;
        }

        var dir = Path.GetDirectoryName(testFile)?.Replace('\\', '/') ?? string.Empty;
        while (dir.Length > 0)
        {
            if (files.ContainsKey(dir + "/" + relative))
            {
                return dir + "/" + relative;
            }

            var cut = dir.LastIndexOf('/');
            dir = cut < 0 ? string.Empty : dir[..cut];
        }

        throw new FileNotFoundException("not in the corpus: " + relative);
    }

    private static Dictionary<string, string> ReadTarGz(string archive)
    {
        var files = new Dictionary<string, string>(StringComparer.Ordinal);
        using var stream = File.OpenRead(archive);
        using var gz = new GZipStream(stream, CompressionMode.Decompress);
        using var tar = new TarReader(gz);
        while (tar.GetNextEntry() is { } entry)
        {
            if (entry.EntryType is TarEntryType.RegularFile or TarEntryType.V7RegularFile && entry.DataStream is not null)
            {
                using var reader = new StreamReader(entry.DataStream, Encoding.UTF8);
                var name = entry.Name.Replace('\\', '/');
                files[name.StartsWith("./", StringComparison.Ordinal) ? name[2..] : name] = reader.ReadToEnd();
            }
        }

        return files;
    }

    private static bool Same(PolicyDecision a, PolicyDecision b) =>
        a.Kind == b.Kind && a.DeterminingPolicies.SequenceEqual(b.DeterminingPolicies)
        && a.Errors.Select(e => e.PolicyId + ":" + e.Message).SequenceEqual(b.Errors.Select(e => e.PolicyId + ":" + e.Message));

    private static string Describe(PolicyDecision d) => $"{d} [{string.Join("; ", d.Errors.Select(e => e.PolicyId + ":" + e.Message))}]";

    private static string Uid(JsonNode n) => (string)n["type"]! + "::" + CedarText.Quote((string)n["id"]!);

    private static EntityUid Uid(string type, string id) => new(type, id);

    private sealed class PerIntentProvider : IEntityProvider
    {
        public ValueTask<CedarEntities> GetEntitiesAsync(ExecutionIntent intent, CancellationToken cancellationToken) =>
            ValueTask.FromResult(CedarEntities.ParseJson($$"""
                [
                  {"uid":{"type":"User","id":"{{intent.Principal.Id}}"},"attrs":{"clearance":5},"parents":[]},
                  {"uid":{"type":"Doc","id":"{{intent.Resource.Id}}"},"attrs":{"level":3},"parents":[]},
                  {"uid":{"type":"User","id":"noise"},"attrs":{"clearance":0},"parents":[]}
                ]
                """));
    }
}
