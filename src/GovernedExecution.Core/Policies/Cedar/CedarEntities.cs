using System.Text.Json;

namespace GovernedExecution.Policies.Cedar;

/// <summary>An immutable store of Cedar entities (attributes, parents and tags), read from Cedar's entity JSON format.</summary>
public sealed class CedarEntities
{
    internal CedarEntities(CedarEntityStore store, CedarSchema? schema = null)
    {
        Store = store;
        Schema = schema;
    }

    /// <summary>Gets an empty store.</summary>
    public static CedarEntities Empty { get; } = new(CedarEntityStore.Empty);

    /// <summary>Gets the number of entities.</summary>
    public int Count => Store.Count;

    internal CedarEntityStore Store { get; }

    /// <summary>Gets the schema the entities were validated against (and whose actions they hold), or null.</summary>
    internal CedarSchema? Schema { get; }

    /// <summary>
    /// Reads entities from Cedar's entity JSON format (an array of <c>uid</c>/<c>attrs</c>/<c>parents</c>/<c>tags</c>
    /// objects; <c>attrs</c> and <c>parents</c> are required, as in Cedar). An entity listed twice identically is kept
    /// once; listed twice with different contents, or in a cycle of parents, it is refused.
    /// </summary>
    /// <param name="json">The JSON text.</param>
    /// <param name="sourceName">The name used in diagnostics.</param>
    /// <returns>The entity store.</returns>
    /// <exception cref="ArgumentNullException">When <paramref name="json"/> is null.</exception>
    /// <exception cref="CedarParseException">When the JSON is malformed, holds invalid values, lists an entity twice
    /// with different contents, or its parents form a cycle.</exception>
    public static CedarEntities ParseJson(string json, string sourceName = "entities.json") => ParseJson(json, sourceName, null);

    /// <summary>
    /// Reads entities from Cedar's entity JSON format with a schema, as Cedar does: attribute and tag values are read by
    /// their declared types (extension values and entity references may leave out <c>__extn</c> and <c>__entity</c>),
    /// every entity is validated against the schema, and the schema's actions and action groups are added. An entity
    /// must be of a declared type (a valid id of an enumerated type), have every required attribute and no undeclared
    /// one, each of its declared type, parents only of the types its type may be a member of, and tags only when its
    /// type declares them, of the tag type. An action the file also lists must have the parents the schema declares
    /// for it (and no attributes); an action the schema does not declare is refused.
    /// </summary>
    /// <param name="json">The JSON text.</param>
    /// <param name="schema">The schema.</param>
    /// <param name="sourceName">The name used in diagnostics.</param>
    /// <returns>The entity store, with the schema's action entities.</returns>
    /// <exception cref="ArgumentNullException">When <paramref name="json"/> or <paramref name="schema"/> is null.</exception>
    /// <exception cref="CedarParseException">When the JSON is malformed, holds invalid values, or an entity or action
    /// does not conform to the schema (see also <see cref="ParseJson(string, string)"/>).</exception>
    public static CedarEntities ParseJson(string json, CedarSchema schema, string sourceName = "entities.json")
    {
        ArgumentNullException.ThrowIfNull(schema);
        return ParseJson(json, sourceName, schema);
    }

    /// <summary>Gets the schema's action entities alone (for a request that has no other entities).</summary>
    internal static CedarEntities FromSchema(CedarSchema schema) => new(new CedarEntityStore(WithSchemaActions([], schema)), schema);

    internal static CedarEntities ParseJson(string json, string sourceName, CedarSchema? schema)
    {
        ArgumentNullException.ThrowIfNull(json);
        ArgumentNullException.ThrowIfNull(sourceName);
        try
        {
            using var doc = JsonDocument.Parse(json, CedarJsonValues.DocumentOptions);
            var list = CedarJsonValues.ParseEntities(doc.RootElement, schema);
            return new CedarEntities(new CedarEntityStore(schema is null ? list : WithSchemaActions(list, schema)), schema);
        }
        catch (JsonException e)
        {
            throw new CedarParseException([new CedarDiagnostic(sourceName, (int)(e.LineNumber ?? 0) + 1, (int)(e.BytePositionInLine ?? 0) + 1, e.Message)]);
        }
        catch (CedarEvaluationException e)
        {
            throw new CedarParseException([new CedarDiagnostic(sourceName, 0, 0, e.Message)]);
        }
    }

