using System.Formats.Cbor;

namespace GovernedExecution.Tests.Artifacts;

/// <summary>
/// COSE_Sign1 messages whose header labels or values do not fit the integer types a reader may convert them to
/// (beyond 32 bits, beyond 64 bits): each is either refused by the COSE decoder with an exception other than
/// CryptographicException, or decoded and then refused when a header is read. A reader must turn every one into
/// "malformed", never an unhandled exception.
/// </summary>
internal static class HostileCose
{
    internal static readonly string[] Names =
    [
        "protected label beyond 32 bits",
        "negative protected label beyond 32 bits",
        "unprotected label beyond 64 bits",
        "crit naming a label beyond 32 bits",
        "algorithm beyond 32 bits",
        "algorithm below -2^64",
        "content type beyond 64 bits",
        "unknown protected value beyond 64 bits",
    ];

    internal static TheoryData<string> Theory() => [.. Names];

    /// <summary>The message <paramref name="name"/>, tagged, with an ES256 algorithm, the content type and the kid unless the shape replaces them.</summary>
    internal static byte[] Message(string name, string contentType, string keyId, byte[] payload)
    {
        var header = new CborWriter(CborConformanceMode.Lax);
        header.WriteStartMap(null);
        header.WriteInt32(1);
        switch (name)
        {
            case "algorithm beyond 32 bits": header.WriteInt64(1L << 40); break;
            case "algorithm below -2^64": header.WriteCborNegativeIntegerRepresentation(ulong.MaxValue); break;
            default: header.WriteInt32(-7); break;
        }

        header.WriteInt32(3);
        if (name == "content type beyond 64 bits")
        {
            header.WriteUInt64(ulong.MaxValue);
        }
        else
        {
            header.WriteTextString(contentType);
        }

        header.WriteInt32(4);
        header.WriteByteString(System.Text.Encoding.UTF8.GetBytes(keyId));
        switch (name)
        {
            case "protected label beyond 32 bits": header.WriteUInt64(1UL << 33); header.WriteInt32(0); break;
            case "negative protected label beyond 32 bits": header.WriteInt64(-(1L << 40)); header.WriteInt32(0); break;
            case "crit naming a label beyond 32 bits": header.WriteInt32(2); header.WriteStartArray(1); header.WriteUInt64(1UL << 40); header.WriteEndArray(); break;
            case "unknown protected value beyond 64 bits": header.WriteInt32(99); header.WriteUInt64(ulong.MaxValue); break;
        }

        header.WriteEndMap();
        var writer = new CborWriter(CborConformanceMode.Lax);
        writer.WriteTag((CborTag)18);
        writer.WriteStartArray(4);
        writer.WriteByteString(header.Encode());
        writer.WriteStartMap(null);
        if (name == "unprotected label beyond 64 bits")
        {
            writer.WriteUInt64(ulong.MaxValue);
            writer.WriteInt32(0);
        }

        writer.WriteEndMap();
        writer.WriteByteString(payload);
        writer.WriteByteString(new byte[64]);
        writer.WriteEndArray();
        return writer.Encode();
    }
}
