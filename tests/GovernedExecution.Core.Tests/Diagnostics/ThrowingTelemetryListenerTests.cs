using System.Diagnostics;
using System.Diagnostics.Metrics;
using GovernedExecution.Execution;
using GovernedExecution.Lineage;
using GovernedExecution.Tests.Execution;
using GovernedExecution.Tests.Lineage;
using GovernedExecution.Testing;

namespace GovernedExecution.Tests.Diagnostics;

/// <summary>
/// A tracing or metrics listener that throws is the listener's bug: it never changes what the executor decides, runs
/// or records. Listeners are process-wide, so each test's listener throws only inside a trace of its own.
/// </summary>
public sealed class ThrowingTelemetryListenerTests
{
    public static TheoryData<TelemetryFault> Faults() => new(Enum.GetValues<TelemetryFault>());

    [Theory]
    [MemberData(nameof(Faults))]
    public async Task A_throwing_listener_leaves_a_successful_run_a_success_recorded_as_completed(TelemetryFault fault)
    {
        using var host = new GovernedTestHost();
        using var listener = new ThrowingTelemetry(fault);
        var runs = 0;

        var outcome = await host.Executor.RunOutcomeAsync(GovernedTestHost.Intent("read"), (ctx, ct) => { runs++; return ValueTask.FromResult(42); });

        Assert.True(listener.Threw, "the listener never threw: the test proves nothing");
        Assert.Equal(GovernedOutcomeKind.Succeeded, outcome.Kind);
        Assert.Equal(42, outcome.Result);
        Assert.Equal(1, runs);
        Assert.Equal(
            [LineageEventKind.IntentSubmitted, LineageEventKind.PolicyEvaluated, LineageEventKind.ArtifactIssued, LineageEventKind.ArtifactVerified, LineageEventKind.ExecutionStarted, LineageEventKind.ExecutionCompleted],
            host.Lineage.Records.Where(r => r.Event.ExecutionId == outcome.ExecutionId).Select(r => r.Event.Kind));
    }

    [Theory]
    [MemberData(nameof(Faults))]
    public async Task A_throwing_listener_keeps_every_lineage_record_of_a_denied_call_and_RunOutcomeAsync_returns_the_denial(TelemetryFault fault)
    {
        using var host = new GovernedTestHost();
        using var listener = new ThrowingTelemetry(fault);
        var ran = false;

        var outcome = await host.Executor.RunOutcomeAsync(GovernedTestHost.Intent("delete"), (ctx, ct) => { ran = true; return ValueTask.FromResult(0); });

        Assert.True(listener.Threw, "the listener never threw: the test proves nothing");
        Assert.False(ran);
        DenialDetails.AssertDenied(outcome.Denial, DenialReason.PolicyDenied);
        Assert.Equal(
            [LineageEventKind.IntentSubmitted, LineageEventKind.PolicyEvaluated, LineageEventKind.ExecutionDenied],
            host.Lineage.Records.Where(r => r.Event.ExecutionId == outcome.ExecutionId).Select(r => r.Event.Kind));
    }

    [Theory]
    [MemberData(nameof(Faults))]
    public async Task The_delegates_own_exception_passes_unchanged_and_a_telemetry_exception_never_becomes_the_delegates(TelemetryFault fault)
    {
        using var host = new GovernedTestHost();
        using var listener = new ThrowingTelemetry(fault);
        var thrown = new FormatException("the operation's own failure");

        var outcome = await host.Executor.RunOutcomeAsync<int>(GovernedTestHost.Intent("read"), (ctx, ct) => throw thrown);
        var rethrown = await Assert.ThrowsAsync<FormatException>(async () =>
            await host.Executor.RunAsync<int>(GovernedTestHost.Intent("read"), (ctx, ct) => throw thrown));

        Assert.True(listener.Threw, "the listener never threw: the test proves nothing");
        Assert.Equal(GovernedOutcomeKind.Faulted, outcome.Kind);
        Assert.Same(thrown, outcome.Exception);
        Assert.Same(thrown, rethrown);
        var failed = Assert.Single(host.Lineage.Records, r => r.Event.ExecutionId == outcome.ExecutionId && r.Event.Kind == LineageEventKind.ExecutionFailed);
        Assert.Equal(typeof(FormatException).FullName, failed.Event["exception"]);
    }

    [Theory]
    [MemberData(nameof(Faults))]
    public async Task A_throwing_listener_neither_denies_an_issue_nor_a_dry_run(TelemetryFault fault)
    {
        using var host = new GovernedTestHost();
        using var listener = new ThrowingTelemetry(fault);

        var issued = await host.Executor.IssueAsync(GovernedTestHost.Intent("read"));
        var dryRun = await host.Executor.AuthorizeAsync(GovernedTestHost.Intent("read"));

        Assert.True(listener.Threw, "the listener never threw: the test proves nothing");
        Assert.Null(issued.Denial);
        Assert.NotNull(issued.Artifact);
        Assert.True(dryRun.IsAllowed);
    }

