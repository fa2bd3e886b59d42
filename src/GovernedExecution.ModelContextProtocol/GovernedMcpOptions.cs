using GovernedExecution.Intents;
using ModelContextProtocol.Protocol;
using ModelContextProtocol.Server;

namespace GovernedExecution.ModelContextProtocol;

/// <summary>How a governed MCP server describes each <c>tools/call</c> to the executor.</summary>
public sealed class GovernedMcpOptions
{
    /// <summary>
    /// Chooses the principal from the request, for example from the authenticated <see cref="MessageContext.User"/> of
    /// an HTTP transport. By default the principal is the client's self-declared name from its <c>initialize</c>
    /// request (<see cref="McpServer.ClientInfo"/>), as <c>McpClient::"&lt;name&gt;"</c> (type
    /// <see cref="PrincipalType"/>); a request from a client that sent no name is refused.
    /// </summary>
    public Func<RequestContext<CallToolRequestParams>, EntityReference>? PrincipalSelector { get; set; }

    /// <summary>The entity type of the default principal: <c>McpClient</c>.</summary>
    public string PrincipalType { get; set; } = "McpClient";

    /// <summary>The entity type of the action, whose id is the tool's name: <c>Action::"&lt;tool name&gt;"</c> by default.</summary>
    public string ActionType { get; set; } = "Action";

    /// <summary>Chooses the resource from the request; by default the tool itself, <c>Tool::"&lt;tool name&gt;"</c>.</summary>
    public Func<RequestContext<CallToolRequestParams>, EntityReference>? ResourceSelector { get; set; }
}
