using GovernedExecution.Artifacts.Keys;
using GovernedExecution.Lineage;
using GovernedExecution.PostgreSql.Lineage;
using Npgsql;

namespace GovernedExecution.PostgreSql.Tests.Lineage;

/// <summary>A fresh database with the lineage tables, a checkpoint key and its trusted public key.</summary>
internal sealed class LineageTestDatabase : IAsyncDisposable
{
    private LineageTestDatabase(NpgsqlDataSource dataSource, string connectionString)
    {
        DataSource = dataSource;
        ConnectionString = connectionString;
    }

    public NpgsqlDataSource DataSource { get; }

    public string ConnectionString { get; }

    public SigningKey Key { get; } = SigningKey.Generate();

    public TrustedKey Trusted => _trusted ??= Key.ToTrustedKey();

    public PostgreSqlLineageStore Store => new(DataSource);

    private TrustedKey? _trusted;

    public static async Task<LineageTestDatabase> CreateAsync(PostgresServer server)
    {
        var dataSource = await server.CreateDatabaseAsync();
        await GovernedExecutionPostgreSql.MigrateAsync(dataSource);
        return new LineageTestDatabase(dataSource, dataSource.ConnectionString);
    }

    public PostgreSqlLineageSinkOptions Options(Action<PostgreSqlLineageSinkOptions>? configure = null)
    {
        var options = new PostgreSqlLineageSinkOptions { CheckpointKey = Key, CheckpointEveryRecords = 16 };
        configure?.Invoke(options);
        return options;
    }

    public Task<PostgreSqlLineageSink> OpenAsync(Action<PostgreSqlLineageSinkOptions>? configure = null) =>
        PostgreSqlLineageSink.OpenAsync(DataSource, Options(configure));

    public async Task<LineageDatabaseVerification> VerifyAsync() => await Store.VerifyAsync([Trusted]);

    public async Task ExecuteAsync(string sql)
    {
        await using var command = DataSource.CreateCommand(sql);
        await command.ExecuteNonQueryAsync();
    }

    public async Task<long> CountAsync(string where = "true")
    {
        await using var command = DataSource.CreateCommand("SELECT count(*) FROM governed_execution.lineage_records WHERE " + where);
        return (long)(await command.ExecuteScalarAsync())!;
    }

    public async Task<List<(long Sequence, byte[] Record)>> ChainAsync(Guid writer)
    {
        await using var command = DataSource.CreateCommand("SELECT sequence, record FROM governed_execution.lineage_records WHERE writer_id = $1 ORDER BY sequence");
        command.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = writer });
        var rows = new List<(long, byte[])>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            rows.Add((reader.GetInt64(0), (byte[])reader.GetValue(1)));
        }

        return rows;
    }

    public static LineageEvent Event(LineageEventKind kind, Guid execution, Guid? parent = null, params (string Name, string Value)[] data) =>
        new(kind, execution, parent, DateTimeOffset.UtcNow, data.Select(d => new KeyValuePair<string, string>(d.Name, d.Value)));

    public async ValueTask DisposeAsync()
    {
        _trusted?.Dispose();
        Key.Dispose();
        await DataSource.DisposeAsync();
    }
}
