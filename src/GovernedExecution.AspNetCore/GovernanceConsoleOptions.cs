namespace GovernedExecution.AspNetCore;

/// <summary>
/// Options of the governance console (<see cref="GovernanceConsoleEndpointRouteBuilderExtensions.MapGovernanceConsole"/>):
/// who may look. The console is read-only, but what it shows (principals, resources, decisions, policies) is
/// sensitive: it is mapped only behind an authorization policy the host names, or, for development on one's own
/// machine, to loopback callers only.
/// </summary>
public sealed class GovernanceConsoleOptions
{
    /// <summary>
    /// The name of the ASP.NET Core authorization policy every console request must satisfy (registered by the host
    /// with <c>AddAuthorization(o =&gt; o.AddPolicy(name, ...))</c>). Required unless <see cref="LocalOnlyDevelopment"/> is set.
    /// </summary>
    public string? AuthorizationPolicy { get; set; }

    /// <summary>
    /// Maps the console without an authorization policy for development on one's own machine: every request that does
    /// not come from a loopback address (or whose address is unknown) is refused with 403. Off by default.
    /// </summary>
    public bool LocalOnlyDevelopment { get; set; }

    /// <summary>
    /// The name of the executor (as given to <c>AddGovernedExecution(name, ...)</c>) whose policies, keys and lineage
    /// sinks the console shows; the default executor when <see langword="null"/>.
    /// </summary>
    public string? ExecutorName { get; set; }
}
