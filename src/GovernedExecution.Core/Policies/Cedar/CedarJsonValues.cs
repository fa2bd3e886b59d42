using System.Text.Json;

namespace GovernedExecution.Policies.Cedar;

/// <summary>A type from a schema, used only to read JSON values that leave out the <c>__entity</c>/<c>__extn</c> escapes.</summary>
internal sealed class SchemaType
{
    public static readonly SchemaType Unknown = new(SchemaTypeKind.Unknown);
    public static readonly SchemaType Bool = new(SchemaTypeKind.Bool);
    public static readonly SchemaType Long = new(SchemaTypeKind.Long);
    public static readonly SchemaType String = new(SchemaTypeKind.String);

    public SchemaType(SchemaTypeKind kind) => Kind = kind;

    public SchemaTypeKind Kind { get; }

    public SchemaType? Element { get; init; }

    public Dictionary<string, SchemaType>? Attributes { get; init; }

    /// <summary>The entity type name or the extension function name (ip, decimal, datetime, duration).</summary>
    public string? Name { get; init; }
}

internal enum SchemaTypeKind
{
    Unknown,
    Bool,
    Long,
    String,
    Set,
    Record,
    Entity,
    Extension,
}

/// <summary>Reads Cedar values, entity references and entities from JSON.</summary>
internal static class CedarJsonValues
{
    public static readonly JsonDocumentOptions DocumentOptions = new() { MaxDepth = 256, AllowDuplicateProperties = false };

    private static readonly EvalEnv NoEnv = new(new EntityUid("", ""), new EntityUid("", ""), new EntityUid("", ""), RecordValue.Empty, CedarEntityStore.Empty);

    public static EntityUid ParseUid(JsonElement e)
    {
        if (e.ValueKind != JsonValueKind.Object)
        {
            throw new CedarEvaluationException("expected an entity reference object");
        }

        if (e.TryGetProperty("__entity", out var inner))
        {
            e = inner;
        }

        if (e.ValueKind != JsonValueKind.Object || !e.TryGetProperty("type", out var t) || t.ValueKind != JsonValueKind.String || !e.TryGetProperty("id", out var id) || id.ValueKind != JsonValueKind.String)
        {
            throw new CedarEvaluationException("expected an entity reference with string \"type\" and \"id\"");
        }

        return new EntityUid(t.GetString()!, id.GetString()!);
    }

    public static CedarValue ParseValue(JsonElement e, SchemaType? hint, bool implicitEntities = true)
    {
        hint ??= SchemaType.Unknown;
        switch (e.ValueKind)
        {
            case JsonValueKind.True:
                return BoolValue.True;
            case JsonValueKind.False:
                return BoolValue.False;
            case JsonValueKind.Number:
                return e.TryGetInt64(out var l) ? LongValue.Of(l) : throw new CedarEvaluationException("number " + e.GetRawText() + " is not a 64-bit integer");
            case JsonValueKind.String:
                {
                    var s = e.GetString()!;
                    if (hint.Kind == SchemaTypeKind.Extension && hint.Name is not null)
                    {
                        var info = CedarFunctionInfo.Lookup(hint.Name);
                        if (info is not null)
                        {
                            return CallExpr.Construct(info.Function, s);
                        }
                    }

                    return new StringValue(s);
                }

            case JsonValueKind.Array:
                {
                    var list = new List<CedarValue>();
                    foreach (var item in e.EnumerateArray())
                    {
                        list.Add(ParseValue(item, hint.Element, implicitEntities));
                    }

                    return SetValue.Create(list);
                }

            case JsonValueKind.Object:
                return ParseObject(e, hint, implicitEntities);
            default:
                throw new CedarEvaluationException("unsupported JSON value " + e.ValueKind);
        }
    }

