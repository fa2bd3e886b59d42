using FsCheck;
using FsCheck.Fluent;

namespace GovernedExecution.Tests.Lineage;

public sealed class FileLineageSinkPropertyTests
{
    /// <summary>
    /// Any number of sessions, each appending any number of batches, with any checkpoint interval and rotation size:
    /// the log verifies, and holds every event once, in order.
    /// </summary>
    [FsCheck.Xunit.Property(MaxTest = 25)]
    public Property Sessions_batches_checkpoints_and_rotation_always_give_one_valid_log(NonEmptyArray<NonEmptyArray<PositiveInt>> sessions, PositiveInt interval, PositiveInt rotateKb)
    {
        using var log = new LineageTestLog();
        var written = 0;
        foreach (var session in sessions.Get.Take(4))
        {
            using var sink = log.Open(o =>
            {
                o.CheckpointEveryRecords = 1 + (interval.Get % 20);
                o.RotateAtBytes = 1024L * (1 + (rotateKb.Get % 8));
            });
            foreach (var batch in session.Get.Take(6))
            {
                var events = Enumerable.Range(written, 1 + (batch.Get % 5)).Select(i => LineageTestLog.Event(i)).ToArray();
                sink.AppendAsync(events, CancellationToken.None).AsTask().GetAwaiter().GetResult();
                written += events.Length;
            }
        }

        var result = log.Verify();
        var order = log.Files().SelectMany(f => log.Lines(f))
            .Where(l => l.Contains("\"kind\":\"intent_submitted\"", StringComparison.Ordinal))
            .Select(l => int.Parse(System.Text.Json.JsonDocument.Parse(l).RootElement.GetProperty("data").GetProperty("i").GetString()!, System.Globalization.CultureInfo.InvariantCulture))
            .ToArray();
        return (result.IsValid && order.SequenceEqual(Enumerable.Range(0, written))).Label(result.ToString());
    }
}
