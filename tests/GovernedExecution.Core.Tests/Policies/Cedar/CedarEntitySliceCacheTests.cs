using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using GovernedExecution.Intents;
using GovernedExecution.Policies.Cedar;
using GovernedExecution.Testing.Cedar;

namespace GovernedExecution.Tests.Policies.Cedar;

/// <summary>
/// The slice reuses, per entity store, each entity's encoding and the closure of the policy set's literals. Attacks
/// on that reuse: a slice must be the one of its own store, literal set and request, byte for byte, whatever was
/// taken before with another store, another policy set or another request; a literal collection that can change is
/// never trusted to stay the same; the entity limit is applied to the whole closure. The reference is the definition
/// written out without any reuse: a walk from every root, then <see cref="CedarEntitySlice.CanonicalJson.Entities"/>.
/// </summary>
public sealed class CedarEntitySliceCacheTests
{
    private const string FirstStore = """
        [
          {"uid":{"type":"User","id":"u"},"attrs":{"boss":{"__entity":{"type":"User","id":"v"}}},"parents":[{"type":"Group","id":"g"}]},
          {"uid":{"type":"User","id":"v"},"attrs":{},"parents":[]},
          {"uid":{"type":"User","id":"w"},"attrs":{"n":1},"parents":[{"type":"Group","id":"h"}]},
          {"uid":{"type":"Group","id":"g"},"attrs":{},"parents":[{"type":"Group","id":"top"}]},
          {"uid":{"type":"Group","id":"h"},"attrs":{},"parents":[]},
          {"uid":{"type":"Group","id":"top"},"attrs":{"admin":{"__entity":{"type":"User","id":"w"}}},"parents":[]},
          {"uid":{"type":"Doc","id":"d"},"attrs":{"owner":{"__entity":{"type":"User","id":"w"}}},"parents":[{"type":"Folder","id":"f"}]},
          {"uid":{"type":"Folder","id":"f"},"attrs":{},"parents":[]},
          {"uid":{"type":"Action","id":"read"},"attrs":{},"parents":[]}
        ]
        """;

    // The same uids with other contents: other attributes, other parents, an entity more.
    private const string SecondStore = """
        [
          {"uid":{"type":"User","id":"u"},"attrs":{"boss":{"__entity":{"type":"User","id":"w"}},"n":2},"parents":[{"type":"Group","id":"h"}]},
          {"uid":{"type":"User","id":"v"},"attrs":{"n":3},"parents":[{"type":"Group","id":"top"}]},
          {"uid":{"type":"User","id":"w"},"attrs":{},"parents":[]},
          {"uid":{"type":"Group","id":"g"},"attrs":{},"parents":[]},
          {"uid":{"type":"Group","id":"h"},"attrs":{},"parents":[{"type":"Group","id":"g"}]},
          {"uid":{"type":"Group","id":"top"},"attrs":{},"parents":[]},
          {"uid":{"type":"Doc","id":"d"},"attrs":{},"parents":[{"type":"Folder","id":"f"}]},
          {"uid":{"type":"Folder","id":"f"},"attrs":{"keeper":{"__entity":{"type":"User","id":"v"}}},"parents":[]},
          {"uid":{"type":"Doc","id":"e"},"attrs":{},"parents":[]},
          {"uid":{"type":"Action","id":"read"},"attrs":{},"parents":[]}
        ]
        """;

