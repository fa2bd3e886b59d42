using System.Diagnostics;
using GovernedExecution.Testing;
using Npgsql;

namespace GovernedExecution.Benchmarks;

/// <summary>
/// A migrated database of its own on the server GOVEXEC_TEST_POSTGRES names, or on a throwaway cluster started with
/// .ci/postgres in <c>directory</c> (a local server on this machine), removed again by <see cref="Dispose"/>.
/// </summary>
internal sealed class BenchmarkPostgres : IDisposable
{
    private readonly string? _cluster;

    private BenchmarkPostgres(string? cluster, NpgsqlDataSource dataSource)
    {
        _cluster = cluster;
        DataSource = dataSource;
    }

    public NpgsqlDataSource DataSource { get; }

    public static BenchmarkPostgres Start(string directory)
    {
        string? cluster = null;
        var connectionString = Environment.GetEnvironmentVariable("GOVEXEC_TEST_POSTGRES");
        if (string.IsNullOrWhiteSpace(connectionString))
        {
            cluster = Path.Combine(directory, "cluster");
            connectionString = Script("start", cluster).Trim().Split('\n')[^1].Trim();
        }

        var database = "bench_" + Guid.NewGuid().ToString("N")[..12];
        using (var admin = NpgsqlDataSource.Create(connectionString))
        using (var create = admin.CreateCommand("CREATE DATABASE " + database))
        {
            create.ExecuteNonQuery();
        }

        var dataSource = NpgsqlDataSource.Create(new NpgsqlConnectionStringBuilder(connectionString) { Database = database }.ConnectionString);
        GovernedExecution.PostgreSql.GovernedExecutionPostgreSql.MigrateAsync(dataSource).GetAwaiter().GetResult();
        return new BenchmarkPostgres(cluster, dataSource);
    }

    public void Dispose()
    {
        DataSource.Dispose();
        if (_cluster is not null)
        {
            NpgsqlConnection.ClearAllPools();
            Script("stop", _cluster);
        }
    }

    private static string Script(string verb, string directory)
    {
        var start = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(Path.Combine(TestPaths.RepositoryRoot, ".ci", "postgres"));
        start.ArgumentList.Add(verb);
        start.ArgumentList.Add(directory);
        using var process = Process.Start(start) ?? throw new InvalidOperationException("bash did not start");
        var stdout = process.StandardOutput.ReadToEnd();
        var stderr = process.StandardError.ReadToEnd();
        process.WaitForExit();
        return process.ExitCode == 0 ? stdout : throw new InvalidOperationException(".ci/postgres " + verb + " failed: " + stderr);
    }
}
