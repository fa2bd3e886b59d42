using System.Security.Cryptography;
using GovernedExecution.Artifacts.Keys;
using GovernedExecution.Lineage;
using GovernedExecution.Lineage.Merkle;

namespace GovernedExecution.PostgreSql.Tests.Witness;

/// <summary>A log's leaves, and signed tree heads over its prefixes, signed as a file sink signs its checkpoints.</summary>
internal sealed class SignedHeads(string logId, SigningKey key)
{
    private readonly List<byte[]> _leaves = [];

    internal string LogId { get; } = logId;

    internal IReadOnlyList<byte[]> Leaves => _leaves;

    internal SignedHeads Grow(int count)
    {
        for (var i = 0; i < count; i++)
        {
            _leaves.Add(RandomNumberGenerator.GetBytes(MerkleHash.Size));
        }

        return this;
    }

    /// <summary>Another log with the same id and the same first <paramref name="shared"/> leaves: a fork from there.</summary>
    internal SignedHeads ForkAt(int shared)
    {
        var fork = new SignedHeads(LogId, key);
        fork._leaves.AddRange(_leaves.Take(shared));
        return fork;
    }

    internal LineageTreeHead Head(int size, SigningKey? signer = null)
    {
        var tree = MerkleAccumulator.Restore(new MerkleAccumulatorSnapshot(0, []));
        foreach (var leaf in _leaves.Take(size))
        {
            tree.Append(leaf);
        }

        var checkpoint = LineageCheckpoint.CreateEvent(LogId, size + 1, tree, signer ?? key, DateTimeOffset.UtcNow);
        var signature = checkpoint.Attributes.Single(a => a.Key == LineageCheckpoint.Signature).Value;
        return new LineageTreeHead(LogId, size, tree.Root(), System.Buffers.Text.Base64Url.DecodeFromChars(signature));
    }

    internal byte[][] Proof(int oldSize, int newSize) => oldSize == 0 ? [] : MerkleTree.ConsistencyProof(oldSize, _leaves.Take(newSize).ToList());
}