    /// <summary>
    /// Validates the entities against the schema, as Cedar does (<see cref="CedarSchemaConformance.CheckEntity"/>), and
    /// adds the schema's action entities that the data does not list.
    /// </summary>
    internal static List<CedarEntity> WithSchemaActions(IEnumerable<CedarEntity> entities, CedarSchema schema)
    {
        var listed = new HashSet<EntityUid>();
        var all = new List<CedarEntity>();
        foreach (var e in entities)
        {
            if (CedarSchemaConformance.CheckEntity(schema, e) is { } error)
            {
                throw new CedarEvaluationException("entity does not conform to the schema: " + error);
            }

            if (schema.GetAction(e.Uid) is not null)
            {
                listed.Add(e.Uid);
            }

            all.Add(e);
        }

        foreach (var action in schema.ActionEntities())
        {
            if (!listed.Contains(action.Uid))
            {
                all.Add(action);
            }
        }

        return all;
    }
}

/// <summary>A request to authorize: principal, action, resource and context.</summary>
public sealed class CedarRequest
{
    internal CedarRequest(EntityUid principal, EntityUid action, EntityUid resource, RecordValue context)
    {
        Principal = principal;
        Action = action;
        Resource = resource;
        Context = context;
    }

    internal EntityUid Principal { get; }

    internal EntityUid Action { get; }

    internal EntityUid Resource { get; }

    internal RecordValue Context { get; }

    /// <summary>Creates a request from entity references written in Cedar syntax, such as <c>User::"alice"</c>.</summary>
    /// <param name="principal">The principal, for example <c>User::"alice"</c>.</param>
    /// <param name="action">The action, for example <c>Action::"view"</c>.</param>
    /// <param name="resource">The resource, for example <c>Photo::"a.jpg"</c>.</param>
    /// <param name="contextJson">The context as a JSON object (Cedar's value JSON format), or null for an empty context.</param>
    /// <returns>The request.</returns>
    /// <exception cref="ArgumentNullException">When an entity reference is null.</exception>
    /// <exception cref="CedarParseException">When an entity reference or the context cannot be read.</exception>
    public static CedarRequest Create(string principal, string action, string resource, string? contextJson = null) =>
        Create(principal, action, resource, contextJson, null);

    /// <summary>
    /// Creates a request validated against a schema, as Cedar does: the action must be declared, the principal and
    /// resource must be of entity types the action applies to (a valid id of an enumerated type), and the context,
    /// read by the action's context type (extension values and entity references may leave out <c>__extn</c> and
    /// <c>__entity</c>), must conform to it: every required attribute present, no undeclared one, each value of its
    /// declared type.
    /// </summary>
    /// <param name="principal">The principal, for example <c>User::"alice"</c>.</param>
    /// <param name="action">The action, for example <c>Action::"view"</c>.</param>
    /// <param name="resource">The resource, for example <c>Photo::"a.jpg"</c>.</param>
    /// <param name="contextJson">The context as a JSON object (Cedar's value JSON format), or null for an empty context.</param>
    /// <param name="schema">The schema, or null to read the context without types and validate nothing.</param>
    /// <returns>The request.</returns>
    /// <exception cref="ArgumentNullException">When an entity reference is null.</exception>
    /// <exception cref="CedarParseException">When an entity reference or the context cannot be read, or the request
    /// does not conform to the schema (the diagnostic's source is <c>request</c>).</exception>
    public static CedarRequest Create(string principal, string action, string resource, string? contextJson, CedarSchema? schema)
    {
        ArgumentNullException.ThrowIfNull(principal);
        ArgumentNullException.ThrowIfNull(action);
        ArgumentNullException.ThrowIfNull(resource);
        var context = RecordValue.Empty;
        var actionUid = Uid(action, "action");
        if (contextJson is not null)
        {
            try
            {
                using var doc = JsonDocument.Parse(contextJson, CedarJsonValues.DocumentOptions);
                context = CedarJsonValues.ParseRecord(doc.RootElement, schema?.GetActionContext(actionUid));
            }
            catch (JsonException e)
            {
                throw new CedarParseException([new CedarDiagnostic("context", (int)(e.LineNumber ?? 0) + 1, (int)(e.BytePositionInLine ?? 0) + 1, e.Message)]);
            }
            catch (CedarEvaluationException e)
            {
                throw new CedarParseException([new CedarDiagnostic("context", 0, 0, e.Message)]);
            }
        }

        var request = new CedarRequest(Uid(principal, "principal"), actionUid, Uid(resource, "resource"), context);
        if (schema is not null && CedarSchemaConformance.CheckRequest(schema, request.Principal, request.Action, request.Resource, request.Context) is { } error)
        {
            throw new CedarParseException([new CedarDiagnostic("request", 0, 0, error)]);
        }

        return request;
    }

    internal static CedarRequest FromValues(EntityUid principal, EntityUid action, EntityUid resource, RecordValue? context) =>
        new(principal, action, resource, context ?? RecordValue.Empty);

    private static EntityUid Uid(string text, string what) =>
        CedarParser.TryParseEntityUid(text) ?? throw new CedarParseException([new CedarDiagnostic(what, 1, 1, "expected an entity reference such as Type::\"id\", found " + CedarText.Quote(text))]);
}
