// Appends to the PostgreSQL lineage tables as fast as it can from several callers, printing "writer ID" once and then
// "sequence execution-id" for every acknowledged (committed) append, until it is killed. The crash tests start several
// at once, kill them with SIGKILL, and check that every printed record is in the database and every chain verifies.
// Usage: pg-crash-writer CONNECTION-STRING KEY.pem CALLERS
//    or: pg-crash-writer child CONNECTION-STRING TRUSTED.pub.pem CHILD.cose PARENT.cose PARENT-EXECUTION-ID
// The second form is a verify-only worker in a process of its own: it runs a delegated child artifact (presented with
// its parent) for the intent Agent::"planner" search Flight::"f-1" under the parent execution, with a PostgreSQL
// lineage sink of its own, and prints the child's execution id.
using GovernedExecution.Artifacts;
using GovernedExecution.Artifacts.Keys;
using GovernedExecution.DependencyInjection;
using GovernedExecution.Intents;
using GovernedExecution.Lineage;
using GovernedExecution.PostgreSql.Lineage;
using Npgsql;

if (args[0] == "child")
{
    return await RunChildAsync(args);
}

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
return 0;

static async Task<int> RunChildAsync(string[] args)
{
    await using var dataSource = NpgsqlDataSource.Create(args[1]);
    using var trusted = TrustedKey.FromPem(File.ReadAllText(args[2]));
    await using var sink = await PostgreSqlLineageSink.OpenAsync(dataSource, new PostgreSqlLineageSinkOptions { WriterName = "worker process" });
    var worker = new GovernedExecutorBuilder()
        .Configure(o => { o.Audience = "tests"; o.VerifyOnly = true; })
        .UseTrustedKeys(trusted)
        .AddLineageSink(sink)
        .Build();
    var artifact = AuthorizationArtifact.FromBytes(File.ReadAllBytes(args[3])).WithParent(AuthorizationArtifact.FromBytes(File.ReadAllBytes(args[4])));
    var intent = new ExecutionIntent(new EntityReference("Agent", "planner"), new EntityReference("Action", "search"), new EntityReference("Flight", "f-1")) { ParentExecutionId = Guid.Parse(args[5]) };
    var outcome = await worker.RunOutcomeAsync(intent, artifact, 0, (s, context, ct) => ValueTask.FromResult(s));
    if (!outcome.IsSuccess)
    {
        Console.Error.WriteLine("denied: " + outcome.Denial);
        return 1;
    }

    Console.WriteLine(outcome.ExecutionId.ToString("D"));
    return 0;
}
