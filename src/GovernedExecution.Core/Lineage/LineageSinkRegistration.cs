namespace GovernedExecution.Lineage;

/// <summary>A lineage sink with its mode.</summary>
public sealed class LineageSinkRegistration
{
    /// <summary>Registers a sink.</summary>
    /// <param name="sink">The sink.</param>
    /// <param name="mode">Required (its failure denies) or best effort.</param>
    /// <exception cref="ArgumentNullException"><paramref name="sink"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="mode"/> is not a defined mode (it would read as best effort).</exception>
    /// <exception cref="ArgumentException">A required sink is a <see cref="FileLineageSink"/> in <see cref="LineageDurability.Buffered"/> mode, which acknowledges records before they are on disk.</exception>
    public LineageSinkRegistration(ILineageSink sink, LineageSinkMode mode = LineageSinkMode.Required)
    {
        ArgumentNullException.ThrowIfNull(sink);
        if (!Enum.IsDefined(mode))
        {
            throw new ArgumentOutOfRangeException(nameof(mode), mode, "A lineage sink is either Required or BestEffort.");
        }

        if (mode == LineageSinkMode.Required && sink is FileLineageSink { Durability: LineageDurability.Buffered })
        {
            throw new ArgumentException("A Buffered file lineage sink acknowledges records when they are queued, before they are on disk, so it cannot be Required: a governed call could run with no durable record. Use BeforeInvoke for a required sink, or register the Buffered one as BestEffort.", nameof(mode));
        }

        Sink = sink;
        Mode = mode;
    }

    /// <summary>The sink.</summary>
    public ILineageSink Sink { get; }

    /// <summary>The mode.</summary>
    public LineageSinkMode Mode { get; }
}
