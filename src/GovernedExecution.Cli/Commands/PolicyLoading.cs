using GovernedExecution.Policies;

namespace GovernedExecution.Cli.Commands;

/// <summary>The one place where <c>govexec</c> turns policy files into an evaluator.</summary>
internal static class PolicyLoading
{
    /// <summary>Loads the Cedar policies in <paramref name="path"/> (a file or a folder) and, optionally, entities.</summary>
    /// <exception cref="NotSupportedException">Always, until the Cedar evaluator is wired in.</exception>
    internal static IPolicyEvaluator Load(string path, string? entitiesPath) =>
        throw new NotSupportedException($"Cedar policy files are not supported yet (cannot load '{path}'{(entitiesPath is null ? string.Empty : $" with entities '{entitiesPath}'")}).");
}
