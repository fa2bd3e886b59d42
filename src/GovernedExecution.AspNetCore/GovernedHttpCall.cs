using System.Text.Json;
using GovernedExecution.Intents;
using Microsoft.AspNetCore.Http;

namespace GovernedExecution.AspNetCore;

/// <summary>
/// One request to a governed endpoint, as a resource selector sees it: the request, the action, and the handler's
/// arguments as bound (serialized with the application's JSON options, by parameter name). These bound values are what
/// the policies see and what the handler receives.
/// </summary>
public sealed class GovernedHttpCall
{
    internal GovernedHttpCall(HttpContext httpContext, EntityReference action, IReadOnlyDictionary<string, JsonElement> jsonArguments)
    {
        HttpContext = httpContext;
        Action = action;
        JsonArguments = jsonArguments;
    }

    /// <summary>The request's context.</summary>
    public HttpContext HttpContext { get; }

    /// <summary>The action the endpoint is governed as, for example <c>Action::"refund"</c>.</summary>
    public EntityReference Action { get; }

    /// <summary>The bound arguments as the application's JSON options write them, by handler parameter name (ordinal).</summary>
    public IReadOnlyDictionary<string, JsonElement> JsonArguments { get; }
}
