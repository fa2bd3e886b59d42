using System.Diagnostics;
using System.Diagnostics.Metrics;
using GovernedExecution.Approvals;
using GovernedExecution.DependencyInjection;
using GovernedExecution.Execution;
using GovernedExecution.Lineage;
using GovernedExecution.Policies.Cedar;
using GovernedExecution.Testing;

namespace GovernedExecution.Tests.Execution;

/// <summary>The spans, span status and counters an execution emits, per outcome.</summary>
/// <remarks>
/// Activity and meter listeners are process-wide and other tests run at the same time. Each test therefore runs its
/// call under a trace of its own and keeps only the spans and measurements of that trace: the counters are recorded
/// on the caller's flow, where the current activity belongs to that trace.
/// </remarks>
public sealed class ExecutorTelemetryTests
{
    private const string Policies = """
        @requires_approval("finance")
        permit (principal, action == Action::"refund", resource);

        permit (principal, action == Action::"read", resource);

        forbid (principal, action == Action::"delete", resource);
        """;

    private static GovernedTestHost Host(Action<GovernedExecutorBuilder>? customize = null) => new(
        b =>
        {
            b.UseApprovalProvider(new DelegateApprovalProvider((request, ct) =>
                ValueTask.FromResult(ApprovalDecision.Approve(request, "alice@finance", request.RequestedAt.AddMinutes(5)))));
            customize?.Invoke(b);
        },
        new CedarPolicyEvaluator(CedarPolicySet.Parse(Policies, "telemetry.cedar")));

    [Fact]
    public async Task A_run_is_a_span_named_after_its_action_with_its_execution_id_and_a_child_span_per_phase()
    {
        using var host = Host();
        using var telemetry = new TraceCapture();

        var outcome = await host.Executor.RunOutcomeAsync(GovernedTestHost.Intent("refund"), (ctx, ct) => ValueTask.FromResult(1));

        Assert.True(outcome.IsSuccess);
        var spans = telemetry.Spans();
        var root = Assert.Single(spans, s => s.ParentSpanId == telemetry.MarkerSpanId);
        Assert.Equal("governed refund", root.DisplayName);
        Assert.Equal(outcome.ExecutionId.ToString("D"), root.GetTagItem("governed_execution.execution_id"));
        Assert.Equal(ActivityStatusCode.Unset, root.Status);
        var phases = spans.Where(s => s.ParentSpanId == root.SpanId).Select(s => s.DisplayName).ToHashSet();
        Assert.Equal(
            new HashSet<string> { "governed.policy", "governed.approval", "governed.artifact.mint", "governed.artifact.verify", "governed.lineage", "governed.invoke" },
            phases);
    }

    [Fact]
    public async Task A_denied_run_marks_its_span_as_an_error_with_the_reason()
    {
        using var host = Host();
        using var telemetry = new TraceCapture();

        var outcome = await host.Executor.RunOutcomeAsync(GovernedTestHost.Intent("delete"), (ctx, ct) => ValueTask.FromResult(1));

        Assert.Equal(DenialReason.PolicyDenied, outcome.Denial!.Reason);
        var root = Assert.Single(telemetry.Spans(), s => s.ParentSpanId == telemetry.MarkerSpanId);
        Assert.Equal("governed delete", root.DisplayName);
        Assert.Equal(outcome.ExecutionId.ToString("D"), root.GetTagItem("governed_execution.execution_id"));
        Assert.Equal(ActivityStatusCode.Error, root.Status);
        Assert.Equal("PolicyDenied", root.StatusDescription);
    }

    [Fact]
    public async Task A_successful_run_is_counted_as_succeeded()
    {
        using var host = Host();
        using var telemetry = new TraceCapture();

        var outcome = await host.Executor.RunOutcomeAsync(GovernedTestHost.Intent("read"), (ctx, ct) => ValueTask.FromResult(1));

        Assert.True(outcome.IsSuccess);
        Assert.Equal(["outcome=succeeded"], telemetry.Tags("governed_execution.executions"));
        Assert.Empty(telemetry.Tags("governed_execution.denials"));
    }

    [Fact]
    public async Task A_run_whose_operation_throws_is_counted_as_faulted()
    {
        using var host = Host();
        using var telemetry = new TraceCapture();

        var outcome = await host.Executor.RunOutcomeAsync<int>(GovernedTestHost.Intent("read"), (ctx, ct) => throw new InvalidOperationException("operation failed"));

        Assert.Equal(GovernedOutcomeKind.Faulted, outcome.Kind);
        Assert.Equal(["outcome=faulted"], telemetry.Tags("governed_execution.executions"));
        Assert.Empty(telemetry.Tags("governed_execution.denials"));
    }

    [Fact]
    public async Task A_denial_is_counted_with_its_reason_and_as_a_denied_execution()
    {
        using var host = Host();
        using var telemetry = new TraceCapture();

        var outcome = await host.Executor.RunOutcomeAsync(GovernedTestHost.Intent("delete"), (ctx, ct) => ValueTask.FromResult(1));

        Assert.True(outcome.IsDenied);
        Assert.Equal(["reason=PolicyDenied"], telemetry.Tags("governed_execution.denials"));
        Assert.Equal(["outcome=denied"], telemetry.Tags("governed_execution.executions"));
    }