    [Theory]
    [MemberData(nameof(Faults))]
    public async Task A_throwing_listener_never_leaves_a_half_started_or_a_stopped_span_current(TelemetryFault fault)
    {
        using var host = new GovernedTestHost();
        using var listener = new ThrowingTelemetry(fault);
        var unexplained = new List<string>();

        await host.Executor.RunOutcomeAsync(GovernedTestHost.Intent("delete"), (ctx, ct) => ValueTask.FromResult(0));
        await host.Executor.RunOutcomeAsync(GovernedTestHost.Intent("read"), (ctx, ct) =>
        {
            // Every span the delegate runs under was started (its listeners told) and is still running.
            for (var span = Activity.Current; span is not null && span != listener.Marker; span = span.Parent)
            {
                if (span.IsStopped || !listener.SawStart(span))
                {
                    unexplained.Add(span.DisplayName);
                }
            }

            return ValueTask.FromResult(0);
        });
        await host.Executor.RunOutcomeAsync(GovernedTestHost.Intent("read"), (ctx, ct) => ValueTask.FromResult(0));

        Assert.True(listener.Threw, "the listener never threw: the test proves nothing");
        Assert.Empty(unexplained);
        Assert.Empty(listener.StartedUnderAStoppedSpan);
    }

    [Fact]
    public async Task A_throwing_meter_listener_neither_denies_through_the_file_sink_nor_stops_its_writer()
    {
        using var log = new LineageTestLog();
        using var listener = new ThrowingTelemetry(TelemetryFault.Measurement);
        var ran = 0;
        // Opened inside the test's trace: the writer thread counts under it too.
        await using (var host = new LineageExecutorHost(log))
        {
            for (var i = 0; i < 5; i++)
            {
                var outcome = await host.Executor.RunOutcomeAsync(GovernedTestHost.Intent("read", $"ticket-{i}"), (ctx, ct) => { ran++; return ValueTask.FromResult(0); });
                Assert.True(outcome.IsSuccess, outcome.ToString());
            }

            await host.Sink.FlushAsync();
        }

        Assert.True(listener.Threw, "the listener never threw: the test proves nothing");
        Assert.Equal(5, ran);
        var result = log.Verify();
        Assert.True(result.IsValid, result.ToString());
        Assert.Equal(30, result.Records - result.Checkpoints);
    }

    [Fact]
    public async Task A_listener_whose_exception_recorder_throws_leaves_the_operations_exception_and_its_record_unchanged()
    {
        using var host = new GovernedTestHost();
        using var marker = new Activity("exception-recorder-test").SetParentId(ActivityTraceId.CreateRandom(), ActivitySpanId.CreateRandom()).Start();
        var trace = marker.TraceId;
        var threw = 0;
        using var spans = new ActivityListener
        {
            ShouldListenTo = source => source.Name == GovernedExecution.Diagnostics.GovernedExecutionTelemetry.ActivitySourceName,
            Sample = (ref ActivityCreationOptions<ActivityContext> options) =>
                options.Parent.TraceId == trace ? ActivitySamplingResult.AllDataAndRecorded : ActivitySamplingResult.None,
            ExceptionRecorder = (Activity activity, Exception exception, ref TagList tags) =>
            {
                if (activity.TraceId == trace)
                {
                    Interlocked.Increment(ref threw);
                    throw new InvalidOperationException("listener fault: exception recorder");
                }
            },
        };
        ActivitySource.AddActivityListener(spans);
        var thrown = new FormatException("the operation's own failure");

        var outcome = await host.Executor.RunOutcomeAsync<int>(GovernedTestHost.Intent("read"), (ctx, ct) => throw thrown);
        var rethrown = await Assert.ThrowsAsync<FormatException>(async () =>
            await host.Executor.RunAsync<int>(GovernedTestHost.Intent("read"), (ctx, ct) => throw thrown));

        Assert.True(Volatile.Read(ref threw) > 0, "the listener never threw: the test proves nothing");
        Assert.Same(thrown, outcome.Exception);
        Assert.Same(thrown, rethrown);
        Assert.Single(host.Lineage.Records, r => r.Event.ExecutionId == outcome.ExecutionId && r.Event.Kind == LineageEventKind.ExecutionFailed);
        Assert.Same(marker, Activity.Current);
    }

    /// <summary>Where the listener throws.</summary>
    public enum TelemetryFault
    {
        /// <summary>The sampling callback of an <see cref="ActivityListener"/>.</summary>
        Sample,

