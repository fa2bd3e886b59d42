using GovernedExecution.Policies.Cedar;

namespace GovernedExecution.Tests.Policies.Cedar;

public sealed class CedarEntitiesTests
{
    [Fact]
    public void Reads_escapes_references_and_tags_and_without_a_schema_a_type_and_id_object_is_a_record()
    {
        var store = CedarEntities.ParseJson("""
            [
              { "uid": {"__entity": {"type": "A::User", "id": "u"}},
                "attrs": {
                  "m": {"__entity": {"type": "User", "id": "m"}},
                  "implicit": {"type": "User", "id": "i"},
                  "rec": {"type": "User", "id": "r", "extra": 1},
                  "ip": {"__extn": {"fn": "ip", "arg": "10.0.0.0/8"}},
                  "when": {"__extn": {"fn": "offset", "args": [{"__extn": {"fn": "datetime", "arg": "1970-01-01"}}, {"__extn": {"fn": "duration", "arg": "1h"}}]}},
                  "set": [1, 1, 2]
                },
                "parents": [{"type": "G", "id": "g"}],
                "tags": {"t": "v"} }
            ]
            """).Store;
        var e = store.Get(new EntityUid("A::User", "u"))!;
        Assert.Equal(new EntityUid("User", "m"), e.Attrs["m"]);
        var implicitRecord = Assert.IsType<RecordValue>(e.Attrs["implicit"]);
        Assert.Equal(new StringValue("User"), implicitRecord.Attrs["type"]);
        Assert.IsType<RecordValue>(e.Attrs["rec"]);
        Assert.Equal(new IpValue(false, 0x0a000000, 8), e.Attrs["ip"]);
        Assert.Equal(new DatetimeValue(3_600_000), e.Attrs["when"]);
        Assert.Equal(2, ((SetValue)e.Attrs["set"]).Items.Length);
        Assert.Equal(new StringValue("v"), e.Tags!["t"]);
        Assert.Contains(new EntityUid("G", "g"), e.Ancestors);
    }

    [Fact]
    public void Schema_types_let_values_leave_out_escapes()
    {
        var schema = CedarSchema.Parse("""
            namespace App {
              type Addr = { ip: ipaddr, owner?: User };
              entity User in [Group] = { score: decimal, addr: Addr, friends: Set<User>, "odd key": { when: datetime } } tags duration;
              entity Group;
              action view appliesTo { principal: [User], resource: [User], context: { at: datetime } };
            }
            """);
        var store = CedarEntities.ParseJson("""
            [{ "uid": {"type": "App::User", "id": "a"},
               "attrs": { "score": "1.5", "addr": {"ip": "1.2.3.4", "owner": {"type": "App::User", "id": "b"}},
                          "friends": [{"type": "App::User", "id": "c"}], "odd key": {"when": "2024-01-01"} },
               "parents": [], "tags": {"ttl": "1h"} }]
            """, "e.json", schema).Store;
        var e = store.Get(new EntityUid("App::User", "a"))!;
        Assert.Equal(DecimalValue.TryParse("1.5"), e.Attrs["score"]);
        var addr = (RecordValue)e.Attrs["addr"];
        Assert.IsType<IpValue>(addr.Attrs["ip"]);
        Assert.Equal(new EntityUid("App::User", "b"), addr.Attrs["owner"]);
        Assert.Equal(new EntityUid("App::User", "c"), ((SetValue)e.Attrs["friends"]).Items[0]);
        Assert.IsType<DatetimeValue>(((RecordValue)e.Attrs["odd key"]).Attrs["when"]);
        Assert.Equal(new DurationValue(3_600_000), e.Tags!["ttl"]);
        var at = schema.GetActionContext(new EntityUid("App::Action", "view"))!.Attributes!["at"].Type;
        Assert.Equal((SchemaTypeKind.Extension, "datetime"), (at.Kind, at.Name));
    }

