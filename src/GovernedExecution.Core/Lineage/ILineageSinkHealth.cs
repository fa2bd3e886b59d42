namespace GovernedExecution.Lineage;

/// <summary>A sink that can say whether it is currently unable to keep records (read by the health check).</summary>
internal interface ILineageSinkHealth
{
    /// <summary>Why the sink cannot keep records now, or null when it can.</summary>
    string? Problem { get; }
}
