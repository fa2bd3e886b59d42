namespace GovernedExecution.Execution;

/// <summary>What became of a governed execution. The default, <see cref="Denied"/>, means the delegate did not run.</summary>
public enum GovernedOutcomeKind
{
    /// <summary>The execution was denied; the delegate did not run.</summary>
    Denied = 0,

    /// <summary>The delegate ran and returned a result.</summary>
    Succeeded = 1,

    /// <summary>The delegate ran and threw.</summary>
    Faulted = 2,

    /// <summary>
    /// The delegate ran, and its authorization ended before it returned (expiry, <c>max_duration</c>, a revocation, a
    /// policy reload that withdrew the permit, the end of its parent): its token was canceled, its result (if any) is
    /// not returned, and <see cref="GovernedOutcome{TResult}.Denial"/> says why.
    /// </summary>
    Revoked = 3,
}
