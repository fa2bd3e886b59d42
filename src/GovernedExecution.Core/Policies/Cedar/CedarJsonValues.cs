using System.Text.Json;

namespace GovernedExecution.Policies.Cedar;

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

    public static CedarValue ParseValue(JsonElement e, SchemaType? hint)
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
                    if (hint.ExtensionConstructor is { } constructor)
                    {
                        var info = CedarFunctionInfo.Lookup(constructor);
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
                        list.Add(ParseValue(item, hint.Element));
                    }

                    return SetValue.Create(list);
                }

            case JsonValueKind.Object:
                return ParseObject(e, hint);
            default:
                throw new CedarEvaluationException("unsupported JSON value " + e.ValueKind);
        }
    }

    public static RecordValue ParseRecord(JsonElement e, SchemaType? hint)
    {
        if (e.ValueKind != JsonValueKind.Object)
        {
            throw new CedarEvaluationException("expected a JSON object");
        }

        var d = new Dictionary<string, CedarValue>(StringComparer.Ordinal);
        foreach (var p in e.EnumerateObject())
        {
            SchemaAttribute? attr = null;
            hint?.Attributes?.TryGetValue(p.Name, out attr);
            if (!d.TryAdd(p.Name, ParseValue(p.Value, attr?.Type)))
            {
                throw new CedarEvaluationException("duplicate key " + CedarText.Quote(p.Name));
            }
        }

        return new RecordValue(d);
    }

    private static CedarValue ParseObject(JsonElement e, SchemaType hint)
    {
        if (e.TryGetProperty("__entity", out _))
        {
            return ParseUid(e);
        }

        if (e.TryGetProperty("__extn", out var extn))
        {
            return ParseExtension(extn);
        }

        // Without a schema type saying so, Cedar reads an object holding only "type" and "id" as a record, not an entity reference.
        if (hint.Kind == SchemaTypeKind.Entity)
        {
            return ParseUid(e);
        }

        return ParseRecord(e, hint.Kind == SchemaTypeKind.Record ? hint : null);
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
            // Cedar requires both members: an entity without them is refused, not read as having none.
            if (!item.TryGetProperty("attrs", out var attrsEl) || attrsEl.ValueKind != JsonValueKind.Object)
            {
                throw new CedarEvaluationException($"entity {uid} needs an \"attrs\" object");
            }

            var attrs = ParseRecord(attrsEl, entityType?.Attributes).Attrs;
            if (!item.TryGetProperty("parents", out var parentsEl) || parentsEl.ValueKind != JsonValueKind.Array)
            {
                throw new CedarEvaluationException($"entity {uid} needs a \"parents\" array");
            }

            var parents = new List<EntityUid>();
            foreach (var p in parentsEl.EnumerateArray())
            {
                parents.Add(ParseUid(p));
            }

            Dictionary<string, CedarValue>? tags = null;
            if (item.TryGetProperty("tags", out var tagsEl))
            {
                if (tagsEl.ValueKind != JsonValueKind.Object)
                {
                    throw new CedarEvaluationException($"the \"tags\" of entity {uid} must be an object (it may be left out)");
                }

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
