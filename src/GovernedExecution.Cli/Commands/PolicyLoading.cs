using GovernedExecution.Policies;
using GovernedExecution.Policies.Cedar;

namespace GovernedExecution.Cli.Commands;

/// <summary>The one place where <c>govexec artifact mint</c> turns policy files into an evaluator.</summary>
internal static class PolicyLoading
{
    /// <summary>Loads the Cedar policies in <paramref name="path"/> (a .cedar or .json file, or a folder) and, optionally, entities (Cedar JSON).</summary>
    /// <exception cref="CedarParseException">A policy or the entities cannot be parsed (file, line and column in the message).</exception>
    /// <exception cref="IOException">A file cannot be read.</exception>
    internal static IPolicyEvaluator Load(string path, string? entitiesPath) =>
        new CedarPolicyEvaluator(PolicyCommands.LoadPolicies(path), PolicyCommands.LoadEntities(entitiesPath, null));
}
