using System.Numerics;

namespace GovernedExecution.Lineage.Merkle;

/// <summary>
/// The persisted state of a <see cref="MerkleAccumulator"/>: the tree size and the roots of its
/// complete subtrees, largest (leftmost) first, one per set bit of the size.
/// </summary>
internal sealed class MerkleAccumulatorSnapshot
{
    /// <summary>Initializes a snapshot, checking that the roots fit the size.</summary>
    /// <param name="size">The number of leaves in the tree.</param>
    /// <param name="subtreeRoots">The complete-subtree roots, largest first; copied.</param>
    /// <exception cref="ArgumentNullException"><paramref name="subtreeRoots"/> or one of its items is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="size"/> is negative.</exception>
    /// <exception cref="ArgumentException">The number of roots is not the number of set bits of <paramref name="size"/>, or a root is not <see cref="MerkleHash.Size"/> bytes long.</exception>
    public MerkleAccumulatorSnapshot(long size, IReadOnlyList<byte[]> subtreeRoots)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(size);
        ArgumentNullException.ThrowIfNull(subtreeRoots);

        int expected = BitOperations.PopCount((ulong)size);
        if (subtreeRoots.Count != expected)
        {
            throw new ArgumentException($"A tree of {size} leaves has {expected} complete subtrees, not {subtreeRoots.Count}.", nameof(subtreeRoots));
        }

        var copies = new byte[expected][];
        for (int i = 0; i < expected; i++)
        {
            byte[]? root = subtreeRoots[i];
            if (root is null)
            {
                throw new ArgumentNullException(nameof(subtreeRoots), $"Subtree root {i} is null.");
            }

            if (root.Length != MerkleHash.Size)
            {
                throw new ArgumentException($"Subtree root {i} is {root.Length} bytes; it must be {MerkleHash.Size} bytes.", nameof(subtreeRoots));
            }

            copies[i] = (byte[])root.Clone();
        }

        Size = size;
        SubtreeRoots = copies;
    }

    /// <summary>The number of leaves in the tree.</summary>
    public long Size { get; }

    /// <summary>The complete-subtree roots, largest (leftmost) first.</summary>
    public IReadOnlyList<byte[]> SubtreeRoots { get; }
}
