using System.Buffers;
using System.Security.Cryptography;

namespace GovernedExecution.Artifacts;

/// <summary>
/// The signature of a COSE_Sign1 message (RFC 9052, section 4.4) computed over a Sig_structure written into a pooled
/// buffer, and a tagged COSE_Sign1 with an embedded payload written in one pass: the same bytes
/// System.Security.Cryptography.Cose writes (its protected header is reused as encoded), without its intermediate
/// copies. Decoding and header checks stay with <see cref="CoseSign1Layer"/>; this is only the arithmetic of
/// section 4.4 around the key's own SignData/VerifyData.
/// </summary>
internal static class CoseSign1Signature
{
    /// <summary>The Sig_structure's context, as a CBOR text string: "Signature1".</summary>
    private static ReadOnlySpan<byte> Signature1Context => [0x6A, (byte)'S', (byte)'i', (byte)'g', (byte)'n', (byte)'a', (byte)'t', (byte)'u', (byte)'r', (byte)'e', (byte)'1'];

    /// <summary>The largest signature of a supported key kept on the stack (P-521: 132 bytes; RSA up to 4096 bits).</summary>
    private const int StackSignature = 512;

    /// <summary>Sig_structures up to this size are built on the stack; larger ones in a pooled array.</summary>
    private const int StackStructure = 1024;

    /// <summary>
    /// Signs <paramref name="payload"/> under <paramref name="protectedHeader"/> (the encoded header map, without its
    /// byte-string wrapper) and returns the tagged COSE_Sign1: tag 18, [bstr protected, {}, bstr payload, bstr signature].
    /// </summary>
    internal static byte[] SignEmbedded(ReadOnlySpan<byte> protectedHeader, ReadOnlySpan<byte> payload, AsymmetricAlgorithm key, HashAlgorithmName hash)
    {
        var length = StructureLength(protectedHeader.Length, 0, payload.Length);
        byte[]? rented = null;
        var structure = length <= StackStructure ? stackalloc byte[StackStructure] : (rented = ArrayPool<byte>.Shared.Rent(length));
        try
        {
            WriteStructure(structure, protectedHeader, default, payload);
            var size = SignatureSize(key);
            var signature = size <= StackSignature ? stackalloc byte[StackSignature] : new byte[size];
            int written;
            var signed = key switch
            {
                ECDsa ec => ec.TrySignData(structure[..length], signature, hash, out written),
                RSA rsa => rsa.TrySignData(structure[..length], signature, hash, RSASignaturePadding.Pss, out written),
                _ => throw new InvalidOperationException("Unsupported key type."),
            };
            if (!signed)
            {
                throw new CryptographicException("The signature did not fit its buffer.");
            }

            return Encode(protectedHeader, payload, signature[..written]);
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }
    }

    /// <summary>
    /// Whether <paramref name="signature"/> is the signature of <paramref name="key"/> over the Sig_structure of the
    /// protected header (as encoded, without its byte-string wrapper), the external data and the payload, with the
    /// hash of <paramref name="algorithm"/> (ECDSA in the IEEE P1363 form COSE uses; RSA with PSS). The algorithm and
    /// the key's fit to it are checked by the caller first (<see cref="CoseSign1Layer.TryReadAlgorithm"/>, <see cref="CoseSign1Layer.KeyFits"/>).
    /// </summary>
    internal static bool Verify(ReadOnlySpan<byte> protectedHeader, ReadOnlySpan<byte> externalData, ReadOnlySpan<byte> payload, ReadOnlySpan<byte> signature, AsymmetricAlgorithm key, ArtifactAlgorithm algorithm)
    {
        var hash = Keys.KeyMaterial.HashFor(algorithm);
        var length = StructureLength(protectedHeader.Length, externalData.Length, payload.Length);
        byte[]? rented = null;
        var structure = length <= StackStructure ? stackalloc byte[StackStructure] : (rented = ArrayPool<byte>.Shared.Rent(length));
        try
        {
            WriteStructure(structure, protectedHeader, externalData, payload);
            return (key, algorithm) switch
            {
                (ECDsa ec, ArtifactAlgorithm.ES256 or ArtifactAlgorithm.ES384 or ArtifactAlgorithm.ES512) => ec.VerifyData(structure[..length], signature, hash),
                (RSA rsa, ArtifactAlgorithm.PS256) => rsa.VerifyData(structure[..length], signature, hash, RSASignaturePadding.Pss),
                _ => false,
            };
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }
    }

    private static int SignatureSize(AsymmetricAlgorithm key) => key switch
    {
        ECDsa ec => 2 * ((ec.KeySize + 7) / 8),
        _ => (key.KeySize + 7) / 8,
    };

    /// <summary>Sig_structure = ["Signature1", bstr protected, bstr external_aad, bstr payload].</summary>
    private static int StructureLength(int protectedLength, int externalLength, int payloadLength) =>
        1 + Signature1Context.Length + HeadLength(protectedLength) + protectedLength + HeadLength(externalLength) + externalLength + HeadLength(payloadLength) + payloadLength;

    private static void WriteStructure(Span<byte> destination, ReadOnlySpan<byte> protectedHeader, ReadOnlySpan<byte> externalData, ReadOnlySpan<byte> payload)
    {
        destination[0] = 0x84; // array of 4
        var offset = 1;
        Signature1Context.CopyTo(destination[offset..]);
        offset += Signature1Context.Length;
        offset += WriteByteString(destination[offset..], protectedHeader);
        offset += WriteByteString(destination[offset..], externalData);
        WriteByteString(destination[offset..], payload);
    }

    private static byte[] Encode(ReadOnlySpan<byte> protectedHeader, ReadOnlySpan<byte> payload, ReadOnlySpan<byte> signature)
    {
        var encoded = new byte[2 + HeadLength(protectedHeader.Length) + protectedHeader.Length + 1
            + HeadLength(payload.Length) + payload.Length + HeadLength(signature.Length) + signature.Length];
        encoded[0] = 0xD2; // tag 18, COSE_Sign1
        encoded[1] = 0x84; // array of 4
        var offset = 2;
        offset += WriteByteString(encoded.AsSpan(offset), protectedHeader);
        encoded[offset++] = 0xA0; // an empty unprotected header map
        offset += WriteByteString(encoded.AsSpan(offset), payload);
        WriteByteString(encoded.AsSpan(offset), signature);
        return encoded;
    }

    /// <summary>The length of a byte string's head (major type 2) in its shortest form.</summary>
    private static int HeadLength(int length) => length switch
    {
        < 24 => 1,
        <= byte.MaxValue => 2,
        <= ushort.MaxValue => 3,
        _ => 5,
    };

    private static int WriteByteString(Span<byte> destination, ReadOnlySpan<byte> value)
    {
        var length = value.Length;
        int head;
        switch (length)
        {
            case < 24:
                destination[0] = (byte)(0x40 | length);
                head = 1;
                break;
            case <= byte.MaxValue:
                destination[0] = 0x58;
                destination[1] = (byte)length;
                head = 2;
                break;
            case <= ushort.MaxValue:
                destination[0] = 0x59;
                System.Buffers.Binary.BinaryPrimitives.WriteUInt16BigEndian(destination[1..], (ushort)length);
                head = 3;
                break;
            default:
                destination[0] = 0x5A;
                System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(destination[1..], (uint)length);
                head = 5;
                break;
        }

        value.CopyTo(destination[head..]);
        return head + length;
    }
}
