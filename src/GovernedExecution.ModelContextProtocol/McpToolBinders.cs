using System.Runtime.CompilerServices;
using GovernedExecution.Integrations;
using ModelContextProtocol;
using ModelContextProtocol.Server;

namespace GovernedExecution.ModelContextProtocol;

/// <summary>
/// How the arguments of a call to a server tool are bound. A call-tool filter sees the matched tool
/// (<see cref="RequestContext{TParams}.MatchedPrimitive"/>) and its protocol description, but the SDK does not expose
/// the function behind a tool or its serializer options, so every tool is bound by its input schema, the contract it
/// publishes to clients, strictly. A call that matched no tool (a low-level handler) is bound by nothing: it takes no
/// arguments.
/// </summary>
internal static class McpToolBinders
{
    private static readonly ConditionalWeakTable<McpServerTool, ToolArgumentBinder> Binders = new();

    public static ToolArgumentBinder For(McpServerTool? tool) =>
        tool is null ? ToolArgumentBinder.Undescribed : Binders.GetValue(tool, static t => ToolArgumentBinder.ForSchema(t.ProtocolTool.InputSchema, McpJsonUtilities.DefaultOptions));
}
