using System.Buffers;
using System.Text.Json;

namespace GovernedExecution.Integrations;

/// <summary>
/// Binds arguments by a tool's JSON input schema when there is no .NET method to bind them by (a remote tool, a tool
/// written by hand). Its binder is unknown, so only arguments that mean one thing whatever it does are taken: members
/// named exactly as the schema names them (one that differs only in case is refused, as is any member the schema does
/// not name or a name twice), values of the declared JSON type (no number in a string, an enum value spelled exactly),
/// and every property present or given a default by the schema. The result is canonical JSON (members ordered,
/// integral numbers written as integers, defaults written out), which is what the policies see and the tool receives.
/// </summary>
internal sealed class SchemaToolArgumentBinder : ToolArgumentBinder
{
    private const int MaxDepth = 64;
    private const int MaxReferences = 64;

    // Keywords that describe or constrain a value without changing which members or values bind: the tool receives the
    // same JSON the policies see whatever they say.
    private static readonly HashSet<string> Annotations = new(StringComparer.Ordinal)
    {
        "$schema", "$id", "$comment", "$anchor", "$defs", "definitions", "title", "description", "examples", "default",
        "deprecated", "readOnly", "writeOnly", "format", "contentEncoding", "contentMediaType", "minimum", "maximum",
        "exclusiveMinimum", "exclusiveMaximum", "multipleOf", "minLength", "maxLength", "pattern", "minItems", "maxItems",
        "uniqueItems", "minProperties", "maxProperties",
    };

    private static readonly HashSet<string> Structure = new(StringComparer.Ordinal)
    {
        "type", "properties", "required", "additionalProperties", "items", "enum", "const", "$ref", "anyOf", "oneOf",
    };

    private static readonly JsonElement AnySchema = JsonDocument.Parse("true").RootElement.Clone();

    private readonly JsonElement _root;
    private readonly JsonSerializerOptions _valueOptions;

    public SchemaToolArgumentBinder(JsonElement root, JsonSerializerOptions valueOptions)
    {
        _root = root.Clone();
        _valueOptions = valueOptions;
    }

    /// <summary>Whether <paramref name="schema"/> describes an object by its properties (a tool's parameter list).</summary>
    public static bool IsObjectSchema(JsonElement schema) =>
        schema.ValueKind == JsonValueKind.Object
        && ((schema.TryGetProperty("properties", out var properties) && properties.ValueKind == JsonValueKind.Object)
            || (schema.TryGetProperty("type", out var type) && type.ValueKind == JsonValueKind.String && type.ValueEquals("object")));

    public override ToolBinding Bind(IEnumerable<KeyValuePair<string, object?>> arguments)
    {
        var members = new List<KeyValuePair<string, JsonElement>>();
        foreach (var (name, value) in arguments)
        {
            if (ToJson(value, _valueOptions) is not { } json)
            {
                return ToolBinding.Refused(ToolBindingRefusals.NotBindable);
            }

            members.Add(KeyValuePair.Create(name, json));
        }

        var buffer = new ArrayBufferWriter<byte>();
        string? refusal;
        using (var writer = new Utf8JsonWriter(buffer))
        {
            try
            {
                refusal = Resolve(_root) is { ValueKind: JsonValueKind.Object } root && IsKnown(root) && !root.TryGetProperty("anyOf", out _) && !root.TryGetProperty("oneOf", out _)
                    ? WriteObject(writer, root, members, 0, topLevel: true)
                    : ToolBindingRefusals.UnsupportedSchema;
            }
            catch (InvalidOperationException)
            {
                // A string or member name that is not UTF-16 text (a lone surrogate escape): no binder reads it one way.
                refusal = ToolBindingRefusals.NotBindable;
            }
        }

        if (refusal is not null)
        {
            return ToolBinding.Refused(refusal);
        }

        using var document = JsonDocument.Parse(buffer.WrittenMemory);
        var bound = new SortedDictionary<string, JsonElement>(StringComparer.Ordinal);
        foreach (var member in document.RootElement.EnumerateObject())
        {
            bound.Add(member.Name, member.Value.Clone());
        }

        return ToolBinding.Bound(bound);
    }

