using GovernedExecution.Intents;
using Microsoft.AspNetCore.Mvc.Controllers;
using Microsoft.AspNetCore.Mvc.Filters;
using Microsoft.AspNetCore.Mvc.ModelBinding;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using MvcJsonOptions = Microsoft.AspNetCore.Mvc.JsonOptions;

namespace GovernedExecution.AspNetCore;

/// <summary>
/// Governs an MVC action (or every action of a controller) as <see cref="Action"/>: the action runs only if the
/// executor authorizes the intent <c>(principal from the user, action, resource, the action's bound arguments)</c>;
/// a denial is answered with problem details (403, 400 or 503) and the action does not run. On an action and its
/// controller, the action's attribute applies. The filter runs after the other action filters (<see cref="Order"/>), so
/// that none of them changes the arguments after the decision. On a minimal API endpoint use
/// <c>.Governed("Action::\"...\"")</c>: this attribute alone does not install the endpoint filter there, and
/// <c>AddGovernedHttp</c> refuses to start a host with such an endpoint.
/// </summary>
[AttributeUsage(AttributeTargets.Class | AttributeTargets.Method, AllowMultiple = false, Inherited = true)]
public sealed class GovernedAttribute : Attribute, IAsyncActionFilter, IOrderedFilter
{
    private readonly EntityReference _action;
    private EntityReference? _resource;

    /// <summary>Governs the action as <paramref name="action"/>.</summary>
    /// <param name="action">The action as a Cedar entity uid, for example <c>Action::"refund"</c>.</param>
    /// <exception cref="ArgumentNullException"><paramref name="action"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="action"/> is not a Cedar entity uid.</exception>
    public GovernedAttribute(string action)
    {
        _action = EntityUid.Parse(action, nameof(action));
        Action = action;
    }

    /// <summary>The action, as written.</summary>
    public string Action { get; }

    /// <summary>
    /// A fixed resource as a Cedar entity uid (for example <c>Ledger::"main"</c>); when not set, the resource is chosen by
    /// <see cref="GovernedHttpOptions.ResourceSelector"/>, else <c>Endpoint::"&lt;route pattern&gt;"</c>.
    /// </summary>
    /// <exception cref="ArgumentException">The value is not a Cedar entity uid.</exception>
    public string? Resource
    {
        get => _resource?.ToString();
        set => _resource = value is null ? null : EntityUid.Parse(value, nameof(Resource));
    }

    /// <summary>The filter's order: <see cref="int.MaxValue"/> by default, so that it runs closest to the action.</summary>
    public int Order { get; set; } = int.MaxValue;

    /// <summary>Runs the action through the executor, or answers the denial.</summary>
    /// <param name="context">The action's context.</param>
    /// <param name="next">The action.</param>
    /// <returns>A task that completes when the action (or the denial's answer) has.</returns>
    /// <exception cref="ArgumentNullException">A parameter is <see langword="null"/>.</exception>
    public async Task OnActionExecutionAsync(ActionExecutingContext context, ActionExecutionDelegate next)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(next);
        if (!ReferenceEquals(context.FindEffectivePolicy<GovernedAttribute>(), this))
        {
            // A closer attribute (the action's over its controller's) governs this action.
            await next().ConfigureAwait(false);
            return;
        }

        var http = context.HttpContext;
        var services = http.RequestServices;
        var options = services.GetService<IOptions<GovernedHttpOptions>>()?.Value ?? new GovernedHttpOptions();
        var json = services.GetRequiredService<IOptions<MvcJsonOptions>>().Value.JsonSerializerOptions;
        var fixedResource = _resource;
        var described = GovernedHttpDescriber.Describe(http, _action, fixedResource is null ? null : _ => fixedResource, options, Arguments(context), json);
        var result = await GovernedHttpExecution.RunAsync(http, described, next, static async (run, _) =>
        {
            var executed = await run().ConfigureAwait(false);
            if (executed.Exception is not null && !executed.ExceptionHandled)
            {
                // The action failed: the lineage records a failure, and MVC sees the exception as it would without governance.
                (executed.ExceptionDispatchInfo ?? System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(executed.Exception)).Throw();
            }

            return executed;
        }).ConfigureAwait(false);
        if (result.Denied is { } denied)
        {
            context.Result = new HttpResultActionResult(denied);
        }
    }

    private static List<HttpArgument> Arguments(ActionExecutingContext context)
    {
        var arguments = new List<HttpArgument>();
        foreach (var descriptor in context.ActionDescriptor.Parameters)
        {
            var parameter = new HttpParameter(descriptor.Name, descriptor.ParameterType, Classify(descriptor));
            if (context.ActionArguments.TryGetValue(descriptor.Name, out var value))
            {
                arguments.Add(new HttpArgument(parameter, value, IsMissing: false));
                continue;
            }

            // Not bound: the action receives the parameter's default, null, or (a value type without one) a value no request gave.
            var info = (descriptor as ControllerParameterDescriptor)?.ParameterInfo;
            if (info?.HasDefaultValue == true)
            {
                arguments.Add(new HttpArgument(parameter, info.DefaultValue, IsMissing: false));
            }
            else
            {
                var nullable = !descriptor.ParameterType.IsValueType || Nullable.GetUnderlyingType(descriptor.ParameterType) is not null;
                arguments.Add(new HttpArgument(parameter, null, IsMissing: !nullable));
            }
        }

        return arguments;
    }

    private static HttpParameterRole Classify(Microsoft.AspNetCore.Mvc.Abstractions.ParameterDescriptor descriptor)
    {
        var source = descriptor.BindingInfo?.BindingSource;
        if (HttpParameters.IsInfrastructure(descriptor.ParameterType) || source == BindingSource.Services || source == BindingSource.Special)
        {
            return HttpParameterRole.NotAnArgument;
        }

        return source == BindingSource.FormFile || HttpParameters.IsUnrepresentable(descriptor.ParameterType)
            ? HttpParameterRole.Unrepresentable
            : HttpParameterRole.Argument;
    }
}