    [Fact]
    public void Ancestors_are_transitive()
    {
        var store = CedarEntities.ParseJson("""
            [
              { "uid": {"type": "G", "id": "a"}, "attrs": {}, "parents": [{"type": "G", "id": "b"}] },
              { "uid": {"type": "G", "id": "b"}, "attrs": {}, "parents": [{"type": "G", "id": "c"}] },
              { "uid": {"type": "G", "id": "c"}, "attrs": {}, "parents": [] }
            ]
            """).Store;
        Assert.True(store.IsIn(new EntityUid("G", "a"), new EntityUid("G", "c")));
        Assert.False(store.IsIn(new EntityUid("G", "c"), new EntityUid("G", "b")));
        Assert.False(store.IsIn(new EntityUid("G", "a"), new EntityUid("G", "z")));
    }

    [Fact]
    public void A_hierarchy_with_a_cycle_is_refused_as_Cedar_refuses_it()
    {
        var e = Assert.Throws<CedarParseException>(() => CedarEntities.ParseJson("""
            [
              { "uid": {"type": "G", "id": "a"}, "attrs": {}, "parents": [{"type": "G", "id": "b"}] },
              { "uid": {"type": "G", "id": "b"}, "attrs": {}, "parents": [{"type": "G", "id": "c"}] },
              { "uid": {"type": "G", "id": "c"}, "attrs": {}, "parents": [{"type": "G", "id": "a"}] }
            ]
            """, "ents.json"));
        Assert.Contains("cycle", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_entity_listed_twice_identically_is_one_entity_and_listed_differently_is_refused()
    {
        var same = CedarEntities.ParseJson("""
            [
              { "uid": {"type": "G", "id": "a"}, "attrs": {"n": 1}, "parents": [{"type": "G", "id": "b"}, {"type": "G", "id": "c"}] },
              { "uid": {"type": "G", "id": "a"}, "attrs": {"n": 1}, "parents": [{"type": "G", "id": "c"}, {"type": "G", "id": "b"}] }
            ]
            """);
        Assert.Equal(1, same.Count);
        Assert.Throws<CedarParseException>(() => CedarEntities.ParseJson("""
            [
              { "uid": {"type": "G", "id": "a"}, "attrs": {"n": 1}, "parents": [] },
              { "uid": {"type": "G", "id": "a"}, "attrs": {"n": 2}, "parents": [] }
            ]
            """));
    }

    [Theory]
    [InlineData("{}")]
    [InlineData("[{\"attrs\": {}}]")]
    [InlineData("[{\"uid\": {\"type\": \"A\"}}]")]
    [InlineData("[{\"uid\": {\"type\": \"A\", \"id\": \"a\"}, \"attrs\": {\"x\": 1.5}}]")]
    [InlineData("[{\"uid\": {\"type\": \"A\", \"id\": \"a\"}, \"attrs\": {\"x\": {\"__extn\": {\"fn\": \"ip\", \"arg\": \"nope\"}}}}]")]
    [InlineData("[{\"uid\": {\"type\": \"A\", \"id\": \"a\"}}, {\"uid\": {\"type\": \"A\", \"id\": \"a\"}}]")]
    [InlineData("[{\"uid\": {\"type\": \"A\", \"id\": \"a\"}, \"parents\": []}]")]
    [InlineData("[{\"uid\": {\"type\": \"A\", \"id\": \"a\"}, \"attrs\": {}}]")]
    [InlineData("[{\"uid\": {\"type\": \"A\", \"id\": \"a\"}, \"attrs\": {}, \"parents\": [], \"tags\": []}]")]
    [InlineData("[{")]
    public void Invalid_entities_are_rejected(string json)
    {
        var e = Assert.Throws<CedarParseException>(() => CedarEntities.ParseJson(json, "ents.json"));
        Assert.Equal("ents.json", e.Diagnostics[0].Source);
    }
}