    public static RecordValue ParseRecord(JsonElement e, SchemaType? hint, bool implicitEntities = true)
    {
        if (e.ValueKind != JsonValueKind.Object)
        {
            throw new CedarEvaluationException("expected a JSON object");
        }

        var d = new Dictionary<string, CedarValue>(StringComparer.Ordinal);
        foreach (var p in e.EnumerateObject())
        {
            SchemaType? attrHint = null;
            hint?.Attributes?.TryGetValue(p.Name, out attrHint);
            if (!d.TryAdd(p.Name, ParseValue(p.Value, attrHint, implicitEntities)))
            {
                throw new CedarEvaluationException("duplicate key " + CedarText.Quote(p.Name));
            }
        }

        return new RecordValue(d);
    }

    private static CedarValue ParseObject(JsonElement e, SchemaType hint, bool implicitEntities)
    {
        if (e.TryGetProperty("__entity", out _))
        {
            return ParseUid(e);
        }

        if (e.TryGetProperty("__extn", out var extn))
        {
            return ParseExtension(extn);
        }

        // An object is an entity reference without the __entity escape only where the schema says so. Without a schema
        // {"type": .., "id": ..} is a record with two string fields, as in Cedar.
        if (hint.Kind == SchemaTypeKind.Entity)
        {
            return ParseUid(e);
        }

        return ParseRecord(e, hint.Kind == SchemaTypeKind.Record ? hint : null, implicitEntities);
    }

    private static CedarValue ParseExtension(JsonElement extn)
    {
        if (extn.ValueKind != JsonValueKind.Object || !extn.TryGetProperty("fn", out var fn) || fn.ValueKind != JsonValueKind.String)
        {
            throw new CedarEvaluationException("__extn needs a string \"fn\"");
        }

        var info = CedarFunctionInfo.Lookup(fn.GetString()!) ?? throw new CedarEvaluationException("unknown extension function " + fn.GetString());
        var args = new List<CedarExpr>();
        if (extn.TryGetProperty("arg", out var arg))
        {
            args.Add(new LiteralExpr(ParseValue(arg, null)));
        }
        else if (extn.TryGetProperty("args", out var argList) && argList.ValueKind == JsonValueKind.Array)
        {
            foreach (var a in argList.EnumerateArray())
            {
                args.Add(new LiteralExpr(ParseValue(a, null)));
            }
        }

        if (args.Count != info.Arity)
        {
            throw new CedarEvaluationException("wrong number of arguments for extension function " + info.Name);
        }

        return new CallExpr(info, args).Eval(NoEnv);
    }

    /// <summary>Reads an entities array; <paramref name="schema"/> (may be null) supplies attribute types.</summary>
    public static List<CedarEntity> ParseEntities(JsonElement root, CedarSchema? schema)
    {
        if (root.ValueKind != JsonValueKind.Array)
        {
            throw new CedarEvaluationException("entities JSON must be an array");
        }

        var list = new List<CedarEntity>();
        foreach (var item in root.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.Object || !item.TryGetProperty("uid", out var uidEl))
            {
                throw new CedarEvaluationException("each entity needs a \"uid\"");
            }

            var uid = ParseUid(uidEl);
            var entityType = schema?.GetEntityType(uid.Type);
            var attrs = new Dictionary<string, CedarValue>(StringComparer.Ordinal);
            if (item.TryGetProperty("attrs", out var attrsEl) && attrsEl.ValueKind != JsonValueKind.Null)
            {
                attrs = ParseRecord(attrsEl, entityType?.Attributes).Attrs;
            }

            var parents = new List<EntityUid>();
            if (item.TryGetProperty("parents", out var parentsEl) && parentsEl.ValueKind == JsonValueKind.Array)
            {
                foreach (var p in parentsEl.EnumerateArray())
                {
                    parents.Add(ParseUid(p));
                }
            }

            Dictionary<string, CedarValue>? tags = null;
            if (item.TryGetProperty("tags", out var tagsEl) && tagsEl.ValueKind == JsonValueKind.Object)
            {
                tags = new Dictionary<string, CedarValue>(StringComparer.Ordinal);
                foreach (var p in tagsEl.EnumerateObject())
                {
                    tags[p.Name] = ParseValue(p.Value, entityType?.Tags);
                }
            }

            list.Add(new CedarEntity(uid, attrs, parents, tags));
        }

        return list;
    }
}
