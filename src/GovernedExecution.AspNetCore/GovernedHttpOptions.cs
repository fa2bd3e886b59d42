using System.Security.Claims;
using GovernedExecution.Intents;

namespace GovernedExecution.AspNetCore;

/// <summary>
/// How governed endpoints describe a request to the executor: who the principal is (from the authenticated user) and
/// which resource is acted upon. Registered with <c>AddGovernedHttp</c> and validated at host start.
/// </summary>
public sealed class GovernedHttpOptions
{
    /// <summary>
    /// The claim whose value is the principal's id when <see cref="PrincipalSelector"/> is not set:
    /// <see cref="ClaimTypes.NameIdentifier"/> by default. The principal is then
    /// <c>&lt;PrincipalEntityType&gt;::"&lt;claim value&gt;"</c>, for example <c>User::"support-bot"</c>. A request whose user
    /// is not authenticated, or has no such claim (or has it twice), has no principal and is answered 401.
    /// </summary>
    public string PrincipalClaimType { get; set; } = ClaimTypes.NameIdentifier;

    /// <summary>The Cedar entity type of the principal when <see cref="PrincipalSelector"/> is not set: <c>User</c> by default.</summary>
    public string PrincipalEntityType { get; set; } = "User";

    /// <summary>
    /// Maps the request's user (<c>HttpContext.User</c>) to the principal; takes precedence over the claim mapping.
    /// Returning <see langword="null"/> means the request has no principal: it is answered 401 (an authentication
    /// challenge) and the handler does not run. A selector that throws refuses the request
    /// (<see cref="Execution.DenialReason.GovernanceFault"/>, 503, recorded in the lineage).
    /// </summary>
    public Func<ClaimsPrincipal, EntityReference?>? PrincipalSelector { get; set; }

    /// <summary>
    /// Chooses the resource from the request and its bound arguments, for endpoints that name no resource selector of
    /// their own; by default the endpoint itself, <c>Endpoint::"&lt;route pattern&gt;"</c>. A selector that throws or
    /// returns <see langword="null"/> refuses the request (<see cref="Execution.DenialReason.GovernanceFault"/>, 503).
    /// </summary>
    public Func<GovernedHttpCall, EntityReference>? ResourceSelector { get; set; }

    /// <summary>Every reason the options are unusable (empty when valid).</summary>
    internal List<string> Validate()
    {
        var failures = new List<string>();
        if (PrincipalSelector is null)
        {
            if (string.IsNullOrWhiteSpace(PrincipalClaimType))
            {
                failures.Add("PrincipalClaimType is required when no PrincipalSelector is set.");
            }

            if (!EntityUid.IsValidType(PrincipalEntityType))
            {
                failures.Add($"PrincipalEntityType '{PrincipalEntityType}' is not a valid Cedar entity type name.");
            }
        }

        return failures;
    }
}