    [Fact]
    public async Task A_failing_best_effort_sink_is_counted_by_mode_and_denies_nothing()
    {
        using var host = Host(b => b.AddLineageSink(new FaultyLineageSink(FaultKind.Throws), LineageSinkMode.BestEffort));
        using var telemetry = new TraceCapture();

        var outcome = await host.Executor.RunOutcomeAsync(GovernedTestHost.Intent("read"), (ctx, ct) => ValueTask.FromResult(1));

        Assert.True(outcome.IsSuccess);
        // One failure per append: the records before the operation and the outcome record.
        Assert.Equal(["mode=BestEffort", "mode=BestEffort"], telemetry.Tags("governed_execution.lineage.failures"));
        Assert.Empty(telemetry.Tags("governed_execution.lineage.denials"));
    }

    [Fact]
    public async Task A_failing_required_sink_is_counted_as_a_lineage_denial()
    {
        using var host = Host(b => b.AddLineageSink(new FaultyLineageSink(FaultKind.Throws), LineageSinkMode.Required));
        using var telemetry = new TraceCapture();

        var outcome = await host.Executor.RunOutcomeAsync(GovernedTestHost.Intent("read"), (ctx, ct) => ValueTask.FromResult(1));

        Assert.Equal(DenialReason.LineageUnavailable, outcome.Denial!.Reason);
        // The records before the operation must be accepted; the denial record is best effort and fails too.
        Assert.Equal(["mode=Required", "mode=Required"], telemetry.Tags("governed_execution.lineage.failures"));
        Assert.Single(telemetry.Tags("governed_execution.lineage.denials"));
        Assert.Equal(["reason=LineageUnavailable"], telemetry.Tags("governed_execution.denials"));
        Assert.Equal(["outcome=denied"], telemetry.Tags("governed_execution.executions"));
    }

    [Fact]
    public async Task Every_event_handed_to_each_sink_is_counted()
    {
        using var host = Host(b => b.AddLineageSink(new InMemoryLineageSink(), LineageSinkMode.BestEffort));
        using var telemetry = new TraceCapture();

        var outcome = await host.Executor.RunOutcomeAsync(GovernedTestHost.Intent("read"), (ctx, ct) => ValueTask.FromResult(1));

        Assert.True(outcome.IsSuccess);
        // Six events (intent, decision, artifact, verification, start, completion), each handed to two sinks.
        Assert.Equal(12, telemetry.Tags("governed_execution.lineage.events").Length);
    }

    /// <summary>Runs the test under a fresh trace and collects the spans and measurements of that trace only.</summary>
    private sealed class TraceCapture : IDisposable
    {
        private readonly Activity _marker;
        private readonly ActivityListener _spans;
        private readonly MeterListener _meters;
        private readonly List<Activity> _stopped = [];
        private readonly List<(string Instrument, string Tags)> _measurements = [];

        public TraceCapture()
        {
            // A random remote parent gives this test a trace id nobody else uses.
            _marker = new Activity("executor-telemetry-test").SetParentId(ActivityTraceId.CreateRandom(), ActivitySpanId.CreateRandom()).Start();
            var trace = _marker.TraceId;
            _spans = new ActivityListener
            {
                ShouldListenTo = source => source.Name == "GovernedExecution",
                Sample = (ref ActivityCreationOptions<ActivityContext> options) =>
                    options.Parent.TraceId == trace ? ActivitySamplingResult.AllDataAndRecorded : ActivitySamplingResult.None,
                ActivityStopped = activity =>
                {
                    if (activity.TraceId == trace)
                    {
                        lock (_stopped)
                        {
                            _stopped.Add(activity);
                        }
                    }
                },
            };
            ActivitySource.AddActivityListener(_spans);

            _meters = new MeterListener
            {
                InstrumentPublished = (instrument, listener) =>
                {
                    if (instrument.Meter.Name == "GovernedExecution")
                    {
                        listener.EnableMeasurementEvents(instrument);
                    }
                },
            };
            _meters.SetMeasurementEventCallback<long>((instrument, value, tags, state) =>
            {
                if (Activity.Current?.TraceId != trace)
                {
                    return;
                }

                var text = new List<string>(tags.Length);
                foreach (var tag in tags)
                {
                    text.Add(tag.Key + "=" + tag.Value);
                }

                var copy = string.Join(",", text);

                lock (_measurements)
                {
                    for (var n = 0; n < value; n++)
                    {
                        _measurements.Add((instrument.Name, copy));
                    }
                }
            });
            _meters.Start();
        }

        public ActivitySpanId MarkerSpanId => _marker.SpanId;

        public Activity[] Spans()
        {
            lock (_stopped)
            {
                return [.. _stopped];
            }
        }

        /// <summary>The tags (<c>key=value</c>, comma separated) of each unit the instrument counted in this trace.</summary>
        public string[] Tags(string instrument)
        {
            lock (_measurements)
            {
                return [.. _measurements.Where(m => m.Instrument == instrument).Select(m => m.Tags)];
            }
        }

        public void Dispose()
        {
            _meters.Dispose();
            _spans.Dispose();
            _marker.Stop();
        }
    }
}
