using System.CommandLine;

namespace GovernedExecution.Cli.Commands;

/// <summary><c>govexec policy ...</c>, <c>govexec authorize</c> and <c>govexec conformance</c>.</summary>
internal static class PolicyCommands
{
    internal static void Register(RootCommand root)
    {
        var policy = new Command("policy", "Validate policies.");
        root.Subcommands.Add(policy);
    }
}
