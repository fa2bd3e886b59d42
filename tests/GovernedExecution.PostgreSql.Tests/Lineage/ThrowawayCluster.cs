using System.Diagnostics;
using GovernedExecution.Testing;

namespace GovernedExecution.PostgreSql.Tests.Lineage;

/// <summary>A PostgreSQL cluster of a test's own (.ci/postgres), which the test may stop and start again.</summary>
internal sealed class ThrowawayCluster : IAsyncDisposable
{
    private const string PgCtl = """
        pg_ctl="$(command -v pg_ctl || ls -d /usr/lib/postgresql/*/bin/pg_ctl | sort -V | tail -n 1)"
        run() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
        """;

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
        var (code, stdout, stderr) = await BashAsync("bash \"$1\" start \"$2\"", Path.Combine(TestPaths.RepositoryRoot, ".ci", "postgres"), directory);
        Assert.True(code == 0, "cannot start a cluster: " + stderr);
        return new ThrowawayCluster(directory, stdout.Trim().Split('\n')[^1].Trim());
    }

    /// <summary>Stops the server at once (as a crash or an outage would).</summary>
    public async Task StopAsync()
    {
        var (code, _, stderr) = await BashAsync(PgCtl + "\nrun \"$pg_ctl\" -D \"$1/data\" -m immediate -w stop", _directory);
        Assert.True(code == 0, "cannot stop the cluster: " + stderr);
    }

    public async Task RestartAsync()
    {
        var (code, _, stderr) = await BashAsync(PgCtl + "\nrun \"$pg_ctl\" -D \"$1/data\" -l \"$1/server.log\" -w -t 60 start", _directory);
        Assert.True(code == 0, "cannot start the cluster again: " + stderr);
    }

    public async ValueTask DisposeAsync() => await BashAsync("bash \"$1\" stop \"$2\"", Path.Combine(TestPaths.RepositoryRoot, ".ci", "postgres"), _directory);

    private static async Task<(int Code, string Stdout, string Stderr)> BashAsync(string script, params string[] args)
    {
        var start = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add(script);
        start.ArgumentList.Add("bash");
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return (process.ExitCode, await stdout, await stderr);
    }
}
