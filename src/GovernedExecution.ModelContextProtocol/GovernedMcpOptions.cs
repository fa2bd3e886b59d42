using GovernedExecution.Intents;
using ModelContextProtocol.Protocol;
using ModelContextProtocol.Server;

namespace GovernedExecution.ModelContextProtocol;

/// <summary>How a governed MCP server describes each <c>tools/call</c> to the executor.</summary>
public sealed class GovernedMcpOptions
{
    /// <summary>
    /// Chooses the principal from the request, for example from the authenticated <see cref="MessageContext.User"/> of
    /// an HTTP transport. Required, unless <see cref="AllowSelfDeclaredClientName"/> is set: governance refuses to be
    /// configured without one. A selector that throws or returns <see langword="null"/> refuses the call
    /// (<c>GovernanceFault</c>). It sees the request with the arguments already bound (see
    /// <see cref="GovernedMcpServerBuilderExtensions"/>); for a call whose arguments do not bind, the request carries
    /// none, and the selector is asked only to name the principal in the refusal's lineage record.
    /// </summary>
    public Func<RequestContext<CallToolRequestParams>, EntityReference>? PrincipalSelector { get; set; }

    /// <summary>
    /// Whether, with no <see cref="PrincipalSelector"/>, the principal is the name the client declares for itself in its
    /// <c>initialize</c> request (<see cref="McpServer.ClientInfo"/>), as <c>McpClient::"&lt;name&gt;"</c> (type
    /// <see cref="PrincipalType"/>). Any client can claim any name, so this is off by default; turn it on only where
    /// every client that can connect is trusted (a local stdio server started by its only client). A call from a
    /// client that declared no name is refused.
    /// </summary>
    public bool AllowSelfDeclaredClientName { get; set; }

    /// <summary>The entity type of the self-declared principal (<see cref="AllowSelfDeclaredClientName"/>): <c>McpClient</c>.</summary>
    public string PrincipalType { get; set; } = "McpClient";

    /// <summary>The entity type of the action, whose id is the tool's name: <c>Action::"&lt;tool name&gt;"</c> by default.</summary>
    public string ActionType { get; set; } = "Action";

    /// <summary>
    /// Chooses the resource from the request, whose arguments are then the bound ones; by default the tool itself,
    /// <c>Tool::"&lt;tool name&gt;"</c>. A selector that throws or returns <see langword="null"/> refuses the call.
    /// </summary>
    public Func<RequestContext<CallToolRequestParams>, EntityReference>? ResourceSelector { get; set; }
}
