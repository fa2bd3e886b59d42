namespace GovernedExecution.Lineage;

/// <summary>What an append does when the <see cref="FileLineageSink"/> queue is full.</summary>
public enum LineageQueueFullMode
{
    /// <summary>The caller waits for room (the default); the wait is counted.</summary>
    Wait = 0,

    /// <summary>The append fails at once with an <see cref="IOException"/>, so a required sink denies the execution; the refusal is counted.</summary>
    Refuse = 1,
}
