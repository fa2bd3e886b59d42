namespace GovernedExecution.Policies;

/// <summary>The effect of a policy: permit or forbid.</summary>
public enum PolicyEffect
{
    /// <summary>The policy permits the request when it applies.</summary>
    Permit = 0,

    /// <summary>The policy forbids the request when it applies; a forbid overrides every permit.</summary>
    Forbid = 1,
}
