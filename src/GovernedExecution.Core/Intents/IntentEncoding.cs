using System.Formats.Cbor;
using System.Security.Cryptography;

namespace GovernedExecution.Intents;

/// <summary>
/// The deterministic CBOR encoding of an intent and its SHA-256 digest, which artifacts bind to. The layout is
/// documented in docs/artifact-format.md; changing it changes every digest, so it carries a version.
/// </summary>
internal static class IntentEncoding
{
    internal const int Version = 1;

    /// <summary>CBOR tag for an entity reference: a two-element array [type, id].</summary>
    internal const ulong EntityTag = 39001;

    [ThreadStatic]
    private static CborWriter? t_writer;

    internal static byte[] Encode(ExecutionIntent intent)
    {
        var writer = new CborWriter(CborConformanceMode.Canonical);
        Write(writer, intent);
        return writer.Encode();
    }

    /// <summary>The SHA-256 digest of the encoding, written through a reused per-thread writer.</summary>
    internal static byte[] Digest(ExecutionIntent intent)
    {
        var writer = t_writer ??= new CborWriter(CborConformanceMode.Canonical, initialCapacity: 512);
        writer.Reset();
        Write(writer, intent);
        var length = writer.BytesWritten;
        var buffer = length <= 1024 ? stackalloc byte[1024] : new byte[length];
        writer.Encode(buffer);
        return SHA256.HashData(buffer[..length]);
    }

    private static void Write(CborWriter writer, ExecutionIntent intent)
    {
        writer.WriteStartMap(8);
        writer.WriteTextString("v");
        writer.WriteInt32(Version);
        writer.WriteTextString("action");
        WriteEntity(writer, intent.Action);
        writer.WriteTextString("parent");
        if (intent.ParentExecutionId is { } parent)
        {
            Span<byte> bytes = stackalloc byte[16];
            parent.TryWriteBytes(bytes, bigEndian: true, out _);
            writer.WriteByteString(bytes);
        }
        else
        {
            writer.WriteNull();
        }

        writer.WriteTextString("context");
        writer.WriteStartMap(intent.Context.Count);
        foreach (var pair in intent.Context)
        {
            writer.WriteTextString(pair.Key);
            WriteValue(writer, pair.Value);
        }

        writer.WriteEndMap();
        writer.WriteTextString("resource");
        WriteEntity(writer, intent.Resource);
        writer.WriteTextString("arguments");
        if (intent.ArgumentsDigest.IsEmpty)
        {
            writer.WriteNull();
        }
        else
        {
            writer.WriteByteString(intent.ArgumentsDigest.Span);
        }

        writer.WriteTextString("principal");
        WriteEntity(writer, intent.Principal);
        writer.WriteTextString("type");
        writer.WriteTextString("governed-intent");
        writer.WriteEndMap();
    }

    internal static void WriteValue(CborWriter writer, IntentValue value)
    {
        switch (value.Kind)
        {
            case IntentValueKind.String:
                writer.WriteTextString(value.AsString());
                break;
            case IntentValueKind.Long:
                writer.WriteInt64(value.AsLong());
                break;
            case IntentValueKind.Boolean:
                writer.WriteBoolean(value.AsBoolean());
                break;
            case IntentValueKind.Decimal:
                // RFC 8949 tag 4 (decimal fraction) with Cedar's fixed exponent -4.
                writer.WriteTag(CborTag.DecimalFraction);
                writer.WriteStartArray(2);
                writer.WriteInt32(-4);
                writer.WriteInt64(value.AsScaledDecimal());
                writer.WriteEndArray();
                break;
            case IntentValueKind.Entity:
                WriteEntity(writer, value.AsEntity());
                break;
            case IntentValueKind.Set:
                // A set has no order: its items are sorted by their own deterministic encoding.
                var items = value.AsSet();
                var encoded = new byte[items.Count][];
                for (var i = 0; i < items.Count; i++)
                {
                    var itemWriter = new CborWriter(CborConformanceMode.Canonical);
                    WriteValue(itemWriter, items[i]);
                    encoded[i] = itemWriter.Encode();
                }

                Array.Sort(encoded, static (a, b) => a.AsSpan().SequenceCompareTo(b));
                writer.WriteStartArray(encoded.Length);
                foreach (var item in encoded)
                {
                    writer.WriteEncodedValue(item);
                }

                writer.WriteEndArray();
                break;
            case IntentValueKind.Record:
                var record = value.AsRecord();
                writer.WriteStartMap(record.Count);
                foreach (var pair in record)
                {
                    writer.WriteTextString(pair.Key);
                    WriteValue(writer, pair.Value);
                }

                writer.WriteEndMap();
                break;
            default:
                throw new InvalidOperationException("Unknown value kind " + value.Kind);
        }
    }

    private static void WriteEntity(CborWriter writer, EntityReference entity)
    {
        writer.WriteTag((CborTag)EntityTag);
        writer.WriteStartArray(2);
        writer.WriteTextString(entity.Type);
        writer.WriteTextString(entity.Id);
        writer.WriteEndArray();
    }
}
