using System.Globalization;
using System.Text.Json;
using GovernedExecution.Intents;

namespace GovernedExecution.Integrations;

/// <summary>
/// Describes a tool call's JSON arguments to the executor: as context attributes (what policies can see) and as an
/// arguments digest (what the artifact binds). Shared, as source, by the integration packages.
/// </summary>
internal static class ToolArguments
{
    /// <summary>The JSON <c>null</c>.</summary>
    public static readonly JsonElement Null = JsonDocument.Parse("null").RootElement.Clone();

    /// <summary>
    /// Converts arguments to context attributes: strings, booleans, integral numbers within the 64-bit range (also when
    /// written with a zero fraction or an exponent), arrays as sets, objects as records. Other numbers become their
    /// JSON text as a string; <c>null</c> values are left out (Cedar has no null).
    /// </summary>
    /// <exception cref="ArgumentException">An object has a member name twice: the call is ambiguous.</exception>
    public static Dictionary<string, IntentValue> ToContext(IEnumerable<KeyValuePair<string, JsonElement>> arguments)
    {
        var context = new Dictionary<string, IntentValue>(StringComparer.Ordinal);
        foreach (var (name, value) in arguments)
        {
            var converted = ToIntentValue(value, name);
            if (converted is not null && !context.TryAdd(name, converted))
            {
                throw new ArgumentException($"The argument '{name}' appears twice.", nameof(arguments));
            }
        }

        return context;
    }

    /// <summary>
    /// Computes the <see cref="ArgumentsDigest"/> of all arguments, whatever their JSON type: a record from each
    /// argument name to the canonical JSON text of its value (no insignificant white space, object members ordered by
    /// name, ordinal; strings re-escaped; numbers as written). Lossless, so different arguments give different digests.
    /// </summary>
    public static byte[] ComputeDigest(IEnumerable<KeyValuePair<string, JsonElement>> arguments)
    {
        var record = new List<KeyValuePair<string, IntentValue>>();
        foreach (var (name, value) in arguments)
        {
            record.Add(KeyValuePair.Create(name, IntentValue.String(ToCanonicalJson(value))));
        }

        return ArgumentsDigest.Compute(record);
    }

    internal static string ToCanonicalJson(JsonElement value)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = false, SkipValidation = false }))
        {
            WriteCanonical(writer, value);
        }

        return System.Text.Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    /// <summary>Whether an object anywhere in <paramref name="value"/> has a member name twice (ordinal).</summary>
    public static bool HasRepeatedMember(JsonElement value)
    {
        switch (value.ValueKind)
        {
            case JsonValueKind.Object:
                var names = new HashSet<string>(StringComparer.Ordinal);
                foreach (var member in value.EnumerateObject())
                {
                    if (!names.Add(member.Name) || HasRepeatedMember(member.Value))
                    {
                        return true;
                    }
                }

                return false;
            case JsonValueKind.Array:
                foreach (var item in value.EnumerateArray())
                {
                    if (HasRepeatedMember(item))
                    {
                        return true;
                    }
                }

                return false;
            default:
                return false;
        }
    }

    private static void WriteCanonical(Utf8JsonWriter writer, JsonElement value)
    {
        switch (value.ValueKind)
        {
            case JsonValueKind.Object:
                writer.WriteStartObject();
                foreach (var member in value.EnumerateObject().OrderBy(static m => m.Name, StringComparer.Ordinal))
                {
                    writer.WritePropertyName(member.Name);
                    WriteCanonical(writer, member.Value);
                }

                writer.WriteEndObject();
                break;
            case JsonValueKind.Array:
                writer.WriteStartArray();
                foreach (var item in value.EnumerateArray())
                {
                    WriteCanonical(writer, item);
                }

                writer.WriteEndArray();
                break;
            case JsonValueKind.String:
                writer.WriteStringValue(value.GetString());
                break;
            case JsonValueKind.Number:
                writer.WriteRawValue(value.GetRawText());
                break;
            case JsonValueKind.True:
                writer.WriteBooleanValue(true);
                break;
            case JsonValueKind.False:
                writer.WriteBooleanValue(false);
                break;
            default:
                writer.WriteNullValue();
                break;
        }
    }

    private static IntentValue? ToIntentValue(JsonElement value, string path)
    {
        switch (value.ValueKind)
        {
            case JsonValueKind.String:
                return IntentValue.String(value.GetString()!);
            case JsonValueKind.True:
                return IntentValue.Boolean(true);
            case JsonValueKind.False:
                return IntentValue.Boolean(false);
            case JsonValueKind.Number:
                return TryGetIntegral(value, out var number) ? IntentValue.Long(number) : IntentValue.String(value.GetRawText());
            case JsonValueKind.Array:
                var items = new List<IntentValue>();
                foreach (var item in value.EnumerateArray())
                {
                    if (ToIntentValue(item, path) is { } converted)
                    {
                        items.Add(converted);
                    }
                }

                return IntentValue.Set(items);
            case JsonValueKind.Object:
                var fields = new Dictionary<string, IntentValue>(StringComparer.Ordinal);
                foreach (var member in value.EnumerateObject())
                {
                    if (fields.ContainsKey(member.Name))
                    {
                        throw new ArgumentException($"The argument '{path}' has the member '{member.Name}' twice.", nameof(value));
                    }

                    if (ToIntentValue(member.Value, path + "." + member.Name) is { } converted)
                    {
                        fields.Add(member.Name, converted);
                    }
                }

                return IntentValue.Record(fields);
            default:
                return null;
        }
    }

    internal static bool TryGetIntegral(JsonElement value, out long number)
    {
        if (value.TryGetInt64(out number))
        {
            return true;
        }

        // 150.0 and 1.5e2 are the integer 150: a policy comparing longs must see them as such.
        if (decimal.TryParse(value.GetRawText(), NumberStyles.Float, CultureInfo.InvariantCulture, out var exact)
            && decimal.Truncate(exact) == exact && exact >= long.MinValue && exact <= long.MaxValue)
        {
            number = (long)exact;
            return true;
        }

        number = 0;
        return false;
    }
}
