using System.Formats.Cbor;
using System.Security.Cryptography;
using GovernedExecution.Artifacts.Keys;
using GovernedExecution.Lineage.Merkle;

namespace GovernedExecution.Artifacts;

/// <summary>
/// Batched artifacts (docs/artifact-format.md, section 8): one signature over the RFC 9162 Merkle root of a batch's
/// payloads; each artifact carries its inclusion proof in the unprotected header, with the parameters of the COSE
/// Merkle-tree-proofs draft (verifiable data structure 395 in the protected header, proofs 396 unprotected).
/// </summary>
internal static class ArtifactBatch
{
    /// <summary>The COSE header label of the verifiable data structure (protected).</summary>
    internal const int VdsLabel = 395;

    /// <summary>The COSE header label of the verifiable data structure proofs (unprotected).</summary>
    internal const int ProofsLabel = 396;

    /// <summary>The COSE header label of receipts; never used by this format, so refused wherever it appears.</summary>
    internal const int ReceiptsLabel = 394;

    /// <summary>The key of inclusion proofs in the proofs map.</summary>
    internal const int InclusionProofs = -1;

    /// <summary>RFC9162_SHA256, the only verifiable data structure of this format.</summary>
    internal const int Rfc9162Sha256 = 1;

    /// <summary>The largest batch the format accepts (a path of at most 10 hashes).</summary>
    internal const int MaxTreeSize = 1024;

    /// <summary>The largest batch this issuer signs at once.</summary>
    internal const int MaxBatch = 256;

    private const byte Sign1Tag = 0xD2;

    /// <summary>The protected header of a batch: alg, content type, kid, vds (in label order).</summary>
    internal static byte[] ProtectedHeader(ArtifactAlgorithm algorithm, string keyId)
    {
        var writer = new CborWriter(CborConformanceMode.Canonical);
        writer.WriteStartMap(4);
        writer.WriteInt32(1);
        writer.WriteInt32((int)algorithm);
        writer.WriteInt32(3);
        writer.WriteTextString(ArtifactFormat.ContentType);
        writer.WriteInt32(4);
        writer.WriteByteString(System.Text.Encoding.UTF8.GetBytes(keyId));
        writer.WriteInt32(VdsLabel);
        writer.WriteInt32(Rfc9162Sha256);
        writer.WriteEndMap();
        return writer.Encode();
    }

    /// <summary>The COSE Sig_structure <c>["Signature1", protected, h'', root]</c>: what the batch signature covers.</summary>
    internal static byte[] ToBeSigned(ReadOnlySpan<byte> protectedHeader, ReadOnlySpan<byte> root)
    {
        var writer = new CborWriter(CborConformanceMode.Canonical, initialCapacity: 16 + protectedHeader.Length + root.Length);
        writer.WriteStartArray(4);
        writer.WriteTextString("Signature1");
        writer.WriteByteString(protectedHeader);
        writer.WriteByteString([]);
        writer.WriteByteString(root);
        writer.WriteEndArray();
        return writer.Encode();
    }

    /// <summary>Signs the batch: one signature, one artifact per payload (in order).</summary>
    /// <exception cref="ObjectDisposedException">The key was disposed.</exception>
    internal static byte[][] Sign(SigningKey key, IReadOnlyList<byte[]> payloads)
    {
        var tree = new Tree(payloads);
        var header = ProtectedHeader(key.Algorithm, key.KeyId);
        var tbs = ToBeSigned(header, tree.Root);
        var hash = KeyMaterial.HashFor(key.Algorithm);
        var signature = key.Key switch
        {
            ECDsa ec => ec.SignData(tbs, hash, DSASignatureFormat.IeeeP1363FixedFieldConcatenation),
            RSA rsa => rsa.SignData(tbs, hash, RSASignaturePadding.Pss),
            _ => throw new InvalidOperationException("Unsupported key type."),
        };

        var artifacts = new byte[payloads.Count][];
        for (var i = 0; i < artifacts.Length; i++)
        {
            artifacts[i] = Encode(header, artifacts.Length, i, tree.Path(i), payloads[i], signature);
        }

        return artifacts;
    }

    /// <summary>Node hashes made by <see cref="Tree"/> on this thread (for tests: n - 1 for a batch of n).</summary>
    [ThreadStatic]
    internal static long t_nodeHashes;

    /// <summary>
    /// The RFC 9162 tree of a batch, built once, level by level: each level hashes its nodes in pairs and carries an odd
    /// last node up unchanged, which gives the tree of RFC 9162 section 2.1.1 (split at the largest power of two below
    /// n). The root and every inclusion path are read from the stored levels: n - 1 node hashes for the whole batch,
    /// where computing each path on its own costs n - 1 hashes per artifact.
    /// </summary>
    internal sealed class Tree
    {
        private readonly byte[] _nodes;
        private readonly int[] _starts;
        private readonly int[] _counts;

