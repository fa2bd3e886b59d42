using GovernedExecution.Execution;
using Microsoft.Extensions.DependencyInjection;
using ModelContextProtocol.Protocol;
using ModelContextProtocol.Server;

namespace GovernedExecution.ModelContextProtocol;

/// <summary>
/// Governs an MCP server's tools: every <c>tools/call</c> runs through an <see cref="IGovernedExecutor"/>. The
/// arguments are first bound to the matched tool's parameters (as the tool binds them, or strictly by its input schema);
/// arguments that do not bind are refused (<see cref="DenialReason.ArgumentsInvalid"/>). The principal is chosen by
/// <see cref="GovernedMcpOptions.PrincipalSelector"/>, the action is <c>Action::"&lt;tool name&gt;"</c>, the resource
/// <c>Tool::"&lt;tool name&gt;"</c> unless mapped; the bound arguments are context attributes (strings, booleans,
/// integers within the 64-bit range, arrays as sets and objects as records; other numbers as their JSON text;
/// <c>null</c>s left out), all of them are bound by the arguments digest, and the tool receives exactly them. A refused
/// call returns a tool error result (<see cref="CallToolResult.IsError"/>) whose text is a JSON refusal (reason, reason
/// code, determining policies, execution id), the refusal is recorded in the lineage, and the tool never runs.
/// </summary>
public static class GovernedMcpServerBuilderExtensions
{
    /// <summary>
    /// Governs every tool call with the <see cref="IGovernedExecutor"/> registered in the container (for example by
    /// <c>AddGovernedExecution</c>); a call on a server without one fails and the tool does not run. Add it after any
    /// call-tool filter that rewrites requests, so that the request it authorizes is the one the tool receives.
    /// </summary>
    /// <param name="builder">The server builder.</param>
    /// <param name="configure">Configures how calls become intents.</param>
    /// <returns>The builder.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="builder"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">The configured options are invalid, or name no principal selector without <see cref="GovernedMcpOptions.AllowSelfDeclaredClientName"/>.</exception>
    public static IMcpServerBuilder WithGovernance(this IMcpServerBuilder builder, Action<GovernedMcpOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.WithGovernance(
            static request => (request.Services ?? throw new InvalidOperationException("The request has no services.")).GetRequiredService<IGovernedExecutor>(),
            configure);
    }

    /// <summary>
    /// Governs every tool call with <paramref name="executor"/>. Add it after any call-tool filter that rewrites
    /// requests, so that the request it authorizes is the one the tool receives.
    /// </summary>
    /// <param name="builder">The server builder.</param>
    /// <param name="executor">The executor.</param>
    /// <param name="configure">Configures how calls become intents.</param>
    /// <returns>The builder.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="builder"/> or <paramref name="executor"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">The configured options are invalid, or name no principal selector without <see cref="GovernedMcpOptions.AllowSelfDeclaredClientName"/>.</exception>
    public static IMcpServerBuilder WithGovernance(this IMcpServerBuilder builder, IGovernedExecutor executor, Action<GovernedMcpOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(executor);
        return builder.WithGovernance(_ => executor, configure);
    }

    /// <summary>
    /// Creates the governing call-tool filter for a server configured without dependency injection: add it to
    /// <see cref="McpServerOptions.Filters"/> (<c>Request.CallToolFilters</c>).
    /// </summary>
    /// <param name="executor">The executor.</param>
    /// <param name="options">How calls become intents; <see langword="null"/> for the defaults.</param>
    /// <returns>The filter.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="executor"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">The options are invalid, or name no principal selector without <see cref="GovernedMcpOptions.AllowSelfDeclaredClientName"/>.</exception>
    public static McpRequestFilter<CallToolRequestParams, CallToolResult> CreateGovernedCallToolFilter(IGovernedExecutor executor, GovernedMcpOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(executor);
        return GovernedCallToolFilter.Create(_ => executor, options);
    }

    private static IMcpServerBuilder WithGovernance(
        this IMcpServerBuilder builder, Func<RequestContext<CallToolRequestParams>, IGovernedExecutor> executor, Action<GovernedMcpOptions>? configure)
    {
        var options = new GovernedMcpOptions();
        configure?.Invoke(options);
        var filter = GovernedCallToolFilter.Create(executor, options);
        return builder.WithRequestFilters(filters => filters.AddCallToolFilter(filter));
    }
}
