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

    internal static CedarEntities ParseJson(string json, string sourceName, CedarSchema? schema)
    {
        ArgumentNullException.ThrowIfNull(json);
        ArgumentNullException.ThrowIfNull(sourceName);
        try
        {
            using var doc = JsonDocument.Parse(json, CedarJsonValues.DocumentOptions);
            return new CedarEntities(new CedarEntityStore(CedarJsonValues.ParseEntities(doc.RootElement, schema)));
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
    public static CedarRequest Create(string principal, string action, string resource, string? contextJson = null)
    {
        ArgumentNullException.ThrowIfNull(principal);
        ArgumentNullException.ThrowIfNull(action);
        ArgumentNullException.ThrowIfNull(resource);
        var context = RecordValue.Empty;
        if (contextJson is not null)
        {
            try
            {
                using var doc = JsonDocument.Parse(contextJson, CedarJsonValues.DocumentOptions);
                context = CedarJsonValues.ParseRecord(doc.RootElement, null);
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

        return new CedarRequest(Uid(principal, "principal"), Uid(action, "action"), Uid(resource, "resource"), context);
    }

    internal static CedarRequest FromValues(EntityUid principal, EntityUid action, EntityUid resource, RecordValue? context) =>
        new(principal, action, resource, context ?? RecordValue.Empty);

    private static EntityUid Uid(string text, string what) =>
        CedarParser.TryParseEntityUid(text) ?? throw new CedarParseException([new CedarDiagnostic(what, 1, 1, "expected an entity reference such as Type::\"id\", found " + CedarText.Quote(text))]);
}