    [Fact]
    public void A_slice_is_the_one_of_its_own_store_policy_set_and_request_whatever_was_taken_before()
    {
        CedarEntities[] stores = [CedarEntities.ParseJson(FirstStore), CedarEntities.ParseJson(SecondStore), CedarEntities.ParseJson(FirstStore)];
        CedarPolicySet[] sets =
        [
            CedarPolicySet.Parse("permit (principal in Group::\"top\", action, resource);"),
            CedarPolicySet.Parse("permit (principal, action, resource in Folder::\"f\") when { principal == User::\"v\" };"),
            CedarPolicySet.Parse("permit (principal, action, resource);"),
        ];
        var evaluators = sets.Select(s => new CedarPolicyEvaluator(s)).ToArray();
        string[] principals = ["u", "v", "w", "nobody"];
        string[] resources = ["Doc::\"d\"", "Doc::\"e\"", "Group::\"g\"", "Folder::\"f\""];
        RecordValue[] contexts =
        [
            RecordValue.Empty,
            CedarValues.Record(new Dictionary<string, CedarValue> { ["who"] = CedarValues.Entity("User", "v") }),
            CedarValues.Record(new Dictionary<string, CedarValue> { ["all"] = CedarValues.Set([CedarValues.Entity("Doc", "e"), CedarValues.Entity("Group", "h")]) }),
        ];
        var digests = new HashSet<string>(StringComparer.Ordinal);
        for (var round = 0; round < 2; round++)
        {
            foreach (var principal in principals)
            {
                foreach (var resource in resources)
                {
                    foreach (var context in contexts)
                    {
                        foreach (var evaluator in evaluators)
                        {
                            foreach (var store in stores)
                            {
                                var p = CedarValues.Entity("User", principal);
                                var a = CedarValues.Entity("Action", "read");
                                var r = CedarParser.TryParseEntityUid(resource)!;
                                var slice = CedarEntitySlice.Take(p, a, r, context, store.Store, evaluator.Literals);
                                var expected = Reference(p, a, r, context, store.Store, evaluator.Literals);
                                var what = $"{principal} {resource} {evaluator.Policies.ToCedarText()}";
                                Assert.True(expected.SequenceEqual(slice.EntitiesJson!), what + "\n" + Encoding.UTF8.GetString(expected) + "\n" + Encoding.UTF8.GetString(slice.EntitiesJson!));
                                Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(expected)), slice.EntitiesDigest);
                                Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(CedarEntitySlice.CanonicalJson.Record(context))), slice.ContextDigest);
                                Assert.Equal(Count(p, a, r, context, store.Store, evaluator.Literals), slice.Count);
                                digests.Add(slice.EntitiesDigest!);
                            }
                        }
                    }
                }
            }
        }

        // The cases are not all the same slice: the stores and literal sets do change what is consulted.
        Assert.True(digests.Count > 20, digests.Count.ToString(CultureInfo.InvariantCulture));
    }

    [Fact]
    public void A_literal_collection_that_can_change_is_read_again_on_every_slice()
    {
        var store = CedarEntities.ParseJson(FirstStore).Store;
        var literals = new List<EntityUid> { CedarValues.Entity("Folder", "f") };
        var p = CedarValues.Entity("User", "v");
        var a = CedarValues.Entity("Action", "read");
        var first = CedarEntitySlice.Take(p, a, p, RecordValue.Empty, store, literals);
        literals.Add(CedarValues.Entity("Group", "top"));
        var second = CedarEntitySlice.Take(p, a, p, RecordValue.Empty, store, literals);

        Assert.DoesNotContain("\"top\"", Encoding.UTF8.GetString(first.EntitiesJson!), StringComparison.Ordinal);
        Assert.Contains("\"top\"", Encoding.UTF8.GetString(second.EntitiesJson!), StringComparison.Ordinal);
        Assert.Equal(Reference(p, a, p, RecordValue.Empty, store, literals), second.EntitiesJson);
    }

    [Theory]
    [InlineData(CedarEntitySlice.MaxEntities - 3, true, true)] // the literal's closure and the request's exactly reach the limit
    [InlineData(CedarEntitySlice.MaxEntities - 2, true, false)] // one more: cut
    [InlineData(CedarEntitySlice.MaxEntities - 3, false, true)] // all of it reached from the request alone
    [InlineData(CedarEntitySlice.MaxEntities - 2, false, false)]
    [InlineData(CedarEntitySlice.MaxEntities + 5, true, false)] // the literal's closure alone is over the limit
    public void The_entity_limit_applies_to_the_whole_closure_literals_and_request_together(int members, bool fromLiteral, bool recorded)
    {
        // Group::"big" holds `members` users; the request's principal (User::"p") and resource (Doc::"d") are two more,
        // and the holder itself one more: members + 3 entities in all.
        var json = new StringBuilder("[");
        json.Append("{\"uid\":{\"type\":\"Group\",\"id\":\"big\"},\"attrs\":{\"members\":[");
        for (var i = 0; i < members; i++)
        {
            json.Append(i == 0 ? string.Empty : ",").Append(CultureInfo.InvariantCulture, $"{{\"__entity\":{{\"type\":\"User\",\"id\":\"m{i}\"}}}}");
        }

        json.Append("]},\"parents\":[]}");
        for (var i = 0; i < members; i++)
        {
            json.Append(CultureInfo.InvariantCulture, $",{{\"uid\":{{\"type\":\"User\",\"id\":\"m{i}\"}},\"attrs\":{{}},\"parents\":[]}}");
        }

        json.Append(",{\"uid\":{\"type\":\"User\",\"id\":\"p\"},\"attrs\":{},\"parents\":[").Append(fromLiteral ? string.Empty : "{\"type\":\"Group\",\"id\":\"big\"}").Append("]}");
        json.Append(",{\"uid\":{\"type\":\"Doc\",\"id\":\"d\"},\"attrs\":{},\"parents\":[]}]");
        var store = CedarEntities.ParseJson(json.ToString()).Store;
        var evaluator = new CedarPolicyEvaluator(CedarPolicySet.Parse(fromLiteral ? "permit (principal in Group::\"big\", action, resource);" : "permit (principal, action, resource);"));
        var p = CedarValues.Entity("User", "p");
        var a = CedarValues.Entity("Action", "read");
        var r = CedarValues.Entity("Doc", "d");

        for (var round = 0; round < 2; round++)
        {
            var slice = CedarEntitySlice.Take(p, a, r, RecordValue.Empty, store, evaluator.Literals);
            Assert.Equal(recorded, slice.EntitiesJson is not null);
            Assert.Equal(recorded ? members + 3 : CedarEntitySlice.MaxEntities + 1, slice.Count);
            Assert.Equal(Count(p, a, r, RecordValue.Empty, store, evaluator.Literals), slice.Count);
            if (recorded)
            {
                Assert.Equal(Reference(p, a, r, RecordValue.Empty, store, evaluator.Literals), slice.EntitiesJson);
            }
        }
    }

    [Fact]
    public async Task Every_decision_of_the_hard_workload_records_the_slice_of_its_own_request()
    {
        var workload = new CedarHardWorkload(CedarHardWorkloadDecisions.Sizes[0]);
        var set = CedarPolicySet.Parse(workload.PolicyText);
        var entities = CedarEntities.ParseJson(workload.EntitiesJson);
        var evaluator = new CedarPolicyEvaluator(set, entities);
        var distinct = new HashSet<string>(StringComparer.Ordinal);
        foreach (var w in workload.Requests)
        {
            var request = CedarRequest.Create(w.PrincipalText, w.ActionText, w.ResourceText, w.ContextJson);
            var intent = new ExecutionIntent(ToReference(request.Principal), ToReference(request.Action), ToReference(request.Resource))
            {
                Context = new Dictionary<string, IntentValue>
                {
                    ["mfa"] = IntentValue.Boolean(w.Mfa),
                    ["risk"] = IntentValue.Long(w.Risk),
                    ["channel"] = IntentValue.String(w.Channel),
                    ["hour"] = IntentValue.Long(w.Hour),
                },
            };
            var decision = await evaluator.EvaluateAsync(intent, DateTimeOffset.UnixEpoch, CancellationToken.None);
            var slice = decision.ConsultedEntities!;
            var expected = Reference(request.Principal, request.Action, request.Resource, request.Context!, entities.Store, evaluator.Literals);
            Assert.Equal(expected, slice.EntitiesJson);
            Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(expected)), slice.EntitiesDigest);
            distinct.Add(slice.EntitiesDigest!);
        }

        Assert.True(distinct.Count > 10);

        static EntityReference ToReference(EntityUid uid) => new(uid.Type, uid.Id);
    }

    /// <summary>The slice's entities by definition: every entity reached from every root by ancestors and held values, encoded canonically.</summary>
    private static byte[] Reference(EntityUid principal, EntityUid action, EntityUid resource, RecordValue context, CedarEntityStore store, IEnumerable<EntityUid> literals) =>
        CedarEntitySlice.CanonicalJson.Entities(Closure(principal, action, resource, context, store, literals));

    private static int Count(EntityUid principal, EntityUid action, EntityUid resource, RecordValue context, CedarEntityStore store, IEnumerable<EntityUid> literals) =>
        Math.Min(Closure(principal, action, resource, context, store, literals).Count, CedarEntitySlice.MaxEntities + 1);

    private static List<CedarEntity> Closure(EntityUid principal, EntityUid action, EntityUid resource, RecordValue context, CedarEntityStore store, IEnumerable<EntityUid> literals)
    {
        var seen = new HashSet<EntityUid>();
        var queue = new Queue<EntityUid>();
        var found = new List<CedarEntity>();
        void Visit(CedarValue value)
        {
            switch (value)
            {
                case EntityUid uid when seen.Add(uid):
                    queue.Enqueue(uid);
                    break;
                case SetValue set:
                    foreach (var item in set.Items)
                    {
                        Visit(item);
                    }

                    break;
                case RecordValue record:
                    foreach (var field in record.Attrs.Values)
                    {
                        Visit(field);
                    }

                    break;
            }
        }

        Visit(principal);
        Visit(action);
        Visit(resource);
        foreach (var literal in literals)
        {
            Visit(literal);
        }

        Visit(context);
        while (queue.Count > 0)
        {
            if (store.Get(queue.Dequeue()) is not { } entity)
            {
                continue;
            }

            found.Add(entity);
            foreach (var ancestor in entity.Ancestors)
            {
                Visit(ancestor);
            }

            foreach (var value in entity.Attrs.Values.Concat(entity.Tags?.Values ?? Enumerable.Empty<CedarValue>()))
            {
                Visit(value);
            }
        }

        return found;
    }
}
