using System.Text.Json;
using Microsoft.Extensions.AI;

namespace GovernedExecution.Extensions.AI;

/// <summary>
/// One invocation of a governed tool, as the selectors of <see cref="GovernedToolOptions"/> see it: the tool and its
/// arguments bound to its parameters (every parameter it binds from its arguments, defaults of omitted ones included,
/// as canonical JSON). These are the values the policies see and the tool receives if the call runs; the raw arguments
/// are never shown.
/// </summary>
public sealed class GovernedToolCall
{
    internal GovernedToolCall(AIFunction tool, AIFunctionArguments arguments, IReadOnlyDictionary<string, JsonElement> jsonArguments)
    {
        Tool = tool;
        Arguments = arguments;
        JsonArguments = jsonArguments;
    }

    /// <summary>The tool's name (the action's id).</summary>
    public string ToolName => Tool.Name;

    /// <summary>The governed tool (the function that runs if the call is permitted).</summary>
    public AIFunction Tool { get; }

    /// <summary>
    /// The bound arguments as JSON values, with the caller's <see cref="AIFunctionArguments.Services"/> and
    /// <see cref="AIFunctionArguments.Context"/>. A copy: changing it changes nothing of what runs.
    /// </summary>
    public AIFunctionArguments Arguments { get; }

    /// <summary>The bound arguments as JSON values, by parameter name (ordinal).</summary>
    public IReadOnlyDictionary<string, JsonElement> JsonArguments { get; }
}
