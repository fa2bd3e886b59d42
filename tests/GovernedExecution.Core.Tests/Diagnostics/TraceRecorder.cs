using System.Diagnostics;
using System.Diagnostics.Metrics;
using GovernedExecution.Diagnostics;

namespace GovernedExecution.Tests.Diagnostics;

/// <summary>
/// Runs a test under a trace of its own and records every span of the <c>GovernedExecution</c> source started and
/// stopped in that trace, and every measurement of the <c>GovernedExecution</c> meter taken while a span of that trace
/// was current. Listeners are process-wide and other tests run at the same time: the trace id keeps them apart.
/// </summary>
internal sealed class TraceRecorder : IDisposable
{
    private readonly Activity _marker;
    private readonly ActivityListener _spans;
    private readonly MeterListener _meters;
    private readonly List<Activity> _started = [];
    private readonly List<Activity> _stopped = [];
    private readonly List<Measurement> _measurements = [];

    /// <param name="sampling">
    /// What the listener asks for the spans of this trace: all data by default; <see cref="ActivitySamplingResult.PropagationData"/>
    /// creates the spans without recording their attributes (an exporter that samples the trace out).
    /// </param>
    public TraceRecorder(ActivitySamplingResult sampling = ActivitySamplingResult.AllDataAndRecorded)
    {
        // A random remote parent gives this test a trace id nobody else uses.
        _marker = new Activity("trace-recorder").SetParentId(ActivityTraceId.CreateRandom(), ActivitySpanId.CreateRandom()).Start();
        var trace = _marker.TraceId;
        _spans = new ActivityListener
        {
            ShouldListenTo = source => source.Name == GovernedExecutionTelemetry.ActivitySourceName,
            Sample = (ref ActivityCreationOptions<ActivityContext> options) =>
                options.Parent.TraceId == trace ? sampling : ActivitySamplingResult.None,
            ActivityStarted = activity => Add(_started, activity, trace),
            ActivityStopped = activity => Add(_stopped, activity, trace),
        };
        ActivitySource.AddActivityListener(_spans);

        _meters = new MeterListener
        {
            InstrumentPublished = (instrument, listener) =>
            {
                if (instrument.Meter.Name == GovernedExecutionTelemetry.MeterName)
                {
                    listener.EnableMeasurementEvents(instrument);
                }
            },
        };
        _meters.SetMeasurementEventCallback<long>((instrument, value, tags, state) => Measured(instrument, value, tags, trace));
        _meters.SetMeasurementEventCallback<double>((instrument, value, tags, state) => Measured(instrument, value, tags, trace));
        _meters.Start();
    }

    public Activity Marker => _marker;

    public Activity[] Started => Snapshot(_started);

    public Activity[] Stopped => Snapshot(_stopped);

    /// <summary>The spans that carry an execution id: one per governed call.</summary>
    public Activity[] Roots => [.. Stopped.Where(s => s.GetTagItem("governed_execution.execution_id") is not null)];

    public Activity Root(Guid executionId) =>
        Assert.Single(Stopped, s => (string?)s.GetTagItem("governed_execution.execution_id") == executionId.ToString("D"));

    public Measurement[] Measurements(string instrument)
    {
        lock (_measurements)
        {
            return [.. _measurements.Where(m => m.Instrument.Name == instrument)];
        }
    }

    public void Dispose()
    {
        _meters.Dispose();
        _spans.Dispose();
        _marker.Stop();
    }

    private static void Add(List<Activity> list, Activity activity, ActivityTraceId trace)
    {
        if (activity.TraceId != trace)
        {
            return;
        }

        lock (list)
        {
            list.Add(activity);
        }
    }

    private static Activity[] Snapshot(List<Activity> list)
    {
        lock (list)
        {
            return [.. list];
        }
    }

    private void Measured<T>(Instrument instrument, T value, ReadOnlySpan<KeyValuePair<string, object?>> tags, ActivityTraceId trace)
        where T : struct
    {
        if (Activity.Current?.TraceId != trace)
        {
            return;
        }

        var copy = new Dictionary<string, object?>(StringComparer.Ordinal);
        foreach (var tag in tags)
        {
            copy[tag.Key] = tag.Value;
        }

        lock (_measurements)
        {
            _measurements.Add(new Measurement(instrument, Convert.ToDouble(value, System.Globalization.CultureInfo.InvariantCulture), copy));
        }
    }

    /// <summary>One measurement: its instrument, value and tags.</summary>
    internal sealed record Measurement(Instrument Instrument, double Value, IReadOnlyDictionary<string, object?> Tags);
}
