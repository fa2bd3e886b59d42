using System.Text.Json;
using GovernedExecution.Lineage;
using GovernedExecution.Lineage.Merkle;

namespace GovernedExecution.Tests.Lineage;

/// <summary>
/// A witness on another volume turns "tamper-evident" into "rollback- and fork-evident": a log cut, rolled back or
/// forked below a checkpoint the witness holds is refused on open and reported by verification.
/// </summary>
public sealed class CheckpointWitnessTests : IDisposable
{
    private readonly LineageTestLog _log = new();
    private readonly string _witnessDirectory;

    public CheckpointWitnessTests()
    {
        _witnessDirectory = Path.Combine(_log.Directory, "witness");
        Witness = new DirectoryCheckpointWitness(_witnessDirectory);
    }

    private DirectoryCheckpointWitness Witness { get; }

    public void Dispose() => _log.Dispose();

    private Task WriteAsync(int count, Action<FileLineageSinkOptions>? configure = null) => _log.WriteAsync(count, o =>
    {
        o.Witness = Witness;
        configure?.Invoke(o);
    });

    private Task<LineageVerificationResult> VerifyAsync() => LineageVerifier.VerifyFilesAsync(_log.Files(), _log.Trusted, Witness);

    private static int LastCheckpointBefore(string[] lines, int end) =>
        Array.FindLastIndex(lines, end - 1, l => l.Contains("\"kind\":\"checkpoint\"", StringComparison.Ordinal));

