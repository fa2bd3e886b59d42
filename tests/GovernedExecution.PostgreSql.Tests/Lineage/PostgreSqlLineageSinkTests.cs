using GovernedExecution.Lineage;
using GovernedExecution.PostgreSql.Lineage;

namespace GovernedExecution.PostgreSql.Tests.Lineage;

/// <summary>
/// The PostgreSQL lineage sink on a real server: the file format's record bytes and signed checkpoints, one chain per
/// writer, group commit, and verification that finds a changed or removed row at its writer and sequence.
/// </summary>
[Collection(PostgresTests.Name)]
public sealed class PostgreSqlLineageSinkTests(PostgresServer server)
{
    [Fact]
    public async Task Records_are_the_file_formats_bytes_and_every_chain_verifies_with_the_signing_key()
    {
        await using var db = await LineageTestDatabase.CreateAsync(server);
        var events = new List<LineageEvent>();
        Guid writer;
        await using (var sink = await db.OpenAsync())
        {
            writer = sink.WriterId;
            for (var i = 0; i < 40; i++)
            {
                var execution = Guid.NewGuid();
                LineageEvent[] batch =
                [
                    LineageTestDatabase.Event(LineageEventKind.IntentSubmitted, execution, null, ("principal", "Agent::\"bot\""), ("action", "Action::\"read\"")),
                    LineageTestDatabase.Event(LineageEventKind.ExecutionCompleted, execution, null, ("duration_us", "5")),
                ];
                await sink.AppendAsync(batch, CancellationToken.None);
                events.AddRange(batch);
            }
        }

        var chain = await db.ChainAsync(writer);
        Assert.True(LineageVerifier.VerifyLines(chain.Select(r => (ReadOnlyMemory<byte>)r.Record)).IsValid);

        // The bytes are exactly the file format's: the same event at the same place gives the same record.
        var previous = LineageChain.GenesisHash;
        var seen = 0;
        foreach (var (sequence, record) in chain)
        {
            var parsed = LineageRecordLine.TryParse(record, out var error)!;
            Assert.Null(error is "" ? null : error);
            if (parsed.Kind != LineageEventKind.Checkpoint)
            {
                var expected = LineageChain.Create(sequence, writer.ToString("D"), events[seen++], previous);
                Assert.Equal(expected.Line.ToArray(), record);
            }

            previous = parsed.Hash;
        }

        Assert.Equal(events.Count, seen);
        var verification = await db.VerifyAsync();
        Assert.True(verification.IsValid, verification.ToJson());
        var only = Assert.Single(verification.Chains);
        Assert.True(only.Closed);
        Assert.True(only.Checkpoints >= 80 / 16);
        Assert.Equal(0, only.UnsignedTail);
    }

