using System.Text.Json;
using Microsoft.Extensions.AI;

namespace GovernedExecution.Extensions.AI;

/// <summary>
/// One invocation of a governed tool, as the selectors of <see cref="GovernedToolOptions"/> see it: the tool, the
/// arguments the caller passed and the same arguments as JSON (which is what the tool receives if the call runs).
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

    /// <summary>The arguments as passed, with their <see cref="AIFunctionArguments.Services"/> and <see cref="AIFunctionArguments.Context"/>.</summary>
    public AIFunctionArguments Arguments { get; }

    /// <summary>The arguments as JSON values, by name (ordinal).</summary>
    public IReadOnlyDictionary<string, JsonElement> JsonArguments { get; }
}
