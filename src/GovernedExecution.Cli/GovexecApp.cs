using System.CommandLine;
using GovernedExecution.Cli.Commands;

namespace GovernedExecution.Cli;

/// <summary>The tool's entry point, shared by <c>Program</c> and the tests that run it in process.</summary>
internal static class GovexecApp
{
    internal static RootCommand CreateRoot()
    {
        var root = new RootCommand("govexec: audit governed executions offline (policies, artifacts, lineage).");
        PolicyCommands.Register(root);
        KeyCommands.Register(root);
        ArtifactCommands.Register(root);
        LineageCommands.Register(root);
        return root;
    }

    /// <summary>Parses and runs one command line; returns the exit code (docs/cli.md).</summary>
    internal static async Task<int> RunAsync(string[] args, TextWriter? output = null, TextWriter? error = null, CancellationToken cancellationToken = default)
    {
        var configuration = new InvocationConfiguration();
        if (output is not null)
        {
            configuration.Output = output;
        }

        if (error is not null)
        {
            configuration.Error = error;
        }

        return await CreateRoot().Parse(args).InvokeAsync(configuration, cancellationToken).ConfigureAwait(false);
    }
}
