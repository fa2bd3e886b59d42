namespace GovernedExecution.PostgreSql.Tests.Lineage;

/// <summary>A PostgreSQL cluster of a test's own (.ci/postgres), which the test may stop and start again.</summary>
internal sealed class ThrowawayCluster : IAsyncDisposable
{
    private readonly string _directory;

    private ThrowawayCluster(string directory, string connectionString)
    {
        _directory = directory;
        ConnectionString = connectionString;
    }

    public string ConnectionString { get; }

    public static async Task<ThrowawayCluster> StartAsync()
    {
        var directory = Path.Combine(Path.GetTempPath(), "govexec-pgo-" + Guid.NewGuid().ToString("N")[..12]);
        var (code, stdout, stderr) = await PostgresServer.RunScriptAsync("start", directory);
        Assert.True(code == 0, "cannot start a cluster: " + stderr);
        return new ThrowawayCluster(directory, stdout.Trim().Split('\n')[^1].Trim());
    }

    /// <summary>Stops the server at once (as a crash or an outage would).</summary>
    public async Task StopAsync()
    {
        var (code, _, stderr) = await PostgresServer.RunScriptAsync("halt", _directory);
        Assert.True(code == 0, "cannot stop the cluster: " + stderr);
    }

    public async Task RestartAsync()
    {
        var (code, _, stderr) = await PostgresServer.RunScriptAsync("resume", _directory);
        Assert.True(code == 0, "cannot start the cluster again: " + stderr);
    }

    public async ValueTask DisposeAsync() => await PostgresServer.RunScriptAsync("stop", _directory);
}
