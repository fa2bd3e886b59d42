using GovernedExecution.Lineage.Merkle;

namespace GovernedExecution.Tests.Lineage.Merkle;

public class MerkleTreeTests
{
    // The root prefixes published for the classic test tree (conformance/merkle/README.md).
    private static readonly string[] PublishedRootPrefixes =
        ["6e340b9c", "fac54203", "aeb6bcfe", "d37ee418", "4e3bbb1f", "76e67dad", "ddb89be4", "5dc9da79"];

    [Fact]
    public void Empty_tree_root_is_sha256_of_the_empty_string()
    {
        Assert.Equal("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", Convert.ToHexStringLower(MerkleTree.Root([])));
    }

    [Fact]
    public void Classic_test_tree_roots_match_for_every_size()
    {
        for (int size = 1; size <= 8; size++)
        {
            string root = Convert.ToHexStringLower(MerkleTree.Root(ClassicTestTree.LeafHashes(size)));
            Assert.StartsWith(PublishedRootPrefixes[size - 1], root, StringComparison.Ordinal);
            Assert.Equal(ClassicTestTree.RootsHex[size - 1], root);
        }
    }

    [Fact]
    public void Root_of_one_leaf_is_the_leaf_hash()
    {
        byte[] leaf = ClassicTestTree.Leaf([42]);
        Assert.Equal(leaf, MerkleTree.Root([leaf]));
    }

    [Fact]
    public void Root_splits_at_the_largest_power_of_two_below_the_size()
    {
        byte[][] leaves = ClassicTestTree.LeafHashes(5);
        byte[] left = MerkleTree.Root(leaves[..4]);
        byte[] expected = new byte[MerkleHash.Size];
        MerkleHash.NodeHash(left, leaves[4], expected);

        Assert.Equal(expected, MerkleTree.Root(leaves));
    }

    [Fact]
    public void Inclusion_proof_is_the_rfc_audit_path()
    {
        byte[][] leaves = ClassicTestTree.LeafHashes(7);

        // Leaf 6 of 7: sibling subtree [4,6), then [0,4).
        byte[][] proof = MerkleTree.InclusionProof(6, leaves);

        Assert.Equal([MerkleTree.Root(leaves[4..6]), MerkleTree.Root(leaves[..4])], proof);
    }

    [Fact]
    public void Consistency_proof_is_the_rfc_path()
    {
        byte[][] leaves = ClassicTestTree.LeafHashes(7);

        // RFC 9162 2.1.5 example: PROOF(3, D[7]) = [c, d, g, l] with c = leaf 2, d = leaf 3, g = MTH(D[0:2]), l = MTH(D[4:7]).
        byte[][] proof = MerkleTree.ConsistencyProof(3, leaves);

        Assert.Equal([leaves[2], leaves[3], MerkleTree.Root(leaves[..2]), MerkleTree.Root(leaves[4..7])], proof);
    }

    [Fact]
    public void Consistency_proof_of_a_tree_with_itself_is_empty()
    {
        Assert.Empty(MerkleTree.ConsistencyProof(5, ClassicTestTree.LeafHashes(5)));
    }

    [Fact]
    public void Proof_generation_rejects_invalid_arguments()
    {
        byte[][] leaves = ClassicTestTree.LeafHashes(4);

        Assert.Throws<ArgumentOutOfRangeException>(() => MerkleTree.InclusionProof(-1, leaves));
        Assert.Throws<ArgumentOutOfRangeException>(() => MerkleTree.InclusionProof(4, leaves));
        Assert.Throws<ArgumentOutOfRangeException>(() => MerkleTree.ConsistencyProof(0, leaves));
        Assert.Throws<ArgumentOutOfRangeException>(() => MerkleTree.ConsistencyProof(5, leaves));
        Assert.Throws<ArgumentNullException>(() => MerkleTree.Root(null!));
        Assert.Throws<ArgumentNullException>(() => MerkleTree.Root([leaves[0], null!]));
        Assert.Throws<ArgumentException>(() => MerkleTree.Root([leaves[0], new byte[31]]));
    }

