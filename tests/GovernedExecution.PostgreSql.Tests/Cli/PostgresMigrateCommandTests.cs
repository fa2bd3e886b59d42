using GovernedExecution.Cli;
using Npgsql;

namespace GovernedExecution.PostgreSql.Tests.Cli;

[Collection(PostgresTests.Name)]
public sealed class PostgresMigrateCommandTests(PostgresServer server)
{
    [Fact]
    public async Task Print_writes_the_script_and_changes_nothing()
    {
        var (code, output, error) = await RunAsync("postgres", "migrate", "--print", "--schema", "fleet");
        Assert.True(code == 0, error);
        Assert.Equal(GovernedExecutionPostgreSql.GetMigrationScript("fleet"), output);
    }

    [Fact]
    public async Task Migrate_applies_the_schema_and_is_idempotent()
    {
        await using var db = await server.CreateDatabaseAsync();
        for (var i = 0; i < 2; i++)
        {
            var (code, output, error) = await RunAsync("postgres", "migrate", "--connection", db.ConnectionString, "--schema", "fleet");
            Assert.True(code == 0, error);
            Assert.StartsWith("migrated schema fleet on ", output, StringComparison.Ordinal);
        }

        Assert.Equal([1, 2, 100, 101, 102], (await Migrations.MigrationTests.VersionsAsync(db, "fleet")).Select(v => v.Version));
    }

    [Theory]
    [InlineData("postgres", "migrate")]
    [InlineData("postgres", "migrate", "--print", "--schema", "x\"; DROP SCHEMA public; --")]
    [InlineData("postgres", "migrate", "--print", "--schema", "Upper")]
    public async Task Usage_errors_exit_2(params string[] args)
    {
        var (code, _, error) = await RunAsync(args);
        Assert.True(code == 2, error);
    }

    [Fact]
    public async Task An_unreachable_server_exits_1_without_echoing_the_password()
    {
        var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        var port = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        var (code, output, error) = await RunAsync("postgres", "migrate", "--connection", $"Host=127.0.0.1;Port={port};Username=auditor;Password=S3cr3t-pa55;Timeout=2");

        Assert.True(code == 1, error);
        Assert.StartsWith("govexec: cannot migrate 127.0.0.1:" + port, error, StringComparison.Ordinal);
        Assert.DoesNotContain("S3cr3t-pa55", output + error, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_malformed_connection_string_exits_1_without_echoing_it()
    {
        var (code, output, error) = await RunAsync("postgres", "migrate", "--connection", "Host=127.0.0.1;Password=S3cr3t-pa55;NoSuchKeyword=1");
        Assert.True(code == 1, error);
        Assert.DoesNotContain("S3cr3t-pa55", output + error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_refused_login_exits_1_without_echoing_the_password()
    {
        var builder = new NpgsqlConnectionStringBuilder(server.ConnectionString) { Database = "no_such_database_" + Guid.NewGuid().ToString("N")[..8], Password = "S3cr3t-pa55" };
        var (code, output, error) = await RunAsync("postgres", "migrate", "--connection", builder.ConnectionString);
        Assert.True(code == 1, error);
        Assert.Contains("3D000", error, StringComparison.Ordinal); // invalid_catalog_name
        Assert.DoesNotContain("S3cr3t-pa55", output + error, StringComparison.Ordinal);
    }

    private static async Task<(int Code, string Output, string Error)> RunAsync(params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var code = await GovexecApp.RunAsync(args, output, error, CancellationToken.None);
        return (code, output.ToString(), error.ToString());
    }
}
