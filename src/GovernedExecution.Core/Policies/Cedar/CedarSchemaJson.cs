using System.Text;
using System.Text.Json;

namespace GovernedExecution.Policies.Cedar;

/// <summary>Reads and writes Cedar's JSON schema format; members Cedar does not accept are refused.</summary>
internal static class CedarSchemaJson
{
    private static readonly JsonDocumentOptions Options = new() { MaxDepth = 256, AllowDuplicateProperties = false };

    public static List<RawNamespace> Read(string json)
    {
        using var doc = JsonDocument.Parse(json, Options);
        var root = doc.RootElement;
        if (root.ValueKind != JsonValueKind.Object)
        {
            throw Error("a schema must be a JSON object of namespaces");
        }

        var result = new List<RawNamespace>();
        foreach (var nsProp in root.EnumerateObject())
        {
            var where = nsProp.Name.Length == 0 ? "the empty namespace" : $"namespace `{nsProp.Name}`";
            if (nsProp.Name.Length > 0 && !IsPath(nsProp.Name))
            {
                throw Error($"`{nsProp.Name}` is not a valid namespace name");
            }

            var nsEl = Object(nsProp.Value, where);
            Members(nsEl, where, "commonTypes", "entityTypes", "actions", "annotations");
            var ns = new RawNamespace { Name = nsProp.Name, Annotations = Annotations(nsEl, where) };
            if (nsEl.TryGetProperty("commonTypes", out var commons))
            {
                foreach (var c in Object(commons, where + " commonTypes").EnumerateObject())
                {
                    var cw = $"common type `{c.Name}`";
                    CheckIdentifier(c.Name, cw);
                    var t = ReadType(c.Value, cw, TypeContext.Common);
                    ns.CommonTypes.Add(new RawCommon(c.Name, t, Annotations(c.Value, cw), SchemaPos.None));
                }
            }

            foreach (var e in Object(Required(nsEl, "entityTypes", where), where + " entityTypes").EnumerateObject())
            {
                ns.EntityTypes.Add(ReadEntity(e));
            }

            foreach (var a in Object(Required(nsEl, "actions", where), where + " actions").EnumerateObject())
            {
                ns.Actions.Add(ReadAction(a));
            }

            result.Add(ns);
        }

        return result;
    }

    private enum TypeContext
    {
        Plain,
        Common,
        Attribute,
    }

    private static CedarSyntaxException Error(string message) => new(0, 0, "schema: " + message);

    private static bool IsPath(string s) => s.Split("::").All(IsIdentifier);

    private static bool IsIdentifier(string s) =>
        s.Length > 0 && (char.IsAsciiLetter(s[0]) || s[0] == '_') && s.All(c => char.IsAsciiLetterOrDigit(c) || c == '_');

    private static void CheckIdentifier(string s, string where)
    {
        if (!IsIdentifier(s))
        {
            throw Error($"{where}: `{s}` is not a valid identifier");
        }
    }

    private static JsonElement Object(JsonElement e, string where) =>
        e.ValueKind == JsonValueKind.Object ? e : throw Error($"{where}: expected a JSON object, found {e.ValueKind}");

    private static JsonElement Required(JsonElement e, string name, string where) =>
        e.TryGetProperty(name, out var v) ? v : throw Error($"{where}: missing field `{name}`");

    private static string Str(JsonElement e, string where) =>
        e.ValueKind == JsonValueKind.String ? e.GetString()! : throw Error($"{where}: expected a string, found {e.ValueKind}");

    private static void Members(JsonElement e, string where, params string[] allowed)
    {
        foreach (var p in e.EnumerateObject())
        {
            if (Array.IndexOf(allowed, p.Name) < 0)
            {
                throw Error($"{where}: unknown field `{p.Name}`, expected one of {string.Join(", ", allowed.Select(a => "`" + a + "`"))}");
            }
        }
    }