        /// <summary>The <see cref="ActivityListener.ActivityStarted"/> callback.</summary>
        ActivityStarted,

        /// <summary>The <see cref="ActivityListener.ActivityStopped"/> callback.</summary>
        ActivityStopped,

        /// <summary>A handler of <see cref="Activity.CurrentChanged"/>.</summary>
        CurrentChanged,

        /// <summary>The measurement callback of a <see cref="MeterListener"/> (the counters).</summary>
        Measurement,

        /// <summary>The measurement callback of a <see cref="MeterListener"/> for the duration histograms.</summary>
        HistogramMeasurement,
    }

    /// <summary>Listeners to the <c>GovernedExecution</c> source and meter that throw inside the test's own trace.</summary>
    internal sealed class ThrowingTelemetry : IDisposable
    {
        private readonly Activity _marker;
        private readonly ActivityTraceId _trace;
        private readonly TelemetryFault _fault;
        private readonly ActivityListener? _spans;
        private readonly MeterListener? _meters;
        private readonly HashSet<Activity> _started = [];
        private readonly List<string> _underStopped = [];
        private int _threw;

        public ThrowingTelemetry(TelemetryFault fault)
        {
            _fault = fault;
            // A random remote parent gives this test a trace id nobody else uses.
            _marker = new Activity("throwing-listener-test").SetParentId(ActivityTraceId.CreateRandom(), ActivitySpanId.CreateRandom()).Start();
            _trace = _marker.TraceId;
            if (fault is TelemetryFault.Measurement or TelemetryFault.HistogramMeasurement)
            {
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
                if (fault == TelemetryFault.Measurement)
                {
                    _meters.SetMeasurementEventCallback<long>((instrument, value, tags, state) => ThrowIfMine(Activity.Current));
                }
                else
                {
                    _meters.SetMeasurementEventCallback<double>((instrument, value, tags, state) => ThrowIfMine(Activity.Current));
                }

                _meters.Start();
            }
            else
            {
                if (fault == TelemetryFault.CurrentChanged)
                {
                    Activity.CurrentChanged += OnCurrentChanged;
                }

                _spans = new ActivityListener
                {
                    ShouldListenTo = source => source.Name == "GovernedExecution",
                    Sample = Sample,
                    ActivityStarted = OnStarted,
                    ActivityStopped = activity => { if (fault == TelemetryFault.ActivityStopped) { ThrowIfMine(activity); } },
                };
                ActivitySource.AddActivityListener(_spans);
            }
        }

        public bool Threw => Volatile.Read(ref _threw) > 0;

        public Activity Marker => _marker;

        public IReadOnlyList<string> StartedUnderAStoppedSpan
        {
            get
            {
                lock (_started)
                {
                    return [.. _underStopped];
                }
            }
        }

        public bool SawStart(Activity activity)
        {
            lock (_started)
            {
                return _started.Contains(activity);
            }
        }

        public void Dispose()
        {
            Activity.CurrentChanged -= OnCurrentChanged;
            _meters?.Dispose();
            _spans?.Dispose();
            _marker.Stop();
        }

        private ActivitySamplingResult Sample(ref ActivityCreationOptions<ActivityContext> options)
        {
            if (options.Parent.TraceId != _trace)
            {
                return ActivitySamplingResult.None;
            }

            if (_fault == TelemetryFault.Sample)
            {
                Interlocked.Increment(ref _threw);
                throw new InvalidOperationException("listener fault: sample");
            }

            return ActivitySamplingResult.AllDataAndRecorded;
        }

        private void OnStarted(Activity activity)
        {
            if (activity.TraceId != _trace)
            {
                return;
            }

            lock (_started)
            {
                for (var parent = activity.Parent; parent is not null; parent = parent.Parent)
                {
                    if (parent.IsStopped)
                    {
                        _underStopped.Add(activity.DisplayName + " under " + parent.DisplayName);
                    }
                }
            }

            if (_fault == TelemetryFault.ActivityStarted)
            {
                ThrowIfMine(activity);
            }

            lock (_started)
            {
                _started.Add(activity);
            }
        }

        private void OnCurrentChanged(object? sender, ActivityChangedEventArgs e)
        {
            // Only the executor's own spans: the test's marker is started and stopped outside the executor.
            if (e.Current?.Source.Name == "GovernedExecution" || e.Previous?.Source.Name == "GovernedExecution")
            {
                ThrowIfMine(e.Current ?? e.Previous);
            }
        }

        private void ThrowIfMine(Activity? activity)
        {
            if (activity is not null && activity.TraceId == _trace)
            {
                Interlocked.Increment(ref _threw);
                throw new InvalidOperationException("listener fault: " + _fault);
            }
        }
    }
}
