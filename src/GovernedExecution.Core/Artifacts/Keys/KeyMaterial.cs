using System.Security.Cryptography;
using System.Text;

namespace GovernedExecution.Artifacts.Keys;

/// <summary>Algorithm checks and RFC 7638 thumbprints shared by signing and trusted keys.</summary>
internal static class KeyMaterial
{
    internal static ArtifactAlgorithm AlgorithmFor(ECDsa key)
    {
        return key.KeySize switch
        {
            256 => ArtifactAlgorithm.ES256,
            384 => ArtifactAlgorithm.ES384,
            521 => ArtifactAlgorithm.ES512,
            _ => throw new ArgumentException($"Unsupported curve size {key.KeySize}: use P-256, P-384 or P-521.", nameof(key)),
        };
    }

    internal static void EnsureMatches(AsymmetricAlgorithm key, ArtifactAlgorithm algorithm)
    {
        var ok = (key, algorithm) switch
        {
            (ECDsa ec, ArtifactAlgorithm.ES256) => ec.KeySize == 256 && IsNamedCurve(ec, "1.2.840.10045.3.1.7"),
            (ECDsa ec, ArtifactAlgorithm.ES384) => ec.KeySize == 384 && IsNamedCurve(ec, "1.3.132.0.34"),
            (ECDsa ec, ArtifactAlgorithm.ES512) => ec.KeySize == 521 && IsNamedCurve(ec, "1.3.132.0.35"),
            (RSA rsa, ArtifactAlgorithm.PS256) => rsa.KeySize >= 2048,
            _ => false,
        };
        if (!ok)
        {
            throw new ArgumentException($"The key does not fit {algorithm} (curve or key size).", nameof(key));
        }
    }

    /// <summary>
    /// Refuses a key that holds only its public part (a public PEM, a JWK without <c>d</c>): a signing key made from it
    /// would fail at the first artifact, and every call would be denied. The check signs one dummy digest, so that a key
    /// whose private part cannot be exported (a hardware or platform key) still passes.
    /// </summary>
    internal static void EnsureCanSign(AsymmetricAlgorithm key)
    {
        Span<byte> digest = stackalloc byte[32];
        try
        {
            _ = key switch
            {
                ECDsa ec => ec.SignHash(digest),
                RSA rsa => rsa.SignHash(digest.ToArray(), HashAlgorithmName.SHA256, RSASignaturePadding.Pss),
                _ => throw new CryptographicException(),
            };
        }
        catch (CryptographicException ex)
        {
            throw new ArgumentException("The key is a public key only (no private part): it cannot sign. A signing key needs the private key; load the public key as a TrustedKey.", nameof(key), ex);
        }
    }

    internal static HashAlgorithmName HashFor(ArtifactAlgorithm algorithm) => algorithm switch
    {
        ArtifactAlgorithm.ES256 or ArtifactAlgorithm.PS256 => HashAlgorithmName.SHA256,
        ArtifactAlgorithm.ES384 => HashAlgorithmName.SHA384,
        ArtifactAlgorithm.ES512 => HashAlgorithmName.SHA512,
        _ => throw new ArgumentOutOfRangeException(nameof(algorithm), algorithm, "Unsupported algorithm."),
    };

    /// <summary>The RFC 7638 JWK thumbprint (SHA-256, base64url) of a public key.</summary>
    internal static string Thumbprint(AsymmetricAlgorithm key)
    {
        string json;
        switch (key)
        {
            case ECDsa ec:
                var p = ec.ExportParameters(false);
                var crv = ec.KeySize switch { 256 => "P-256", 384 => "P-384", 521 => "P-521", _ => throw new ArgumentException("Unsupported curve.", nameof(key)) };
                json = "{\"crv\":\"" + crv + "\",\"kty\":\"EC\",\"x\":\"" + Base64Url(p.Q.X!) + "\",\"y\":\"" + Base64Url(p.Q.Y!) + "\"}";
                break;
            case RSA rsa:
                var r = rsa.ExportParameters(false);
                json = "{\"e\":\"" + Base64Url(r.Exponent!) + "\",\"kty\":\"RSA\",\"n\":\"" + Base64Url(r.Modulus!) + "\"}";
                break;
            default:
                throw new ArgumentException("Unsupported key type.", nameof(key));
        }

        return Base64Url(SHA256.HashData(Encoding.UTF8.GetBytes(json)));
    }

    internal static string Base64Url(ReadOnlySpan<byte> bytes) => System.Buffers.Text.Base64Url.EncodeToString(bytes);

    private static bool IsNamedCurve(ECDsa key, string oid)
    {
        var curve = key.ExportParameters(false).Curve;
        return curve.IsNamed && curve.Oid.Value == oid;
    }
}
