using System.Numerics;
using System.Security.Cryptography;

namespace GovernedExecution.Lineage.Merkle;

/// <summary>
/// RFC 9162 section 2.1 Merkle tree operations over a list of leaf hashes: the tree head (MTH),
/// inclusion and consistency proofs, and their verification.
/// </summary>
/// <remarks>
/// Tree sizes and indices are unsigned 64-bit, as in RFC 9162. Proof generation takes an in-memory list of leaf hashes and throws on invalid arguments.
/// Verification never throws: any malformed input is simply not verified.
/// </remarks>
internal static class MerkleTree
{
    /// <summary>Computes the Merkle tree head of the given leaf hashes (SHA-256 of the empty string for no leaves).</summary>
    /// <param name="leafHashes">The leaf hashes, each <see cref="MerkleHash.Size"/> bytes, in log order.</param>
    /// <returns>The 32-byte root hash.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="leafHashes"/> or one of its items is null.</exception>
    /// <exception cref="ArgumentException">A leaf hash is not <see cref="MerkleHash.Size"/> bytes long.</exception>
    public static byte[] Root(IReadOnlyList<byte[]> leafHashes)
    {
        RequireLeafHashes(leafHashes);
        byte[] root = new byte[MerkleHash.Size];
        if (leafHashes.Count == 0)
        {
            MerkleHash.EmptyTreeHash(root);
        }
        else
        {
            SubtreeRoot(leafHashes, 0, leafHashes.Count, root);
        }

        return root;
    }

    /// <summary>Builds the RFC 9162 inclusion proof (audit path) of one leaf in the tree of <paramref name="leafHashes"/>.</summary>
    /// <param name="leafIndex">The zero-based index of the leaf.</param>
    /// <param name="leafHashes">The leaf hashes of the whole tree, in log order.</param>
    /// <returns>The audit path, from the leaf's sibling up to the root's child.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="leafHashes"/> or one of its items is null.</exception>
    /// <exception cref="ArgumentException">A leaf hash is not <see cref="MerkleHash.Size"/> bytes long.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="leafIndex"/> is not the index of a leaf.</exception>
    public static byte[][] InclusionProof(int leafIndex, IReadOnlyList<byte[]> leafHashes)
    {
        RequireLeafHashes(leafHashes);
        ArgumentOutOfRangeException.ThrowIfNegative(leafIndex);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(leafIndex, leafHashes.Count);

        var path = new List<byte[]>();
        AppendPath(leafIndex, leafHashes, 0, leafHashes.Count, path);
        return [.. path];
    }

