using System.Security.Cryptography.Cose;

namespace GovernedExecution.Artifacts;

/// <summary>
/// The parts of a COSE_Sign1 artifact the verifier reads, as slices of the encoded message: the protected header (as
/// encoded, without its byte-string wrapper), its key id and algorithm, the inclusion proof of a batched artifact (the
/// encoded value of parameter 396), the payload and the signature.
/// </summary>
/// <remarks>
/// <see cref="TryReadExact"/> reads only the exact shape this library's issuers write (docs/artifact-format.md,
/// sections 1 and 8), in shortest-form CBOR, without allocating; anything else, well formed or not, is left to
/// <see cref="FromMessage"/> after the COSE library has decoded it, so that every message it accepts decodes the same
/// way as before and every refusal keeps its reason. What the exact reader accepts, the COSE library accepts with the
/// same parts (CoseSign1ViewTests checks it on every artifact the issuers write and on every one-byte change of them).
/// </remarks>
internal readonly record struct CoseSign1View(
    ReadOnlyMemory<byte> ProtectedHeader,
    string KeyId,
    ArtifactAlgorithm Algorithm,
    bool Batched,
    ReadOnlyMemory<byte> Proofs,
    ReadOnlyMemory<byte> Payload,
    ReadOnlyMemory<byte> Signature)
{
    private const byte Sign1Tag = 0xD2;
    private const byte ArrayOfFour = 0x84;
    private const byte EmptyMap = 0xA0;

    /// <summary>Content type (label 3) as a text string, with its label.</summary>
    private static ReadOnlySpan<byte> ContentTypeLabel => [0x03];

    /// <summary>The verifiable data structure (label 395) set to RFC9162_SHA256 (1): label and value.</summary>
    private static ReadOnlySpan<byte> VdsEntry => [0x19, 0x01, 0x8B, 0x01];

    /// <summary>A batched artifact's unprotected header up to its proof: <c>{396: {-1: [</c>, then one byte string.</summary>
    private static ReadOnlySpan<byte> ProofsPrefix => [0xA1, 0x19, 0x01, 0x8C, 0xA1, 0x20, 0x81];

    private static readonly byte[] ContentTypeText = TextString(ArtifactFormat.ContentType);

    /// <summary>
    /// Reads <paramref name="encoded"/> when it has exactly the shape the issuers write: tag 18, an array of four, a
    /// protected header holding alg (ES256, ES384, ES512 or PS256), content type and a non-empty UTF-8 kid once each
    /// (and vds = RFC9162_SHA256 for a batched artifact), an unprotected header that is empty (or holds exactly one
    /// inclusion proof), a payload, a signature, nothing after. False means only "not that shape".
    /// </summary>
    /// <param name="encoded">The message.</param>
    /// <param name="keyIds">The last key id read, reused when the bytes match, so that a steady stream of artifacts allocates no text.</param>
    /// <param name="view">The parts.</param>
    internal static bool TryReadExact(ReadOnlyMemory<byte> encoded, ref KeyIdText? keyIds, out CoseSign1View view)
    {
        view = default;
        var span = encoded.Span;
        if (span.Length < 2 || span[0] != Sign1Tag || span[1] != ArrayOfFour)
        {
            return false;
        }

        var offset = 2;
        if (!TryByteString(span, ref offset, out var protectedStart, out var protectedLength)
            || !TryReadProtected(span.Slice(protectedStart, protectedLength), out var algorithm, out var kidStart, out var kidLength, out var batched))
        {
            return false;
        }

        var proofsStart = 0;
        var proofsLength = 0;
        if (batched)
        {
            if (!span[offset..].StartsWith(ProofsPrefix))
            {
                return false;
            }

            var valueStart = offset + 4; // the value of 396: {-1: [bstr]}
            offset += ProofsPrefix.Length;
            if (!TryByteString(span, ref offset, out _, out _))
            {
                return false;
            }

            proofsStart = valueStart;
            proofsLength = offset - valueStart;
        }
        else
        {
            if (offset >= span.Length || span[offset] != EmptyMap)
            {
                return false;
            }

            offset++;
        }

        if (!TryByteString(span, ref offset, out var payloadStart, out var payloadLength)
            || !TryByteString(span, ref offset, out var signatureStart, out var signatureLength)
            || offset != span.Length)
        {
            return false;
        }

        var kid = span.Slice(protectedStart + kidStart, kidLength);
        if (!KeyIdText.TryGet(ref keyIds, kid, out var keyId))
        {
            return false;
        }

        view = new CoseSign1View(
            encoded.Slice(protectedStart, protectedLength),
            keyId,
            algorithm,
            batched,
            batched ? encoded.Slice(proofsStart, proofsLength) : default,
            encoded.Slice(payloadStart, payloadLength),
            encoded.Slice(signatureStart, signatureLength));
        return true;
    }

    /// <summary>The parts of a message the COSE library decoded, once its headers have been checked.</summary>
    internal static CoseSign1View FromMessage(CoseSign1Message message, string keyId, ArtifactAlgorithm algorithm, bool batched, CoseHeaderLabel proofsLabel) => new(
        message.RawProtectedHeaders,
        keyId,
        algorithm,
        batched,
        batched ? message.UnprotectedHeaders[proofsLabel].EncodedValue : default,
        message.Content!.Value,
        message.Signature);

    /// <summary>A map of 3 (or 4 with vds) entries: alg, content type, kid (and vds), each once, in any order.</summary>
    private static bool TryReadProtected(ReadOnlySpan<byte> header, out ArtifactAlgorithm algorithm, out int kidStart, out int kidLength, out bool batched)
    {
        algorithm = default;
        kidStart = 0;
        kidLength = 0;
        batched = false;
        if (header.Length == 0 || (header[0] != 0xA3 && header[0] != 0xA4))
        {
            return false;
        }

        var entries = header[0] - 0xA0;
        var seen = 0;
        var offset = 1;
        for (var i = 0; i < entries; i++)
        {
            var rest = header[offset..];
            if (rest.IsEmpty)
            {
                return false;
            }

            if (rest[0] == 0x01 && (seen & 1) == 0 && TryAlgorithm(rest[1..], out algorithm, out var used))
            {
                seen |= 1;
                offset += 1 + used;
            }
            else if (rest[0] == ContentTypeLabel[0] && (seen & 2) == 0 && rest[1..].StartsWith(ContentTypeText))
            {
                seen |= 2;
                offset += 1 + ContentTypeText.Length;
            }
            else if (rest[0] == 0x04 && (seen & 4) == 0)
            {
                var at = offset + 1;
                if (!TryByteString(header, ref at, out kidStart, out kidLength) || kidLength == 0)
                {
                    return false;
                }

                seen |= 4;
                offset = at;
            }
            else if (entries == 4 && (seen & 8) == 0 && rest.StartsWith(VdsEntry))
            {
                seen |= 8;
                offset += VdsEntry.Length;
            }
            else
            {
                return false;
            }
        }

        batched = entries == 4;
        return offset == header.Length && seen == (batched ? 15 : 7);
    }

    /// <summary>The supported algorithms in shortest form: -7 (ES256), -35 (ES384), -36 (ES512), -37 (PS256).</summary>
    private static bool TryAlgorithm(ReadOnlySpan<byte> value, out ArtifactAlgorithm algorithm, out int used)
    {
        algorithm = default;
        used = 0;
        if (value.Length >= 1 && value[0] == 0x26)
        {
            algorithm = ArtifactAlgorithm.ES256;
            used = 1;
            return true;
        }

        if (value.Length >= 2 && value[0] == 0x38)
        {
            algorithm = value[1] switch
            {
                0x22 => ArtifactAlgorithm.ES384,
                0x23 => ArtifactAlgorithm.ES512,
                0x24 => ArtifactAlgorithm.PS256,
                _ => default,
            };
            used = 2;
            return algorithm != default;
        }

        return false;
    }

    /// <summary>A definite byte string (major type 2) whose length is written in its shortest form; advances past it.</summary>
    private static bool TryByteString(ReadOnlySpan<byte> span, ref int offset, out int start, out int length)
    {
        start = 0;
        length = 0;
        if (offset >= span.Length || span[offset] >> 5 != 2)
        {
            return false;
        }

        var info = span[offset] & 0x1F;
        int head;
        long value;
        switch (info)
        {
            case < 24:
                head = 1;
                value = info;
                break;
            case 24 when span.Length - offset >= 2 && span[offset + 1] >= 24:
                head = 2;
                value = span[offset + 1];
                break;
            case 25 when span.Length - offset >= 3:
                head = 3;
                value = (span[offset + 1] << 8) | span[offset + 2];
                if (value <= byte.MaxValue)
                {
                    return false;
                }

                break;
            case 26 when span.Length - offset >= 5:
                head = 5;
                value = ((long)span[offset + 1] << 24) | ((long)span[offset + 2] << 16) | ((long)span[offset + 3] << 8) | span[offset + 4];
                if (value <= ushort.MaxValue)
                {
                    return false;
                }

                break;
            default:
                return false;
        }

        if (value > span.Length - offset - head)
        {
            return false;
        }

        start = offset + head;
        length = (int)value;
        offset = start + length;
        return true;
    }

    private static byte[] TextString(string text)
    {
        var bytes = System.Text.Encoding.UTF8.GetBytes(text);
        if (bytes.Length >= 24)
        {
            return [0x78, (byte)bytes.Length, .. bytes];
        }

        return [(byte)(0x60 | bytes.Length), .. bytes];
    }
}

/// <summary>A key id's bytes and its text, kept by a verifier so that the same key id is not decoded on every call.</summary>
internal sealed class KeyIdText
{
    private readonly byte[] _bytes;

    private KeyIdText(byte[] bytes, string text)
    {
        _bytes = bytes;
        Text = text;
    }

    internal string Text { get; }

    /// <summary>The text of <paramref name="kid"/> when it is valid UTF-8; false otherwise (the message is then left to the COSE library's path).</summary>
    internal static bool TryGet(ref KeyIdText? last, ReadOnlySpan<byte> kid, out string text)
    {
        var cached = Volatile.Read(ref last);
        if (cached is not null && kid.SequenceEqual(cached._bytes))
        {
            text = cached.Text;
            return true;
        }

        if (!System.Text.Unicode.Utf8.IsValid(kid))
        {
            text = string.Empty;
            return false;
        }

        text = System.Text.Encoding.UTF8.GetString(kid);
        Volatile.Write(ref last, new KeyIdText(kid.ToArray(), text));
        return true;
    }
}
