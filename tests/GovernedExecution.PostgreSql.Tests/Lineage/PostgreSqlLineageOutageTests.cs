using GovernedExecution.Execution;
using GovernedExecution.Lineage;
using GovernedExecution.PostgreSql.Lineage;
using GovernedExecution.Testing;
using GovernedExecution.Tests.Execution;
using Npgsql;

namespace GovernedExecution.PostgreSql.Tests.Lineage;

/// <summary>
/// The fail-closed contract of a required PostgreSQL sink: while the database cannot be written, calls are denied
/// (LineageUnavailable) and the delegate does not run; once it can, calls run again without a restart; a chain changed
/// while the writer was cut off stops the writer.
/// </summary>
[Collection(PostgresTests.Name)]
public sealed class PostgreSqlLineageOutageTests(PostgresServer server)
{
    [Fact]
    public async Task Server_stopped_mid_run_denies_every_call_and_calls_run_again_once_it_is_back()
    {
        await using var cluster = await ThrowawayCluster.StartAsync();
        await using var dataSource = NpgsqlDataSource.Create(cluster.ConnectionString);
        await GovernedExecutionPostgreSql.MigrateAsync(dataSource);
        using var key = GovernedExecution.Artifacts.Keys.SigningKey.Generate();
        var sink = await PostgreSqlLineageSink.OpenAsync(dataSource, new PostgreSqlLineageSinkOptions { CheckpointKey = key, CommandTimeout = TimeSpan.FromSeconds(5) });
        using var host = new GovernedTestHost(time: TimeProvider.System, lineage: sink);
        var ran = 0;
        ValueTask<int> Operation(int s, GovernedContext c, CancellationToken ct)
        {
            Interlocked.Increment(ref ran);
            return ValueTask.FromResult(s);
        }

        Assert.True((await host.Executor.RunOutcomeAsync(GovernedTestHost.Intent(), 0, Operation)).IsSuccess);
        Assert.Equal(1, ran);

        await cluster.StopAsync();
        for (var i = 0; i < 3; i++)
        {
            var denied = await host.Executor.RunOutcomeAsync(GovernedTestHost.Intent(), 0, Operation);
            DenialDetails.AssertDenied(denied.Denial, DenialReason.LineageUnavailable);
        }

        Assert.Equal(1, ran);
        Assert.NotNull(((ILineageSinkHealth)sink).Problem);

        await cluster.RestartAsync();
        GovernedOutcome<int> back = default;
        for (var attempt = 0; attempt < 50 && !back.IsSuccess; attempt++)
        {
            back = await host.Executor.RunOutcomeAsync(GovernedTestHost.Intent(), 0, Operation);
            if (!back.IsSuccess)
            {
                DenialDetails.AssertDenied(back.Denial, DenialReason.LineageUnavailable);
                await Task.Delay(100);
            }
        }

        Assert.True(back.IsSuccess, back.Denial?.ToString());
        Assert.Null(((ILineageSinkHealth)sink).Problem);
        await sink.DisposeAsync();

        // Every call that ran has its pre-execution records; the chain verifies.
        var store = new PostgreSqlLineageStore(dataSource);
        var completed = (await store.QueryAsync(new() { Outcome = "completed" })).Rows;
        Assert.Equal(ran, completed.Count);
        foreach (var execution in completed.Select(r => r.ExecutionId))
        {
            var kinds = (await store.QueryAsync(new() { ExecutionId = execution })).Rows.Select(r => r.Kind).ToList();
            Assert.True(kinds.IndexOf("execution_started") >= 0 && kinds.IndexOf("execution_started") < kinds.IndexOf("execution_completed"), string.Join(",", kinds));
        }

        using var trusted = key.ToTrustedKey();
        var verification = await store.VerifyAsync([trusted]);
        Assert.True(verification.IsValid, verification.ToJson());
    }

