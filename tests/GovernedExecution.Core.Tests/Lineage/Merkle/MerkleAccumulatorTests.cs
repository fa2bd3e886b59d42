using System.Numerics;
using FsCheck.Xunit;
using GovernedExecution.Lineage.Merkle;

namespace GovernedExecution.Tests.Lineage.Merkle;

public class MerkleAccumulatorTests
{
    [Fact]
    public void Empty_accumulator_has_the_empty_tree_root()
    {
        var accumulator = new MerkleAccumulator();

        Assert.Equal(0, accumulator.Size);
        Assert.Equal(MerkleTree.Root([]), accumulator.Root());
        Assert.Empty(accumulator.Snapshot().SubtreeRoots);
    }

    [Fact]
    public void Root_equals_the_classic_test_tree_roots()
    {
        var accumulator = new MerkleAccumulator();
        byte[][] leaves = ClassicTestTree.LeafHashes();

        for (int i = 0; i < leaves.Length; i++)
        {
            accumulator.Append(leaves[i]);
            Assert.Equal(ClassicTestTree.RootsHex[i], Convert.ToHexStringLower(accumulator.Root()));
        }
    }

    [Fact]
    public void Root_equals_the_batch_root_for_every_prefix()
    {
        byte[][] leaves = MerkleProofRoundTripTests.RandomLeaves(1100, seed: 7);
        var accumulator = new MerkleAccumulator();

        for (int i = 0; i < leaves.Length; i++)
        {
            accumulator.Append(leaves[i]);
            Assert.Equal(i + 1, accumulator.Size);
            Assert.Equal(MerkleTree.Root(leaves[..(i + 1)]), accumulator.Root());
        }
    }

    [Fact]
    public void Snapshot_holds_the_roots_of_the_complete_subtrees_largest_first()
    {
        byte[][] leaves = MerkleProofRoundTripTests.RandomLeaves(13, seed: 11);
        var accumulator = new MerkleAccumulator();
        foreach (byte[] leaf in leaves)
        {
            accumulator.Append(leaf);
        }

        MerkleAccumulatorSnapshot snapshot = accumulator.Snapshot();

        // 13 = 8 + 4 + 1.
        Assert.Equal(13, snapshot.Size);
        Assert.Equal([MerkleTree.Root(leaves[..8]), MerkleTree.Root(leaves[8..12]), leaves[12]], snapshot.SubtreeRoots);
    }

    [Fact]
    public void Restored_accumulator_continues_exactly_like_the_original()
    {
        byte[][] leaves = MerkleProofRoundTripTests.RandomLeaves(300, seed: 13);

        for (int resumeAt = 0; resumeAt <= leaves.Length; resumeAt += 7)
        {
            var original = new MerkleAccumulator();
            foreach (byte[] leaf in leaves[..resumeAt])
            {
                original.Append(leaf);
            }

            MerkleAccumulator restored = MerkleAccumulator.Restore(original.Snapshot());
            Assert.Equal(original.Size, restored.Size);
            Assert.Equal(original.Root(), restored.Root());

            foreach (byte[] leaf in leaves[resumeAt..])
            {
                restored.Append(leaf);
            }

            Assert.Equal(leaves.Length, restored.Size);
            Assert.Equal(MerkleTree.Root(leaves), restored.Root());
        }
    }

    [Fact]
    public void Snapshot_and_restore_copy_the_roots()
    {
        var accumulator = new MerkleAccumulator();
        accumulator.Append(ClassicTestTree.Leaf([1]));
        byte[] root = accumulator.Root();

        MerkleAccumulatorSnapshot snapshot = accumulator.Snapshot();
        MerkleAccumulator restored = MerkleAccumulator.Restore(snapshot);
        snapshot.SubtreeRoots[0][0] ^= 0xFF;

        Assert.Equal(root, accumulator.Root());
        Assert.Equal(root, restored.Root());

        byte[] given = (byte[])root.Clone();
        var fromGiven = new MerkleAccumulatorSnapshot(1, [given]);
        given[0] ^= 0xFF;

        Assert.Equal(root, fromGiven.SubtreeRoots[0]);
    }

    [Fact]
    public void Snapshot_rejects_roots_that_do_not_fit_the_size()
    {
        byte[] hash = new byte[MerkleHash.Size];

        Assert.Throws<ArgumentOutOfRangeException>(() => new MerkleAccumulatorSnapshot(-1, []));
        Assert.Throws<ArgumentNullException>(() => new MerkleAccumulatorSnapshot(1, null!));
        Assert.Throws<ArgumentNullException>(() => new MerkleAccumulatorSnapshot(1, [null!]));
        Assert.Throws<ArgumentException>(() => new MerkleAccumulatorSnapshot(0, [hash]));
        Assert.Throws<ArgumentException>(() => new MerkleAccumulatorSnapshot(3, [hash]));
        Assert.Throws<ArgumentException>(() => new MerkleAccumulatorSnapshot(4, [hash, hash]));
        Assert.Throws<ArgumentException>(() => new MerkleAccumulatorSnapshot(1, [new byte[31]]));
        Assert.Equal(long.MaxValue, new MerkleAccumulatorSnapshot(long.MaxValue, Enumerable.Repeat(hash, 63).ToArray()).Size);
    }

    [Fact]
    public void Append_rejects_a_leaf_hash_that_is_not_32_bytes()
    {
        var accumulator = new MerkleAccumulator();

        Assert.Throws<ArgumentException>(() => accumulator.Append(new byte[31]));
        Assert.Throws<ArgumentException>(() => accumulator.Append(new byte[33]));
        Assert.Equal(0, accumulator.Size);
    }

    [Fact]
    public void Append_refuses_to_overflow_the_size()
    {
        byte[] hash = ClassicTestTree.Leaf([1]);
        var full = MerkleAccumulator.Restore(new MerkleAccumulatorSnapshot(long.MaxValue, Enumerable.Repeat(hash, 63).ToArray()));

        Assert.Throws<InvalidOperationException>(() => full.Append(hash));
        Assert.Equal(long.MaxValue, full.Size);
    }

    [Property(MaxTest = 200)]
    public bool Snapshot_has_one_root_per_set_bit_of_the_size(byte count, int seed)
    {
        var accumulator = new MerkleAccumulator();
        foreach (byte[] leaf in MerkleProofRoundTripTests.RandomLeaves(count, seed))
        {
            accumulator.Append(leaf);
        }

        MerkleAccumulatorSnapshot snapshot = accumulator.Snapshot();
        return snapshot.Size == count && snapshot.SubtreeRoots.Count == BitOperations.PopCount(count);
    }
}