    private static List<string> Strings(JsonElement e, string where)
    {
        if (e.ValueKind != JsonValueKind.Array)
        {
            throw Error($"{where}: expected an array of strings");
        }

        return [.. e.EnumerateArray().Select(x => Str(x, where))];
    }

    private static List<KeyValuePair<string, string>> Annotations(JsonElement owner, string where)
    {
        var list = new List<KeyValuePair<string, string>>();
        if (owner.ValueKind == JsonValueKind.Object && owner.TryGetProperty("annotations", out var a))
        {
            foreach (var p in Object(a, where + " annotations").EnumerateObject())
            {
                CheckIdentifier(p.Name, where + " annotation");
                list.Add(new(p.Name, Str(p.Value, where + " annotation `" + p.Name + "`")));
            }
        }

        return list;
    }

    private static RawEntity ReadEntity(JsonProperty p)
    {
        var where = $"entity type `{p.Name}`";
        CheckIdentifier(p.Name, where);
        var e = Object(p.Value, where);
        if (e.TryGetProperty("enum", out var enumEl))
        {
            Members(e, where + " (enumerated)", "enum", "annotations");
            return new RawEntity(p.Name, [], null, null, Strings(enumEl, where + " enum"), Annotations(e, where), SchemaPos.None);
        }

        Members(e, where, "memberOfTypes", "shape", "tags", "enum", "annotations");
        var memberOf = e.TryGetProperty("memberOfTypes", out var m) ? Strings(m, where + " memberOfTypes").Select(n => new RawRef(n, SchemaPos.None)).ToList() : [];
        var shape = e.TryGetProperty("shape", out var s) ? ReadType(s, where + " shape", TypeContext.Plain) : null;
        var tags = e.TryGetProperty("tags", out var t) ? ReadType(t, where + " tags", TypeContext.Plain) : null;
        return new RawEntity(p.Name, memberOf, shape, tags, null, Annotations(e, where), SchemaPos.None);
    }

    private static RawAction ReadAction(JsonProperty p)
    {
        var where = $"action `{p.Name}`";
        var a = Object(p.Value, where);
        if (a.TryGetProperty("attributes", out _))
        {
            throw Error($"{where}: action attributes are not supported");
        }

        Members(a, where, "appliesTo", "memberOf", "annotations");
        var memberOf = new List<RawActionRef>();
        if (a.TryGetProperty("memberOf", out var m))
        {
            if (m.ValueKind != JsonValueKind.Array)
            {
                throw Error($"{where} memberOf: expected an array");
            }

            foreach (var r in m.EnumerateArray())
            {
                Members(Object(r, where + " memberOf"), where + " memberOf", "id", "type");
                var type = r.TryGetProperty("type", out var te) ? Str(te, where + " memberOf type") : null;
                if (type is not null && !IsPath(type))
                {
                    throw Error($"{where} memberOf: `{type}` is not a valid type name");
                }

                memberOf.Add(new RawActionRef(type, Str(Required(r, "id", where + " memberOf"), where + " memberOf id"), SchemaPos.None));
            }
        }

        List<RawRef>? principals = null, resources = null;
        RawType? context = null;
        if (a.TryGetProperty("appliesTo", out var ap))
        {
            var aw = where + " appliesTo";
            Members(Object(ap, aw), aw, "principalTypes", "resourceTypes", "context");
            principals = [.. Strings(Required(ap, "principalTypes", aw), aw).Select(n => new RawRef(n, SchemaPos.None))];
            resources = [.. Strings(Required(ap, "resourceTypes", aw), aw).Select(n => new RawRef(n, SchemaPos.None))];
            context = ap.TryGetProperty("context", out var c) ? ReadType(c, aw + " context", TypeContext.Plain) : null;
        }

        return new RawAction(p.Name, memberOf, principals, resources, context, Annotations(a, where), SchemaPos.None);
    }

