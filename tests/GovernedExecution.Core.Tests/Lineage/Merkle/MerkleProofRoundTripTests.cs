using FsCheck.Xunit;
using GovernedExecution.Lineage.Merkle;

namespace GovernedExecution.Tests.Lineage.Merkle;

/// <summary>Proofs generated for random trees verify, and stop verifying when any byte they depend on changes.</summary>
public class MerkleProofRoundTripTests
{
    private const int MaxSize = 300;

    [Fact]
    public void Inclusion_proofs_verify_for_every_leaf_of_every_tree_up_to_300_leaves()
    {
        for (int size = 1; size <= MaxSize; size++)
        {
            byte[][] leaves = RandomLeaves(size, seed: size);
            byte[] root = MerkleTree.Root(leaves);
            for (int index = 0; index < size; index++)
            {
                byte[][] proof = MerkleTree.InclusionProof(index, leaves);
                Assert.True(MerkleTree.VerifyInclusion((ulong)index, (ulong)size, leaves[index], proof, root), $"leaf {index} of {size}");
            }
        }
    }

    [Fact]
    public void Consistency_proofs_verify_for_every_prefix_of_every_tree_up_to_300_leaves()
    {
        for (int size = 1; size <= MaxSize; size++)
        {
            byte[][] leaves = RandomLeaves(size, seed: size);
            byte[] newRoot = MerkleTree.Root(leaves);
            for (int oldSize = 1; oldSize <= size; oldSize++)
            {
                byte[] oldRoot = MerkleTree.Root(leaves[..oldSize]);
                byte[][] proof = MerkleTree.ConsistencyProof(oldSize, leaves);
                Assert.True(MerkleTree.VerifyConsistency((ulong)oldSize, (ulong)size, oldRoot, newRoot, proof), $"{oldSize} to {size}");
            }
        }
    }

    [Fact]
    public void Inclusion_verification_fails_when_any_byte_of_proof_root_or_leaf_is_flipped()
    {
        for (int size = 1; size <= MaxSize; size++)
        {
            var random = new Random(size);
            byte[][] leaves = RandomLeaves(size, seed: size);
            byte[] root = MerkleTree.Root(leaves);
            foreach (int index in new[] { 0, size - 1, random.Next(size) })
            {
                byte[][] proof = MerkleTree.InclusionProof(index, leaves);
                byte[] leaf = leaves[index];
                int flips = 0;
                foreach (byte[] target in proof.Append(root).Append(leaf))
                {
                    for (int position = 0; position < target.Length; position++)
                    {
                        target[position] ^= 0x01;
                        Assert.False(MerkleTree.VerifyInclusion((ulong)index, (ulong)size, leaf, proof, root), $"leaf {index} of {size}, byte {position} flipped");
                        target[position] ^= 0x01;
                        flips++;
                    }
                }

                Assert.Equal((proof.Length + 2) * MerkleHash.Size, flips);
                Assert.True(MerkleTree.VerifyInclusion((ulong)index, (ulong)size, leaf, proof, root));
            }
        }
    }

    [Fact]
    public void Consistency_verification_fails_when_any_byte_of_proof_or_roots_is_flipped()
    {
        for (int size = 1; size <= MaxSize; size++)
        {
            var random = new Random(size);
            byte[][] leaves = RandomLeaves(size, seed: size);
            byte[] newRoot = MerkleTree.Root(leaves);
            foreach (int oldSize in new[] { 1, size, 1 + random.Next(size) })
            {
                byte[] oldRoot = MerkleTree.Root(leaves[..oldSize]);
                byte[][] proof = MerkleTree.ConsistencyProof(oldSize, leaves);
                int flips = 0;
                foreach (byte[] target in proof.Append(oldRoot).Append(newRoot))
                {
                    for (int position = 0; position < target.Length; position++)
                    {
                        target[position] ^= 0x01;
                        Assert.False(MerkleTree.VerifyConsistency((ulong)oldSize, (ulong)size, oldRoot, newRoot, proof), $"{oldSize} to {size}, byte {position} flipped");
                        target[position] ^= 0x01;
                        flips++;
                    }
                }

                Assert.Equal((proof.Length + 2) * MerkleHash.Size, flips);
                Assert.True(MerkleTree.VerifyConsistency((ulong)oldSize, (ulong)size, oldRoot, newRoot, proof));
            }
        }
    }

    [Property(MaxTest = 500)]
    public bool Inclusion_proof_with_any_flipped_bit_is_rejected(int seed, int sizeChoice, int indexChoice, int byteChoice, byte mask)
    {
        int size = 1 + (int)((uint)sizeChoice % MaxSize);
        int index = (int)((uint)indexChoice % (uint)size);
        byte[][] leaves = RandomLeaves(size, seed);
        byte[] root = MerkleTree.Root(leaves);
        byte[] leaf = leaves[index];
        byte[][] proof = MerkleTree.InclusionProof(index, leaves);
        bool verifiedBefore = MerkleTree.VerifyInclusion((ulong)index, (ulong)size, leaf, proof, root);

        Flip([.. proof, root, leaf], byteChoice, mask);

        return verifiedBefore && !MerkleTree.VerifyInclusion((ulong)index, (ulong)size, leaf, proof, root);
    }

    [Property(MaxTest = 500)]
    public bool Consistency_proof_with_any_flipped_bit_is_rejected(int seed, int sizeChoice, int oldSizeChoice, int byteChoice, byte mask)
    {
        int size = 1 + (int)((uint)sizeChoice % MaxSize);
        int oldSize = 1 + (int)((uint)oldSizeChoice % (uint)size);
        byte[][] leaves = RandomLeaves(size, seed);
        byte[] newRoot = MerkleTree.Root(leaves);
        byte[] oldRoot = MerkleTree.Root(leaves[..oldSize]);
        byte[][] proof = MerkleTree.ConsistencyProof(oldSize, leaves);
        bool verifiedBefore = MerkleTree.VerifyConsistency((ulong)oldSize, (ulong)size, oldRoot, newRoot, proof);

        Flip([.. proof, oldRoot, newRoot], byteChoice, mask);

        return verifiedBefore && !MerkleTree.VerifyConsistency((ulong)oldSize, (ulong)size, oldRoot, newRoot, proof);
    }

    internal static byte[][] RandomLeaves(int count, int seed)
    {
        var random = new Random(seed);
        var leaves = new byte[count][];
        for (int i = 0; i < count; i++)
        {
            byte[] data = new byte[random.Next(0, 64)];
            random.NextBytes(data);
            leaves[i] = ClassicTestTree.Leaf(data);
        }

        return leaves;
    }

    // Changes one byte, chosen across all the given hashes, by a non-zero mask.
    private static void Flip(byte[][] hashes, int byteChoice, byte mask)
    {
        int position = (int)((uint)byteChoice % (uint)(hashes.Length * MerkleHash.Size));
        hashes[position / MerkleHash.Size][position % MerkleHash.Size] ^= mask == 0 ? (byte)0xFF : mask;
    }
}