    [Fact]
    public async Task Checkpoints_signed_with_another_key_fail_verification_against_the_trusted_key()
    {
        await using var db = await LineageTestDatabase.CreateAsync(server);
        using var other = GovernedExecution.Artifacts.Keys.SigningKey.Generate();
        await using (var sink = await db.OpenAsync(o => o.CheckpointKey = other))
        {
            await sink.AppendAsync([LineageTestDatabase.Event(LineageEventKind.IntentSubmitted, Guid.NewGuid())], CancellationToken.None);
        }

        var verification = await db.VerifyAsync();
        Assert.False(verification.IsValid);
        Assert.Contains("untrusted key", Assert.Single(verification.Chains).Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Appends_queued_while_a_commit_runs_are_written_together_in_one_statement()
    {
        await using var db = await LineageTestDatabase.CreateAsync(server);
        await using var sink = await db.OpenAsync(o => o.CheckpointEveryRecords = 1000);

        // A lone caller is written at once: one statement per append.
        await sink.AppendAsync([LineageTestDatabase.Event(LineageEventKind.IntentSubmitted, Guid.NewGuid())], CancellationToken.None);
        await sink.AppendAsync([LineageTestDatabase.Event(LineageEventKind.IntentSubmitted, Guid.NewGuid())], CancellationToken.None);
        Assert.Equal(2, sink.Commits);

        // Hold the table so that the next commit waits; queue 63 appends behind it; release.
        await using var holder = await db.DataSource.OpenConnectionAsync();
        await using var transaction = await holder.BeginTransactionAsync();
        await using (var lockTable = new Npgsql.NpgsqlCommand("LOCK TABLE governed_execution.lineage_records IN SHARE MODE", holder, transaction))
        {
            await lockTable.ExecuteNonQueryAsync();
        }

        var first = sink.AppendAsync([LineageTestDatabase.Event(LineageEventKind.IntentSubmitted, Guid.NewGuid())], CancellationToken.None).AsTask();
        while (sink.Queued > 0 || await db.CountAsync() < 0)
        {
            await Task.Delay(10);
        }

        var rest = Enumerable.Range(0, 63).Select(_ => sink.AppendAsync([LineageTestDatabase.Event(LineageEventKind.IntentSubmitted, Guid.NewGuid())], CancellationToken.None).AsTask()).ToArray();
        Assert.Equal(63, sink.Queued);
        await transaction.RollbackAsync();
        await first;
        await Task.WhenAll(rest);
        Assert.Equal(4, sink.Commits);
        Assert.Equal(66, await db.CountAsync());
    }

    [Fact]
    public async Task Sixty_four_concurrent_callers_get_distinct_acknowledged_places_and_the_chain_verifies()
    {
        await using var db = await LineageTestDatabase.CreateAsync(server);
        var acknowledged = new System.Collections.Concurrent.ConcurrentBag<(long Sequence, Guid Execution)>();
        Guid writer;
        await using (var sink = await db.OpenAsync(o => o.CheckpointEveryRecords = 100))
        {
            writer = sink.WriterId;
            await Task.WhenAll(Enumerable.Range(0, 64).Select(_ => Task.Run(async () =>
            {
                for (var i = 0; i < 25; i++)
                {
                    var execution = Guid.NewGuid();
                    var sequence = await sink.AppendCoreAsync([LineageTestDatabase.Event(LineageEventKind.IntentSubmitted, execution)], CancellationToken.None);
                    acknowledged.Add((sequence, execution));
                }
            })));
            Assert.True(sink.Commits < 64 * 25, $"{sink.Commits} statements for {64 * 25} appends: no append shared a commit");
        }

        Assert.Equal(64 * 25, acknowledged.Select(a => a.Sequence).Distinct().Count());
        var chain = (await db.ChainAsync(writer)).ToDictionary(r => r.Sequence, r => LineageRecordLine.TryParse(r.Record, out _)!);
        foreach (var (sequence, execution) in acknowledged)
        {
            Assert.Equal(execution, chain[sequence].ExecutionId);
        }

        var verification = await db.VerifyAsync();
        Assert.True(verification.IsValid, verification.ToJson());
    }

    [Theory]
    [InlineData("UPDATE governed_execution.lineage_records SET record = convert_to(replace(convert_from(record, 'UTF8'), 'bot', 'bob'), 'UTF8') WHERE sequence = 4", 4, "hash mismatch")]
    [InlineData("DELETE FROM governed_execution.lineage_records WHERE sequence = 5", 5, "records are missing")]
    [InlineData("UPDATE governed_execution.lineage_records SET principal = 'Agent::\"someone-else\"' WHERE sequence = 7", 7, "principal column")]
    [InlineData("UPDATE governed_execution.lineage_records SET execution_id = gen_random_uuid() WHERE sequence = 6", 6, "execution_id column")]
    [InlineData("UPDATE governed_execution.lineage_records SET outcome = 'completed' WHERE sequence = 8", 8, "outcome column")]
    [InlineData("DELETE FROM governed_execution.lineage_records WHERE sequence = (SELECT max(sequence) FROM governed_execution.lineage_records)", 19, "closing checkpoint")]
    public async Task A_changed_or_removed_row_is_reported_at_its_writer_and_sequence(string tamper, long at, string reason)
    {
        await using var db = await LineageTestDatabase.CreateAsync(server);
        Guid writer;
        await using (var sink = await db.OpenAsync(o => o.CheckpointEveryRecords = 1000))
        {
            writer = sink.WriterId;
            for (var i = 0; i < 6; i++)
            {
                var execution = Guid.NewGuid();
                await sink.AppendAsync(
                [
                    LineageTestDatabase.Event(LineageEventKind.IntentSubmitted, execution, null, ("principal", "Agent::\"bot\""), ("action", "Action::\"read\"")),
                    LineageTestDatabase.Event(LineageEventKind.ExecutionStarted, execution),
                    LineageTestDatabase.Event(LineageEventKind.ExecutionDenied, execution, null, ("reason", "PolicyDenied")),
                ], CancellationToken.None);
            }
        }

        await using (var other = await db.OpenAsync())
        {
            await other.AppendAsync([LineageTestDatabase.Event(LineageEventKind.IntentSubmitted, Guid.NewGuid())], CancellationToken.None);
        }

        Assert.True((await db.VerifyAsync()).IsValid);
        await db.ExecuteAsync(tamper.Replace("WHERE ", $"WHERE writer_id = '{writer:D}' AND ", StringComparison.Ordinal).Replace("FROM governed_execution.lineage_records)", $"FROM governed_execution.lineage_records WHERE writer_id = '{writer:D}')", StringComparison.Ordinal));

        var verification = await db.VerifyAsync();
        Assert.False(verification.IsValid);
        var broken = Assert.Single(verification.Chains, c => !c.IsValid);
        Assert.Equal(writer, broken.WriterId);
        Assert.Equal(at, broken.FailedAt);
        Assert.Contains(reason, broken.Error, StringComparison.Ordinal);
        Assert.Single(verification.Chains, c => c.IsValid);
    }

    [Fact]
    public async Task An_empty_database_is_not_a_valid_lineage()
    {
        await using var db = await LineageTestDatabase.CreateAsync(server);
        var verification = await db.VerifyAsync();
        Assert.False(verification.IsValid);
        Assert.Contains("no lineage writers", verification.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Records_are_queried_by_execution_parent_principal_action_outcome_and_time_in_pages()
    {
        await using var db = await LineageTestDatabase.CreateAsync(server);
        var parent = Guid.NewGuid();
        var child = Guid.NewGuid();
        var start = DateTimeOffset.UtcNow.AddMinutes(-1);
        await using (var sink = await db.OpenAsync())
        {
            await sink.AppendAsync(
            [
                LineageTestDatabase.Event(LineageEventKind.IntentSubmitted, parent, null, ("principal", "Agent::\"planner\""), ("action", "Action::\"plan\"")),
                LineageTestDatabase.Event(LineageEventKind.ExecutionCompleted, parent),
            ], CancellationToken.None);
            await sink.AppendAsync(
            [
                LineageTestDatabase.Event(LineageEventKind.IntentSubmitted, child, parent, ("principal", "Agent::\"booker\""), ("action", "Action::\"book\"")),
                LineageTestDatabase.Event(LineageEventKind.ExecutionDenied, child, parent, ("reason", "ScopeViolation")),
            ], CancellationToken.None);
        }

        var store = db.Store;
        Assert.Equal(2, (await store.QueryAsync(new() { ExecutionId = child })).Rows.Count);
        Assert.All((await store.QueryAsync(new() { ParentExecutionId = parent })).Rows, r => Assert.Equal(child, r.ExecutionId));
        Assert.All((await store.QueryAsync(new() { Principal = "Agent::\"planner\"" })).Rows, r => Assert.Equal(parent, r.ExecutionId));
        Assert.Equal(2, (await store.QueryAsync(new() { Action = "Action::\"book\"" })).Rows.Count);
        Assert.Equal(child, Assert.Single((await store.QueryAsync(new() { Outcome = "denied" })).Rows).ExecutionId);
        Assert.Empty((await store.QueryAsync(new() { Until = start })).Rows);

        // Paged: every record once, in order, then no next page.
        var seen = new List<LineageRow>();
        LineageRecordCursor? after = null;
        do
        {
            var page = await store.QueryAsync(new() { From = start, PageSize = 2, After = after });
            seen.AddRange(page.Rows);
            after = page.Next;
        }
        while (after is not null);
        Assert.Equal(await db.CountAsync(), seen.Count);
        Assert.Equal(seen.Count, seen.Select(r => (r.WriterId, r.Sequence)).Distinct().Count());
    }

    [Fact]
    public async Task An_idle_sink_touches_nothing_on_its_checkpoint_timer_and_registers_only_when_it_writes()
    {
        await using var db = await LineageTestDatabase.CreateAsync(server);
        var time = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(DateTimeOffset.UtcNow);
        var sink = PostgreSqlLineageSink.Create(db.DataSource, db.Options(o => o.TimeProvider = time));
        time.Advance(TimeSpan.FromMinutes(1));
        await sink.DisposeAsync();

        await using var writers = db.DataSource.CreateCommand("SELECT count(*) FROM governed_execution.lineage_writers");
        Assert.Equal(0L, (long)(await writers.ExecuteScalarAsync())!);
    }
}
