using System.Formats.Cbor;
using System.Security.Cryptography;
using GovernedExecution.Artifacts;
using GovernedExecution.Artifacts.Keys;
using GovernedExecution.Lineage.Merkle;

namespace GovernedExecution.Tests.Artifacts;

/// <summary>
/// A batch signed by hand, piece by piece, so that an attack can recombine its parts: payloads, leaf hashes, paths,
/// the protected header and the one signature over the root.
/// </summary>
internal sealed class BatchForge
{
    public BatchForge(SigningKey key, IReadOnlyList<byte[]> payloads)
    {
        Payloads = [.. payloads];
        Leaves = [.. payloads.Select(Leaf)];
        Root = MerkleTree.Root(Leaves);
        ProtectedHeader = ArtifactBatch.ProtectedHeader(key.Algorithm, key.KeyId);
        Signature = SignRoot(key, ProtectedHeader, Root);
    }

    public byte[][] Payloads { get; }

    public byte[][] Leaves { get; }

    public byte[] Root { get; }

    public byte[] ProtectedHeader { get; }

    public byte[] Signature { get; }

    public int Size => Payloads.Length;

    public static byte[] Leaf(byte[] payload)
    {
        var leaf = new byte[MerkleHash.Size];
        MerkleHash.LeafHash(payload, leaf);
        return leaf;
    }

    public static byte[] SignRoot(SigningKey key, byte[] protectedHeader, byte[] root) =>
        ((ECDsa)key.Key).SignData(ArtifactBatch.ToBeSigned(protectedHeader, root), HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);

    public byte[][] Path(int index) => MerkleTree.InclusionProof(index, Leaves);

    /// <summary>The honest artifact at <paramref name="index"/>.</summary>
    public AuthorizationArtifact Artifact(int index) => Build(index: index);

    /// <summary>Any combination of parts; every part defaults to the honest one for <paramref name="index"/>.</summary>
    public AuthorizationArtifact Build(int index, int? treeSize = null, int? leafIndex = null, byte[][]? path = null, byte[]? payload = null,
        byte[]? protectedHeader = null, byte[]? signature = null) =>
        AuthorizationArtifact.FromBytes(ArtifactBatch.Encode(protectedHeader ?? ProtectedHeader, treeSize ?? Size, leafIndex ?? index, path ?? Path(index),
            payload ?? Payloads[index], signature ?? Signature));

    /// <summary>A tagged COSE_Sign1 with the given parts written as they are (an unprotected map of any content).</summary>
    public static AuthorizationArtifact Envelope(byte[] protectedHeader, Action<CborWriter> unprotected, byte[] payload, byte[] signature)
    {
        var writer = new CborWriter(CborConformanceMode.Lax);
        writer.WriteTag((CborTag)18);
        writer.WriteStartArray(4);
        writer.WriteByteString(protectedHeader);
        unprotected(writer);
        writer.WriteByteString(payload);
        writer.WriteByteString(signature);
        writer.WriteEndArray();
        return AuthorizationArtifact.FromBytes(writer.Encode());
    }

    /// <summary>The value of the proofs parameter for one inclusion proof: <c>{-1: [bstr .cbor [size, index, path]]}</c>.</summary>
    public static void WriteProofs(CborWriter writer, int treeSize, int leafIndex, byte[][] path)
    {
        var inner = new CborWriter();
        inner.WriteStartArray(3);
        inner.WriteInt32(treeSize);
        inner.WriteInt32(leafIndex);
        inner.WriteStartArray(path.Length);
        foreach (var hash in path)
        {
            inner.WriteByteString(hash);
        }

        inner.WriteEndArray();
        inner.WriteEndArray();
        writer.WriteStartMap(1);
        writer.WriteInt32(-1);
        writer.WriteStartArray(1);
        writer.WriteByteString(inner.Encode());
        writer.WriteEndArray();
        writer.WriteEndMap();
    }

    /// <summary>A protected header written label by label (for headers the issuer never writes).</summary>
    public static byte[] Header(params (int Label, Action<CborWriter> Write)[] entries)
    {
        var writer = new CborWriter(CborConformanceMode.Lax);
        writer.WriteStartMap(entries.Length);
        foreach (var (label, write) in entries)
        {
            writer.WriteInt32(label);
            write(writer);
        }

        writer.WriteEndMap();
        return writer.Encode();
    }
}