    private static RawType ReadType(JsonElement e, string where, TypeContext context)
    {
        System.Runtime.CompilerServices.RuntimeHelpers.EnsureSufficientExecutionStack();
        Object(e, where);
        var type = Str(Required(e, "type", where), where + " type");
        string[] extra = context switch
        {
            TypeContext.Attribute => ["required", "annotations"],
            TypeContext.Common => ["annotations"],
            _ => [],
        };
        string[] With(params string[] names) => [.. names, .. extra];
        switch (type)
        {
            case "Long" or "String" or "Boolean":
                Members(e, where, With("type"));
                return new RawType { Kind = type == "Long" ? RawTypeKind.Long : type == "String" ? RawTypeKind.String : RawTypeKind.Bool };
            case "Set":
                Members(e, where, With("type", "element"));
                return new RawType { Kind = RawTypeKind.Set, Element = ReadType(Required(e, "element", where), where + " element", TypeContext.Plain) };
            case "Record":
                {
                    Members(e, where, With("type", "attributes", "additionalAttributes"));
                    if (e.TryGetProperty("additionalAttributes", out var add) && add.ValueKind != JsonValueKind.False)
                    {
                        throw Error($"{where}: `additionalAttributes` other than false is not supported");
                    }

                    var attrs = new List<RawAttribute>();
                    foreach (var p in Object(Required(e, "attributes", where), where + " attributes").EnumerateObject())
                    {
                        var aw = $"{where} attribute `{p.Name}`";
                        var t = ReadType(p.Value, aw, TypeContext.Attribute);
                        bool required = true;
                        if (p.Value.TryGetProperty("required", out var req))
                        {
                            required = req.ValueKind switch
                            {
                                JsonValueKind.True => true,
                                JsonValueKind.False => false,
                                _ => throw Error($"{aw}: `required` must be true or false"),
                            };
                        }

                        attrs.Add(new RawAttribute(p.Name, t, required, Annotations(p.Value, aw), SchemaPos.None));
                    }

                    return new RawType { Kind = RawTypeKind.Record, Attributes = attrs };
                }

            case "Entity" or "Extension" or "EntityOrCommon":
                {
                    Members(e, where, With("type", "name"));
                    var name = Str(Required(e, "name", where), where + " name");
                    if (!IsPath(name))
                    {
                        throw Error($"{where}: `{name}` is not a valid type name");
                    }

                    return new RawType { Kind = type == "Entity" ? RawTypeKind.Entity : type == "Extension" ? RawTypeKind.Extension : RawTypeKind.Name, Name = name };
                }

            default:
                Members(e, where, With("type"));
                return IsPath(type) ? new RawType { Kind = RawTypeKind.Name, Name = type } : throw Error($"{where}: `{type}` is not a valid type name");
        }
    }

    public static string Write(CedarSchema schema)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            w.WriteStartObject();
            foreach (var ns in schema.Namespaces)
            {
                w.WriteStartObject(ns.Name);
                WriteAnnotations(w, ns.Annotations);
                if (ns.CommonTypes.Count > 0)
                {
                    w.WriteStartObject("commonTypes");
                    foreach (var c in ns.CommonTypes)
                    {
                        w.WritePropertyName(Simple(c.Name));
                        WriteType(w, c.Type.WithoutCommonName(), c.Annotations, null);
                    }

                    w.WriteEndObject();
                }

                w.WriteStartObject("entityTypes");
                foreach (var e in ns.EntityTypes)
                {
                    w.WriteStartObject(Simple(e.Name));
                    if (e.EnumIds is not null)
                    {
                        w.WriteStartArray("enum");
                        foreach (var id in e.EnumIds)
                        {
                            w.WriteStringValue(id);
                        }

                        w.WriteEndArray();
                    }
                    else
                    {
                        if (e.MemberOfTypes.Count > 0)
                        {
                            WriteStrings(w, "memberOfTypes", e.MemberOfTypes);
                        }

                        if (e.Attributes.CommonName is not null || e.Attributes.Attributes!.Count > 0)
                        {
                            w.WritePropertyName("shape");
                            WriteType(w, e.Attributes, [], null);
                        }

                        if (e.Tags is not null)
                        {
                            w.WritePropertyName("tags");
                            WriteType(w, e.Tags, [], null);
                        }
                    }

                    WriteAnnotations(w, e.Annotations);
                    w.WriteEndObject();
                }

                w.WriteEndObject();
                w.WriteStartObject("actions");
                foreach (var a in ns.Actions)
                {
                    w.WriteStartObject(a.Uid.Id);
                    if (a.MemberOf.Count > 0)
                    {
                        w.WriteStartArray("memberOf");
                        foreach (var m in a.MemberOf)
                        {
                            w.WriteStartObject();
                            w.WriteString("id", m.Id);
                            w.WriteString("type", m.Type);
                            w.WriteEndObject();
                        }

                        w.WriteEndArray();
                    }

                    w.WriteStartObject("appliesTo");
                    WriteStrings(w, "principalTypes", a.PrincipalTypes);
                    WriteStrings(w, "resourceTypes", a.ResourceTypes);
                    if (a.Context.CommonName is not null || a.Context.Attributes!.Count > 0)
                    {
                        w.WritePropertyName("context");
                        WriteType(w, a.Context, [], null);
                    }

                    w.WriteEndObject();
                    WriteAnnotations(w, a.Annotations);
                    w.WriteEndObject();
                }

                w.WriteEndObject();
                w.WriteEndObject();
            }

