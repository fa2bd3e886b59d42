using System.Diagnostics;
using GovernedExecution.Execution;
using GovernedExecution.Testing;

namespace GovernedExecution.Tests.Diagnostics;

[Collection(nameof(TelemetryTests))] // listeners are process-wide
public sealed class TelemetryTests
{
    [Fact]
    public async Task Each_phase_is_a_span_under_the_execution_and_the_lineage_carries_the_trace_id()
    {
        var seen = new List<Activity>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == "GovernedExecution",
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = activity => { lock (seen) { seen.Add(activity); } },
        };
        ActivitySource.AddActivityListener(listener);
        using var host = new GovernedTestHost();

        var outcome = await host.Executor.RunOutcomeAsync(GovernedTestHost.Intent("read"), (ctx, ct) => ValueTask.FromResult(1));

        Activity[] all;
        lock (seen)
        {
            // Other tests run in parallel and their activities reach this listener too: work on a snapshot.
            all = [.. seen];
        }

        var root = Assert.Single(all, a => a.DisplayName == "governed read" && (string?)a.GetTagItem("governed_execution.execution_id") == outcome.ExecutionId.ToString("D"));
        var phases = all.Where(a => a.ParentSpanId == root.SpanId).Select(a => a.DisplayName).ToHashSet();
        Assert.Superset(new HashSet<string> { "governed.policy", "governed.artifact.mint", "governed.artifact.verify", "governed.lineage", "governed.invoke" }, phases);
        var intentRecord = host.Lineage.Records.First(r => r.Event.ExecutionId == outcome.ExecutionId);
        Assert.Equal(root.TraceId.ToHexString(), intentRecord.Event["trace_id"]);
    }
}