    [Fact]
    public async Task Break2_truncating_the_log_back_to_an_earlier_checkpoint_is_refused_on_open_and_reported_by_verify()
    {
        await WriteAsync(25);
        var lines = _log.Lines();
        var cut = LastCheckpointBefore(lines, lines.Length - 1);
        await File.WriteAllLinesAsync(_log.Path, lines[..(cut + 1)]);

        // Without the witness the shorter log is valid: that is the break.
        Assert.True(_log.Verify().IsValid);
        var ex = Assert.Throws<InvalidDataException>(() => _log.Open(o => o.Witness = Witness));
        Assert.Contains("witness", ex.Message, StringComparison.Ordinal);
        var result = await VerifyAsync();
        Assert.False(result.IsValid);
        Assert.Contains("witness", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Break2_rolling_back_to_an_older_copy_is_refused_even_when_it_grew_again()
    {
        await WriteAsync(12);
        var copy = await File.ReadAllBytesAsync(_log.Path);
        await WriteAsync(12);
        await File.WriteAllBytesAsync(_log.Path, copy);

        Assert.Throws<InvalidDataException>(() => _log.Open(o => o.Witness = Witness));

        // The old copy continued by a writer without the witness reuses the sequence numbers: a fork.
        await _log.WriteAsync(30);
        Assert.True(_log.Verify().IsValid);
        Assert.Throws<InvalidDataException>(() => _log.Open(o => o.Witness = Witness));
        Assert.False((await VerifyAsync()).IsValid);
    }

    [Fact]
    public async Task Break2_deleting_the_last_rotated_segment_is_refused_on_open()
    {
        await WriteAsync(60, o => o.RotateAtBytes = 3000);
        var files = _log.Files();
        Assert.True(files.Count >= 3);
        File.Delete(files[^1]);

        Assert.True(_log.Verify().IsValid);
        Assert.Throws<InvalidDataException>(() => _log.Open(o => { o.Witness = Witness; o.RotateAtBytes = 3000; }));
        Assert.False((await VerifyAsync()).IsValid);
    }

    [Fact]
    public async Task A_witnessed_log_reopens_and_continues_and_verifies_against_the_witness()
    {
        await WriteAsync(25);
        await WriteAsync(25, o => o.RotateAtBytes = 3000);
        await WriteAsync(3);
        var result = await VerifyAsync();
        Assert.True(result.IsValid, result.ToString());

        var head = await Witness.GetLatestAsync(JsonDocument.Parse(_log.Lines()[0]).RootElement.GetProperty("log").GetString()!, CancellationToken.None);
        Assert.NotNull(head);
        Assert.Equal(_log.Files().Sum(f => _log.Lines(f).Length) - 1, head.TreeSize);
        Assert.Empty(Directory.GetFiles(_witnessDirectory, "*.tmp"));
    }

    [Fact]
    public async Task A_second_writer_of_the_same_log_id_forks_and_the_witness_refusal_faults_its_sink()
    {
        await using var first = _log.Open(o => { o.Witness = Witness; o.LogId = "shared"; o.CheckpointEveryRecords = 2; });
        await using var second = _log.Open(o => { o.Witness = Witness; o.LogId = "shared"; o.CheckpointEveryRecords = 2; o.Path = Path.Combine(_log.Directory, "elsewhere.jsonl"); });
        for (var i = 0; i < 4; i++)
        {
            await first.AppendAsync([LineageTestLog.Event(i)], CancellationToken.None);
        }

        await Assert.ThrowsAnyAsync<IOException>(async () =>
        {
            for (var i = 0; i < 4; i++)
            {
                await second.AppendAsync([LineageTestLog.Event(i)], CancellationToken.None);
            }
        });
        var ex = await Assert.ThrowsAnyAsync<IOException>(async () => await second.AppendAsync([LineageTestLog.Event(9)], CancellationToken.None));
        Assert.IsType<CheckpointWitnessRefusedException>(ex.InnerException);
    }

    [Fact]
    public async Task The_directory_witness_refuses_rollback_truncation_and_fork_and_accepts_extensions()
    {
        var leaves = Enumerable.Range(0, 20).Select(i => LineageCheckpoint.LeafHash(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData([(byte)i])))).ToList();
        LineageTreeHead Head(int size, IReadOnlyList<byte[]>? from = null) => new("log", size, MerkleTree.Root((from ?? leaves).Take(size).ToList()), ReadOnlyMemory<byte>.Empty);

        await Witness.AddCheckpointAsync(0, [], Head(5), CancellationToken.None);
        await Witness.AddCheckpointAsync(5, MerkleTree.ConsistencyProof(5, leaves.Take(12).ToList()), Head(12), CancellationToken.None);

        // Rollback / truncation: a smaller tree, or a writer that believes the witness holds less.
        await Assert.ThrowsAsync<CheckpointWitnessRefusedException>(async () => await Witness.AddCheckpointAsync(12, [], Head(7), CancellationToken.None));
        await Assert.ThrowsAsync<CheckpointWitnessRefusedException>(async () => await Witness.AddCheckpointAsync(5, MerkleTree.ConsistencyProof(5, leaves.Take(15).ToList()), Head(15), CancellationToken.None));
        await Assert.ThrowsAsync<CheckpointWitnessRefusedException>(async () => await Witness.AddCheckpointAsync(0, [], Head(15), CancellationToken.None));

        // Fork: same size, other root; or a larger tree whose prefix differs.
        var forked = leaves.Select((l, i) => i == 3 ? leaves[19] : l).ToList();
        await Assert.ThrowsAsync<CheckpointWitnessRefusedException>(async () => await Witness.AddCheckpointAsync(12, [], Head(12, forked), CancellationToken.None));
        await Assert.ThrowsAsync<CheckpointWitnessRefusedException>(async () => await Witness.AddCheckpointAsync(12, MerkleTree.ConsistencyProof(12, forked.Take(18).ToList()), Head(18, forked), CancellationToken.None));

        Assert.Equal(12, (await Witness.GetLatestAsync("log", CancellationToken.None))!.TreeSize);
        await Witness.AddCheckpointAsync(12, MerkleTree.ConsistencyProof(12, leaves.Take(20).ToList()), Head(20), CancellationToken.None);
        Assert.Equal(20, (await Witness.GetLatestAsync("log", CancellationToken.None))!.TreeSize);
        Assert.Null(await Witness.GetLatestAsync("another", CancellationToken.None));
    }

    [FsCheck.Xunit.Property(MaxTest = 200)]
    public bool A_proof_from_the_old_frontier_and_the_new_leaves_is_the_proof_from_all_leaves(FsCheck.PositiveInt a, FsCheck.PositiveInt b)
    {
        var oldSize = a.Get % 300 + 1;
        var newSize = oldSize + b.Get % 300;
        var leaves = Enumerable.Range(0, newSize).Select(i => System.Security.Cryptography.SHA256.HashData(BitConverter.GetBytes(i))).ToList();
        var tree = new MerkleAccumulator();
        foreach (var leaf in leaves.Take(oldSize))
        {
            tree.Append(leaf);
        }

        var expected = MerkleTree.ConsistencyProof(oldSize, leaves);
        var actual = MerkleFrontierProof.ConsistencyProof(oldSize, tree.Snapshot().SubtreeRoots, leaves.Skip(oldSize).ToList());
        return expected.Length == actual.Length && expected.Zip(actual).All(p => p.First.AsSpan().SequenceEqual(p.Second));
    }

    [FsCheck.Xunit.Property(MaxTest = 200)]
    public bool Proofs_from_streamed_leaf_ranges_are_the_proofs_from_all_leaves(FsCheck.PositiveInt a, FsCheck.PositiveInt b)
    {
        var size = a.Get % 400 + 1;
        var other = b.Get % size + 1;
        var leaves = Enumerable.Range(0, size).Select(i => System.Security.Cryptography.SHA256.HashData(BitConverter.GetBytes(i))).ToList();
        byte[][] Streamed(List<(long Start, long End)> ranges)
        {
            var hasher = new MerkleRangeProof.RangeHasher(ranges);
            for (var i = 0; i < leaves.Count; i++)
            {
                hasher.Add(i, leaves[i]);
            }

            return hasher.Result();
        }

        static bool Same(byte[][] x, byte[][] y) => x.Length == y.Length && x.Zip(y).All(p => p.First.AsSpan().SequenceEqual(p.Second));
        return Same(MerkleTree.InclusionProof(other - 1, leaves), Streamed(MerkleRangeProof.InclusionRanges(other - 1, size)))
            && Same(MerkleTree.ConsistencyProof(other, leaves), Streamed(MerkleRangeProof.ConsistencyRanges(other, size)));
    }
}
