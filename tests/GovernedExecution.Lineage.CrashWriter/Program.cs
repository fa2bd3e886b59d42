// Appends to a lineage file as fast as it can from several writers, printing "sequence execution-id" for every
// acknowledged append, until it is killed. The crash test starts it, kills it with SIGKILL, and checks the file.
// Usage: crash-writer FILE KEY.pem WRITERS [chunked]
// "chunked" writes each group in small pieces, so that a kill often lands inside a line (a torn write).
using GovernedExecution.Artifacts.Keys;
using GovernedExecution.Lineage;
using GovernedExecution.Lineage.CrashWriter;

var path = args[0];
using var key = SigningKey.FromPem(File.ReadAllText(args[1]));
var writers = int.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture);
var options = new FileLineageSinkOptions { Path = path, CheckpointKey = key, CheckpointEveryRecords = 64 };
if (args.Length > 3 && args[3] == "chunked")
{
    options.OpenSegment = file => new ChunkedSegment(LineageSegmentFile.Open(file));
}

await using var sink = FileLineageSink.Open(options);
var output = new StreamWriter(Console.OpenStandardOutput()) { AutoFlush = false };
var gate = new Lock();
Console.Error.WriteLine("open");

var tasks = Enumerable.Range(0, writers).Select(w => Task.Run(async () =>
{
    while (true)
    {
        var execution = Guid.NewGuid();
        var e = new LineageEvent(LineageEventKind.IntentSubmitted, execution, null, DateTimeOffset.UtcNow, [new("writer", w.ToString(System.Globalization.CultureInfo.InvariantCulture))]);
        var sequence = await sink.AppendCoreAsync([e], CancellationToken.None);
        lock (gate)
        {
            // Written and flushed only after the append was acknowledged (durable).
            output.WriteLine($"{sequence} {execution:D}");
            output.Flush();
        }
    }
})).ToArray();

await Task.WhenAll(tasks);
