using GovernedExecution.Policies;

namespace GovernedExecution.Execution;

/// <summary>The answer of a dry run: would this intent be allowed, and why. Nothing was minted or run.</summary>
public sealed class AuthorizationResult
{
    internal AuthorizationResult(Guid executionId, PolicyDecision? decision, ExecutionDenial? denial)
    {
        ExecutionId = executionId;
        Decision = decision;
        Denial = denial;
    }

    /// <summary>Whether the intent would be allowed to run (policy and obligations; artifacts are not minted in a dry run).</summary>
    public bool IsAllowed => Denial is null && Decision is { IsPermitted: true };

    /// <summary>The dry run's id in the lineage.</summary>
    public Guid ExecutionId { get; }

    /// <summary>The policy decision, when policies could be evaluated.</summary>
    public PolicyDecision? Decision { get; }

    /// <summary>Why it would be denied, if it would.</summary>
    public ExecutionDenial? Denial { get; }

    /// <inheritdoc />
    public override string ToString() => IsAllowed ? $"Allowed by [{string.Join(", ", Decision!.DeterminingPolicies)}]" : $"Denied: {Denial}";
}
