using GovernedExecution.Execution;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;

namespace GovernedExecution.AspNetCore;

/// <summary>
/// The HTTP answer to a denial: an RFC 9457 problem details object carrying the reason, its code, the execution id
/// and the documented detail of the denial, and nothing else (no exception message, no determining policies, no
/// argument value).
/// </summary>
internal static class GovernedProblemDetails
{
    /// <summary>The status of a request whose client closed the connection before governance decided (nginx's convention).</summary>
    public const int ClientClosedRequest = StatusCodes.Status499ClientClosedRequest;

    /// <summary>
    /// The status for a reason: 400 when the arguments cannot be described, 503 when the governance machinery could not
    /// decide (lineage, keys, a dependency that failed or timed out), 403 for every policy and artifact denial, and for
    /// any reason not named here.
    /// </summary>
    public static int StatusCodeFor(DenialReason reason) => reason switch
    {
        DenialReason.ArgumentsInvalid => StatusCodes.Status400BadRequest,
        DenialReason.LineageUnavailable or DenialReason.KeyUnavailable or DenialReason.GovernanceFault or DenialReason.Canceled => StatusCodes.Status503ServiceUnavailable,
        _ => StatusCodes.Status403Forbidden,
    };

    public static ProblemDetails Create(ExecutionDenial denial)
    {
        var status = StatusCodeFor(denial.Reason);
        var problem = new ProblemDetails
        {
            Status = status,
            Title = status switch
            {
                StatusCodes.Status400BadRequest => "The request's arguments cannot be described to governance policy.",
                StatusCodes.Status503ServiceUnavailable => "Governance could not decide on the request.",
                _ => "The request was denied by governance policy.",
            },
            Detail = denial.Detail,
        };
        problem.Extensions["reason"] = denial.Reason.ToString();
        problem.Extensions["reasonCode"] = (int)denial.Reason;
        problem.Extensions["executionId"] = denial.ExecutionId.ToString("D");
        return problem;
    }
}
