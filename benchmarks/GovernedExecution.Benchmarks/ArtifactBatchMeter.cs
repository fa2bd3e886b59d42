using System.Diagnostics.Metrics;
using GovernedExecution.Diagnostics;

namespace GovernedExecution.Benchmarks;

/// <summary>
/// Listens to the package's <c>governed_execution.artifact.batch_size</c> histogram (one measurement per artifact
/// signature, its value the number of artifacts the signature covered) and sums it: signatures made, artifacts they
/// covered, and so the mean batch size. Process-wide: measure one configuration at a time.
/// </summary>
internal sealed class ArtifactBatchMeter : IDisposable
{
    internal const string InstrumentName = "governed_execution.artifact.batch_size";

    private readonly MeterListener _listener = new();
    private long _signatures;
    private long _artifacts;
    private long _largest;

    internal ArtifactBatchMeter()
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == GovernedExecutionTelemetry.MeterName && instrument.Name == InstrumentName)
            {
                listener.EnableMeasurementEvents(instrument, this);
            }
        };
        _listener.SetMeasurementEventCallback<long>(static (_, value, _, state) => ((ArtifactBatchMeter)state!).Add(value));
        _listener.Start();
    }

    internal long Signatures => Interlocked.Read(ref _signatures);

    internal long Artifacts => Interlocked.Read(ref _artifacts);

    internal long Largest => Interlocked.Read(ref _largest);

    /// <summary>Artifacts per signature since the last <see cref="Reset"/> (0 when nothing was signed).</summary>
    internal double MeanBatchSize => Signatures == 0 ? 0 : (double)Artifacts / Signatures;

    internal void Reset()
    {
        Interlocked.Exchange(ref _signatures, 0);
        Interlocked.Exchange(ref _artifacts, 0);
        Interlocked.Exchange(ref _largest, 0);
    }

    public void Dispose() => _listener.Dispose();

    private void Add(long size)
    {
        Interlocked.Increment(ref _signatures);
        Interlocked.Add(ref _artifacts, size);
        for (var seen = Largest; size > seen; seen = Largest)
        {
            if (Interlocked.CompareExchange(ref _largest, size, seen) == seen)
            {
                break;
            }
        }
    }
}