        internal Tree(IReadOnlyList<byte[]> payloads)
        {
            var n = payloads.Count;
            if (n is < 1 or > MaxTreeSize)
            {
                throw new ArgumentOutOfRangeException(nameof(payloads), n, "A batch holds 1 to 1024 artifacts.");
            }

            var levels = 1;
            for (var c = n; c > 1; c = (c + 1) / 2)
            {
                levels++;
            }

            _starts = new int[levels];
            _counts = new int[levels];
            var total = 0;
            for (int level = 0, c = n; level < levels; level++, c = (c + 1) / 2)
            {
                _starts[level] = total;
                _counts[level] = c;
                total += c;
            }

            _nodes = new byte[total * MerkleHash.Size];
            for (var i = 0; i < n; i++)
            {
                MerkleHash.LeafHash(payloads[i], Node(0, i));
            }

            for (var level = 1; level < levels; level++)
            {
                var below = _counts[level - 1];
                for (var j = 0; j < _counts[level]; j++)
                {
                    if ((2 * j) + 1 < below)
                    {
                        MerkleHash.NodeHash(Node(level - 1, 2 * j), Node(level - 1, (2 * j) + 1), Node(level, j));
                        t_nodeHashes++;
                    }
                    else
                    {
                        Node(level - 1, 2 * j).CopyTo(Node(level, j)); // the odd last node, carried up
                    }
                }
            }

            Root = Node(levels - 1, 0).ToArray();
        }

        internal int Size => _counts[0];

        internal byte[] Root { get; }

        /// <summary>The inclusion path of leaf <paramref name="index"/>, from the leaf's sibling up (RFC 9162 section 2.1.3.1).</summary>
        internal byte[][] Path(int index)
        {
            ArgumentOutOfRangeException.ThrowIfNegative(index);
            ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, Size);
            var path = new List<byte[]>(_counts.Length);
            for (var level = 0; level < _counts.Length - 1; level++, index >>= 1)
            {
                var sibling = index ^ 1;
                if (sibling < _counts[level])
                {
                    path.Add(Node(level, sibling).ToArray());
                }
            }

            return [.. path];
        }

