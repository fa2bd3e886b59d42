// Appends to the PostgreSQL lineage tables as fast as it can from several callers, printing "writer ID" once and then
// "sequence execution-id" for every acknowledged (committed) append, until it is killed. The crash tests start several
// at once, kill them with SIGKILL, and check that every printed record is in the database and every chain verifies.
// Usage: pg-crash-writer CONNECTION-STRING KEY.pem CALLERS
using GovernedExecution.Artifacts.Keys;
using GovernedExecution.Lineage;
using GovernedExecution.PostgreSql.Lineage;
using Npgsql;

using var key = SigningKey.FromPem(File.ReadAllText(args[1]));
var callers = int.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture);
await using var dataSource = NpgsqlDataSource.Create(args[0]);
await using var sink = await PostgreSqlLineageSink.OpenAsync(dataSource, new PostgreSqlLineageSinkOptions { CheckpointKey = key, CheckpointEveryRecords = 64 });
var output = new StreamWriter(Console.OpenStandardOutput()) { AutoFlush = false };
var gate = new Lock();
lock (gate)
{
    output.WriteLine($"writer {sink.WriterId:D}");
    output.Flush();
}

var tasks = Enumerable.Range(0, callers).Select(c => Task.Run(async () =>
{
    while (true)
    {
        var execution = Guid.NewGuid();
        var e = new LineageEvent(LineageEventKind.IntentSubmitted, execution, null, DateTimeOffset.UtcNow, [new("caller", c.ToString(System.Globalization.CultureInfo.InvariantCulture))]);
        var sequence = await sink.AppendCoreAsync([e], CancellationToken.None);
        lock (gate)
        {
            // Written and flushed only after the append was acknowledged (committed).
            output.WriteLine($"{sequence} {execution:D}");
            output.Flush();
        }
    }
})).ToArray();

await Task.WhenAll(tasks);
