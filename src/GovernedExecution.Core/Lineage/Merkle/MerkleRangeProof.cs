using System.Numerics;

namespace GovernedExecution.Lineage.Merkle;

/// <summary>
/// RFC 9162 proofs in bounded memory: a proof is a list of subtree hashes over disjoint leaf ranges, so the ranges are
/// worked out from the sizes alone, and each range's hash is computed while the leaves stream past, in order.
/// </summary>
internal static class MerkleRangeProof
{
    /// <summary>The ranges of the inclusion proof of leaf <paramref name="index"/> in a tree of <paramref name="size"/> leaves, in proof order.</summary>
    internal static List<(long Start, long End)> InclusionRanges(long index, long size)
    {
        var ranges = new List<(long, long)>();
        Inclusion(index, 0, size, ranges);
        return ranges;
    }

    /// <summary>The ranges of the consistency proof from <paramref name="oldSize"/> (at least 1) to <paramref name="size"/> leaves, in proof order.</summary>
    internal static List<(long Start, long End)> ConsistencyRanges(long oldSize, long size)
    {
        var ranges = new List<(long, long)>();
        Subproof(oldSize, 0, size, completeSubtree: true, ranges);
        return ranges;
    }

    private static void Inclusion(long index, long start, long end, List<(long, long)> ranges)
    {
        var count = end - start;
        if (count == 1)
        {
            return;
        }

        var k = LargestPowerOfTwoBelow(count);
        if (index < k)
        {
            Inclusion(index, start, start + k, ranges);
            ranges.Add((start + k, end));
        }
        else
        {
            Inclusion(index - k, start + k, end, ranges);
            ranges.Add((start, start + k));
        }
    }

    private static void Subproof(long m, long start, long end, bool completeSubtree, List<(long, long)> ranges)
    {
        var count = end - start;
        if (m == count)
        {
            if (!completeSubtree)
            {
                ranges.Add((start, end));
            }

            return;
        }

        var k = LargestPowerOfTwoBelow(count);
        if (m <= k)
        {
            Subproof(m, start, start + k, completeSubtree, ranges);
            ranges.Add((start + k, end));
        }
        else
        {
            Subproof(m - k, start + k, end, completeSubtree: false, ranges);
            ranges.Add((start, start + k));
        }
    }

    private static long LargestPowerOfTwoBelow(long n) => 1L << (63 - BitOperations.LeadingZeroCount((ulong)(n - 1)));

    /// <summary>Hashes disjoint ranges of leaves fed in order: memory is one frontier, whatever the tree's size.</summary>
    internal sealed class RangeHasher
    {
        private readonly List<(long Start, long End)> _ranges;
        private readonly int[] _order;
        private readonly byte[][] _hashes;
        private int _next;
        private MerkleAccumulator _current = new();

        internal RangeHasher(List<(long Start, long End)> ranges)
        {
            _ranges = ranges;
            _order = [.. Enumerable.Range(0, ranges.Count).OrderBy(i => ranges[i].Start)];
            _hashes = new byte[ranges.Count][];
        }

        /// <summary>Feeds leaf <paramref name="index"/>; leaves must come in order, from 0.</summary>
        internal void Add(long index, ReadOnlySpan<byte> leaf)
        {
            if (_next == _order.Length)
            {
                return;
            }

            var (start, end) = _ranges[_order[_next]];
            if (index < start)
            {
                return;
            }

            _current.Append(leaf);
            if (index == end - 1)
            {
                _hashes[_order[_next]] = _current.Root();
                _current = new MerkleAccumulator();
                _next++;
            }
        }

        /// <summary>The hashes, in proof order.</summary>
        /// <exception cref="InvalidOperationException">Not every range was fed.</exception>
        internal byte[][] Result() => _next == _order.Length ? _hashes : throw new InvalidOperationException("Not every leaf of the proof was fed.");
    }
}
