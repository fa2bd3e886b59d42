using System.Security.Cryptography;
using GovernedExecution.Lineage.Merkle;

namespace GovernedExecution.Tests.Lineage.Merkle;

public class MerkleHashTests
{
    [Fact]
    public void Leaf_hash_of_the_empty_string_is_the_known_value()
    {
        byte[] hash = new byte[MerkleHash.Size];
        MerkleHash.LeafHash([], hash);
        Assert.Equal("6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d", Convert.ToHexStringLower(hash));
    }

    [Fact]
    public void Empty_tree_hash_is_sha256_of_the_empty_string()
    {
        byte[] hash = new byte[MerkleHash.Size];
        MerkleHash.EmptyTreeHash(hash);
        Assert.Equal("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", Convert.ToHexStringLower(hash));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(510)]
    [InlineData(511)]
    [InlineData(512)]
    [InlineData(4096)]
    public void Leaf_hash_is_sha256_of_0x00_and_the_data_on_both_sides_of_the_stack_limit(int length)
    {
        byte[] data = RandomBytes(length, seed: length);
        byte[] expected = SHA256.HashData([0x00, .. data]);

        byte[] actual = new byte[MerkleHash.Size];
        MerkleHash.LeafHash(data, actual);

        Assert.Equal(expected, actual);
    }

    [Fact]
    public void Node_hash_is_sha256_of_0x01_left_and_right()
    {
        byte[] left = RandomBytes(MerkleHash.Size, seed: 1);
        byte[] right = RandomBytes(MerkleHash.Size, seed: 2);
        byte[] expected = SHA256.HashData([0x01, .. left, .. right]);

        byte[] actual = new byte[MerkleHash.Size];
        MerkleHash.NodeHash(left, right, actual);

        Assert.Equal(expected, actual);
    }

    [Fact]
    public void Node_hash_may_write_over_either_child()
    {
        byte[] left = RandomBytes(MerkleHash.Size, seed: 3);
        byte[] right = RandomBytes(MerkleHash.Size, seed: 4);
        byte[] expected = SHA256.HashData([0x01, .. left, .. right]);

        byte[] intoLeft = (byte[])left.Clone();
        MerkleHash.NodeHash(intoLeft, right, intoLeft);
        byte[] intoRight = (byte[])right.Clone();
        MerkleHash.NodeHash(left, intoRight, intoRight);

        Assert.Equal(expected, intoLeft);
        Assert.Equal(expected, intoRight);
    }

    [Fact]
    public void Leaf_and_node_hashes_of_the_same_bytes_differ()
    {
        byte[] left = RandomBytes(MerkleHash.Size, seed: 5);
        byte[] right = RandomBytes(MerkleHash.Size, seed: 6);
        byte[] node = new byte[MerkleHash.Size];
        byte[] leaf = new byte[MerkleHash.Size];

        MerkleHash.NodeHash(left, right, node);
        MerkleHash.LeafHash([.. left, .. right], leaf);

        Assert.NotEqual(node, leaf);
    }

    [Theory]
    [InlineData(31, 32)]
    [InlineData(33, 32)]
    [InlineData(32, 0)]
    [InlineData(32, 31)]
    public void Node_hash_rejects_children_that_are_not_32_bytes(int leftLength, int rightLength)
    {
        Assert.Throws<ArgumentException>(() => MerkleHash.NodeHash(new byte[leftLength], new byte[rightLength], new byte[MerkleHash.Size]));
    }

    [Fact]
    public void Hashes_reject_a_destination_that_is_too_short()
    {
        Assert.Throws<ArgumentException>(() => MerkleHash.LeafHash([1, 2, 3], new byte[MerkleHash.Size - 1]));
        Assert.Throws<ArgumentException>(() => MerkleHash.NodeHash(new byte[MerkleHash.Size], new byte[MerkleHash.Size], new byte[MerkleHash.Size - 1]));
        Assert.Throws<ArgumentException>(() => MerkleHash.EmptyTreeHash(new byte[MerkleHash.Size - 1]));
    }

    private static byte[] RandomBytes(int length, int seed)
    {
        byte[] bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }
}
