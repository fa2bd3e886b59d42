using System.Diagnostics.Metrics;
using GovernedExecution.Execution;
using GovernedExecution.Testing;

namespace GovernedExecution.Tests.Lineage;

public sealed class LineageTelemetryTests : IDisposable
{
    private readonly LineageTestLog _log = new();

    public void Dispose() => _log.Dispose();

    [Fact]
    public async Task Records_fsyncs_checkpoints_and_lineage_denials_are_counted()
    {
        var counts = new Dictionary<string, long>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == "GovernedExecution" && instrument.Name.StartsWith("governed_execution.lineage.", StringComparison.Ordinal))
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((instrument, value, tags, state) =>
        {
            lock (counts)
            {
                counts[instrument.Name] = counts.GetValueOrDefault(instrument.Name) + value;
            }
        });
        listener.Start();

        var faults = new FaultySegments(healthyWrites: 2, failSync: true);
        await using (var host = new LineageExecutorHost(_log, o => o.OpenSegment = faults.Open))
        {
            await host.Executor.RunOutcomeAsync(GovernedTestHost.Intent(), (c, t) => ValueTask.FromResult(0));
            var denied = await host.Executor.RunOutcomeAsync(GovernedTestHost.Intent(), (c, t) => ValueTask.FromResult(0));
            Assert.True(denied.IsDenied);
        }

        listener.Dispose();
        lock (counts)
        {
            // Other tests may add to the same counters at the same time: at least ours are there.
            Assert.True(counts.GetValueOrDefault("governed_execution.lineage.records_written") >= 6);
            Assert.True(counts.GetValueOrDefault("governed_execution.lineage.fsyncs") >= 2);
            Assert.True(counts.GetValueOrDefault("governed_execution.lineage.denials") >= 1);
        }
    }
}
