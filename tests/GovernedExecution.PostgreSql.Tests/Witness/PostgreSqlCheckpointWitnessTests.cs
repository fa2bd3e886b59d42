using GovernedExecution.Artifacts.Keys;
using GovernedExecution.Lineage;
using GovernedExecution.PostgreSql.Witness;
using Npgsql;

namespace GovernedExecution.PostgreSql.Tests.Witness;

[Collection(PostgresTests.Name)]
public sealed class PostgreSqlCheckpointWitnessTests(PostgresServer server)
{
    private readonly SignedHeads _log = new SignedHeads("log-a", TestKeys.Signing).Grow(40);

    [Fact]
    public async Task Append_only_extensions_are_accepted_and_held()
    {
        await using var db = await MigratedAsync();
        var witness = Witness(db);
        Assert.Null(await witness.GetLatestAsync(_log.LogId, default));

        await witness.AddCheckpointAsync(0, [], _log.Head(10), default);
        await witness.AddCheckpointAsync(10, _log.Proof(10, 25), _log.Head(25), default);
        await witness.AddCheckpointAsync(25, [], _log.Head(25), default); // the same head again
        await witness.AddCheckpointAsync(25, _log.Proof(25, 40), _log.Head(40), default);

        var held = await Witness(db).GetLatestAsync(_log.LogId, default);
        Assert.NotNull(held);
        Assert.Equal(40, held.TreeSize);
        Assert.Equal(_log.Head(40).Root.ToArray(), held.Root.ToArray());
    }

    [Fact]
    public async Task A_rollback_to_a_smaller_checkpoint_is_refused()
    {
        await using var db = await MigratedAsync();
        var witness = Witness(db);
        await witness.AddCheckpointAsync(0, [], _log.Head(30), default);

        // The writer believes the witness holds less (its log was restored from an older copy) ...
        await Assert.ThrowsAsync<CheckpointWitnessRefusedException>(() => witness.AddCheckpointAsync(10, _log.Proof(10, 20), _log.Head(20), default).AsTask());

        // ... or states the truth and offers a smaller head.
        var ex = await Assert.ThrowsAsync<CheckpointWitnessRefusedException>(() => witness.AddCheckpointAsync(30, [], _log.Head(20), default).AsTask());
        Assert.Contains("rollback", ex.Message, StringComparison.Ordinal);
        Assert.Equal(30, (await witness.GetLatestAsync(_log.LogId, default))!.TreeSize);
    }

    [Fact]
    public async Task Forks_at_the_same_size_or_larger_are_refused()
    {
        await using var db = await MigratedAsync();
        var witness = Witness(db);
        await witness.AddCheckpointAsync(0, [], _log.Head(20), default);
        var fork = _log.ForkAt(15).Grow(25);

        var same = await Assert.ThrowsAsync<CheckpointWitnessRefusedException>(() => witness.AddCheckpointAsync(20, [], fork.Head(20), default).AsTask());
        Assert.Contains("fork", same.Message, StringComparison.Ordinal);

        // A larger head of the fork, with the fork's own consistency proof (which starts from the fork's root, not the held one).
        await Assert.ThrowsAsync<CheckpointWitnessRefusedException>(() => witness.AddCheckpointAsync(20, fork.Proof(20, 40), fork.Head(40), default).AsTask());

        // A larger head with no proof, or with the honest log's proof for another size.
        await Assert.ThrowsAsync<CheckpointWitnessRefusedException>(() => witness.AddCheckpointAsync(20, [], _log.Head(30), default).AsTask());
        await Assert.ThrowsAsync<CheckpointWitnessRefusedException>(() => witness.AddCheckpointAsync(20, _log.Proof(20, 40), _log.Head(30), default).AsTask());
        Assert.Equal(_log.Head(20).Root.ToArray(), (await witness.GetLatestAsync(_log.LogId, default))!.Root.ToArray());
    }

