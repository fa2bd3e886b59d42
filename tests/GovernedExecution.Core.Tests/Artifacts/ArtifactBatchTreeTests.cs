using System.Security.Cryptography;
using GovernedExecution.Artifacts;
using GovernedExecution.Artifacts.Keys;
using GovernedExecution.Lineage.Merkle;

namespace GovernedExecution.Tests.Artifacts;

/// <summary>
/// The tree a batch is signed over: the same root and inclusion paths as RFC 9162 (the lineage's reference
/// implementation), built with one hash per interior node for the whole batch rather than per artifact.
/// </summary>
public sealed class ArtifactBatchTreeTests
{
    [Fact]
    public void Root_and_every_path_are_those_of_RFC_9162_for_every_batch_size()
    {
        foreach (var n in Enumerable.Range(1, 70).Concat([127, 128, 129, 255, ArtifactBatch.MaxBatch]))
        {
            var payloads = Payloads(n);
            var leaves = payloads.Select(p => { var l = new byte[MerkleHash.Size]; MerkleHash.LeafHash(p, l); return l; }).ToArray();
            var tree = new ArtifactBatch.Tree(payloads);

            Assert.Equal(MerkleTree.Root(leaves), tree.Root);
            foreach (var i in n <= 70 ? Enumerable.Range(0, n) : [0, 1, n / 2, n - 2, n - 1])
            {
                var path = tree.Path(i);
                Assert.Equal(MerkleTree.InclusionProof(i, leaves), path);
                Assert.True(MerkleTree.VerifyInclusion((ulong)i, (ulong)n, leaves[i], path, tree.Root));
            }
        }
    }

    [Fact]
    public void Signing_a_batch_hashes_each_interior_node_once()
    {
        // Computing each artifact's path on its own made n - 1 node hashes per artifact: a batch of 256 took 65,280,
        // and a bigger batch cost more per artifact than signing each alone.
        using var key = SigningKey.Generate();
        var payloads = Payloads(ArtifactBatch.MaxBatch);
        var before = ArtifactBatch.t_nodeHashes;

        var signed = ArtifactBatch.Sign(key, payloads);

        Assert.Equal(ArtifactBatch.MaxBatch - 1, ArtifactBatch.t_nodeHashes - before);
        Assert.Equal(ArtifactBatch.MaxBatch, signed.Length);
    }

    [Fact]
    public void Encoding_an_artifact_allocates_little_beyond_the_artifact_itself()
    {
        // Every artifact of a batch is encoded on the leader's thread while the others wait: its writers are reused,
        // so what it allocates is the artifact (allocated bytes are deterministic, unlike times).
        var tree = new ArtifactBatch.Tree(Payloads(32));
        var header = ArtifactBatch.ProtectedHeader(ArtifactAlgorithm.ES256, "k1");
        var payload = new byte[400];
        var signature = new byte[64];
        var path = tree.Path(5);
        var length = ArtifactBatch.Encode(header, 32, 5, path, payload, signature).Length;

        var start = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 100; i++)
        {
            _ = ArtifactBatch.Encode(header, 32, 5, path, payload, signature);
        }

        var perArtifact = (GC.GetAllocatedBytesForCurrentThread() - start) / 100.0;
        Assert.True(perArtifact <= length + 64, $"encoding a {length} B artifact allocated {perArtifact:F0} B");
    }

    [Theory]
    [InlineData(0)]
    [InlineData(ArtifactBatch.MaxTreeSize + 1)]
    public void A_batch_outside_the_format_is_refused(int n)
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new ArtifactBatch.Tree(Payloads(n)));
    }

    private static byte[][] Payloads(int n) => [.. Enumerable.Range(0, n).Select(i => RandomNumberGenerator.GetBytes(20 + (i % 7)))];
}
