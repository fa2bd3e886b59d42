namespace GovernedExecution.Lineage;

/// <summary>How a sink's failures affect executions.</summary>
public enum LineageSinkMode
{
    /// <summary>The sink must accept the pre-execution records, or the execution is denied (<c>LineageUnavailable</c>).</summary>
    Required = 0,

    /// <summary>Failures are counted and logged, never silent, and never deny.</summary>
    BestEffort = 1,
}
