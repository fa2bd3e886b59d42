using System.Runtime.CompilerServices;
using GovernedExecution.Execution;
using GovernedExecution.Tests.Execution;
using Npgsql;

namespace GovernedExecution.PostgreSql.Tests.Replay;

/// <summary>
/// A server of its own (a throwaway cluster started with .ci/postgres), stopped and started again under a running
/// worker: the shared server of the other tests is never stopped.
/// </summary>
public sealed class ReplayGuardOutageTests : IAsyncLifetime
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "govexec-pg-outage-" + Guid.NewGuid().ToString("N")[..12]);
    private string _connectionString = "";

    public async Task InitializeAsync()
    {
        var (code, stdout, stderr) = await ScriptAsync("start");
        Assert.True(code == 0, "a cluster of its own could not be started: " + stderr);
        _connectionString = stdout.Trim().Split('\n')[^1].Trim();
    }

    public async Task DisposeAsync()
    {
        NpgsqlConnection.ClearAllPools();
        await ScriptAsync("stop");
    }

    [Fact]
    public async Task The_server_stopped_mid_run_denies_every_execution_and_service_resumes_when_it_returns_without_a_restart()
    {
        await using var db = NpgsqlDataSource.Create(_connectionString + ";Timeout=3");
        await GovernedExecutionPostgreSql.MigrateAsync(db);
        using var fleet = new Fleet();
        var worker = fleet.Worker(db, o => o.Timeout = TimeSpan.FromSeconds(3));
        var runs = new StrongBox<int>();
        Assert.True((await Fleet.RunAsync(worker, await fleet.MintAsync(), runs)).IsSuccess);

        // The pool holds an open connection to the server; the server goes away under it.
        var pending = await fleet.MintAsync();
        var (halted, _, haltError) = await ScriptAsync("halt");
        Assert.True(halted == 0, haltError);
        for (var i = 0; i < 5; i++)
        {
            var outcome = await Fleet.RunAsync(worker, i == 0 ? pending : await fleet.MintAsync(), runs);
            DenialDetails.AssertDenied(outcome.Denial, DenialReason.GovernanceFault);
            Assert.StartsWith("the replay guard", outcome.Denial.Detail, StringComparison.Ordinal);
        }

        Assert.Equal(1, runs.Value);

        // The same worker (same executor, same data source) serves again once the server is back.
        var (resumed, _, resumeError) = await ScriptAsync("resume");
        Assert.True(resumed == 0, resumeError);
        var served = await Fleet.RunAsync(worker, pending, runs);
        if (!served.IsSuccess)
        {
            // The first call may still meet a connection the outage broke; the pool drops it and the next call is served.
            served = await Fleet.RunAsync(worker, await fleet.MintAsync(), runs);
        }

        Assert.True(served.IsSuccess, served.Denial?.ToString());
        Assert.Equal(2, runs.Value);
    }

    private Task<(int Code, string Stdout, string Stderr)> ScriptAsync(string verb) => PostgresServer.RunScriptAsync(verb, _directory);
}
