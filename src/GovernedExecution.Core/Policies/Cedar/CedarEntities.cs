using System.Text.Json;

namespace GovernedExecution.Policies.Cedar;

/// <summary>An immutable store of Cedar entities (attributes, parents and tags), read from Cedar's entity JSON format.</summary>
public sealed class CedarEntities
{
    internal CedarEntities(CedarEntityStore store) => Store = store;

    /// <summary>Gets an empty store.</summary>
    public static CedarEntities Empty { get; } = new(CedarEntityStore.Empty);

    /// <summary>Gets the number of entities.</summary>
    public int Count => Store.Count;

    internal CedarEntityStore Store { get; }

    /// <summary>Reads entities from Cedar's entity JSON format (an array of <c>uid</c>/<c>attrs</c>/<c>parents</c>/<c>tags</c> objects).</summary>
    /// <param name="json">The JSON text.</param>
    /// <param name="sourceName">The name used in diagnostics.</param>
    /// <returns>The entity store.</returns>
    /// <exception cref="ArgumentNullException">When <paramref name="json"/> is null.</exception>
    /// <exception cref="CedarParseException">When the JSON is malformed or holds invalid values.</exception>
    public static CedarEntities ParseJson(string json, string sourceName = "entities.json") => ParseJson(json, sourceName, null);

    /// <summary>
    /// Reads entities from Cedar's entity JSON format with a schema, as Cedar does: attribute and tag values are read by
    /// their declared types (extension values and entity references may leave out <c>__extn</c> and <c>__entity</c>),
    /// and the schema's actions and action groups are added. An action the file also lists must have the parents the
    /// schema declares for it (and no attributes); an action the schema does not declare is refused.
    /// </summary>
    /// <param name="json">The JSON text.</param>
    /// <param name="schema">The schema.</param>
    /// <param name="sourceName">The name used in diagnostics.</param>
    /// <returns>The entity store, with the schema's action entities.</returns>
    /// <exception cref="ArgumentNullException">When <paramref name="json"/> or <paramref name="schema"/> is null.</exception>
    /// <exception cref="CedarParseException">When the JSON is malformed, holds invalid values, or lists an action that
    /// does not match the schema.</exception>
    public static CedarEntities ParseJson(string json, CedarSchema schema, string sourceName = "entities.json")
    {
        ArgumentNullException.ThrowIfNull(schema);
        return ParseJson(json, sourceName, schema);
    }

    /// <summary>Gets the schema's action entities alone (for a request that has no other entities).</summary>
    internal static CedarEntities FromSchema(CedarSchema schema) => new(new CedarEntityStore(WithSchemaActions([], schema)));

    internal static CedarEntities ParseJson(string json, string sourceName, CedarSchema? schema)
    {
        ArgumentNullException.ThrowIfNull(json);
        ArgumentNullException.ThrowIfNull(sourceName);
        try
        {
            using var doc = JsonDocument.Parse(json, CedarJsonValues.DocumentOptions);
            var list = CedarJsonValues.ParseEntities(doc.RootElement, schema);
            return new CedarEntities(new CedarEntityStore(schema is null ? list : WithSchemaActions(list, schema)));
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

    /// <summary>Adds the schema's action entities; an action also listed in the data must match its declaration, as in Cedar.</summary>
    private static List<CedarEntity> WithSchemaActions(List<CedarEntity> entities, CedarSchema schema)
    {
        var listed = new HashSet<EntityUid>();
        foreach (var e in entities)
        {
            var declared = schema.GetAction(e.Uid);
            if (declared is null)
            {
                if (e.Uid.Type == "Action" || e.Uid.Type.EndsWith("::Action", StringComparison.Ordinal))
                {
                    throw new CedarEvaluationException($"found action entity {e.Uid}, but it was not declared as an action in the schema");
                }

                continue;
            }

            // Compare the ancestors: the data may list only direct parents, or the whole closure.
            var ancestors = new HashSet<EntityUid>();
            foreach (var p in e.Parents)
            {
                ancestors.Add(p);
                if (schema.GetAction(p) is { } parent)
                {
                    ancestors.UnionWith(parent.Ancestors);
                }
            }

            if (e.Attrs.Count > 0 || e.Tags is { Count: > 0 } || !ancestors.SetEquals(declared.Ancestors))
            {
                throw new CedarEvaluationException($"the definition of action {e.Uid} does not match its schema declaration (leave it out of the entity data to use the schema's)");
            }

            listed.Add(e.Uid);
        }

        var all = new List<CedarEntity>(entities);
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

    /// <summary>Creates a request whose context is read by the context type the schema declares for the action
    /// (extension values and entity references may then leave out <c>__extn</c> and <c>__entity</c>).</summary>
    /// <param name="principal">The principal, for example <c>User::"alice"</c>.</param>
    /// <param name="action">The action, for example <c>Action::"view"</c>.</param>
    /// <param name="resource">The resource, for example <c>Photo::"a.jpg"</c>.</param>
    /// <param name="contextJson">The context as a JSON object (Cedar's value JSON format), or null for an empty context.</param>
    /// <param name="schema">The schema, or null to read the context without types.</param>
    /// <returns>The request.</returns>
    /// <exception cref="ArgumentNullException">When an entity reference is null.</exception>
    /// <exception cref="CedarParseException">When an entity reference or the context cannot be read.</exception>
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

        return new CedarRequest(Uid(principal, "principal"), actionUid, Uid(resource, "resource"), context);
    }

    internal static CedarRequest FromValues(EntityUid principal, EntityUid action, EntityUid resource, RecordValue? context) =>
        new(principal, action, resource, context ?? RecordValue.Empty);

    private static EntityUid Uid(string text, string what) =>
        CedarParser.TryParseEntityUid(text) ?? throw new CedarParseException([new CedarDiagnostic(what, 1, 1, "expected an entity reference such as Type::\"id\", found " + CedarText.Quote(text))]);
}
