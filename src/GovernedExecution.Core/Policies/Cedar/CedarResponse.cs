namespace GovernedExecution.Policies.Cedar;

/// <summary>The decision of a Cedar evaluation. The default value is <see cref="Deny"/>.</summary>
public enum CedarDecision
{
    /// <summary>The request is denied: no permit applied, or a forbid applied.</summary>
    Deny = 0,

    /// <summary>The request is allowed: at least one permit applied and no forbid applied.</summary>
    Allow = 1,
}

/// <summary>A policy that raised an error during evaluation; it had no effect on the decision.</summary>
public sealed class CedarPolicyError
{
    /// <summary>Creates an error record.</summary>
    /// <param name="policyId">The id of the policy.</param>
    /// <param name="message">What went wrong.</param>
    /// <exception cref="ArgumentNullException">When an argument is null.</exception>
    public CedarPolicyError(string policyId, string message)
    {
        ArgumentNullException.ThrowIfNull(policyId);
        ArgumentNullException.ThrowIfNull(message);
        PolicyId = policyId;
        Message = message;
    }

    /// <summary>Gets the id of the policy that failed.</summary>
    public string PolicyId { get; }

    /// <summary>Gets the error message.</summary>
    public string Message { get; }

    /// <summary>Formats the error as <c>policyId: message</c>.</summary>
    /// <returns>The formatted error.</returns>
    public override string ToString() => PolicyId + ": " + Message;
}

/// <summary>The result of evaluating a request against a policy set.</summary>
public sealed class CedarResponse
{
    internal CedarResponse(CedarDecision decision, bool isForbidden, IReadOnlyList<string> reasons, IReadOnlyList<CedarPolicyError> errors)
    {
        Decision = decision;
        IsForbidden = isForbidden;
        Reasons = reasons;
        Errors = errors;
    }

    /// <summary>Gets the decision.</summary>
    public CedarDecision Decision { get; }

    /// <summary>Gets a value indicating whether the request is allowed.</summary>
    public bool IsAllowed => Decision == CedarDecision.Allow;

    /// <summary>Gets a value indicating whether a forbid policy applied (as opposed to no permit applying).</summary>
    public bool IsForbidden { get; }

    /// <summary>
    /// Gets the determining policies in ordinal id order: the forbids that applied when the request is forbidden,
    /// otherwise the permits that applied (empty on a default deny).
    /// </summary>
    public IReadOnlyList<string> Reasons { get; }

    /// <summary>Gets the policies that raised errors, in ordinal id order.</summary>
    public IReadOnlyList<CedarPolicyError> Errors { get; }

    internal static CedarResponse From(CedarAuthorizationResult r) =>
        new(r.Allowed ? CedarDecision.Allow : CedarDecision.Deny, r.Forbidden, r.Reasons.AsReadOnly(), r.Errors.AsReadOnly());
}
