using System.Security.Cryptography;
using System.Text.Json;

namespace GovernedExecution.Artifacts.Keys;

/// <summary>Reads EC (P-256, P-384, P-521) and RSA keys from JSON Web Keys (RFC 7517, RFC 7518 section 6).</summary>
internal static class JsonWebKeys
{
    internal readonly record struct Parsed(AsymmetricAlgorithm Key, ArtifactAlgorithm Algorithm, string? KeyId, bool IsPrivate);

    /// <exception cref="ArgumentException">The JSON is not a supported JWK.</exception>
    internal static Parsed ParseKey(string json, bool requirePrivate)
    {
        using var document = Parse(json);
        return ParseKey(document.RootElement, requirePrivate);
    }

    /// <exception cref="ArgumentException">The JSON is not a JWK Set of supported keys.</exception>
    internal static List<Parsed> ParseSet(string json)
    {
        using var document = Parse(json);
        if (document.RootElement.ValueKind != JsonValueKind.Object || !document.RootElement.TryGetProperty("keys", out var keys) || keys.ValueKind != JsonValueKind.Array)
        {
            throw new ArgumentException("A JWK Set is an object with a \"keys\" array.", nameof(json));
        }

        var result = new List<Parsed>();
        try
        {
            foreach (var key in keys.EnumerateArray())
            {
                result.Add(ParseKey(key, requirePrivate: false));
            }
        }
        catch
        {
            foreach (var parsed in result)
            {
                parsed.Key.Dispose();
            }

            throw;
        }

        return result;
    }

    internal static Parsed ParseKey(JsonElement jwk, bool requirePrivate)
    {
        if (jwk.ValueKind != JsonValueKind.Object)
        {
            throw new ArgumentException("A JWK is a JSON object.", nameof(jwk));
        }

        if (OptionalString(jwk, "use") is { } use && use != "sig")
        {
            throw new ArgumentException($"The JWK is for \"{use}\", not for signatures.", nameof(jwk));
        }

        var kid = OptionalString(jwk, "kid");
        var declared = OptionalString(jwk, "alg") is { } alg ? AlgorithmNamed(alg) : (ArtifactAlgorithm?)null;
        var isPrivate = jwk.TryGetProperty("d", out _);
        if (requirePrivate && !isPrivate)
        {
            throw new ArgumentException("The JWK holds no private key (\"d\").", nameof(jwk));
        }

        AsymmetricAlgorithm key;
        ArtifactAlgorithm implied;
        switch (RequiredString(jwk, "kty"))
        {
            case "EC":
                var (curve, size, algorithm) = RequiredString(jwk, "crv") switch
                {
                    "P-256" => (ECCurve.NamedCurves.nistP256, 32, ArtifactAlgorithm.ES256),
                    "P-384" => (ECCurve.NamedCurves.nistP384, 48, ArtifactAlgorithm.ES384),
                    "P-521" => (ECCurve.NamedCurves.nistP521, 66, ArtifactAlgorithm.ES512),
                    var other => throw new ArgumentException($"Curve '{other}' is not supported (P-256, P-384, P-521).", nameof(jwk)),
                };
                var parameters = new ECParameters
                {
                    Curve = curve,
                    Q = new ECPoint { X = Fixed(jwk, "x", size), Y = Fixed(jwk, "y", size) },
                    D = isPrivate ? Fixed(jwk, "d", size) : null,
                };
                key = Import(() => ECDsa.Create(parameters));
                implied = algorithm;
                break;
            case "RSA":
                var rsa = new RSAParameters { Modulus = Bytes(jwk, "n"), Exponent = Bytes(jwk, "e") };
                if (isPrivate)
                {
                    if (!jwk.TryGetProperty("p", out _))
                    {
                        throw new ArgumentException("An RSA private JWK needs its CRT parameters (p, q, dp, dq, qi).", nameof(jwk));
                    }

                    var half = (rsa.Modulus.Length + 1) / 2;
                    rsa.D = Padded(Bytes(jwk, "d"), rsa.Modulus.Length);
                    rsa.P = Padded(Bytes(jwk, "p"), half);
                    rsa.Q = Padded(Bytes(jwk, "q"), half);
                    rsa.DP = Padded(Bytes(jwk, "dp"), half);
                    rsa.DQ = Padded(Bytes(jwk, "dq"), half);
                    rsa.InverseQ = Padded(Bytes(jwk, "qi"), half);
                }

                key = Import(() => RSA.Create(rsa));
                implied = ArtifactAlgorithm.PS256;
                break;
            case var kty:
                throw new ArgumentException($"Key type '{kty}' is not supported (EC or RSA).", nameof(jwk));
        }

        var pinned = declared ?? implied;
        try
        {
            KeyMaterial.EnsureMatches(key, pinned);
        }
        catch
        {
            key.Dispose();
            throw;
        }

        return new Parsed(key, pinned, kid, isPrivate);
    }

    private static JsonDocument Parse(string json)
    {
        ArgumentNullException.ThrowIfNull(json);
        try
        {
            return JsonDocument.Parse(json);
        }
        catch (JsonException ex)
        {
            throw new ArgumentException("The text is not valid JSON.", nameof(json), ex);
        }
    }

    private static ArtifactAlgorithm AlgorithmNamed(string alg) => alg switch
    {
        "ES256" => ArtifactAlgorithm.ES256,
        "ES384" => ArtifactAlgorithm.ES384,
        "ES512" => ArtifactAlgorithm.ES512,
        "PS256" => ArtifactAlgorithm.PS256,
        _ => throw new ArgumentException($"The JWK algorithm '{alg}' is not allowed for artifacts (ES256, ES384, ES512, PS256).", nameof(alg)),
    };

    private static T Import<T>(Func<T> create)
    {
        try
        {
            return create();
        }
        catch (CryptographicException ex)
        {
            throw new ArgumentException("The JWK does not describe a valid key: " + ex.Message, ex);
        }
    }

    private static string RequiredString(JsonElement jwk, string name) =>
        OptionalString(jwk, name) ?? throw new ArgumentException($"The JWK lacks \"{name}\".", nameof(jwk));

    private static string? OptionalString(JsonElement jwk, string name)
    {
        if (!jwk.TryGetProperty(name, out var value))
        {
            return null;
        }

        return value.ValueKind == JsonValueKind.String ? value.GetString() : throw new ArgumentException($"The JWK member \"{name}\" is not a string.", nameof(jwk));
    }

    private static byte[] Bytes(JsonElement jwk, string name)
    {
        var text = RequiredString(jwk, name);
        try
        {
            var bytes = System.Buffers.Text.Base64Url.DecodeFromChars(text);
            return bytes.Length > 0 ? bytes : throw new ArgumentException($"The JWK member \"{name}\" is empty.", nameof(jwk));
        }
        catch (FormatException ex)
        {
            throw new ArgumentException($"The JWK member \"{name}\" is not base64url.", nameof(jwk), ex);
        }
    }

    private static byte[] Fixed(JsonElement jwk, string name, int size)
    {
        var bytes = Bytes(jwk, name);
        return bytes.Length == size ? bytes : throw new ArgumentException($"The JWK member \"{name}\" must be {size} bytes for this curve.", nameof(jwk));
    }

    private static byte[] Padded(byte[] value, int size)
    {
        if (value.Length >= size)
        {
            return value;
        }

        var padded = new byte[size];
        value.CopyTo(padded, size - value.Length);
        return padded;
    }
}
