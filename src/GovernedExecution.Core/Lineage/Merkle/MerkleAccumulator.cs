namespace GovernedExecution.Lineage.Merkle;

/// <summary>
/// An append-only Merkle tree that keeps only the roots of its complete subtrees: one per set bit
/// of <see cref="Size"/>, largest (leftmost) first. Its root equals <see cref="MerkleTree.Root"/> over
/// the same leaves, in O(log n) memory and hashing per append.
/// </summary>
internal sealed class MerkleAccumulator
{
    // A long size has at most 63 set bits, so 63 subtree roots.
    private const int MaxSubtrees = 63;

    private readonly byte[] _subtreeRoots = new byte[MaxSubtrees * MerkleHash.Size];
    private int _count;

    /// <summary>The number of leaves appended so far.</summary>
    public long Size { get; private set; }

    /// <summary>Rebuilds an accumulator from a <see cref="Snapshot"/>, without rehashing the leaves.</summary>
    /// <param name="snapshot">The state to resume from.</param>
    /// <returns>An accumulator with that size and those subtree roots.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="snapshot"/> is null.</exception>
    public static MerkleAccumulator Restore(MerkleAccumulatorSnapshot snapshot)
    {
        ArgumentNullException.ThrowIfNull(snapshot);

        var accumulator = new MerkleAccumulator { Size = snapshot.Size, _count = snapshot.SubtreeRoots.Count };
        for (int i = 0; i < accumulator._count; i++)
        {
            snapshot.SubtreeRoots[i].CopyTo(accumulator.Slot(i));
        }

        return accumulator;
    }

    /// <summary>Appends one leaf hash to the log.</summary>
    /// <param name="leafHash">The leaf's hash, as produced by <see cref="MerkleHash.LeafHash"/>.</param>
    /// <exception cref="ArgumentException"><paramref name="leafHash"/> is not <see cref="MerkleHash.Size"/> bytes long.</exception>
    /// <exception cref="InvalidOperationException">The log is full.</exception>
    public void Append(ReadOnlySpan<byte> leafHash)
    {
        if (leafHash.Length != MerkleHash.Size)
        {
            throw new ArgumentException($"A leaf hash must be {MerkleHash.Size} bytes.", nameof(leafHash));
        }

        if (Size == long.MaxValue)
        {
            throw new InvalidOperationException("The Merkle log is full.");
        }

        Span<byte> hash = stackalloc byte[MerkleHash.Size];
        leafHash.CopyTo(hash);

        // Each trailing one bit of the old size is a complete subtree of the new leaf's height: merge it.
        for (long s = Size; (s & 1) == 1; s >>= 1)
        {
            _count--;
            MerkleHash.NodeHash(Slot(_count), hash, hash);
        }

        hash.CopyTo(Slot(_count));
        _count++;
        Size++;
    }

    /// <summary>Computes the root of the tree of every leaf appended so far.</summary>
    /// <returns>The 32-byte root hash; SHA-256 of the empty string when no leaf has been appended.</returns>
    public byte[] Root()
    {
        byte[] root = new byte[MerkleHash.Size];
        if (_count == 0)
        {
            MerkleHash.EmptyTreeHash(root);
            return root;
        }

        // MTH splits at the largest power of two, so the root folds the subtree roots from the right.
        Slot(_count - 1).CopyTo(root);
        for (int i = _count - 2; i >= 0; i--)
        {
            MerkleHash.NodeHash(Slot(i), root, root);
        }

        return root;
    }

    /// <summary>Captures the state (size and complete-subtree roots) so that the log can resume after a restart.</summary>
    /// <returns>A copy of the current state.</returns>
    public MerkleAccumulatorSnapshot Snapshot()
    {
        var roots = new byte[_count][];
        for (int i = 0; i < _count; i++)
        {
            roots[i] = Slot(i).ToArray();
        }

        return new MerkleAccumulatorSnapshot(Size, roots);
    }

    private Span<byte> Slot(int index) => _subtreeRoots.AsSpan(index * MerkleHash.Size, MerkleHash.Size);
}
