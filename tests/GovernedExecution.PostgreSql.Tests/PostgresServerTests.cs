namespace GovernedExecution.PostgreSql.Tests;

[Collection(PostgresTests.Name)]
public sealed class PostgresServerTests(PostgresServer server)
{
    [Fact]
    public async Task Each_test_database_is_a_real_empty_database_of_its_own()
    {
        await using var first = await server.CreateDatabaseAsync();
        await using var second = await server.CreateDatabaseAsync();

        await using (var command = first.CreateCommand("CREATE TABLE marker (id int)"))
        {
            await command.ExecuteNonQueryAsync();
        }

        await using var probe = second.CreateCommand("SELECT count(*) FROM pg_tables WHERE tablename = 'marker'");
        Assert.Equal(0L, (long)(await probe.ExecuteScalarAsync())!);
        await using var version = first.CreateCommand("SHOW server_version_num");
        Assert.True(int.Parse((string)(await version.ExecuteScalarAsync())!, System.Globalization.CultureInfo.InvariantCulture) >= 130000);
    }
}
