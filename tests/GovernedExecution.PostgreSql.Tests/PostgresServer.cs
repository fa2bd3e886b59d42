using System.Diagnostics;
using GovernedExecution.Testing;
using Npgsql;

namespace GovernedExecution.PostgreSql.Tests;

/// <summary>
/// A real PostgreSQL server for the tests: the one named by GOVEXEC_TEST_POSTGRES (a connection string, as .ci/run
/// sets it), or else a throwaway cluster this fixture starts with .ci/postgres and removes when the tests end. There is
/// no fallback: without a server the tests fail, naming the command that installs one.
/// </summary>
public sealed class PostgresServer : IAsyncLifetime
{
    private string? _clusterDirectory;
    private int _databases;

    /// <summary>Connection string of the server's maintenance database.</summary>
    public string ConnectionString { get; private set; } = "";

    public async Task InitializeAsync()
    {
        var given = Environment.GetEnvironmentVariable("GOVEXEC_TEST_POSTGRES");
        if (!string.IsNullOrWhiteSpace(given))
        {
            ConnectionString = given;
        }
        else
        {
            _clusterDirectory = Path.Combine(Path.GetTempPath(), "govexec-pg-" + Guid.NewGuid().ToString("N")[..12]);
            var (code, stdout, stderr) = await RunScriptAsync("start", _clusterDirectory);
            if (code != 0)
            {
                throw new InvalidOperationException(
                    "No PostgreSQL server for the tests: `.ci/postgres start` failed (" + stderr.Trim() + "). " +
                    "Install the server with `.ci/postgres install` (the distribution's postgresql package), or set " +
                    "GOVEXEC_TEST_POSTGRES to a connection string.");
            }

            ConnectionString = stdout.Trim().Split('\n')[^1].Trim();
        }

        await using var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync();
    }

    /// <summary>Creates an empty database of its own for one test and returns a data source on it.</summary>
    public async Task<NpgsqlDataSource> CreateDatabaseAsync(Action<NpgsqlDataSourceBuilder>? configure = null)
    {
        var name = "t" + Interlocked.Increment(ref _databases) + "_" + Guid.NewGuid().ToString("N")[..16];
        await using (var admin = new NpgsqlConnection(ConnectionString))
        {
            await admin.OpenAsync();
            await using var create = new NpgsqlCommand("CREATE DATABASE \"" + name + "\"", admin);
            await create.ExecuteNonQueryAsync();
        }

        var builder = new NpgsqlDataSourceBuilder(new NpgsqlConnectionStringBuilder(ConnectionString) { Database = name }.ConnectionString);
        configure?.Invoke(builder);
        return builder.Build();
    }

    public async Task DisposeAsync()
    {
        NpgsqlConnection.ClearAllPools();
        if (_clusterDirectory is not null)
        {
            await RunScriptAsync("stop", _clusterDirectory);
        }
    }

    /// <summary>Runs <c>.ci/postgres VERB DIRECTORY</c> (start, stop, halt, resume).</summary>
    internal static async Task<(int Code, string Stdout, string Stderr)> RunScriptAsync(string verb, string directory)
    {
        var start = new ProcessStartInfo("bash")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(Path.Combine(TestPaths.RepositoryRoot, ".ci", "postgres"));
        start.ArgumentList.Add(verb);
        start.ArgumentList.Add(directory);
        using var process = Process.Start(start) ?? throw new InvalidOperationException("bash did not start");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return (process.ExitCode, await stdout, await stderr);
    }
}

/// <summary>The tests that share one <see cref="PostgresServer"/>.</summary>
[CollectionDefinition(Name)]
public sealed class PostgresTests : ICollectionFixture<PostgresServer>
{
    public const string Name = "PostgreSQL";
}
