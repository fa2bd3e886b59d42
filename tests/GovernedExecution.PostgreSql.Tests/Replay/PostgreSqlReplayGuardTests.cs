using System.Diagnostics;
using System.Runtime.CompilerServices;
using GovernedExecution.Execution;
using GovernedExecution.PostgreSql.Replay;
using GovernedExecution.Tests.Execution;
using Microsoft.Extensions.Time.Testing;
using Npgsql;
using Xunit.Abstractions;

namespace GovernedExecution.PostgreSql.Tests.Replay;

[Collection(PostgresTests.Name)]
public sealed class PostgreSqlReplayGuardTests(PostgresServer server, ITestOutputHelper output)
{
    [Fact]
    public async Task A_token_id_is_consumed_once()
    {
        await using var db = await MigratedAsync();
        var guard = new PostgreSqlReplayGuard(db);
        var id = Guid.NewGuid();
        var expires = DateTimeOffset.UtcNow.AddMinutes(1);

        Assert.True(await guard.TryConsumeAsync(id, expires, default));
        Assert.False(await guard.TryConsumeAsync(id, expires, default));
        Assert.False(await new PostgreSqlReplayGuard(db).TryConsumeAsync(id, expires.AddHours(1), default)); // another worker, another expiry
        Assert.True(await guard.TryConsumeAsync(Guid.NewGuid(), expires, default));
    }

    [Fact]
    public async Task Sixty_four_concurrent_presentations_of_one_artifact_run_it_exactly_once()
    {
        await using var db = await MigratedAsync();
        using var fleet = new Fleet();
        var artifact = await fleet.MintAsync();

        // Eight workers (each with a guard of its own on the shared database), eight tasks each.
        var workers = Enumerable.Range(0, 8).Select(_ => fleet.Worker(db)).ToArray();
        var runs = new StrongBox<int>();
        using var start = new ManualResetEventSlim();
        var attempts = Enumerable.Range(0, 64).Select(i => Task.Run(async () => { start.Wait(); return await Fleet.RunAsync(workers[i % workers.Length], artifact, runs); })).ToArray();
        start.Set();
        var outcomes = await Task.WhenAll(attempts);

        Assert.Equal(1, runs.Value);
        Assert.Single(outcomes, o => o.IsSuccess);
        Assert.All(outcomes.Where(o => !o.IsSuccess), o => DenialDetails.AssertDenied(o.Denial, DenialReason.Replayed));
    }

    [Fact]
    public async Task A_check_blocked_in_the_database_times_out_and_denies_without_running()
    {
        await using var db = await MigratedAsync();
        using var fleet = new Fleet();
        var artifact = await fleet.MintAsync();

        // Another session holds the guard's table exclusively: the check waits in the database, as on a stuck server.
        await using var blocker = await db.OpenConnectionAsync();
        await using var transaction = await blocker.BeginTransactionAsync();
        await using (var lockTable = new NpgsqlCommand("LOCK TABLE governed_execution.replay_tokens IN ACCESS EXCLUSIVE MODE", blocker, transaction))
        {
            await lockTable.ExecuteNonQueryAsync();
        }

        var runs = new StrongBox<int>();
        var worker = fleet.Worker(db, o => o.Timeout = TimeSpan.FromMilliseconds(300));
        var outcome = await Fleet.RunAsync(worker, artifact, runs);
        DenialDetails.AssertDenied(outcome.Denial, DenialReason.GovernanceFault);
        Assert.Equal("the replay guard timed out", outcome.Denial.Detail);

        // With the executor's own bound shorter than the guard's, the executor's bound decides. (The executor abandons
        // that check without cancelling it: it may still consume its id once the database answers, so it gets an
        // artifact of its own, which then reads as used: fail closed.)
        var bounded = fleet.Worker(db, o => o.Timeout = TimeSpan.FromSeconds(30), dependencyTimeout: TimeSpan.FromMilliseconds(300));
        var second = await Fleet.RunAsync(bounded, await fleet.MintAsync(), runs);
        DenialDetails.AssertDenied(second.Denial, DenialReason.GovernanceFault);
        Assert.Equal("the replay guard timed out", second.Denial.Detail);
        Assert.Equal(0, runs.Value);

        // Once the database answers again, the artifact whose check was cancelled (never consumed) runs once.
        await transaction.RollbackAsync();
        Assert.True((await Fleet.RunAsync(worker, artifact, runs)).IsSuccess);
        Assert.Equal(1, runs.Value);
    }

