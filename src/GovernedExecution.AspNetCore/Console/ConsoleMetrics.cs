using System.Diagnostics.Metrics;
using GovernedExecution.Diagnostics;

namespace GovernedExecution.AspNetCore.ConsoleUi;

/// <summary>
/// The executor's own metrics over the last minutes, read from its <see cref="Meter"/> by an in-process listener: calls
/// by outcome, denials by reason and the duration of each phase, in ten-second buckets. Bounded: a fixed number of
/// buckets, a fixed number of duration samples per phase and bucket, a fixed number of distinct tag values.
/// </summary>
internal static class ConsoleMetrics
{
    internal static readonly TimeSpan BucketWidth = TimeSpan.FromSeconds(10);
    internal const int BucketCount = 60;
    private const int SamplesPerBucket = 256;
    private const int MaxNames = 64;

    private static readonly Lock Gate = new();
    private static readonly Bucket[] Buckets = new Bucket[BucketCount];
    private static MeterListener? _listener;

    internal sealed class Bucket
    {
        public long Start;
        public Dictionary<string, long> Outcomes = new(StringComparer.Ordinal);
        public Dictionary<string, long> Denials = new(StringComparer.Ordinal);
        public Dictionary<string, List<double>> Phases = new(StringComparer.Ordinal);
    }

    internal sealed record Snapshot(IReadOnlyList<(DateTimeOffset Start, IReadOnlyDictionary<string, long> Outcomes)> Calls, IReadOnlyDictionary<string, long> Denials, IReadOnlyList<(string Phase, double P50, double P99, int Samples)> Phases);

    public static void EnsureStarted()
    {
        lock (Gate)
        {
            if (_listener is not null)
            {
                return;
            }

            var listener = new MeterListener
            {
                InstrumentPublished = (instrument, l) =>
                {
                    if (instrument.Meter.Name == GovernedExecutionTelemetry.MeterName && instrument.Name is "governed_execution.executions" or "governed_execution.denials" or "governed_execution.phase.duration")
                    {
                        l.EnableMeasurementEvents(instrument);
                    }
                },
            };
            listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) => OnCount(instrument.Name, value, tags));
            listener.SetMeasurementEventCallback<double>((instrument, value, tags, _) => OnDuration(value, tags));
            listener.Start();
            _listener = listener;
        }
    }

    private static string? Tag(ReadOnlySpan<KeyValuePair<string, object?>> tags, string name)
    {
        foreach (var tag in tags)
        {
            if (tag.Key == name)
            {
                return tag.Value?.ToString();
            }
        }

        return null;
    }

    private static void OnCount(string instrument, long value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        // The counters carry short tag names ("outcome", "reason"); the spans' long names are accepted as well.
        var (map, key) = instrument == "governed_execution.executions"
            ? (0, Tag(tags, "outcome") ?? Tag(tags, "governed_execution.outcome") ?? "unknown")
            : (1, Tag(tags, "reason") ?? Tag(tags, "governed_execution.denial.reason") ?? "unknown");
        lock (Gate)
        {
            var bucket = Current();
            var target = map == 0 ? bucket.Outcomes : bucket.Denials;
            if (target.Count < MaxNames || target.ContainsKey(key))
            {
                target[key] = target.GetValueOrDefault(key) + value;
            }
        }
    }

    private static void OnDuration(double seconds, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        var phase = Tag(tags, "governed_execution.phase");
        if (phase is null)
        {
            return;
        }

        lock (Gate)
        {
            var bucket = Current();
            if (!bucket.Phases.TryGetValue(phase, out var samples))
            {
                if (bucket.Phases.Count >= MaxNames)
                {
                    return;
                }

                bucket.Phases[phase] = samples = [];
            }

            if (samples.Count < SamplesPerBucket)
            {
                samples.Add(seconds);
            }
        }
    }

    private static Bucket Current()
    {
        // Display only (never a decision): the wall clock places a measurement in its bucket.
        var start = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() / (long)BucketWidth.TotalMilliseconds;
        var slot = (int)(start % BucketCount);
        if (Buckets[slot] is not { } bucket || bucket.Start != start)
        {
            Buckets[slot] = bucket = new Bucket { Start = start };
        }

        return bucket;
    }

    public static Snapshot Read(DateTimeOffset now)
    {
        var newest = now.ToUnixTimeMilliseconds() / (long)BucketWidth.TotalMilliseconds;
        var calls = new List<(DateTimeOffset, IReadOnlyDictionary<string, long>)>();
        var denials = new Dictionary<string, long>(StringComparer.Ordinal);
        var phases = new Dictionary<string, List<double>>(StringComparer.Ordinal);
        lock (Gate)
        {
            for (var start = newest - BucketCount + 1; start <= newest; start++)
            {
                var bucket = Buckets[(int)(start % BucketCount)];
                var live = bucket is not null && bucket.Start == start;
                calls.Add((DateTimeOffset.FromUnixTimeMilliseconds(start * (long)BucketWidth.TotalMilliseconds), live ? new Dictionary<string, long>(bucket!.Outcomes) : new Dictionary<string, long>()));
                if (!live)
                {
                    continue;
                }

                foreach (var (reason, count) in bucket!.Denials)
                {
                    denials[reason] = denials.GetValueOrDefault(reason) + count;
                }

                foreach (var (phase, samples) in bucket.Phases)
                {
                    (phases.TryGetValue(phase, out var all) ? all : phases[phase] = []).AddRange(samples);
                }
            }
        }

        var quantiles = phases.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p =>
        {
            p.Value.Sort();
            return (p.Key, Quantile(p.Value, 0.50), Quantile(p.Value, 0.99), p.Value.Count);
        }).ToList();
        return new Snapshot(calls, denials, quantiles);
    }

    private static double Quantile(List<double> sorted, double q) => sorted.Count == 0 ? 0 : sorted[Math.Min(sorted.Count - 1, (int)Math.Ceiling(q * sorted.Count) - 1)];
}
