namespace GovernedExecution.Policies;

/// <summary>The effect of a policy when it applies.</summary>
public enum PolicyEffect
{
    /// <summary>The policy forbids; a forbid overrides every permit.</summary>
    Forbid = 0,

    /// <summary>The policy permits.</summary>
    Permit = 1,
}