    private string? Write(Utf8JsonWriter writer, JsonElement schema, JsonElement value, int depth)
    {
        if (depth > MaxDepth)
        {
            return ToolBindingRefusals.NotBindable;
        }

        if (Resolve(schema) is not { } resolved)
        {
            return ToolBindingRefusals.UnsupportedSchema;
        }

        switch (resolved.ValueKind)
        {
            case JsonValueKind.True:
                return WriteAny(writer, value);
            case JsonValueKind.False:
                return ToolBindingRefusals.NotBindable;
            case JsonValueKind.Object:
                break;
            default:
                return ToolBindingRefusals.UnsupportedSchema;
        }

        if (!IsKnown(resolved))
        {
            return ToolBindingRefusals.UnsupportedSchema;
        }

        if (resolved.TryGetProperty("anyOf", out var branches) || resolved.TryGetProperty("oneOf", out branches))
        {
            return WriteOneBranch(writer, resolved, branches, value, depth);
        }

        var types = Types(resolved);
        if (types is { Count: 0 })
        {
            return ToolBindingRefusals.UnsupportedSchema;
        }

        if (resolved.TryGetProperty("const", out var constant) || resolved.TryGetProperty("enum", out _))
        {
            var listed = resolved.TryGetProperty("enum", out var choices)
                ? choices.ValueKind == JsonValueKind.Array && choices.EnumerateArray().Any(c => JsonElement.DeepEquals(c, value))
                : JsonElement.DeepEquals(constant, value);
            return listed && Allows(types, value) ? WriteAny(writer, value) : ToolBindingRefusals.NotBindable;
        }

        switch (value.ValueKind)
        {
            case JsonValueKind.Null when Allows(types, "null"):
                writer.WriteNullValue();
                return null;
            case JsonValueKind.True or JsonValueKind.False when Allows(types, "boolean"):
                writer.WriteBooleanValue(value.GetBoolean());
                return null;
            case JsonValueKind.String when Allows(types, "string"):
                writer.WriteStringValue(value.GetString());
                return null;
            case JsonValueKind.Number when Allows(types, "integer") || Allows(types, "number"):
                return WriteNumber(writer, value, integralOnly: !Allows(types, "number"));
            case JsonValueKind.Object when Allows(types, "object"):
                return WriteObject(writer, resolved, [.. value.EnumerateObject().Select(m => KeyValuePair.Create(m.Name, m.Value))], depth, topLevel: false);
            case JsonValueKind.Array when Allows(types, "array"):
                return WriteArray(writer, resolved, value, depth);
            default:
                return ToolBindingRefusals.NotBindable;
        }
    }

