using System.Formats.Cbor;
using System.Security.Cryptography;
using GovernedExecution.Artifacts;
using GovernedExecution.Artifacts.Keys;
using GovernedExecution.Intents;
using GovernedExecution.Policies;

namespace GovernedExecution.Tests.Artifacts;

/// <summary>
/// Builds COSE_Sign1 messages byte by byte, independently of the issuer, so that tests can produce artifacts the
/// issuer never would (wrong headers, unknown claims, a permit that is not one) and sign them with a real key.
/// </summary>
internal sealed class ArtifactForge
{
    private readonly SortedDictionary<int, Action<CborWriter>> _claims = [];

    /// <summary>Claims equal to what the issuer writes for <paramref name="intent"/>, valid at <paramref name="now"/> for 60 s.</summary>
    public ArtifactForge(ExecutionIntent intent, string audience, DateTimeOffset now, string policySetDigest)
    {
        var iat = now.ToUnixTimeSeconds();
        Set(ArtifactFormat.Iss, w => w.WriteTextString("forge"));
        Set(ArtifactFormat.Sub, w => w.WriteTextString(intent.Principal.ToString()));
        Set(ArtifactFormat.Aud, w => w.WriteTextString(audience));
        Set(ArtifactFormat.Exp, w => w.WriteInt64(iat + 60));
        Set(ArtifactFormat.Nbf, w => w.WriteInt64(iat));
        Set(ArtifactFormat.Iat, w => w.WriteInt64(iat));
        Set(ArtifactFormat.Cti, w => w.WriteByteString(Guid.NewGuid().ToByteArray(bigEndian: true)));
        Set(ArtifactFormat.IntentDigest, w => w.WriteByteString(IntentEncoding.Digest(intent)));
        Set(ArtifactFormat.Decision, w => w.WriteInt32((int)PolicyDecisionKind.Permitted));
        Set(ArtifactFormat.PolicySetDigest, w => w.WriteTextString(policySetDigest));
        Set(ArtifactFormat.DeterminingPolicies, w => { w.WriteStartArray(1); w.WriteTextString("allow-read"); w.WriteEndArray(); });
        Set(ArtifactFormat.Obligations, w => { w.WriteStartArray(0); w.WriteEndArray(); });
    }

    public string ContentType { get; set; } = ArtifactFormat.ContentType;

    public string? KeyId { get; set; }

    /// <summary>Extra protected header parameters, written after alg, content type and kid.</summary>
    public List<(int Label, Action<CborWriter> Write)> ExtraProtected { get; } = [];

    /// <summary>Unprotected header parameters.</summary>
    public List<(int Label, Action<CborWriter> Write)> Unprotected { get; } = [];

    public bool OmitAlgorithm { get; set; }

    public bool OmitContentType { get; set; }

    public bool OmitKeyId { get; set; }

    /// <summary>Writes the protected content type value instead of <see cref="ContentType"/> (to give it another CBOR type).</summary>
    public Action<CborWriter>? ContentTypeValue { get; set; }

    /// <summary>Writes the protected kid value instead of the UTF-8 bytes of the key id (raw bytes or another CBOR type).</summary>
    public Action<CborWriter>? KeyIdValue { get; set; }

    /// <summary>Bytes appended to the payload after the claims map, inside the signed content.</summary>
    public byte[] PayloadSuffix { get; set; } = [];

    public int? AlgorithmOverride { get; set; }

    public bool Tagged { get; set; } = true;

    /// <summary>Write the claims map with an indefinite length (which canonical CBOR forbids).</summary>
    public bool IndefiniteMap { get; set; }

    /// <summary>Write this claim twice, the second time right after the first (which canonical CBOR forbids).</summary>
    public int? DuplicateClaim { get; set; }

    public ArtifactForge Set(int claim, Action<CborWriter> write)
    {
        _claims[claim] = write;
        return this;
    }

    public ArtifactForge Remove(int claim)
    {
        _claims.Remove(claim);
        return this;
    }

