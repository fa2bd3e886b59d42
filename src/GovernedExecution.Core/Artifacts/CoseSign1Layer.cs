using System.Formats.Cbor;
using System.Security.Cryptography;
using System.Security.Cryptography.Cose;
using GovernedExecution.Artifacts.Keys;

namespace GovernedExecution.Artifacts;

/// <summary>
/// The signature layer of an artifact, below the artifact's own header and claim rules: a tagged COSE_Sign1 with an
/// embedded payload and nothing trailing, an algorithm in the protected header that this library supports, a key that
/// fits that algorithm exactly (curve pinned), and a valid signature.
/// </summary>
internal static class CoseSign1Layer
{
    private const byte Sign1Tag = 0xD2; // CBOR tag 18 in one byte.

    internal static bool TryDecode(ReadOnlyMemory<byte> encoded, out CoseSign1Message message, out string error)
    {
        message = null!;
        error = string.Empty;
        if (encoded.Length < 2 || encoded.Span[0] != Sign1Tag)
        {
            error = "not a tagged COSE_Sign1 message";
            return false;
        }

        try
        {
            var reader = new CborReader(encoded, CborConformanceMode.Lax);
            reader.SkipValue();
            if (reader.BytesRemaining != 0)
            {
                error = "data after the COSE_Sign1 message";
                return false;
            }
        }
        catch (Exception ex) when (IsMalformed(ex))
        {
            error = "malformed COSE_Sign1 message";
            return false;
        }

        if (TryDecodeMessage(encoded.Span) is not { } decoded)
        {
            error = "malformed COSE_Sign1 message";
            return false;
        }

        message = decoded;

        if (message.Content is null)
        {
            error = "detached payload";
            return false;
        }

        return true;
    }

    /// <summary>
    /// Decodes a COSE_Sign1 message (tagged or not) from bytes nobody vouches for: <see langword="null"/> when the
    /// decoder refuses them, whatever it throws. Every reader of a COSE message in this library decodes through here.
    /// </summary>
    internal static CoseSign1Message? TryDecodeMessage(ReadOnlySpan<byte> encoded)
    {
        try
        {
            return CoseMessage.DecodeSign1(encoded);
        }
        catch (Exception ex) when (IsMalformed(ex))
        {
            return null;
        }
    }

    /// <summary>
    /// Whether an exception from the COSE decoder or a header value reader means "malformed input". They throw more than
    /// CryptographicException on hostile input: an OverflowException for a header label beyond 32 bits (found by
    /// fuzzing), an InvalidOperationException for a value of another type or range, a CborContentException.
    /// </summary>
    internal static bool IsMalformed(Exception exception) => exception is CryptographicException or CborContentException
        or InvalidOperationException or OverflowException or ArgumentException or FormatException;

    internal static bool TryReadAlgorithm(CoseSign1Message message, out ArtifactAlgorithm algorithm, out string error)
    {
        algorithm = default;
        error = string.Empty;
        if (!message.ProtectedHeaders.TryGetValue(CoseHeaderLabel.Algorithm, out var value))
        {
            error = "no algorithm in the protected header";
            return false;
        }

        try
        {
            var alg = value.GetValueAsInt32();
            if (alg is not ((int)ArtifactAlgorithm.ES256 or (int)ArtifactAlgorithm.ES384 or (int)ArtifactAlgorithm.ES512 or (int)ArtifactAlgorithm.PS256))
            {
                error = $"algorithm {alg} is not supported";
                return false;
            }

            algorithm = (ArtifactAlgorithm)alg;
            return true;
        }
        catch (Exception ex) when (IsMalformed(ex))
        {
            error = "the algorithm is not an integer";
            return false;
        }
    }

    /// <summary>Whether the key fits the algorithm exactly (the curve for ECDSA, RSA of at least 2048 bits for PS256).</summary>
    internal static bool KeyFits(AsymmetricAlgorithm key, ArtifactAlgorithm algorithm)
    {
        try
        {
            KeyMaterial.EnsureMatches(key, algorithm);
            return true;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    /// <summary>
    /// The signature of an embedded-payload message, with the hash of <paramref name="algorithm"/> (read from its
    /// protected header by <see cref="TryReadAlgorithm"/>, the key checked against it by <see cref="KeyFits"/>).
    /// </summary>
    internal static bool VerifySignature(CoseSign1Message message, AsymmetricAlgorithm key, ArtifactAlgorithm algorithm, ReadOnlySpan<byte> externalData = default) =>
        message.Content is { } content && VerifySignature(message.RawProtectedHeaders.Span, content.Span, message.Signature.Span, key, algorithm, externalData);

    /// <summary>The same, over the parts of a message: its protected header as encoded, its payload and its signature.</summary>
    internal static bool VerifySignature(ReadOnlySpan<byte> protectedHeader, ReadOnlySpan<byte> payload, ReadOnlySpan<byte> signature, AsymmetricAlgorithm key, ArtifactAlgorithm algorithm, ReadOnlySpan<byte> externalData = default)
    {
        try
        {
            return CoseSign1Signature.Verify(protectedHeader, externalData, payload, signature, key, algorithm);
        }
        catch (Exception ex) when (IsMalformed(ex))
        {
            return false;
        }
    }

    /// <summary>The whole signature layer with one key: null when accepted, otherwise why not.</summary>
    internal static string? Check(ReadOnlyMemory<byte> encoded, AsymmetricAlgorithm key, ReadOnlySpan<byte> externalData = default)
    {
        if (!TryDecode(encoded, out var message, out var error) || !TryReadAlgorithm(message, out var algorithm, out error))
        {
            return error;
        }

        if (!KeyFits(key, algorithm))
        {
            return $"the key does not fit {algorithm}";
        }

        return VerifySignature(message, key, algorithm, externalData) ? null : "the signature does not verify";
    }
}