    private string? WriteObject(Utf8JsonWriter writer, JsonElement schema, List<KeyValuePair<string, JsonElement>> members, int depth, bool topLevel)
    {
        var properties = schema.TryGetProperty("properties", out var declared) ? declared : default;
        if (properties.ValueKind is not (JsonValueKind.Object or JsonValueKind.Undefined))
        {
            return ToolBindingRefusals.UnsupportedSchema;
        }

        var names = properties.ValueKind == JsonValueKind.Object ? properties.EnumerateObject().Select(p => p.Name).ToList() : [];
        if (names.Distinct(StringComparer.OrdinalIgnoreCase).Count() != names.Count)
        {
            // Two properties a case-insensitive binder would read as one: which one a member fills is unknowable.
            return ToolBindingRefusals.UnsupportedSchema;
        }

        var additional = schema.TryGetProperty("additionalProperties", out var more) ? more : default;
        var chosen = new SortedDictionary<string, (JsonElement Schema, JsonElement Value)>(StringComparer.Ordinal);
        foreach (var (name, value) in members)
        {
            if (chosen.ContainsKey(name))
            {
                return ToolBindingRefusals.NotBindable;
            }

            if (properties.ValueKind == JsonValueKind.Object && properties.TryGetProperty(name, out var property))
            {
                chosen.Add(name, (property, value));
            }
            else if (names.Contains(name, StringComparer.OrdinalIgnoreCase))
            {
                return topLevel ? ToolBindingRefusals.UnknownArgument : ToolBindingRefusals.NotBindable;
            }
            else if (additional.ValueKind is JsonValueKind.True or JsonValueKind.Object)
            {
                chosen.Add(name, (additional, value));
            }
            else
            {
                return topLevel ? ToolBindingRefusals.UnknownArgument : ToolBindingRefusals.NotBindable;
            }
        }

        if (schema.TryGetProperty("required", out var required))
        {
            if (required.ValueKind != JsonValueKind.Array || required.EnumerateArray().Any(r => r.ValueKind != JsonValueKind.String))
            {
                return ToolBindingRefusals.UnsupportedSchema;
            }

            if (required.EnumerateArray().Any(r => !chosen.ContainsKey(r.GetString()!)))
            {
                return ToolBindingRefusals.MissingRequired;
            }
        }

        foreach (var name in names)
        {
            if (!chosen.ContainsKey(name))
            {
                // What the tool would put in an omitted member is what the policies must see: only a declared default says.
                var property = properties.GetProperty(name);
                if (property.ValueKind != JsonValueKind.Object || !property.TryGetProperty("default", out var fallback))
                {
                    return ToolBindingRefusals.NoDefault;
                }

                chosen.Add(name, (property, fallback));
            }
        }

        writer.WriteStartObject();
        foreach (var (name, (propertySchema, value)) in chosen)
        {
            writer.WritePropertyName(name);
            if (Write(writer, propertySchema, value, depth + 1) is { } refusal)
            {
                return refusal;
            }
        }

        writer.WriteEndObject();
        return null;
    }

    private string? WriteArray(Utf8JsonWriter writer, JsonElement schema, JsonElement value, int depth)
    {
        var items = schema.TryGetProperty("items", out var declared) ? declared : AnySchema;
        if (items.ValueKind is not (JsonValueKind.Object or JsonValueKind.True or JsonValueKind.False))
        {
            return ToolBindingRefusals.UnsupportedSchema;
        }

        writer.WriteStartArray();
        foreach (var item in value.EnumerateArray())
        {
            if (Write(writer, items, item, depth + 1) is { } refusal)
            {
                return refusal;
            }
        }

        writer.WriteEndArray();
        return null;
    }

    /// <summary>anyOf / oneOf: the value must bind by exactly one branch, whose canonical form is taken.</summary>
    private string? WriteOneBranch(Utf8JsonWriter writer, JsonElement schema, JsonElement branches, JsonElement value, int depth)
    {
        if (branches.ValueKind != JsonValueKind.Array
            || schema.EnumerateObject().Any(k => Structure.Contains(k.Name) && k.Name is not ("anyOf" or "oneOf"))
            || (schema.TryGetProperty("anyOf", out _) && schema.TryGetProperty("oneOf", out _)))
        {
            return ToolBindingRefusals.UnsupportedSchema;
        }

        ReadOnlyMemory<byte>? taken = null;
        foreach (var branch in branches.EnumerateArray())
        {
            var buffer = new ArrayBufferWriter<byte>();
            string? refusal;
            using (var branchWriter = new Utf8JsonWriter(buffer))
            {
                refusal = Write(branchWriter, branch, value, depth + 1);
            }

            if (refusal == ToolBindingRefusals.UnsupportedSchema)
            {
                return refusal;
            }

            if (refusal is null)
            {
                if (taken is not null)
                {
                    return ToolBindingRefusals.NotBindable;
                }

                taken = buffer.WrittenMemory;
            }
        }

        if (taken is not { } bytes)
        {
            return ToolBindingRefusals.NotBindable;
        }

        writer.WriteRawValue(bytes.Span);
        return null;
    }

