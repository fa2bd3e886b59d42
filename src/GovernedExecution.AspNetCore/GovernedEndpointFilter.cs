using GovernedExecution.Execution;
using GovernedExecution.Intents;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using HttpJsonOptions = Microsoft.AspNetCore.Http.Json.JsonOptions;

namespace GovernedExecution.AspNetCore;

/// <summary>
/// Governs a minimal API handler: the rest of the pipeline (inner filters and the handler) runs inside the executor,
/// on the arguments as bound; a denial is answered with problem details and the handler does not run.
/// </summary>
internal sealed class GovernedEndpointFilter(EntityReference action, Func<GovernedHttpCall, EntityReference>? resource, HttpParameter[] parameters) : IEndpointFilter
{
    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(next);
        var http = context.HttpContext;
        var services = http.RequestServices;
        var arguments = new HttpArgument[parameters.Length];
        for (var i = 0; i < parameters.Length; i++)
        {
            // The request delegate factory passes one argument per handler parameter, in order.
            arguments[i] = i < context.Arguments.Count
                ? new HttpArgument(parameters[i], context.Arguments[i], IsMissing: false)
                : new HttpArgument(parameters[i], null, IsMissing: true);
        }

        var options = services.GetService<IOptions<GovernedHttpOptions>>()?.Value ?? new GovernedHttpOptions();
        var json = services.GetRequiredService<IOptions<HttpJsonOptions>>().Value.SerializerOptions;
        var described = GovernedHttpDescriber.Describe(http, action, resource, options, arguments, json);
        var result = await GovernedHttpExecution.RunAsync(http, described, (next, context), static (s, _) => s.next(s.context)).ConfigureAwait(false);
        return result.Denied ?? result.Value;
    }
}

/// <summary>Runs a described request through the executor; the shared core of both filters.</summary>
internal static class GovernedHttpExecution
{
    /// <summary>The handler's result, or the answer to a denial (<see cref="HttpRunResult{T}.Denied"/>); the handler's own exception passes unchanged.</summary>
    public static async ValueTask<HttpRunResult<T>> RunAsync<TState, T>(HttpContext http, DescribedRequest described, TState state, Func<TState, CancellationToken, ValueTask<T>> operation)
    {
        if (described.Intent is not { } intent)
        {
            return HttpRunResult<T>.Deny(GovernedChallengeResult.Instance);
        }

        var executor = http.RequestServices.GetRequiredService<IGovernedExecutor>();
        if (described.Refusal is { } reason)
        {
            var refusal = await executor.RefuseAsync(intent, reason, described.Detail!).ConfigureAwait(false);
            return HttpRunResult<T>.Deny(new GovernedDenialResult(refusal));
        }

        var outcome = await executor.RunOutcomeAsync(intent, (state, operation), static (s, _, ct) => s.operation(s.state, ct), http.RequestAborted).ConfigureAwait(false);
        return outcome.IsDenied ? HttpRunResult<T>.Deny(new GovernedDenialResult(outcome.Denial!)) : new HttpRunResult<T>(outcome.GetResultOrThrow(), null);
    }
}

/// <summary>What running a governed request gave: the handler's value, or the answer to its denial.</summary>
internal readonly record struct HttpRunResult<T>(T? Value, IResult? Denied)
{
    public static HttpRunResult<T> Deny(IResult answer) => new(default, answer);
}