        private Span<byte> Node(int level, int index) => _nodes.AsSpan((_starts[level] + index) * MerkleHash.Size, MerkleHash.Size);
    }

    /// <summary><c>18([protected, {396: {-1: [proof]}}, payload, signature])</c>.</summary>
    /// <remarks>The writers are reused on each thread (a leader encodes its whole batch): only the artifact is allocated.</remarks>
    internal static byte[] Encode(byte[] protectedHeader, int treeSize, int leafIndex, byte[][] path, ReadOnlySpan<byte> payload, byte[] signature)
    {
        var proof = t_proofWriter ??= new CborWriter(CborConformanceMode.Canonical, initialCapacity: ProofStackLimit);
        proof.Reset();
        proof.WriteStartArray(3);
        proof.WriteInt32(treeSize);
        proof.WriteInt32(leafIndex);
        proof.WriteStartArray(path.Length);
        foreach (var hash in path)
        {
            proof.WriteByteString(hash);
        }

        proof.WriteEndArray();
        proof.WriteEndArray();
        var proofBytes = proof.BytesWritten <= ProofStackLimit ? stackalloc byte[ProofStackLimit] : new byte[proof.BytesWritten];
        proofBytes = proofBytes[..proof.Encode(proofBytes)];

        var writer = t_artifactWriter ??= new CborWriter(CborConformanceMode.Canonical, initialCapacity: 1024);
        writer.Reset();
        writer.WriteTag((CborTag)18); // COSE_Sign1
        writer.WriteStartArray(4);
        writer.WriteByteString(protectedHeader);
        writer.WriteStartMap(1);
        writer.WriteInt32(ProofsLabel);
        writer.WriteStartMap(1);
        writer.WriteInt32(InclusionProofs);
        writer.WriteStartArray(1);
        writer.WriteByteString(proofBytes);
        writer.WriteEndArray();
        writer.WriteEndMap();
        writer.WriteEndMap();
        writer.WriteByteString(payload);
        writer.WriteByteString(signature);
        writer.WriteEndArray();
        var encoded = writer.Encode();
        System.Diagnostics.Debug.Assert(encoded[0] == Sign1Tag, "tag 18 in one byte");
        return encoded;
    }

    // [tree_size, leaf_index, path] of the largest tree (1024 leaves, 10 hashes): 1 + 3 + 3 + 1 + 10 * 34 bytes.
    private const int ProofStackLimit = 384;

    [ThreadStatic]
    private static CborWriter? t_proofWriter;

    [ThreadStatic]
    private static CborWriter? t_artifactWriter;

    /// <summary>
    /// Reads the value of the proofs parameter (label 396) exactly: <c>{-1: [bstr .cbor [tree_size, leaf_index, [+ bstr]]]}</c>,
    /// one inclusion proof, canonical encodings, a tree of 1 to <see cref="MaxTreeSize"/> leaves, the index inside it,
    /// 32-byte hashes; then computes the root from <paramref name="payload"/> (RFC 9162 section 2.1.3.2) into
    /// <paramref name="root"/>. False for any flaw.
    /// </summary>
    internal static bool TryComputeRoot(ReadOnlyMemory<byte> proofsValue, ReadOnlySpan<byte> payload, Span<byte> root, out string error)
    {
        error = "malformed inclusion proof";
        try
        {
            var reader = new CborReader(proofsValue, CborConformanceMode.Canonical);
            if (reader.ReadStartMap() != 1 || reader.ReadInt32() != InclusionProofs || reader.ReadStartArray() != 1)
            {
                return false;
            }

            var inner = new CborReader(reader.ReadByteString(), CborConformanceMode.Canonical);
            reader.ReadEndArray();
            reader.ReadEndMap();
            if (reader.BytesRemaining != 0 || inner.ReadStartArray() != 3)
            {
                return false;
            }

            var treeSize = inner.ReadUInt64();
            var leafIndex = inner.ReadUInt64();
            if (treeSize is 0 or > MaxTreeSize || leafIndex >= treeSize)
            {
                error = "the inclusion proof's tree size or leaf index is out of range";
                return false;
            }

            var length = inner.ReadStartArray();
            if (length is null or > 10)
            {
                return false;
            }

            Span<byte> path = stackalloc byte[10 * MerkleHash.Size];
            for (var i = 0; i < length; i++)
            {
                if (!inner.TryReadByteString(path.Slice(i * MerkleHash.Size, MerkleHash.Size), out var written) || written != MerkleHash.Size)
                {
                    return false;
                }
            }

            inner.ReadEndArray();
            inner.ReadEndArray();
            if (inner.BytesRemaining != 0)
            {
                return false;
            }

            MerkleHash.LeafHash(payload, root);
            if (!Climb(leafIndex, treeSize, path[..(length.Value * MerkleHash.Size)], root))
            {
                error = "the inclusion proof does not fit its tree size and leaf index";
                return false;
            }

            return true;
        }
        catch (Exception ex) when (ex is CborContentException or InvalidOperationException or OverflowException or ArgumentException or FormatException)
        {
            return false;
        }
    }

    /// <summary>RFC 9162 section 2.1.3.2 from the leaf hash in <paramref name="r"/> up to the root, in place; false when the path is too short or too long.</summary>
    private static bool Climb(ulong leafIndex, ulong treeSize, ReadOnlySpan<byte> path, Span<byte> r)
    {
        var fn = leafIndex;
        var sn = treeSize - 1;
        for (var offset = 0; offset < path.Length; offset += MerkleHash.Size)
        {
            if (sn == 0)
            {
                return false; // a path longer than the tree is tall
            }

            var p = path.Slice(offset, MerkleHash.Size);
            if ((fn & 1) == 1 || fn == sn)
            {
                MerkleHash.NodeHash(p, r, r);
                while ((fn & 1) == 0 && fn != 0)
                {
                    fn >>= 1;
                    sn >>= 1;
                }
            }
            else
            {
                MerkleHash.NodeHash(r, p, r);
            }

            fn >>= 1;
            sn >>= 1;
        }

        return sn == 0; // a shorter path leaves levels unclimbed
    }

    /// <summary>
    /// Checks the batch signature over <paramref name="root"/> with a key already pinned to <paramref name="algorithm"/>:
    /// the Sig_structure <c>["Signature1", protected, h'', root]</c> is a COSE_Sign1 Sig_structure whose payload is the
    /// root, so it is checked as every artifact's signature is (<see cref="CoseSign1Signature.Verify"/>).
    /// </summary>
    internal static bool VerifyRoot(ReadOnlySpan<byte> protectedHeader, ReadOnlySpan<byte> root, ReadOnlySpan<byte> signature, AsymmetricAlgorithm key, ArtifactAlgorithm algorithm)
    {
        try
        {
            return CoseSign1Signature.Verify(protectedHeader, default, root, signature, key, algorithm);
        }
        catch (CryptographicException)
        {
            return false;
        }
    }
}