    [Fact]
    public async Task A_terminated_connection_denies_the_call_in_flight_and_the_next_call_runs_on_the_same_chain()
    {
        await using var db = await LineageTestDatabase.CreateAsync(server);
        var sink = await db.OpenAsync();
        using var host = new GovernedTestHost(time: TimeProvider.System, lineage: sink);
        var ran = 0;
        ValueTask<int> Operation(int s, GovernedContext c, CancellationToken ct)
        {
            Interlocked.Increment(ref ran);
            return ValueTask.FromResult(s);
        }

        Assert.True((await host.Executor.RunOutcomeAsync(GovernedTestHost.Intent(), 0, Operation)).IsSuccess);
        await db.ExecuteAsync("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()");

        var denied = await host.Executor.RunOutcomeAsync(GovernedTestHost.Intent(), 0, Operation);
        DenialDetails.AssertDenied(denied.Denial, DenialReason.LineageUnavailable);
        Assert.Equal(1, ran);
        Assert.True((await host.Executor.RunOutcomeAsync(GovernedTestHost.Intent(), 0, Operation)).IsSuccess);
        Assert.Equal(2, ran);
        await sink.DisposeAsync();

        var verification = await db.VerifyAsync();
        Assert.True(verification.IsValid, verification.ToJson());
        Assert.Single(verification.Chains);
    }

    [Fact]
    public async Task A_chain_changed_while_the_writer_was_cut_off_stops_the_writer_and_every_call_is_denied()
    {
        await using var db = await LineageTestDatabase.CreateAsync(server);
        await using var sink = await db.OpenAsync();
        using var host = new GovernedTestHost(time: TimeProvider.System, lineage: sink);
        var ran = 0;
        ValueTask<int> Operation(int s, GovernedContext c, CancellationToken ct)
        {
            Interlocked.Increment(ref ran);
            return ValueTask.FromResult(s);
        }

        Assert.True((await host.Executor.RunOutcomeAsync(GovernedTestHost.Intent(), 0, Operation)).IsSuccess);
        await db.ExecuteAsync("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()");
        await db.ExecuteAsync($"DELETE FROM governed_execution.lineage_records WHERE writer_id = '{sink.WriterId:D}' AND sequence = (SELECT max(sequence) FROM governed_execution.lineage_records WHERE writer_id = '{sink.WriterId:D}')");

        for (var i = 0; i < 3; i++)
        {
            DenialDetails.AssertDenied((await host.Executor.RunOutcomeAsync(GovernedTestHost.Intent(), 0, Operation)).Denial, DenialReason.LineageUnavailable);
        }

        Assert.Equal(1, ran);
        Assert.Contains("refuses appends until it is reopened", ((ILineageSinkHealth)sink).Problem, StringComparison.Ordinal);
        await Assert.ThrowsAsync<IOException>(async () => await sink.AppendAsync([LineageTestDatabase.Event(LineageEventKind.IntentSubmitted, Guid.NewGuid())], CancellationToken.None));
    }

    [Fact]
    public async Task A_sink_created_while_the_database_is_down_denies_until_it_is_up_then_registers_its_chain()
    {
        await using var cluster = await ThrowawayCluster.StartAsync();
        await using var dataSource = NpgsqlDataSource.Create(cluster.ConnectionString);
        await GovernedExecutionPostgreSql.MigrateAsync(dataSource);
        await cluster.StopAsync();
        await using var sink = PostgreSqlLineageSink.Create(dataSource, new PostgreSqlLineageSinkOptions());
        using var host = new GovernedTestHost(time: TimeProvider.System, lineage: sink);
        var ran = false;
        var denied = await host.Executor.RunOutcomeAsync(GovernedTestHost.Intent(), 0, (s, c, ct) => { ran = true; return ValueTask.FromResult(s); });
        DenialDetails.AssertDenied(denied.Denial, DenialReason.LineageUnavailable);
        Assert.False(ran);

        await cluster.RestartAsync();
        GovernedOutcome<int> back = default;
        for (var attempt = 0; attempt < 50 && !back.IsSuccess; attempt++)
        {
            back = await host.Executor.RunOutcomeAsync(GovernedTestHost.Intent(), 0, (s, c, ct) => { ran = true; return ValueTask.FromResult(s); });
            if (!back.IsSuccess)
            {
                await Task.Delay(100);
            }
        }

        Assert.True(back.IsSuccess, back.Denial?.ToString());
    }
}