    [Fact]
    public async Task A_checkpoint_whose_signature_does_not_verify_against_the_trusted_keys_is_refused_even_first()
    {
        await using var db = await MigratedAsync();
        var witness = Witness(db);
        using var stranger = SigningKey.Generate();

        // Unsigned, signed by an untrusted key, and a real signature moved onto another root (the attacker's own log).
        var honest = _log.Head(10);
        var forged = _log.ForkAt(0).Grow(10).Head(10);
        var candidates = new[]
        {
            new LineageTreeHead(_log.LogId, 10, honest.Root, ReadOnlyMemory<byte>.Empty),
            _log.Head(10, stranger),
            new LineageTreeHead(_log.LogId, 10, forged.Root, honest.Signature),
            new LineageTreeHead("log-b", 10, honest.Root, honest.Signature),
            new LineageTreeHead(_log.LogId, 11, honest.Root, honest.Signature),
            new LineageTreeHead(_log.LogId, 10, honest.Root, new byte[] { 0xd2, 0x84, 0x40 }),
        };
        foreach (var candidate in candidates)
        {
            var ex = await Assert.ThrowsAsync<CheckpointWitnessRefusedException>(() => witness.AddCheckpointAsync(0, [], candidate, default).AsTask());
            Assert.Contains("refused", ex.Message, StringComparison.Ordinal);
        }

        Assert.Null(await witness.GetLatestAsync(_log.LogId, default));
        Assert.Null(await witness.GetLatestAsync("log-b", default));
    }

    [Fact]
    public async Task Concurrent_witnesses_of_one_log_accept_exactly_one_of_competing_extensions()
    {
        await using var db = await MigratedAsync();
        await Witness(db).AddCheckpointAsync(0, [], _log.Head(10), default);

        // Sixteen writers, each with a witness (a connection) of its own, each offering its own extension of size 10.
        var forks = Enumerable.Range(0, 16).Select(_ => _log.ForkAt(10).Grow(10)).ToArray();
        using var start = new ManualResetEventSlim();
        var offers = forks.Select(f => Task.Run(async () =>
        {
            var witness = Witness(db);
            start.Wait();
            try
            {
                await witness.AddCheckpointAsync(10, f.Proof(10, 20), f.Head(20), default);
                return f;
            }
            catch (CheckpointWitnessRefusedException)
            {
                return null;
            }
        })).ToArray();
        start.Set();
        var accepted = (await Task.WhenAll(offers)).Where(f => f is not null).ToArray();

        var winner = Assert.Single(accepted);
        var held = await Witness(db).GetLatestAsync(_log.LogId, default);
        Assert.Equal(winner!.Head(20).Root.ToArray(), held!.Root.ToArray());
    }

    [Fact]
    public async Task Logs_are_held_apart_by_their_id()
    {
        await using var db = await MigratedAsync();
        var witness = Witness(db);
        var other = new SignedHeads("log-b", TestKeys.Signing).Grow(5);
        await witness.AddCheckpointAsync(0, [], _log.Head(30), default);
        await witness.AddCheckpointAsync(0, [], other.Head(5), default);

        Assert.Equal(30, (await witness.GetLatestAsync(_log.LogId, default))!.TreeSize);
        Assert.Equal(5, (await witness.GetLatestAsync("log-b", default))!.TreeSize);
    }

    [Fact]
    public async Task A_witness_needs_trusted_keys_and_an_unreachable_database_fails_within_its_timeout()
    {
        await using var db = await MigratedAsync();
        Assert.Throws<ArgumentException>(() => new PostgreSqlCheckpointWitness(db, []));
        Assert.Throws<ArgumentException>(() => new PostgreSqlCheckpointWitness(db, [TestKeys.Trusted, TestKeys.Trusted]));

        // The witness row is locked by another session: the offer waits in the database, and gives up at its timeout.
        await Witness(db).AddCheckpointAsync(0, [], _log.Head(10), default);
        await using var blocker = await db.OpenConnectionAsync();
        await using var transaction = await blocker.BeginTransactionAsync();
        await using (var lockRow = new NpgsqlCommand("SELECT 1 FROM governed_execution.witnessed_checkpoints FOR UPDATE", blocker, transaction))
        {
            await lockRow.ExecuteNonQueryAsync();
        }

        var bounded = new PostgreSqlCheckpointWitness(db, [TestKeys.Trusted], timeout: TimeSpan.FromMilliseconds(300));
        await Assert.ThrowsAsync<TimeoutException>(() => bounded.AddCheckpointAsync(10, _log.Proof(10, 20), _log.Head(20), default).AsTask());
        await transaction.RollbackAsync();
        await bounded.AddCheckpointAsync(10, _log.Proof(10, 20), _log.Head(20), default);
    }

    private static PostgreSqlCheckpointWitness Witness(NpgsqlDataSource db) => new(db, [TestKeys.Trusted]);

    private async Task<NpgsqlDataSource> MigratedAsync()
    {
        var db = await server.CreateDatabaseAsync();
        await GovernedExecutionPostgreSql.MigrateAsync(db);
        return db;
    }
}
