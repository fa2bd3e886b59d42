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
    /// JSON text as a string; <c>null</c> values are left out (Cedar has no null). <see langword="null"/> when an object
    /// anywhere has a member name twice (also when one of the two is <c>null</c>): the call is ambiguous.
    /// </summary>
    public static Dictionary<string, IntentValue>? ToContext(IReadOnlyDictionary<string, JsonElement> arguments)
    {
        var context = new Dictionary<string, IntentValue>(StringComparer.Ordinal);
        foreach (var (name, value) in arguments)
        {
            if (!TryConvert(value, out var converted))
            {
                return null;
            }

            if (converted is not null)
            {
                context.Add(name, converted);
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
        using (var writer = new Utf8JsonWriter(buffer))
        {
            WriteCanonical(writer, value);
        }

        return System.Text.Encoding.UTF8.GetString(buffer.WrittenSpan);
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

    /// <summary>A value as a context attribute (<see langword="null"/> for JSON <c>null</c>); false if an object in it has a member twice.</summary>
    private static bool TryConvert(JsonElement value, out IntentValue? converted)
    {
        converted = null;
        switch (value.ValueKind)
        {
            case JsonValueKind.String:
                converted = IntentValue.String(value.GetString()!);
                return true;
            case JsonValueKind.True:
                converted = IntentValue.Boolean(true);
                return true;
            case JsonValueKind.False:
                converted = IntentValue.Boolean(false);
                return true;
            case JsonValueKind.Number:
                converted = TryGetIntegral(value, out var number) ? IntentValue.Long(number) : IntentValue.String(value.GetRawText());
                return true;
            case JsonValueKind.Array:
                var items = new List<IntentValue>();
                foreach (var item in value.EnumerateArray())
                {
                    if (!TryConvert(item, out var element))
                    {
                        return false;
                    }

                    if (element is not null)
                    {
                        items.Add(element);
                    }
                }

                converted = IntentValue.Set(items);
                return true;
            case JsonValueKind.Object:
                var names = new HashSet<string>(StringComparer.Ordinal);
                var fields = new Dictionary<string, IntentValue>(StringComparer.Ordinal);
                foreach (var member in value.EnumerateObject())
                {
                    if (!names.Add(member.Name) || !TryConvert(member.Value, out var field))
                    {
                        return false;
                    }

                    if (field is not null)
                    {
                        fields.Add(member.Name, field);
                    }
                }

                converted = IntentValue.Record(fields);
                return true;
            default:
                return true;
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