    [Fact]
    public async Task An_unreachable_database_denies_and_the_operation_does_not_run()
    {
        // Nothing listens on this port (bound and closed again).
        var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        var port = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        await using var db = NpgsqlDataSource.Create($"Host=127.0.0.1;Port={port};Username=postgres;Password=secret;Timeout=2");
        using var fleet = new Fleet();
        var runs = new StrongBox<int>();

        var outcome = await Fleet.RunAsync(fleet.Worker(db), await fleet.MintAsync(), runs);

        DenialDetails.AssertDenied(outcome.Denial, DenialReason.GovernanceFault);
        Assert.Equal("the replay guard failed: NpgsqlException", outcome.Denial.Detail);
        Assert.Equal(0, runs.Value);
    }

    [Fact]
    public async Task A_worker_clock_far_in_the_future_cannot_free_an_unexpired_id()
    {
        await using var db = await MigratedAsync();
        using var honest = new Fleet();
        var artifact = await honest.MintAsync();
        var runs = new StrongBox<int>();
        var worker = honest.Worker(db);
        Assert.True((await Fleet.RunAsync(worker, artifact, runs)).IsSuccess);

        // A worker whose clock an attacker set a year ahead mints and runs its own artifacts, which triggers its
        // cleanups (after every check), and cleans up by hand as well.
        var future = new FakeTimeProvider(DateTimeOffset.UtcNow.AddYears(1));
        using var skewed = new Fleet(future);
        var skewedGuard = new PostgreSqlReplayGuard(db, Fleet.Options(o => o.CleanupEvery = 1));
        var skewedWorker = skewed.Worker(skewedGuard);
        for (var i = 0; i < 5; i++)
        {
            Assert.True((await Fleet.RunAsync(skewedWorker, await skewed.MintAsync(), new StrongBox<int>())).IsSuccess);
        }

        Assert.Equal(0, await skewedGuard.RemoveExpiredAsync());
        Assert.Equal(0, skewedGuard.CleanupFailures);

        // The honest artifact is still known: presented again, anywhere, it is a replay.
        var again = await Fleet.RunAsync(honest.Worker(db), artifact, runs);
        DenialDetails.AssertDenied(again.Denial, DenialReason.Replayed);
        Assert.Equal(1, runs.Value);
    }

    [Fact]
    public async Task Cleanup_removes_only_ids_whose_window_is_over_by_the_database_clock()
    {
        await using var db = await MigratedAsync();
        var (expired, live) = (Guid.NewGuid(), Guid.NewGuid());
        await using (var seed = db.CreateCommand("INSERT INTO governed_execution.replay_tokens (token_id, expires_at) VALUES ($1, now() - interval '1 second'), ($2, now() + interval '1 hour')"))
        {
            seed.Parameters.AddWithValue(expired);
            seed.Parameters.AddWithValue(live);
            await seed.ExecuteNonQueryAsync();
        }

        Assert.Equal(1, await new PostgreSqlReplayGuard(db).RemoveExpiredAsync());
        Assert.Equal(1L, await Migrations.MigrationTests.ScalarAsync<long>(db, "SELECT count(*) FROM governed_execution.replay_tokens"));
        Assert.False(await new PostgreSqlReplayGuard(db).TryConsumeAsync(live, DateTimeOffset.UtcNow.AddMinutes(1), default));
    }

    [Fact]
    public async Task A_worker_whose_clock_is_behind_the_database_by_more_than_the_retention_is_refused_not_trusted()
    {
        await using var db = await MigratedAsync();

        // The worker (and its orchestrator) live an hour in the past: the artifact is valid by their clocks, and its
        // window is long over by the database's, where its id may already have been forgotten.
        var past = new FakeTimeProvider(DateTimeOffset.UtcNow.AddHours(-1));
        using var fleet = new Fleet(past);
        var runs = new StrongBox<int>();
        var outcome = await Fleet.RunAsync(fleet.Worker(db), await fleet.MintAsync(), runs);

        DenialDetails.AssertDenied(outcome.Denial, DenialReason.GovernanceFault);
        Assert.Equal("the replay guard failed: InvalidOperationException", outcome.Denial.Detail);
        Assert.Equal(0, runs.Value);
        Assert.Equal(0L, await Migrations.MigrationTests.ScalarAsync<long>(db, "SELECT count(*) FROM governed_execution.replay_tokens"));
    }

