using GovernedExecution.AspNetCore.ConsoleUi;
using Microsoft.AspNetCore.Routing;

namespace GovernedExecution.AspNetCore;

/// <summary>Maps the governance console: lineage explorer, proof viewer, policy view and health dashboard (docs/console.md).</summary>
public static class GovernanceConsoleEndpointRouteBuilderExtensions
{
    /// <summary>
    /// Maps the read-only governance console under <paramref name="pattern"/>, for the executor registered with
    /// <c>AddGovernedExecution</c>: server-rendered pages with a strict Content-Security-Policy, behind the
    /// authorization policy named in <see cref="GovernanceConsoleOptions.AuthorizationPolicy"/>.
    /// </summary>
    /// <param name="endpoints">The application's endpoints.</param>
    /// <param name="pattern">The path prefix, for example <c>/governance</c>.</param>
    /// <param name="configure">Names the authorization policy (or opts into local-only development use).</param>
    /// <returns>The console's route group, for further conventions.</returns>
    /// <exception cref="ArgumentNullException">An argument is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="pattern"/> is empty.</exception>
    /// <exception cref="InvalidOperationException">No authorization policy was named and <see cref="GovernanceConsoleOptions.LocalOnlyDevelopment"/> is not set.</exception>
    public static RouteGroupBuilder MapGovernanceConsole(this IEndpointRouteBuilder endpoints, string pattern, Action<GovernanceConsoleOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        ArgumentException.ThrowIfNullOrWhiteSpace(pattern);
        ArgumentNullException.ThrowIfNull(configure);
        var options = new GovernanceConsoleOptions();
        configure(options);
        return ConsoleEndpoints.Map(endpoints, pattern, options, ConsoleSourcesFactory.FromServices(options.ExecutorName));
    }
}
