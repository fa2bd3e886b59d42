using GovernedExecution.AspNetCore;
using GovernedExecution.Intents;
using Microsoft.AspNetCore.Http;

namespace Microsoft.AspNetCore.Builder;

/// <summary>Governs minimal API endpoints.</summary>
public static class GovernedEndpointConventionBuilderExtensions
{
    /// <summary>
    /// Governs the endpoint as <paramref name="action"/>: each request runs its handler only if the executor authorizes
    /// the intent <c>(principal from the user, action, resource, the handler's bound arguments)</c>. A denial is answered
    /// with problem details (403, 400 or 503) and the handler does not run; a request without a principal is answered
    /// 401. Filters added after this one run inside the governed execution, after the decision: add it last, so that
    /// nothing changes the arguments between the decision and the handler.
    /// </summary>
    /// <typeparam name="TBuilder">The endpoint convention builder.</typeparam>
    /// <param name="builder">The endpoint (or group) to govern.</param>
    /// <param name="action">The action as a Cedar entity uid, for example <c>Action::"refund"</c>.</param>
    /// <param name="resource">
    /// Chooses the resource from the request and its bound arguments (a throw or <see langword="null"/> refuses the
    /// request with <see cref="GovernedExecution.Execution.DenialReason.GovernanceFault"/>); by default
    /// <see cref="GovernedHttpOptions.ResourceSelector"/>, else <c>Endpoint::"&lt;route pattern&gt;"</c>.
    /// </param>
    /// <returns>The builder.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="builder"/> or <paramref name="action"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="action"/> is not a Cedar entity uid.</exception>
    public static TBuilder Governed<TBuilder>(this TBuilder builder, string action, Func<GovernedHttpCall, EntityReference>? resource = null)
        where TBuilder : IEndpointConventionBuilder
    {
        ArgumentNullException.ThrowIfNull(builder);
        var actionUid = EntityUid.Parse(action, nameof(action));
        builder.WithMetadata(new GovernedAttribute(action), GovernedEndpointMarker.Instance);
        builder.AddEndpointFilterFactory((context, next) =>
        {
            var filter = new GovernedEndpointFilter(actionUid, resource, HttpParameters.ForHandler(context.MethodInfo, context.ApplicationServices));
            return invocation => filter.InvokeAsync(invocation, next);
        });
        return builder;
    }
}
