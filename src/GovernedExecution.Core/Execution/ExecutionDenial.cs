using GovernedExecution.Policies;

namespace GovernedExecution.Execution;

/// <summary>Why an execution did not run: the reason code, a readable detail, the execution id and the determining policies.</summary>
public sealed class ExecutionDenial
{
    internal ExecutionDenial(DenialReason reason, string detail, Guid executionId, PolicyDecision? decision)
    {
        Reason = reason;
        Detail = detail;
        ExecutionId = executionId;
        Decision = decision;
        DeterminingPolicies = decision?.DeterminingPolicies ?? [];
    }

    /// <summary>The reason code.</summary>
    public DenialReason Reason { get; }

    /// <summary>A readable detail, free of secrets and argument values.</summary>
    public string Detail { get; }

    /// <summary>The execution that was denied (its lineage records carry this id).</summary>
    public Guid ExecutionId { get; }

    /// <summary>The policy decision, when policies were evaluated.</summary>
    public PolicyDecision? Decision { get; }

    /// <summary>The policies that determined the decision (for example the forbid that applied).</summary>
    public IReadOnlyList<string> DeterminingPolicies { get; }

    /// <inheritdoc />
    public override string ToString() =>
        DeterminingPolicies.Count == 0 ? $"{Reason}: {Detail}" : $"{Reason} by [{string.Join(", ", DeterminingPolicies)}]: {Detail}";
}
