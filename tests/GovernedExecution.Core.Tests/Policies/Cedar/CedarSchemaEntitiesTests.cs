using GovernedExecution.Policies.Cedar;

namespace GovernedExecution.Tests.Policies.Cedar;

/// <summary>A schema given with the entities adds its actions and action groups, and types entity and context JSON.</summary>
public sealed class CedarSchemaEntitiesTests
{
    private const string ArchiveSchema = """
        entity User;
        entity Doc;
        action readOps;
        action archive in ["readOps"] appliesTo { principal: User, resource: Doc, context: { at: datetime, by?: User } };
        """;

    [Fact]
    public void An_action_declared_only_in_the_schema_is_in_its_action_group()
    {
        var schema = CedarSchema.Parse(ArchiveSchema);
        var policies = CedarPolicySet.Parse("permit(principal, action in Action::\"readOps\", resource);");
        var entities = CedarEntities.ParseJson("[]", schema);

        var response = policies.Evaluate(CedarRequest.Create("User::\"alice\"", "Action::\"archive\"", "Doc::\"d\""), entities);

        Assert.True(response.IsAllowed);
        Assert.Equal(["policy0"], response.Reasons);
    }

    [Fact]
    public void Without_the_schema_the_action_is_in_no_group()
    {
        var policies = CedarPolicySet.Parse("permit(principal, action in Action::\"readOps\", resource);");
        var response = policies.Evaluate(CedarRequest.Create("User::\"alice\"", "Action::\"archive\"", "Doc::\"d\""), CedarEntities.ParseJson("[]"));
        Assert.False(response.IsAllowed);
    }

    [Fact]
    public void An_action_listed_in_the_entities_must_match_the_schema()
    {
        var schema = CedarSchema.Parse(ArchiveSchema);
        var same = CedarEntities.ParseJson("""[{"uid": {"type": "Action", "id": "archive"}, "attrs": {}, "parents": [{"type": "Action", "id": "readOps"}]}]""", schema);
        Assert.True(same.Store.IsIn(new EntityUid("Action", "archive"), new EntityUid("Action", "readOps")));

        var other = Assert.Throws<CedarParseException>(() => CedarEntities.ParseJson("""[{"uid": {"type": "Action", "id": "archive"}, "attrs": {}, "parents": []}]""", schema, "e.json"));
        Assert.Contains("does not match its schema declaration", other.Message, StringComparison.Ordinal);
        var undeclared = Assert.Throws<CedarParseException>(() => CedarEntities.ParseJson("""[{"uid": {"type": "Action", "id": "delete"}, "attrs": {}, "parents": []}]""", schema, "e.json"));
        Assert.Contains("not declared", undeclared.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Context_is_read_with_the_actions_context_type()
    {
        var schema = CedarSchema.Parse(ArchiveSchema);
        var policies = CedarPolicySet.Parse("permit(principal, action, resource) when { context.at > datetime(\"2024-01-01\") && context.by == principal };");
        var request = CedarRequest.Create("User::\"alice\"", "Action::\"archive\"", "Doc::\"d\"", """{"at": "2024-06-01", "by": {"type": "User", "id": "alice"}}""", schema);

        Assert.True(policies.Evaluate(request, CedarEntities.ParseJson("[]", schema)).IsAllowed);

        // Without the schema the same JSON is a string and a record: the policy errors and does not permit.
        var untyped = CedarRequest.Create("User::\"alice\"", "Action::\"archive\"", "Doc::\"d\"", """{"at": "2024-06-01", "by": {"type": "User", "id": "alice"}}""");
        var response = policies.Evaluate(untyped, CedarEntities.Empty);
        Assert.False(response.IsAllowed);
        Assert.Single(response.Errors);
    }

    [Fact]
    public void Json_schema_types_entities_too()
    {
        var schema = CedarSchema.ParseJson("""
            {"": {"entityTypes": {"User": {"shape": {"type": "Record", "attributes": {"boss": {"type": "Entity", "name": "User"}, "ip": {"type": "Extension", "name": "ipaddr"}}}}},
                  "actions": {"view": {}}}}
            """);
        var store = CedarEntities.ParseJson("""[{"uid": {"type": "User", "id": "a"}, "attrs": {"boss": {"type": "User", "id": "b"}, "ip": "10.0.0.1"}, "parents": []}]""", schema).Store;
        var a = store.Get(new EntityUid("User", "a"))!;
        Assert.Equal(new EntityUid("User", "b"), a.Attrs["boss"]);
        Assert.IsType<IpValue>(a.Attrs["ip"]);
        Assert.NotNull(store.Get(new EntityUid("Action", "view")));
    }
}
