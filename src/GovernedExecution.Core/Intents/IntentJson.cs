using System.Globalization;
using System.Text.Json;

namespace GovernedExecution.Intents;

/// <summary>
/// Reads an intent from a request in JSON (docs/cli.md): <c>principal</c>, <c>action</c> and <c>resource</c> as
/// <c>{"type":..,"id":..}</c>, an optional <c>context</c> record in Cedar's JSON value forms, and the optional
/// <c>parent</c> (a UUID) and <c>arguments</c> (64 hex digits).
/// </summary>
internal static class IntentJson
{
    private static readonly JsonDocumentOptions Options = new() { AllowTrailingCommas = false, CommentHandling = JsonCommentHandling.Disallow, MaxDepth = 64 };

    /// <exception cref="FormatException">The JSON is malformed or not a request.</exception>
    internal static ExecutionIntent Parse(string json)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json, Options);
        }
        catch (JsonException ex)
        {
            throw new FormatException("The request is not valid JSON: " + ex.Message, ex);
        }

        using (document)
        {
            var root = document.RootElement;
            Expect(root, JsonValueKind.Object, "$");
            foreach (var property in root.EnumerateObject())
            {
                if (property.Name is not ("principal" or "action" or "resource" or "context" or "parent" or "arguments"))
                {
                    throw new FormatException($"$.{property.Name}: unknown member of a request.");
                }
            }

            var intent = new ExecutionIntent(Entity(Required(root, "principal"), "$.principal"), Entity(Required(root, "action"), "$.action"), Entity(Required(root, "resource"), "$.resource"));
            var context = root.TryGetProperty("context", out var c) ? Record(c, "$.context") : null;
            Guid? parent = null;
            if (root.TryGetProperty("parent", out var p) && p.ValueKind != JsonValueKind.Null)
            {
                Expect(p, JsonValueKind.String, "$.parent");
                parent = Guid.TryParseExact(p.GetString(), "D", out var g) ? g : throw new FormatException("$.parent: not a UUID.");
            }

            byte[] arguments = [];
            if (root.TryGetProperty("arguments", out var a) && a.ValueKind != JsonValueKind.Null)
            {
                Expect(a, JsonValueKind.String, "$.arguments");
                var hex = a.GetString()!;
                if (hex.Length != 64)
                {
                    throw new FormatException("$.arguments: an arguments digest is 64 hex digits.");
                }

                arguments = Convert.FromHexString(hex);
            }

            return new ExecutionIntent(intent.Principal, intent.Action, intent.Resource)
            {
                Context = context?.AsRecord() ?? new Dictionary<string, IntentValue>(),
                ParentExecutionId = parent,
                ArgumentsDigest = arguments,
            };
        }
    }

    private static JsonElement Required(JsonElement obj, string name) =>
        obj.TryGetProperty(name, out var value) ? value : throw new FormatException($"$.{name} is required.");

    private static EntityReference Entity(JsonElement element, string path)
    {
        Expect(element, JsonValueKind.Object, path);
        var count = 0;
        foreach (var _ in element.EnumerateObject())
        {
            count++;
        }

        if (count != 2 || !element.TryGetProperty("type", out var type) || !element.TryGetProperty("id", out var id)
            || type.ValueKind != JsonValueKind.String || id.ValueKind != JsonValueKind.String)
        {
            throw new FormatException($"{path}: an entity is {{\"type\": string, \"id\": string}}.");
        }

        try
        {
            return new EntityReference(type.GetString()!, id.GetString()!);
        }
        catch (ArgumentException ex)
        {
            throw new FormatException($"{path}: {ex.Message}", ex);
        }
    }

    private static IntentValue Record(JsonElement element, string path)
    {
        Expect(element, JsonValueKind.Object, path);
        var fields = new List<KeyValuePair<string, IntentValue>>();
        foreach (var property in element.EnumerateObject())
        {
            fields.Add(new(property.Name, Value(property.Value, path + "." + property.Name)));
        }

        try
        {
            return IntentValue.Record(fields);
        }
        catch (ArgumentException ex)
        {
            throw new FormatException($"{path}: {ex.Message}", ex);
        }
    }

    private static IntentValue Value(JsonElement element, string path)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.String:
                return IntentValue.String(element.GetString()!);
            case JsonValueKind.True:
                return IntentValue.Boolean(true);
            case JsonValueKind.False:
                return IntentValue.Boolean(false);
            case JsonValueKind.Number:
                return element.TryGetInt64(out var number) && !element.GetRawText().Contains('.', StringComparison.Ordinal)
                    ? IntentValue.Long(number)
                    : throw new FormatException($"{path}: a number must be an integer in the 64-bit range (use decimal for fractions).");
            case JsonValueKind.Array:
                var items = new List<IntentValue>();
                var index = 0;
                foreach (var item in element.EnumerateArray())
                {
                    items.Add(Value(item, path + "[" + index.ToString(CultureInfo.InvariantCulture) + "]"));
                    index++;
                }

                return IntentValue.Set(items);
            case JsonValueKind.Object:
                var escaped = element.TryGetProperty("__entity", out var entity) || element.TryGetProperty("__extn", out _);
                if (escaped && element.EnumerateObject().Count() != 1)
                {
                    throw new FormatException($"{path}: an __entity or __extn escape is the object's only member.");
                }

                if (entity.ValueKind != JsonValueKind.Undefined)
                {
                    return IntentValue.Entity(Entity(entity, path + ".__entity"));
                }

                if (element.TryGetProperty("__extn", out var extension))
                {
                    return Extension(extension, path + ".__extn");
                }

                return Record(element, path);
            default:
                throw new FormatException($"{path}: null is not a Cedar value.");
        }
    }

    private static IntentValue Extension(JsonElement element, string path)
    {
        Expect(element, JsonValueKind.Object, path);
        if (!element.TryGetProperty("fn", out var fn) || !element.TryGetProperty("arg", out var arg)
            || fn.ValueKind != JsonValueKind.String || arg.ValueKind != JsonValueKind.String)
        {
            throw new FormatException($"{path}: an extension value is {{\"fn\": string, \"arg\": string}}.");
        }

        if (fn.GetString() != "decimal")
        {
            throw new FormatException($"{path}: extension function '{fn.GetString()}' is not supported in an intent (only decimal).");
        }

        return IntentValue.Decimal(arg.GetString()!);
    }

    private static void Expect(JsonElement element, JsonValueKind kind, string path)
    {
        if (element.ValueKind != kind)
        {
            throw new FormatException($"{path}: expected {kind.ToString().ToLowerInvariant()}, found {element.ValueKind.ToString().ToLowerInvariant()}.");
        }
    }
}
