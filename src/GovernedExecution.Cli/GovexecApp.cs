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

        var parse = CreateRoot().Parse(args);
        var code = await parse.InvokeAsync(configuration, cancellationToken).ConfigureAwait(false);

        // A command line that does not parse (unknown command or option, missing required option, invalid value) has
        // printed its errors and the usage: it is a usage error, distinct from a failure to read or judge the input.
        return parse.Errors.Count > 0 ? ExitCodes.Usage : code;
    }
}
