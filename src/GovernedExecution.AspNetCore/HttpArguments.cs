using System.IO.Pipelines;
using System.Reflection;
using System.Security.Claims;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.Extensions.DependencyInjection;

namespace GovernedExecution.AspNetCore;

/// <summary>How a handler parameter takes part in governance.</summary>
internal enum HttpParameterRole
{
    /// <summary>Request infrastructure or a service: not an argument (the policies do not see it).</summary>
    NotAnArgument,

    /// <summary>A value bound from the request (route, query, header, body, form field): an argument the policies see.</summary>
    Argument,

    /// <summary>A stream, form or file bound from the request: data the policies cannot be shown, so the request is refused.</summary>
    Unrepresentable,
}

/// <summary>One handler parameter as governance sees it.</summary>
internal readonly record struct HttpParameter(string Name, Type Type, HttpParameterRole Role);

/// <summary>One bound argument of a request: its value as the handler receives it, or that it is missing.</summary>
internal readonly record struct HttpArgument(HttpParameter Parameter, object? Value, bool IsMissing);

/// <summary>Classifies handler parameters by what they are bound from.</summary>
internal static class HttpParameters
{
    /// <summary>Parameter types that are the request's own plumbing, never arguments.</summary>
    public static bool IsInfrastructure(Type type) =>
        type == typeof(HttpContext) || type == typeof(HttpRequest) || type == typeof(HttpResponse)
        || type == typeof(CancellationToken) || type == typeof(ClaimsPrincipal);

    /// <summary>Parameter types through which a handler reads raw request data that no policy has seen.</summary>
    public static bool IsUnrepresentable(Type type) =>
        typeof(Stream).IsAssignableFrom(type) || type == typeof(PipeReader)
        || typeof(IFormFile).IsAssignableFrom(type) || typeof(IFormFileCollection).IsAssignableFrom(type)
        || typeof(IFormCollection).IsAssignableFrom(type);

    /// <summary>The parameters of a minimal API handler, classified as the request delegate factory binds them.</summary>
    public static HttpParameter[] ForHandler(MethodInfo method, IServiceProvider applicationServices)
    {
        var isService = applicationServices.GetService<IServiceProviderIsService>();
        var parameters = method.GetParameters();
        var result = new HttpParameter[parameters.Length];
        for (var i = 0; i < parameters.Length; i++)
        {
            var parameter = parameters[i];
            result[i] = new HttpParameter(parameter.Name ?? "arg" + i, parameter.ParameterType, Classify(parameter, isService));
        }

        return result;
    }

    private static HttpParameterRole Classify(ParameterInfo parameter, IServiceProviderIsService? isService)
    {
        var type = parameter.ParameterType;
        if (IsInfrastructure(type))
        {
            return HttpParameterRole.NotAnArgument;
        }

        var attributes = parameter.GetCustomAttributes(inherit: true);
        if (attributes.Any(static a => a is IFromServiceMetadata or FromKeyedServicesAttribute))
        {
            return HttpParameterRole.NotAnArgument;
        }

        if (IsUnrepresentable(type))
        {
            return HttpParameterRole.Unrepresentable;
        }

        var explicitlyBound = attributes.Any(static a => a is IFromRouteMetadata or IFromQueryMetadata or IFromHeaderMetadata
            or IFromBodyMetadata or IFromFormMetadata or AsParametersAttribute);
        return !explicitlyBound && isService?.IsService(type) == true ? HttpParameterRole.NotAnArgument : HttpParameterRole.Argument;
    }
}
