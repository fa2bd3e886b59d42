using System.Numerics;

namespace GovernedExecution.Lineage.Merkle;

/// <summary>
/// RFC 9162 consistency proofs built without the old leaves: every node a proof from size m needs lies either inside
/// the old tree, where it is one of m's complete-subtree roots (its frontier) or a combination of them, or among the
/// leaves after m. So a writer that keeps its last witnessed frontier and the leaves since can prove consistency.
/// </summary>
internal static class MerkleFrontierProof
{
    /// <summary>The consistency proof from the tree of size <paramref name="oldSize"/> to that size plus <paramref name="newLeaves"/>.</summary>
    /// <param name="oldSize">The earlier size, at least 1.</param>
    /// <param name="oldFrontier">The complete-subtree roots of the earlier tree, largest (leftmost) first.</param>
    /// <param name="newLeaves">The leaf hashes appended since, in order.</param>
    /// <exception cref="ArgumentException">The frontier does not have one root per set bit of <paramref name="oldSize"/>.</exception>
    public static byte[][] ConsistencyProof(long oldSize, IReadOnlyList<byte[]> oldFrontier, IReadOnlyList<byte[]> newLeaves)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(oldSize, 1);
        if (BitOperations.PopCount((ulong)oldSize) != oldFrontier.Count)
        {
            throw new ArgumentException("The frontier does not match the old size.", nameof(oldFrontier));
        }

        var nodes = new Nodes(oldSize, oldFrontier, newLeaves);
        var path = new List<byte[]>();
        Subproof(oldSize, nodes, 0, oldSize + newLeaves.Count, completeSubtree: true, path);
        return [.. path];
    }

    // SUBPROOF(m, D[start:end], b) of RFC 9162 section 2.1.4.1.
    private static void Subproof(long m, Nodes nodes, long start, long end, bool completeSubtree, List<byte[]> path)
    {
        var count = end - start;
        if (m == count)
        {
            if (!completeSubtree)
            {
                path.Add(nodes.Hash(start, end));
            }

            return;
        }

        var k = LargestPowerOfTwoBelow(count);
        if (m <= k)
        {
            Subproof(m, nodes, start, start + k, completeSubtree, path);
            path.Add(nodes.Hash(start + k, end));
        }
        else
        {
            Subproof(m - k, nodes, start + k, end, completeSubtree: false, path);
            path.Add(nodes.Hash(start, start + k));
        }
    }

    private static long LargestPowerOfTwoBelow(long n) => 1L << (63 - BitOperations.LeadingZeroCount((ulong)(n - 1)));

    private sealed class Nodes
    {
        private readonly long _oldSize;
        private readonly Dictionary<long, (long End, byte[] Hash)> _frontier = [];
        private readonly IReadOnlyList<byte[]> _newLeaves;

        internal Nodes(long oldSize, IReadOnlyList<byte[]> frontier, IReadOnlyList<byte[]> newLeaves)
        {
            _oldSize = oldSize;
            _newLeaves = newLeaves;
            long start = 0;
            var index = 0;
            for (var bit = 62; bit >= 0; bit--)
            {
                if ((oldSize & (1L << bit)) != 0)
                {
                    _frontier[start] = (start + (1L << bit), frontier[index++]);
                    start += 1L << bit;
                }
            }
        }

        // MTH(D[start:end]) for a range that is either after the old tree, or a run of its complete subtrees, or splits into those.
        internal byte[] Hash(long start, long end)
        {
            if (start >= _oldSize)
            {
                var leaves = new List<byte[]>((int)(end - start));
                for (var i = start; i < end; i++)
                {
                    leaves.Add(_newLeaves[(int)(i - _oldSize)]);
                }

                return MerkleTree.Root(leaves);
            }

            if (_frontier.TryGetValue(start, out var node) && node.End == end)
            {
                return node.Hash;
            }

            if (end - start == 1)
            {
                throw new InvalidOperationException("A leaf of the old tree is needed that the frontier does not hold.");
            }

            var k = LargestPowerOfTwoBelow(end - start);
            var hash = new byte[MerkleHash.Size];
            MerkleHash.NodeHash(Hash(start, start + k), Hash(start + k, end), hash);
            return hash;
        }
    }
}
