
namespace GovernedExecution.Policies;

/// <summary>
/// The decision of a policy evaluator for one intent: the kind, the policies that determined it, the policies that
/// could not be evaluated, the obligations of the determining policies, and the digest of the policy set.
/// </summary>
public sealed class PolicyDecision
{
    /// <summary>Creates a decision.</summary>
    /// <param name="kind">The decision kind.</param>
    /// <param name="determiningPolicies">The ids of the policies that determined the decision (the applying forbids for
    /// <see cref="PolicyDecisionKind.Forbidden"/>, the applying permits for <see cref="PolicyDecisionKind.Permitted"/>).</param>
    /// <param name="errors">The policies that could not be evaluated.</param>
    /// <param name="obligations">The obligations of the determining policies.</param>
    /// <param name="policySetDigest">The content digest of the evaluated policy set (lowercase hex SHA-256).</param>
    /// <exception cref="ArgumentNullException">A collection or the digest is <see langword="null"/>.</exception>
    public PolicyDecision(
        PolicyDecisionKind kind,
        IEnumerable<string> determiningPolicies,
        IEnumerable<PolicyEvaluationError> errors,
        IEnumerable<PolicyObligation> obligations,
        string policySetDigest)
    {
        ArgumentNullException.ThrowIfNull(determiningPolicies);
        ArgumentNullException.ThrowIfNull(errors);
        ArgumentNullException.ThrowIfNull(obligations);
        ArgumentNullException.ThrowIfNull(policySetDigest);
        Kind = kind;
        DeterminingPolicies = Sorted(determiningPolicies);
        Errors = Copy(errors);
        Obligations = Copy(obligations);
        PolicySetDigest = policySetDigest;
    }

    /// <summary>A read-only copy: what the caller keeps and changes later is not what the decision says.</summary>
    private static System.Collections.ObjectModel.ReadOnlyCollection<T> Copy<T>(IEnumerable<T> items)
    {
        var copy = items.ToArray();
        return copy.Length == 0 ? System.Collections.ObjectModel.ReadOnlyCollection<T>.Empty : Array.AsReadOnly(copy);
    }

    /// <summary>A read-only copy in ordinal order (most lists arrive sorted, and of one id: they are only checked).</summary>
    private static System.Collections.ObjectModel.ReadOnlyCollection<string> Sorted(IEnumerable<string> ids)
    {
        var copy = ids.ToArray();
        for (var i = 1; i < copy.Length; i++)
        {
            if (string.CompareOrdinal(copy[i - 1], copy[i]) > 0)
            {
                Array.Sort(copy, StringComparer.Ordinal);
                break;
            }
        }

        return copy.Length == 0 ? System.Collections.ObjectModel.ReadOnlyCollection<string>.Empty : Array.AsReadOnly(copy);
    }

    /// <summary>The decision kind.</summary>
    public PolicyDecisionKind Kind { get; }

    /// <summary>
    /// Whether the executor may go on: the kind is <see cref="PolicyDecisionKind.Permitted"/> and no forbid policy
    /// errored. An erroring forbid might have applied, so it never lets a permit through.
    /// </summary>
    public bool IsPermitted => Kind == PolicyDecisionKind.Permitted && !HasForbidError;

    /// <summary>The ids of the policies that determined the decision, in ordinal order.</summary>
    public IReadOnlyList<string> DeterminingPolicies { get; }

    /// <summary>The policies that could not be evaluated.</summary>
    public IReadOnlyList<PolicyEvaluationError> Errors { get; }

    /// <summary>The obligations of the determining policies.</summary>
    public IReadOnlyList<PolicyObligation> Obligations { get; }

    /// <summary>The content digest of the evaluated policy set (lowercase hex SHA-256).</summary>
    public string PolicySetDigest { get; }

    /// <summary>Gets the entity data and context the decision could have consulted (Cedar evaluator only), for lineage.</summary>
    internal Cedar.CedarEntitySlice? ConsultedEntities { get; init; }

    private bool HasForbidError
    {
        get
        {
            foreach (var error in Errors)
            {
                if (error.Effect == PolicyEffect.Forbid)
                {
                    return true;
                }
            }

            return false;
        }
    }

    /// <summary>A readable summary.</summary>
    public override string ToString() =>
        $"{Kind} by [{string.Join(", ", DeterminingPolicies)}]" + (Errors.Count == 0 ? string.Empty : $", {Errors.Count} error(s)");
}
