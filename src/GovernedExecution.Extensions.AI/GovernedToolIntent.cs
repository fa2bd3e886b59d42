using GovernedExecution.Execution;
using GovernedExecution.Integrations;
using GovernedExecution.Intents;
using Microsoft.Extensions.AI;

namespace GovernedExecution.Extensions.AI;

/// <summary>Describes a tool call as an <see cref="ExecutionIntent"/>, exactly as a governed tool does before it runs.</summary>
public static class GovernedToolIntent
{
    /// <summary>
    /// Creates the intent of a call: the arguments bound to the tool's parameters as the tool binds them (see
    /// <see cref="GovernedAIFunctionExtensions.WithGovernance(AIFunction, IGovernedExecutor, GovernedToolOptions?)"/>),
    /// the principal and resource chosen by <paramref name="options"/>, the action <c>Action::"&lt;tool name&gt;"</c>, the
    /// bound arguments as context attributes (strings, booleans, integers within the 64-bit range, arrays as sets and
    /// objects as records; other numbers as their JSON text; <c>null</c>s left out), and the <see cref="ArgumentsDigest"/>
    /// of all of them (each as canonical JSON). An orchestrator mints an artifact for this intent; the tool, given the
    /// same arguments, builds the same intent.
    /// </summary>
    /// <param name="tool">The tool (its name is the action's id).</param>
    /// <param name="arguments">The call's arguments.</param>
    /// <param name="options">The options the tool is governed with; <see langword="null"/> for the defaults.</param>
    /// <returns>The intent.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="tool"/> or <paramref name="arguments"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">The options are invalid, or the arguments do not bind to the tool's parameters (the governed tool refuses such a call with <see cref="DenialReason.ArgumentsInvalid"/>).</exception>
    /// <exception cref="InvalidOperationException">No principal is configured and there is no ambient <see cref="GovernedAgent"/>, or a selector failed or returned <see langword="null"/> (the exception it threw is the inner exception).</exception>
    public static ExecutionIntent Create(AIFunction tool, AIFunctionArguments arguments, GovernedToolOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(tool);
        ArgumentNullException.ThrowIfNull(arguments);
        var settings = GovernedToolSettings.From(options);
        var described = settings.Describe(tool, ToolArgumentBinder.For(tool), arguments);
        return described switch
        {
            { Refusal: DenialReason.ArgumentsInvalid } => throw new ArgumentException($"The arguments of tool '{tool.Name}' do not bind: {described.Fault!.Detail}.", nameof(arguments)),
            { Refusal: not null } => throw new InvalidOperationException($"The call to tool '{tool.Name}' cannot be described: {described.Fault!.Detail}.", described.Fault.Exception),
            _ => described.Intent,
        };
    }
}
