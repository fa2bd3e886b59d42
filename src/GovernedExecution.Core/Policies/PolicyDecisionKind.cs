namespace GovernedExecution.Policies;

/// <summary>
/// The outcome of evaluating a policy set. The default value is <see cref="NotPermitted"/>: a decision that was never
/// made denies.
/// </summary>
public enum PolicyDecisionKind
{
    /// <summary>No permit policy applied (Cedar's default deny).</summary>
    NotPermitted = 0,

    /// <summary>At least one forbid policy applied; a forbid overrides every permit.</summary>
    Forbidden = 1,

    /// <summary>At least one permit policy applied and no forbid did.</summary>
    Permitted = 2,
}