    private static string? WriteNumber(Utf8JsonWriter writer, JsonElement value, bool integralOnly)
    {
        if (ToolArguments.TryGetIntegral(value, out var number))
        {
            writer.WriteNumberValue(number);
        }
        else if (value.TryGetUInt64(out var large))
        {
            writer.WriteNumberValue(large);
        }
        else if (!integralOnly)
        {
            writer.WriteRawValue(value.GetRawText());
        }
        else
        {
            return ToolBindingRefusals.NotBindable;
        }

        return null;
    }

    /// <summary>Any value, canonically; a member twice is refused when the binding is described (<see cref="ToolBinding.Bound"/>).</summary>
    private static string? WriteAny(Utf8JsonWriter writer, JsonElement value)
    {
        writer.WriteRawValue(ToolArguments.ToCanonicalJson(value));
        return null;
    }

    /// <summary>Whether every keyword of a schema object is one this binder follows or may ignore (annotations, <c>x-</c> extensions).</summary>
    private static bool IsKnown(JsonElement schema) =>
        schema.EnumerateObject().All(k => Annotations.Contains(k.Name) || Structure.Contains(k.Name) || k.Name.StartsWith("x-", StringComparison.Ordinal));

    /// <summary>The JSON types a schema allows; <see langword="null"/> for any; empty when the keyword is malformed.</summary>
    private static HashSet<string>? Types(JsonElement schema)
    {
        if (!schema.TryGetProperty("type", out var type))
        {
            return null;
        }

        return type.ValueKind switch
        {
            JsonValueKind.String => new HashSet<string>(StringComparer.Ordinal) { type.GetString()! },
            JsonValueKind.Array when type.EnumerateArray().All(t => t.ValueKind == JsonValueKind.String) =>
                new HashSet<string>(type.EnumerateArray().Select(t => t.GetString()!), StringComparer.Ordinal),
            _ => [],
        };
    }

    private static bool Allows(HashSet<string>? types, string type) => types is null || types.Contains(type);

    private static bool Allows(HashSet<string>? types, JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.Null => Allows(types, "null"),
        JsonValueKind.True or JsonValueKind.False => Allows(types, "boolean"),
        JsonValueKind.String => Allows(types, "string"),
        JsonValueKind.Number => Allows(types, "number") || (Allows(types, "integer") && ToolArguments.TryGetIntegral(value, out _)),
        JsonValueKind.Object => Allows(types, "object"),
        JsonValueKind.Array => Allows(types, "array"),
        _ => false,
    };

    /// <summary>Follows local <c>$ref</c>s (JSON pointers into the tool's schema); <see langword="null"/> for any other reference.</summary>
    private JsonElement? Resolve(JsonElement schema)
    {
        for (var hops = 0; hops < MaxReferences; hops++)
        {
            if (schema.ValueKind != JsonValueKind.Object || !schema.TryGetProperty("$ref", out var reference))
            {
                return schema;
            }

            if (reference.ValueKind != JsonValueKind.String
                || schema.EnumerateObject().Any(k => k.Name != "$ref" && !Annotations.Contains(k.Name))
                || reference.GetString() is not ['#', .. var pointer]
                || Pointer(_root, pointer) is not { } target)
            {
                return null;
            }

            schema = target;
        }

        return null;
    }

    private static JsonElement? Pointer(JsonElement root, string pointer)
    {
        if (pointer.Length == 0)
        {
            return root;
        }

        if (pointer[0] != '/')
        {
            return null;
        }

        var current = root;
        foreach (var token in pointer[1..].Split('/'))
        {
            var name = token.Replace("~1", "/", StringComparison.Ordinal).Replace("~0", "~", StringComparison.Ordinal);
            if (current.ValueKind == JsonValueKind.Object && current.TryGetProperty(name, out var next))
            {
                current = next;
            }
            else if (current.ValueKind == JsonValueKind.Array && int.TryParse(name, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var index)
                && index < current.GetArrayLength())
            {
                current = current[index];
            }
            else
            {
                return null;
            }
        }

        return current;
    }
}
