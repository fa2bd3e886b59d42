namespace GovernedExecution.Execution;

/// <summary>Thrown by <c>RunAsync</c> when an execution is denied; the delegate did not run.</summary>
public sealed class ExecutionDeniedException : Exception
{
    /// <summary>Creates the exception for a denial.</summary>
    /// <param name="denial">The denial.</param>
    /// <exception cref="ArgumentNullException"><paramref name="denial"/> is <see langword="null"/>.</exception>
    public ExecutionDeniedException(ExecutionDenial denial)
        : base((denial ?? throw new ArgumentNullException(nameof(denial))).ToString())
    {
        Denial = denial;
    }

    /// <summary>The denial.</summary>
    public ExecutionDenial Denial { get; }

    /// <summary>The reason code.</summary>
    public DenialReason Reason => Denial.Reason;

    /// <summary>The denied execution's id.</summary>
    public Guid ExecutionId => Denial.ExecutionId;
}
