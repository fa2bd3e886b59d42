using GovernedExecution.Execution;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http;

namespace GovernedExecution.AspNetCore;

/// <summary>
/// Answers an <see cref="ExecutionDeniedException"/> that escaped a handler (a handler calling <c>RunAsync</c> itself)
/// as a governed endpoint answers a denial: problem details, or nothing when the client has gone. Every other exception
/// is left to the next handler.
/// </summary>
internal sealed class GovernedExceptionHandler : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(httpContext);
        if (exception is not ExecutionDeniedException denied || httpContext.Response.HasStarted)
        {
            return false;
        }

        await new GovernedDenialResult(denied.Denial).ExecuteAsync(httpContext).ConfigureAwait(false);
        return true;
    }
}