    [Fact]
    public async Task The_guard_is_used_through_the_builder_and_the_container()
    {
        await using var db = await MigratedAsync();
        using var fleet = new Fleet();
        var services = new Microsoft.Extensions.DependencyInjection.ServiceCollection();
        services.AddPostgreSqlReplayGuard(db, o => o.Timeout = TimeSpan.FromSeconds(1));
        Assert.Throws<InvalidOperationException>(() => services.AddPostgreSqlReplayGuard(db));
        var registered = Assert.Single(services, d => d.ServiceType == typeof(GovernedExecution.Artifacts.IReplayGuard));
        Assert.IsType<PostgreSqlReplayGuard>(registered.ImplementationInstance);

        var builder = new GovernedExecution.DependencyInjection.GovernedExecutorBuilder()
            .Configure(o => { o.Audience = "worker"; o.VerifyOnly = true; })
            .UseTrustedKeys(fleet.SigningKey.ToTrustedKey())
            .UsePostgreSqlReplayGuard(db)
            .AddLineageSink(new GovernedExecution.Lineage.InMemoryLineageSink());
        var worker = builder.Build();
        var artifact = await fleet.MintAsync();
        var runs = new StrongBox<int>();
        Assert.True((await Fleet.RunAsync(worker, artifact, runs)).IsSuccess);
        DenialDetails.AssertDenied((await Fleet.RunAsync(fleet.Worker(db), artifact, runs)).Denial, DenialReason.Replayed);
        Assert.Equal(1, runs.Value);
    }

    [Fact]
    public async Task A_worker_role_with_only_the_documented_grants_checks_and_cleans_up_but_cannot_delete_an_id()
    {
        await using var db = await MigratedAsync();
        var role = "worker_" + Guid.NewGuid().ToString("N")[..12];
        await using (var grant = db.CreateCommand($"""
            CREATE ROLE {role} LOGIN;
            GRANT USAGE ON SCHEMA governed_execution TO {role};
            GRANT EXECUTE ON FUNCTION governed_execution.consume_replay_token(uuid, timestamptz),
                                      governed_execution.remove_expired_replay_tokens(integer) TO {role};
            """))
        {
            await grant.ExecuteNonQueryAsync();
        }

        await using var asWorker = NpgsqlDataSource.Create(new NpgsqlConnectionStringBuilder(db.ConnectionString) { Username = role }.ConnectionString);
        var guard = new PostgreSqlReplayGuard(asWorker);
        var id = Guid.NewGuid();
        Assert.True(await guard.TryConsumeAsync(id, DateTimeOffset.UtcNow.AddMinutes(1), default));
        Assert.False(await guard.TryConsumeAsync(id, DateTimeOffset.UtcNow.AddMinutes(1), default));
        Assert.Equal(0, await guard.RemoveExpiredAsync());

        await using var delete = asWorker.CreateCommand("DELETE FROM governed_execution.replay_tokens");
        var refused = await Assert.ThrowsAsync<PostgresException>(() => delete.ExecuteNonQueryAsync());
        Assert.Equal(PostgresErrorCodes.InsufficientPrivilege, refused.SqlState);
        NpgsqlConnection.ClearPool(new NpgsqlConnection(asWorker.ConnectionString));
    }

    [Fact]
    public async Task Measure_check_latency_against_the_local_server()
    {
        // Information for the documentation, not an assertion on time.
        await using var db = await MigratedAsync();
        var guard = new PostgreSqlReplayGuard(db);
        var expires = DateTimeOffset.UtcNow.AddMinutes(5);
        for (var i = 0; i < 50; i++)
        {
            await guard.TryConsumeAsync(Guid.NewGuid(), expires, default);
        }

        var samples = new double[1000];
        for (var i = 0; i < samples.Length; i++)
        {
            var started = Stopwatch.GetTimestamp();
            Assert.True(await guard.TryConsumeAsync(Guid.NewGuid(), expires, default));
            samples[i] = Stopwatch.GetElapsedTime(started).TotalMicroseconds;
        }

        Array.Sort(samples);
        output.WriteLine($"replay check over {samples.Length} calls: median {samples[samples.Length / 2]:F0} us, p99 {samples[(int)(samples.Length * 0.99)]:F0} us");
    }

    private async Task<NpgsqlDataSource> MigratedAsync()
    {
        var db = await server.CreateDatabaseAsync();
        await GovernedExecutionPostgreSql.MigrateAsync(db);
        return db;
    }
}