    /// <summary>The claims in deterministic key order; values are written as given (Lax, so that a test may break the rules).</summary>
    public byte[] Payload()
    {
        var writer = new CborWriter(CborConformanceMode.Lax);
        writer.WriteStartMap(IndefiniteMap ? null : _claims.Count + (DuplicateClaim is null ? 0 : 1));
        foreach (var (key, write) in _claims.OrderBy(p => EncodeKey(p.Key), Comparer<byte[]>.Create((a, b) => a.AsSpan().SequenceCompareTo(b))))
        {
            writer.WriteInt32(key);
            write(writer);
            if (key == DuplicateClaim)
            {
                writer.WriteInt32(key);
                write(writer);
            }
        }

        writer.WriteEndMap();
        return writer.Encode();
    }

    private static byte[] EncodeKey(int key)
    {
        var writer = new CborWriter();
        writer.WriteInt32(key);
        return writer.Encode();
    }

    public AuthorizationArtifact Sign(SigningKey key) => AuthorizationArtifact.FromBytes(SignBytes(key.Key, key.Algorithm, key.KeyId));

    public byte[] SignBytes(AsymmetricAlgorithm key, ArtifactAlgorithm algorithm, string keyId)
    {
        var entries = new List<(int Label, Action<CborWriter> Write)>();
        if (!OmitAlgorithm)
        {
            entries.Add((1, w => w.WriteInt32(AlgorithmOverride ?? (int)algorithm)));
        }

        if (!OmitContentType)
        {
            entries.Add((3, ContentTypeValue ?? (w => w.WriteTextString(ContentType))));
        }

        if (!OmitKeyId)
        {
            entries.Add((4, KeyIdValue ?? (w => w.WriteByteString(System.Text.Encoding.UTF8.GetBytes(KeyId ?? keyId)))));
        }

        entries.AddRange(ExtraProtected);
        var header = new CborWriter(CborConformanceMode.Lax);
        header.WriteStartMap(entries.Count);
        foreach (var (label, write) in entries)
        {
            header.WriteInt32(label);
            write(header);
        }

        header.WriteEndMap();
        var protectedBytes = header.Encode();
        return Assemble(protectedBytes, [.. Payload(), .. PayloadSuffix], tbs => SignData(key, algorithm, tbs));
    }

    public byte[] Assemble(byte[] protectedBytes, byte[] payload, Func<byte[], byte[]> sign)
    {
        var tbs = new CborWriter(CborConformanceMode.Lax);
        tbs.WriteStartArray(4);
        tbs.WriteTextString("Signature1");
        tbs.WriteByteString(protectedBytes);
        tbs.WriteByteString([]);
        tbs.WriteByteString(payload);
        tbs.WriteEndArray();
        var signature = sign(tbs.Encode());

        var writer = new CborWriter(CborConformanceMode.Lax);
        if (Tagged)
        {
            writer.WriteTag((CborTag)18);
        }

        writer.WriteStartArray(4);
        writer.WriteByteString(protectedBytes);
        writer.WriteStartMap(Unprotected.Count);
        foreach (var (label, write) in Unprotected)
        {
            writer.WriteInt32(label);
            write(writer);
        }

        writer.WriteEndMap();
        writer.WriteByteString(payload);
        writer.WriteByteString(signature);
        writer.WriteEndArray();
        return writer.Encode();
    }

    public static byte[] SignData(AsymmetricAlgorithm key, ArtifactAlgorithm algorithm, byte[] data)
    {
        var hash = algorithm switch
        {
            ArtifactAlgorithm.ES384 => HashAlgorithmName.SHA384,
            ArtifactAlgorithm.ES512 => HashAlgorithmName.SHA512,
            _ => HashAlgorithmName.SHA256,
        };
        return key switch
        {
            ECDsa ec => ec.SignData(data, hash),
            RSA rsa => rsa.SignData(data, hash, RSASignaturePadding.Pss),
            _ => throw new ArgumentException("unsupported key", nameof(key)),
        };
    }
}
