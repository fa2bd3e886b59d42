using GovernedExecution.Execution;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace GovernedExecution.AspNetCore;

/// <summary>The answer to a denied request: problem details, or nothing at all when the client has gone.</summary>
internal sealed class GovernedDenialResult(ExecutionDenial denial) : IResult
{
    public ExecutionDenial Denial { get; } = denial;

    public Task ExecuteAsync(HttpContext httpContext)
    {
        ArgumentNullException.ThrowIfNull(httpContext);
        var logger = GovernedHttpLog.Logger(httpContext);
        if (Denial.Reason == DenialReason.Canceled && httpContext.RequestAborted.IsCancellationRequested)
        {
            // The caller went away: nobody reads an answer, and nothing failed on this side.
            GovernedHttpLog.ClientClosed(logger, Denial.ExecutionId);
            if (!httpContext.Response.HasStarted)
            {
                httpContext.Response.StatusCode = GovernedProblemDetails.ClientClosedRequest;
            }

            return Task.CompletedTask;
        }

        var problem = GovernedProblemDetails.Create(Denial);
        GovernedHttpLog.Denied(logger, Denial.ExecutionId, Denial.Reason, problem.Status!.Value);
        return TypedResults.Problem(problem).ExecuteAsync(httpContext);
    }
}

/// <summary>The answer to a request without a principal: the authentication challenge, or a plain 401 without authentication.</summary>
internal sealed class GovernedChallengeResult : IResult
{
    public static GovernedChallengeResult Instance { get; } = new();

    public async Task ExecuteAsync(HttpContext httpContext)
    {
        ArgumentNullException.ThrowIfNull(httpContext);
        var logger = GovernedHttpLog.Logger(httpContext);
        GovernedHttpLog.NoPrincipal(logger);
        var schemes = httpContext.RequestServices.GetService<IAuthenticationSchemeProvider>();
        if (schemes is not null && await schemes.GetDefaultChallengeSchemeAsync().ConfigureAwait(false) is not null)
        {
            await httpContext.ChallengeAsync().ConfigureAwait(false);
            return;
        }

        await TypedResults.Problem(statusCode: StatusCodes.Status401Unauthorized, title: "The request has no authenticated principal.").ExecuteAsync(httpContext).ConfigureAwait(false);
    }
}

/// <summary>An <see cref="IResult"/> as an MVC action result.</summary>
internal sealed class HttpResultActionResult(IResult result) : IActionResult
{
    public IResult Result { get; } = result;

    public Task ExecuteResultAsync(ActionContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        return Result.ExecuteAsync(context.HttpContext);
    }
}

/// <summary>Log events of governed endpoints (event ids 1200 to 1209). They name no argument, claim or key.</summary>
internal static partial class GovernedHttpLog
{
    public static ILogger Logger(HttpContext httpContext) =>
        httpContext.RequestServices.GetService<ILoggerFactory>()?.CreateLogger("GovernedExecution.AspNetCore") ?? NullLogger.Instance;

    [LoggerMessage(EventId = 1200, Level = LogLevel.Debug, Message = "Governed request denied: execution {ExecutionId}, {Reason}, answered {StatusCode}")]
    public static partial void Denied(ILogger logger, Guid executionId, DenialReason reason, int statusCode);

    [LoggerMessage(EventId = 1201, Level = LogLevel.Debug, Message = "Governed request canceled by its client before it was authorized: execution {ExecutionId}, nothing ran")]
    public static partial void ClientClosed(ILogger logger, Guid executionId);

    [LoggerMessage(EventId = 1202, Level = LogLevel.Debug, Message = "Governed request without a principal: challenged, nothing ran")]
    public static partial void NoPrincipal(ILogger logger);
}