    /// <summary>Builds the RFC 9162 consistency proof between the first <paramref name="oldSize"/> leaves and the whole tree.</summary>
    /// <param name="oldSize">The size of the earlier tree; at least 1 and at most the current size.</param>
    /// <param name="leafHashes">The leaf hashes of the current tree, in log order.</param>
    /// <returns>The consistency path; empty when <paramref name="oldSize"/> equals the current size.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="leafHashes"/> or one of its items is null.</exception>
    /// <exception cref="ArgumentException">A leaf hash is not <see cref="MerkleHash.Size"/> bytes long.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="oldSize"/> is zero, negative or larger than the tree.</exception>
    public static byte[][] ConsistencyProof(int oldSize, IReadOnlyList<byte[]> leafHashes)
    {
        RequireLeafHashes(leafHashes);

        // A proof from the empty tree proves nothing, so it is not offered.
        ArgumentOutOfRangeException.ThrowIfLessThan(oldSize, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(oldSize, leafHashes.Count);

        var path = new List<byte[]>();
        AppendSubproof(oldSize, leafHashes, 0, leafHashes.Count, completeSubtree: true, path);
        return [.. path];
    }

    /// <summary>Verifies an inclusion proof with the algorithm of RFC 9162 section 2.1.3.2.</summary>
    /// <param name="leafIndex">The zero-based index of the leaf.</param>
    /// <param name="treeSize">The size of the tree whose root is <paramref name="root"/>.</param>
    /// <param name="leafHash">The 32-byte hash of the leaf.</param>
    /// <param name="proof">The audit path; null is rejected.</param>
    /// <param name="root">The 32-byte root of the tree.</param>
    /// <returns><see langword="true"/> only when the proof shows the leaf at that index in that tree.</returns>
    public static bool VerifyInclusion(ulong leafIndex, ulong treeSize, ReadOnlySpan<byte> leafHash, IReadOnlyList<byte[]>? proof, ReadOnlySpan<byte> root)
    {
        if (proof is null || leafIndex >= treeSize
            || leafHash.Length != MerkleHash.Size || root.Length != MerkleHash.Size || !AllHashSized(proof))
        {
            return false;
        }

        ulong fn = leafIndex;
        ulong sn = treeSize - 1;
        Span<byte> r = stackalloc byte[MerkleHash.Size];
        leafHash.CopyTo(r);

        foreach (byte[] p in proof)
        {
            if (sn == 0)
            {
                return false;
            }

            if ((fn & 1) == 1 || fn == sn)
            {
                MerkleHash.NodeHash(p, r, r);
                if ((fn & 1) == 0)
                {
                    ShiftWhileEven(ref fn, ref sn);
                }
            }
            else
            {
                MerkleHash.NodeHash(r, p, r);
            }

            fn >>= 1;
            sn >>= 1;
        }

        return sn == 0 && CryptographicOperations.FixedTimeEquals(r, root);
    }

    /// <summary>Verifies a consistency proof with the algorithm of RFC 9162 section 2.1.4.2.</summary>
    /// <param name="oldSize">The size of the earlier tree; a proof from the empty tree is rejected.</param>
    /// <param name="newSize">The size of the later tree.</param>
    /// <param name="oldRoot">The 32-byte root of the earlier tree.</param>
    /// <param name="newRoot">The 32-byte root of the later tree.</param>
    /// <param name="proof">The consistency path; empty exactly when the sizes are equal; null is rejected.</param>
    /// <returns><see langword="true"/> only when the proof shows the later tree extends the earlier one.</returns>
    public static bool VerifyConsistency(ulong oldSize, ulong newSize, ReadOnlySpan<byte> oldRoot, ReadOnlySpan<byte> newRoot, IReadOnlyList<byte[]>? proof)
    {
        if (proof is null || oldSize == 0 || newSize < oldSize)
        {
            return false;
        }

        if (oldSize == newSize)
        {
            // Equal sizes take the empty proof and are consistent exactly when the roots are the same bytes,
            // as in the reference vectors; no hash is computed, so the roots' length is not checked.
            return proof.Count == 0 && CryptographicOperations.FixedTimeEquals(oldRoot, newRoot);
        }

        if (proof.Count == 0 || oldRoot.Length != MerkleHash.Size || newRoot.Length != MerkleHash.Size || !AllHashSized(proof))
        {
            return false;
        }

        // When the old tree is a complete subtree of the new one its root is the path's implicit first value.
        bool oldRootFirst = BitOperations.IsPow2(oldSize);
        int start = oldRootFirst ? 0 : 1;

        ulong fn = oldSize - 1;
        ulong sn = newSize - 1;
        while ((fn & 1) == 1)
        {
            fn >>= 1;
            sn >>= 1;
        }

        Span<byte> fr = stackalloc byte[MerkleHash.Size];
        Span<byte> sr = stackalloc byte[MerkleHash.Size];
        ReadOnlySpan<byte> seed = oldRootFirst ? oldRoot : proof[0];
        seed.CopyTo(fr);
        seed.CopyTo(sr);

        for (int i = start; i < proof.Count; i++)
        {
            byte[] c = proof[i];
            if (sn == 0)
            {
                return false;
            }

            if ((fn & 1) == 1 || fn == sn)
            {
                MerkleHash.NodeHash(c, fr, fr);
                MerkleHash.NodeHash(c, sr, sr);
                if ((fn & 1) == 0)
                {
                    ShiftWhileEven(ref fn, ref sn);
                }
            }
            else
            {
                MerkleHash.NodeHash(sr, c, sr);
            }

            fn >>= 1;
            sn >>= 1;
        }

        // Both comparisons always run, so the time taken does not say which root failed.
        bool oldMatches = CryptographicOperations.FixedTimeEquals(fr, oldRoot);
        bool newMatches = CryptographicOperations.FixedTimeEquals(sr, newRoot);
        return sn == 0 && oldMatches && newMatches;
    }

    // RFC 9162: "right-shift both fn and sn equally until either LSB(fn) is set or fn is 0".
    private static void ShiftWhileEven(ref ulong fn, ref ulong sn)
    {
        while ((fn & 1) == 0 && fn != 0)
        {
            fn >>= 1;
            sn >>= 1;
        }
    }

    // PATH(m, D[start:end]) of RFC 9162 section 2.1.3.1, deepest sibling first.
    private static void AppendPath(int index, IReadOnlyList<byte[]> leaves, int start, int end, List<byte[]> path)
    {
        int count = end - start;
        if (count == 1)
        {
            return;
        }

        int k = LargestPowerOfTwoBelow(count);
        if (index < k)
        {
            AppendPath(index, leaves, start, start + k, path);
            path.Add(SubtreeRoot(leaves, start + k, end));
        }
        else
        {
            AppendPath(index - k, leaves, start + k, end, path);
            path.Add(SubtreeRoot(leaves, start, start + k));
        }
    }

    // SUBPROOF(m, D[start:end], b) of RFC 9162 section 2.1.4.1.
    private static void AppendSubproof(int m, IReadOnlyList<byte[]> leaves, int start, int end, bool completeSubtree, List<byte[]> path)
    {
        int count = end - start;
        if (m == count)
        {
            if (!completeSubtree)
            {
                path.Add(SubtreeRoot(leaves, start, end));
            }

            return;
        }

        int k = LargestPowerOfTwoBelow(count);
        if (m <= k)
        {
            AppendSubproof(m, leaves, start, start + k, completeSubtree, path);
            path.Add(SubtreeRoot(leaves, start + k, end));
        }
        else
        {
            AppendSubproof(m - k, leaves, start + k, end, completeSubtree: false, path);
            path.Add(SubtreeRoot(leaves, start, start + k));
        }
    }

    private static byte[] SubtreeRoot(IReadOnlyList<byte[]> leaves, int start, int end)
    {
        byte[] root = new byte[MerkleHash.Size];
        SubtreeRoot(leaves, start, end, root);
        return root;
    }

    // MTH(D[start:end]) for a non-empty range.
    private static void SubtreeRoot(IReadOnlyList<byte[]> leaves, int start, int end, Span<byte> destination)
    {
        int count = end - start;
        if (count == 1)
        {
            leaves[start].CopyTo(destination);
            return;
        }

        int k = LargestPowerOfTwoBelow(count);
        Span<byte> left = stackalloc byte[MerkleHash.Size];
        Span<byte> right = stackalloc byte[MerkleHash.Size];
        SubtreeRoot(leaves, start, start + k, left);
        SubtreeRoot(leaves, start + k, end, right);
        MerkleHash.NodeHash(left, right, destination);
    }

    // The k of RFC 9162: the largest power of two strictly smaller than n (n > 1).
    private static int LargestPowerOfTwoBelow(int n) => 1 << (31 - BitOperations.LeadingZeroCount((uint)(n - 1)));

    private static bool AllHashSized(IReadOnlyList<byte[]> proof)
    {
        foreach (byte[]? item in proof)
        {
            if (item is null || item.Length != MerkleHash.Size)
            {
                return false;
            }
        }

        return true;
    }

    private static void RequireLeafHashes(IReadOnlyList<byte[]> leafHashes)
    {
        ArgumentNullException.ThrowIfNull(leafHashes);
        for (int i = 0; i < leafHashes.Count; i++)
        {
            byte[]? leaf = leafHashes[i];
            if (leaf is null)
            {
                throw new ArgumentNullException(nameof(leafHashes), $"Leaf hash {i} is null.");
            }

            if (leaf.Length != MerkleHash.Size)
            {
                throw new ArgumentException($"Leaf hash {i} is {leaf.Length} bytes; every leaf hash must be {MerkleHash.Size} bytes.", nameof(leafHashes));
            }
        }
    }
}
