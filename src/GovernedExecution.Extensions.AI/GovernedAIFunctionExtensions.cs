using GovernedExecution.Execution;
using Microsoft.Extensions.AI;

namespace GovernedExecution.Extensions.AI;

/// <summary>Wraps Microsoft.Extensions.AI tools so that each invocation runs through an <see cref="IGovernedExecutor"/>.</summary>
public static class GovernedAIFunctionExtensions
{
    /// <summary>
    /// Returns a tool with the same name, description and JSON schema whose every invocation runs through
    /// <paramref name="executor"/>. The arguments are first bound to <paramref name="tool"/>'s parameters as it binds them
    /// (a tool made from a .NET method: its method's parameters with its own serializer options, made strict; any other
    /// tool: its JSON schema, strictly); the bound values, defaults of omitted parameters included, are what the policies
    /// see (see <see cref="GovernedToolIntent.Create"/>) and exactly what <paramref name="tool"/> receives, and it runs
    /// only if the execution is authorized. Arguments that do not bind unambiguously are refused
    /// (<see cref="DenialReason.ArgumentsInvalid"/>) and the refusal is recorded. A denial returns a refusal object as the
    /// tool's result (or throws <see cref="ExecutionDeniedException"/>, see <see cref="GovernedToolOptions.ThrowOnDenial"/>);
    /// the tool's own exceptions pass through unchanged. A call made inside a governed execution (a nested tool call,
    /// a sub-agent) records that execution as its parent. The governed tool hands out no service of the tool it governs
    /// (<see cref="AITool.GetService(Type, object?)"/>): that would run ungoverned.
    /// </summary>
    /// <param name="tool">The tool to govern.</param>
    /// <param name="executor">The executor.</param>
    /// <param name="options">How calls become intents; <see langword="null"/> for the defaults.</param>
    /// <returns>The governed tool.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="tool"/> or <paramref name="executor"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException"><see cref="GovernedToolOptions.ActionType"/> is not a valid entity type name.</exception>
    public static AIFunction WithGovernance(this AIFunction tool, IGovernedExecutor executor, GovernedToolOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(tool);
        ArgumentNullException.ThrowIfNull(executor);
        return new GovernedAIFunction(tool, executor, GovernedToolSettings.From(options));
    }

    /// <summary>
    /// Governs every tool of a list, as <see cref="WithGovernance(AIFunction, IGovernedExecutor, GovernedToolOptions?)"/>
    /// does one. Declarations that cannot be invoked here (<see cref="AIFunctionDeclaration"/> that is not an
    /// <see cref="AIFunction"/>) are kept as they are; any other tool (a tool hosted by the model's provider) cannot be
    /// governed in this process and is rejected.
    /// </summary>
    /// <param name="tools">The tools, for example for <see cref="ChatOptions.Tools"/>.</param>
    /// <param name="executor">The executor.</param>
    /// <param name="options">How calls become intents; <see langword="null"/> for the defaults.</param>
    /// <returns>A new list of the governed tools, in the same order.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="tools"/>, a tool or <paramref name="executor"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">A tool cannot be governed here, or the options are invalid.</exception>
    public static IList<AITool> WithGovernance(this IEnumerable<AITool> tools, IGovernedExecutor executor, GovernedToolOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(tools);
        ArgumentNullException.ThrowIfNull(executor);
        var settings = GovernedToolSettings.From(options);
        var governed = new List<AITool>();
        foreach (var tool in tools)
        {
            ArgumentNullException.ThrowIfNull(tool, nameof(tools));
            governed.Add(tool switch
            {
                AIFunction function => new GovernedAIFunction(function, executor, settings),
                AIFunctionDeclaration declaration => declaration,
                _ => throw new ArgumentException($"The tool '{tool.Name}' ({tool.GetType().Name}) does not run in this process and cannot be governed here.", nameof(tools)),
            });
        }

        return governed;
    }
}