    [Fact]
    public void Inclusion_verification_rejects_malformed_input_without_throwing()
    {
        byte[][] leaves = ClassicTestTree.LeafHashes(5);
        byte[] root = MerkleTree.Root(leaves);
        byte[][] proof = MerkleTree.InclusionProof(1, leaves);
        Assert.True(MerkleTree.VerifyInclusion(1, 5, leaves[1], proof, root));

        Assert.False(MerkleTree.VerifyInclusion(1, 5, leaves[1], null, root));
        Assert.False(MerkleTree.VerifyInclusion(5, 5, leaves[1], proof, root));
        Assert.False(MerkleTree.VerifyInclusion(0, 0, leaves[1], [], root));
        Assert.False(MerkleTree.VerifyInclusion(ulong.MaxValue, 5, leaves[1], proof, root));
        Assert.False(MerkleTree.VerifyInclusion(1, ulong.MaxValue, leaves[1], proof, root));
        Assert.False(MerkleTree.VerifyInclusion(1, 5, leaves[1], proof[..^1], root));
        Assert.False(MerkleTree.VerifyInclusion(1, 5, leaves[1], [.. proof, proof[0]], root));
        Assert.False(MerkleTree.VerifyInclusion(1, 5, leaves[1], [proof[0], null!, proof[2]], root));
        Assert.False(MerkleTree.VerifyInclusion(1, 5, leaves[1], [proof[0], proof[1][..31], proof[2]], root));
        Assert.False(MerkleTree.VerifyInclusion(1, 5, leaves[1].AsSpan(0, 31), proof, root));
        Assert.False(MerkleTree.VerifyInclusion(1, 5, leaves[1], proof, root.AsSpan(0, 31)));
        Assert.False(MerkleTree.VerifyInclusion(1, 5, [], proof, []));
    }

    [Fact]
    public void Consistency_verification_rejects_malformed_input_without_throwing()
    {
        byte[][] leaves = ClassicTestTree.LeafHashes(7);
        byte[] oldRoot = MerkleTree.Root(leaves[..3]);
        byte[] newRoot = MerkleTree.Root(leaves);
        byte[][] proof = MerkleTree.ConsistencyProof(3, leaves);
        Assert.True(MerkleTree.VerifyConsistency(3, 7, oldRoot, newRoot, proof));

        Assert.False(MerkleTree.VerifyConsistency(3, 7, oldRoot, newRoot, null));
        Assert.False(MerkleTree.VerifyConsistency(7, 3, newRoot, oldRoot, proof));
        Assert.False(MerkleTree.VerifyConsistency(0, 7, oldRoot, newRoot, proof));
        Assert.False(MerkleTree.VerifyConsistency(0, 0, oldRoot, oldRoot, []));
        Assert.False(MerkleTree.VerifyConsistency(3, 7, oldRoot, newRoot, []));
        Assert.False(MerkleTree.VerifyConsistency(3, 7, oldRoot, newRoot, proof[..^1]));
        Assert.False(MerkleTree.VerifyConsistency(3, 7, oldRoot, newRoot, [.. proof, proof[0]]));
        Assert.False(MerkleTree.VerifyConsistency(3, 7, oldRoot, newRoot, [proof[0], null!, proof[2], proof[3]]));
        Assert.False(MerkleTree.VerifyConsistency(3, 7, oldRoot, newRoot, [proof[0], proof[1][..31], proof[2], proof[3]]));
        Assert.False(MerkleTree.VerifyConsistency(3, 7, oldRoot.AsSpan(0, 31), newRoot, proof));
        Assert.False(MerkleTree.VerifyConsistency(3, ulong.MaxValue, oldRoot, newRoot, proof));
        Assert.False(MerkleTree.VerifyConsistency(3, 3, oldRoot, oldRoot, proof));
        Assert.False(MerkleTree.VerifyConsistency(3, 3, oldRoot, newRoot, []));
        Assert.True(MerkleTree.VerifyConsistency(3, 3, oldRoot, oldRoot, []));
    }
}
