using GovernedExecution.Execution;
using GovernedExecution.PostgreSql.Replay;
using GovernedExecution.PostgreSql.Witness;
using GovernedExecution.Tests.Execution;
using Npgsql;

namespace GovernedExecution.PostgreSql.Tests.Migrations;

[Collection(PostgresTests.Name)]
public sealed class MigrationTests(PostgresServer server)
{
    [Fact]
    public async Task Migrate_creates_the_schema_and_running_it_again_changes_nothing()
    {
        await using var db = await server.CreateDatabaseAsync();
        await GovernedExecutionPostgreSql.MigrateAsync(db);
        var first = await VersionsAsync(db, "governed_execution");
        await GovernedExecutionPostgreSql.MigrateAsync(db);

        Assert.Equal([1, 2, 100, 101, 102], first.Select(v => v.Version));
        Assert.Equal(first, await VersionsAsync(db, "governed_execution"));
        Assert.Equal(2L, await ScalarAsync<long>(db, "SELECT count(*) FROM pg_tables WHERE schemaname = 'governed_execution' AND tablename IN ('replay_tokens', 'witnessed_checkpoints')"));
    }

    [Fact]
    public async Task Migrations_started_at_once_from_separate_connections_all_succeed_and_apply_each_step_once()
    {
        await using var db = await server.CreateDatabaseAsync();

        // Each migration has a pool (a process) of its own; without the advisory lock, CREATE SCHEMA IF NOT EXISTS and the
        // steps race and some fail with a unique violation in the catalogue.
        var connectionString = db.ConnectionString;
        var sources = Enumerable.Range(0, 8).Select(_ => NpgsqlDataSource.Create(connectionString)).ToArray();
        try
        {
            using var start = new ManualResetEventSlim();
            var migrations = sources.Select(s => Task.Run(async () => { start.Wait(); await GovernedExecutionPostgreSql.MigrateAsync(s); })).ToArray();
            start.Set();
            await Task.WhenAll(migrations);
        }
        finally
        {
            foreach (var source in sources)
            {
                await source.DisposeAsync();
            }
        }

        Assert.Equal([1, 2, 100, 101, 102], (await VersionsAsync(db, "governed_execution")).Select(v => v.Version));
    }

    [Fact]
    public async Task The_printed_script_is_what_is_applied_and_can_be_run_by_hand()
    {
        await using var db = await server.CreateDatabaseAsync();
        await using (var command = db.CreateCommand(GovernedExecutionPostgreSql.GetMigrationScript("by_hand")))
        {
            await command.ExecuteNonQueryAsync();
        }

        await GovernedExecutionPostgreSql.MigrateAsync(db, "by_hand");
        Assert.Equal([1, 2, 100, 101, 102], (await VersionsAsync(db, "by_hand")).Select(v => v.Version));
        Assert.Equal(0L, await ScalarAsync<long>(db, "SELECT count(*) FROM pg_namespace WHERE nspname = 'governed_execution'"));
    }

    [Theory]
    [InlineData("x\"; DROP SCHEMA public CASCADE; --")]
    [InlineData("x; DROP SCHEMA public CASCADE")]
    [InlineData("governed_execution\".replay_tokens; --")]
    [InlineData("Governed")]
    [InlineData("pg_catalog")]
    [InlineData("pg_temp")]
    [InlineData("")]
    [InlineData(" governed")]
    [InlineData("1abc")]
    [InlineData("schéma")]
    [InlineData("abcdefghijabcdefghijabcdefghijabcdefghijabcdefghijabcdefghij1234")]
    public async Task A_schema_name_that_is_not_a_plain_identifier_is_refused_before_any_sql_runs(string schema)
    {
        await using var db = await server.CreateDatabaseAsync();
        await using (var marker = db.CreateCommand("CREATE TABLE public.marker (id int)"))
        {
            await marker.ExecuteNonQueryAsync();
        }

        await Assert.ThrowsAsync<ArgumentException>(() => GovernedExecutionPostgreSql.MigrateAsync(db, schema));
        Assert.Throws<ArgumentException>(() => GovernedExecutionPostgreSql.GetMigrationScript(schema));
        Assert.Throws<ArgumentException>(() => new PostgreSqlReplayGuard(db, new PostgreSqlReplayGuardOptions { Schema = schema }));
        Assert.Throws<ArgumentException>(() => new PostgreSqlCheckpointWitness(db, [TestKeys.Trusted], schema));

        // Nothing ran: the public schema and its table are intact, and no other schema was created.
        Assert.Equal(1L, await ScalarAsync<long>(db, "SELECT count(*) FROM pg_tables WHERE schemaname = 'public' AND tablename = 'marker'"));
        Assert.Equal(0L, await ScalarAsync<long>(db, "SELECT count(*) FROM pg_namespace WHERE nspname NOT LIKE 'pg\\_%' AND nspname NOT IN ('public', 'information_schema')"));
    }

    [Fact]
    public async Task A_longest_acceptable_schema_name_works()
    {
        await using var db = await server.CreateDatabaseAsync();
        var schema = "_" + new string('a', 62);
        await GovernedExecutionPostgreSql.MigrateAsync(db, schema);
        Assert.Equal([1, 2, 100, 101, 102], (await VersionsAsync(db, schema)).Select(v => v.Version));
    }

    [Fact]
    public async Task Components_do_not_create_the_schema_and_a_guard_before_migration_denies_with_a_reason()
    {
        await using var db = await server.CreateDatabaseAsync();
        var guard = new PostgreSqlReplayGuard(db);
        var error = await Assert.ThrowsAsync<PostgreSqlSchemaNotMigratedException>(() => guard.TryConsumeAsync(Guid.NewGuid(), DateTimeOffset.UtcNow.AddMinutes(1), default).AsTask());
        Assert.Contains("govexec postgres migrate", error.Message, StringComparison.Ordinal);

        using var fleet = new Fleet();
        var runs = new System.Runtime.CompilerServices.StrongBox<int>();
        var outcome = await Fleet.RunAsync(fleet.Worker(guard), await fleet.MintAsync(), runs);

        DenialDetails.AssertDenied(outcome.Denial, DenialReason.GovernanceFault);
        Assert.Equal("the replay guard failed: PostgreSqlSchemaNotMigratedException", outcome.Denial.Detail);
        Assert.Equal(0, runs.Value);
        Assert.Equal(0L, await ScalarAsync<long>(db, "SELECT count(*) FROM pg_namespace WHERE nspname = 'governed_execution'"));

        var witness = new PostgreSqlCheckpointWitness(db, [TestKeys.Trusted]);
        await Assert.ThrowsAsync<PostgreSqlSchemaNotMigratedException>(() => witness.GetLatestAsync("log", default).AsTask());
    }

    internal static async Task<List<(int Version, string Description)>> VersionsAsync(NpgsqlDataSource db, string schema)
    {
        await using var command = db.CreateCommand($"SELECT version, description FROM \"{schema}\".schema_version ORDER BY version");
        await using var reader = await command.ExecuteReaderAsync();
        var versions = new List<(int, string)>();
        while (await reader.ReadAsync())
        {
            versions.Add((reader.GetInt32(0), reader.GetString(1)));
        }

        return versions;
    }

    internal static async Task<T> ScalarAsync<T>(NpgsqlDataSource db, string sql)
    {
        await using var command = db.CreateCommand(sql);
        return (T)(await command.ExecuteScalarAsync())!;
    }
}
