using System.Security.Claims;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using GovernedExecution.Execution;
using GovernedExecution.Integrations;
using GovernedExecution.Intents;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace GovernedExecution.AspNetCore;

/// <summary>
/// Describes a request to a governed endpoint as an <see cref="ExecutionIntent"/>: the principal from the user, the
/// endpoint's action, the resource, and the handler's bound arguments as context and arguments digest (the same
/// description as the tool integrations give: each argument as canonical JSON, written with the application's JSON
/// options). What cannot be described exactly is a refusal, never a run.
/// </summary>
internal static class GovernedHttpDescriber
{
    /// <summary>The detail of a refusal of a handler that takes a stream, a form or a file.</summary>
    public const string Unrepresentable = "a parameter is a stream, form or file that governance cannot describe";

    public static DescribedRequest Describe(
        HttpContext http,
        EntityReference action,
        Func<GovernedHttpCall, EntityReference>? endpointResource,
        GovernedHttpOptions options,
        IReadOnlyList<HttpArgument> arguments,
        JsonSerializerOptions json)
    {
        ToolSeamFault? fault = null;
        var principal = SelectPrincipal(http.User, options, ref fault);
        var resource = DefaultResource(http);
        if (fault is not null)
        {
            return DescribedRequest.Refused(new ExecutionIntent(ToolSeams.UnresolvedPrincipal, action, resource), DenialReason.GovernanceFault, fault.Detail);
        }

        if (principal is null)
        {
            return DescribedRequest.Unauthenticated;
        }

        var bound = new SortedDictionary<string, JsonElement>(StringComparer.Ordinal);
        foreach (var argument in arguments)
        {
            var refusal = argument switch
            {
                { Parameter.Role: HttpParameterRole.NotAnArgument } => null,
                { Parameter.Role: HttpParameterRole.Unrepresentable } => Unrepresentable,
                { IsMissing: true } => ToolBindingRefusals.MissingRequired,
                _ => TryBind(argument, json, bound),
            };
            if (refusal is not null)
            {
                return DescribedRequest.Refused(new ExecutionIntent(principal, action, resource), DenialReason.ArgumentsInvalid, refusal);
            }
        }

        // The shared description of bound arguments: context and digest from one reading, refused when a member repeats
        // (before any selector sees the arguments) or when text is not UTF-16 (a lone surrogate).
        ToolBinding binding;
        try
        {
            binding = ToolBinding.Bound(bound);
        }
        catch (InvalidOperationException)
        {
            binding = ToolBinding.Refused(ToolBindingRefusals.NotBindable);
        }

        if (binding.Refusal is { } notBindable)
        {
            return DescribedRequest.Refused(new ExecutionIntent(principal, action, resource), DenialReason.ArgumentsInvalid, notBindable);
        }

        var call = new GovernedHttpCall(http, action, binding.Arguments!);
        if ((endpointResource ?? options.ResourceSelector) is { } selectResource)
        {
            resource = ToolSeams.Select(selectResource, call, ToolSeams.ResourceSelector, ref fault) ?? resource;
        }

        var intent = new ExecutionIntent(principal, action, resource) { Context = binding.Context!, ArgumentsDigest = binding.Digest! };
        return fault is null ? DescribedRequest.Described(intent) : DescribedRequest.Refused(intent, DenialReason.GovernanceFault, fault.Detail);
    }

    /// <summary><c>Endpoint::"&lt;route pattern&gt;"</c>, or the endpoint's display name when it has no route.</summary>
    public static EntityReference DefaultResource(HttpContext http)
    {
        var endpoint = http.GetEndpoint();
        var name = (endpoint as RouteEndpoint)?.RoutePattern.RawText ?? endpoint?.DisplayName ?? string.Empty;
        return new EntityReference("Endpoint", name);
    }

    private static EntityReference? SelectPrincipal(ClaimsPrincipal user, GovernedHttpOptions options, ref ToolSeamFault? fault)
    {
        if (options.PrincipalSelector is { } selector)
        {
            return ToolSeams.Select(selector, user, ToolSeams.PrincipalSelector, ref fault, nullIsFault: false);
        }

        // Only claims of authenticated identities count, and exactly one: a second value would make the principal ambiguous.
        string? id = null;
        var count = 0;
        foreach (var identity in user.Identities)
        {
            if (!identity.IsAuthenticated)
            {
                continue;
            }

            foreach (var claim in identity.FindAll(options.PrincipalClaimType))
            {
                id = claim.Value;
                count++;
            }
        }

        return count == 1 ? new EntityReference(options.PrincipalEntityType, id!) : null;
    }

    /// <summary>
    /// Writes the bound value with the application's JSON options (by the parameter's declared type); it must read back
    /// to the same JSON, so that the policies are not shown a value the handler would not recognise as its own.
    /// </summary>
    private static string? TryBind(HttpArgument argument, JsonSerializerOptions options, SortedDictionary<string, JsonElement> bound)
    {
        JsonTypeInfo typeInfo;
        JsonElement canonical;
        try
        {
            typeInfo = options.GetTypeInfo(argument.Parameter.Type);
            canonical = JsonSerializer.SerializeToElement(argument.Value, typeInfo);
        }
        catch (Exception)
        {
            return ToolBindingRefusals.NotBindable;
        }

        try
        {
            var again = JsonSerializer.SerializeToElement(JsonSerializer.Deserialize(canonical, typeInfo), typeInfo);
            if (!string.Equals(ToolArguments.ToCanonicalJson(again), ToolArguments.ToCanonicalJson(canonical), StringComparison.Ordinal))
            {
                return ToolBindingRefusals.Unstable;
            }
        }
        catch (Exception)
        {
            return ToolBindingRefusals.Unstable;
        }

        bound[argument.Parameter.Name] = canonical;
        return null;
    }
}

/// <summary>A described request: its intent; or a refusal with the intent its lineage record names; or no principal at all.</summary>
internal sealed class DescribedRequest
{
    private DescribedRequest(ExecutionIntent? intent, DenialReason? refusal, string? detail)
    {
        Intent = intent;
        Refusal = refusal;
        Detail = detail;
    }

    /// <summary>The request has no principal: it is answered 401 and nothing is recorded.</summary>
    public static DescribedRequest Unauthenticated { get; } = new(null, null, null);

    public ExecutionIntent? Intent { get; }

    public DenialReason? Refusal { get; }

    public string? Detail { get; }

    public static DescribedRequest Described(ExecutionIntent intent) => new(intent, null, null);

    public static DescribedRequest Refused(ExecutionIntent intent, DenialReason reason, string detail) => new(intent, reason, detail);
}
