namespace GovernedExecution.Lineage;

/// <summary>A lineage sink with its mode.</summary>
public sealed class LineageSinkRegistration
{
    /// <summary>Registers a sink.</summary>
    /// <param name="sink">The sink.</param>
    /// <param name="mode">Required (its failure denies) or best effort.</param>
    /// <exception cref="ArgumentNullException"><paramref name="sink"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="mode"/> is not a defined mode (it would read as best effort).</exception>
    public LineageSinkRegistration(ILineageSink sink, LineageSinkMode mode = LineageSinkMode.Required)
    {
        ArgumentNullException.ThrowIfNull(sink);
        if (!Enum.IsDefined(mode))
        {
            throw new ArgumentOutOfRangeException(nameof(mode), mode, "A lineage sink is either Required or BestEffort.");
        }

        Sink = sink;
        Mode = mode;
    }

    /// <summary>The sink.</summary>
    public ILineageSink Sink { get; }

    /// <summary>The mode.</summary>
    public LineageSinkMode Mode { get; }
}