            w.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan) + "\n";
    }

    private static string Simple(string qualified)
    {
        int cut = qualified.LastIndexOf("::", StringComparison.Ordinal);
        return cut < 0 ? qualified : qualified[(cut + 2)..];
    }

    private static void WriteStrings(Utf8JsonWriter w, string name, IReadOnlyList<string> values)
    {
        w.WriteStartArray(name);
        foreach (var v in values)
        {
            w.WriteStringValue(v);
        }

        w.WriteEndArray();
    }

    private static void WriteAnnotations(Utf8JsonWriter w, IReadOnlyList<KeyValuePair<string, string>> annotations)
    {
        if (annotations.Count == 0)
        {
            return;
        }

        w.WriteStartObject("annotations");
        foreach (var a in annotations)
        {
            w.WriteString(a.Key, a.Value);
        }

        w.WriteEndObject();
    }

    /// <summary>Writes a type; every name is written fully qualified with its kind, so it reads back the same from any namespace.</summary>
    private static void WriteType(Utf8JsonWriter w, SchemaType t, IReadOnlyList<KeyValuePair<string, string>> annotations, bool? required)
    {
        w.WriteStartObject();
        if (t.CommonName is not null)
        {
            w.WriteString("type", "EntityOrCommon");
            w.WriteString("name", t.CommonName);
        }
        else
        {
            switch (t.Kind)
            {
                case SchemaTypeKind.Long:
                    w.WriteString("type", "Long");
                    break;
                case SchemaTypeKind.String:
                    w.WriteString("type", "String");
                    break;
                case SchemaTypeKind.Bool:
                    w.WriteString("type", "Boolean");
                    break;
                case SchemaTypeKind.Entity:
                    w.WriteString("type", "Entity");
                    w.WriteString("name", t.Name);
                    break;
                case SchemaTypeKind.Extension:
                    w.WriteString("type", "Extension");
                    w.WriteString("name", t.Name);
                    break;
                case SchemaTypeKind.Set:
                    w.WriteString("type", "Set");
                    w.WritePropertyName("element");
                    WriteType(w, t.Element!, [], null);
                    break;
                default:
                    w.WriteString("type", "Record");
                    w.WriteStartObject("attributes");
                    foreach (var (name, attr) in t.Attributes!)
                    {
                        w.WritePropertyName(name);
                        WriteType(w, attr.Type, attr.Annotations, attr.Required);
                    }

                    w.WriteEndObject();
                    break;
            }
        }

        if (required == false)
        {
            w.WriteBoolean("required", false);
        }

        WriteAnnotations(w, annotations);
        w.WriteEndObject();
    }
}
