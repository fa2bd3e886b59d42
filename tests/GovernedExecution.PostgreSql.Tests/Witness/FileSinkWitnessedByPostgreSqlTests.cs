using GovernedExecution.Lineage;
using GovernedExecution.PostgreSql.Witness;

namespace GovernedExecution.PostgreSql.Tests.Witness;

/// <summary>A real file sink (real files, fsync) on this host, its checkpoints witnessed by the database.</summary>
[Collection(PostgresTests.Name)]
public sealed class FileSinkWitnessedByPostgreSqlTests(PostgresServer server) : IDisposable
{
    private readonly DirectoryInfo _directory = Directory.CreateTempSubdirectory("govexec-pg-witnessed-");

    private string LogPath => Path.Combine(_directory.FullName, "lineage.jsonl");

    public void Dispose() => _directory.Delete(recursive: true);

    [Fact]
    public async Task A_file_log_rolled_back_to_an_older_copy_is_refused_by_the_witness_on_open_and_by_verification()
    {
        await using var db = await server.CreateDatabaseAsync();
        await GovernedExecutionPostgreSql.MigrateAsync(db);
        var witness = new PostgreSqlCheckpointWitness(db, [TestKeys.Trusted]);

        await WriteAsync(witness, 12);
        var older = Snapshot();
        await WriteAsync(witness, 12);
        var logId = LineageVerifier.VerifyFiles([LogPath], [TestKeys.Trusted]);
        Assert.True(logId.IsValid, logId.ToString());
        var held = await witness.GetLatestAsync(ReadLogId(), default);
        Assert.NotNull(held);
        Assert.True(held.TreeSize > 12);

        // Someone who can write the log's disk puts the older copy back: on its own, it is a valid log.
        Restore(older);
        Assert.True(LineageVerifier.VerifyFiles([LogPath], [TestKeys.Trusted]).IsValid);

        // The sink refuses to open it, and verification against the witness reports it.
        var refused = Assert.Throws<InvalidDataException>(() => Open(witness));
        Assert.Contains("witness", refused.Message, StringComparison.Ordinal);
        var verified = await LineageVerifier.VerifyFilesAsync([LogPath], [TestKeys.Trusted], witness);
        Assert.False(verified.IsValid);
        Assert.Contains("witness", verified.Error, StringComparison.Ordinal);

        // Continued by a writer without the witness, the old copy forks the log: the witness refuses its checkpoints.
        await WriteAsync(null, 30);
        Assert.True(LineageVerifier.VerifyFiles([LogPath], [TestKeys.Trusted]).IsValid);
        Assert.Throws<InvalidDataException>(() => Open(witness));
        Assert.False((await LineageVerifier.VerifyFilesAsync([LogPath], [TestKeys.Trusted], witness)).IsValid);
        Assert.Equal(held.TreeSize, (await witness.GetLatestAsync(ReadLogId(), default))!.TreeSize);
    }

    [Fact]
    public async Task A_file_sink_opened_against_an_unmigrated_database_refuses_to_start()
    {
        await using var db = await server.CreateDatabaseAsync();
        var witness = new PostgreSqlCheckpointWitness(db, [TestKeys.Trusted]);
        await WriteAsync(null, 3);

        Assert.Throws<PostgreSqlSchemaNotMigratedException>(() => Open(witness));
    }

    private async Task WriteAsync(PostgreSqlCheckpointWitness? witness, int count)
    {
        await using var sink = Open(witness);
        for (var i = 0; i < count; i++)
        {
            await sink.AppendAsync([new LineageEvent(LineageEventKind.IntentSubmitted, Guid.NewGuid(), null, DateTimeOffset.UtcNow, [new("n", i.ToString(System.Globalization.CultureInfo.InvariantCulture))])], CancellationToken.None);
        }
    }

    private FileLineageSink Open(PostgreSqlCheckpointWitness? witness) =>
        FileLineageSink.Open(new FileLineageSinkOptions { Path = LogPath, CheckpointKey = TestKeys.Signing, CheckpointEveryRecords = 4, Witness = witness });

    private string ReadLogId() => System.Text.Json.JsonDocument.Parse(File.ReadLines(LogPath).First()).RootElement.GetProperty("log").GetString()!;

    private Dictionary<string, byte[]> Snapshot() =>
        Directory.GetFiles(_directory.FullName, "lineage.jsonl*").Where(f => !f.EndsWith(".lock", StringComparison.Ordinal)).ToDictionary(f => f, File.ReadAllBytes);

    private void Restore(Dictionary<string, byte[]> copy)
    {
        foreach (var file in Directory.GetFiles(_directory.FullName, "lineage.jsonl*").Where(f => !f.EndsWith(".lock", StringComparison.Ordinal)))
        {
            File.Delete(file);
        }

        foreach (var (path, bytes) in copy)
        {
            File.WriteAllBytes(path, bytes);
        }
    }
}
