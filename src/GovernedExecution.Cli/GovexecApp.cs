using System.CommandLine;
using GovernedExecution.Cli.Commands;
using GovernedExecution.Internal;

namespace GovernedExecution.Cli;

/// <summary>The tool's entry point, shared by <c>Program</c> and the tests that run it in process.</summary>
internal static class GovexecApp
{
    internal static RootCommand CreateRoot()
    {
        var root = new RootCommand("govexec: audit governed executions offline (policies, artifacts, lineage), and migrate the PostgreSQL schema.");
        PolicyCommands.Register(root);
        KeyCommands.Register(root);
        ArtifactCommands.Register(root);
        LineageCommands.Register(root);
        ReplayCommands.Register(root);
        PostgresCommands.Register(root);
        ConsoleCommands.Register(root);
        return root;
    }

    /// <summary>Parses and runs one command line; returns the exit code (docs/cli.md).</summary>
    internal static async Task<int> RunAsync(string[] args, TextWriter? output = null, TextWriter? error = null, CancellationToken cancellationToken = default)
    {
        // No default exception handler: it prints a stack trace and exits 1, the code of a refused input.
        var configuration = new InvocationConfiguration { EnableDefaultExceptionHandler = false };
        if (output is not null)
        {
            configuration.Output = output;
        }

        if (error is not null)
        {
            configuration.Error = error;
        }

        ParseResult parse;
        int code;
        try
        {
            parse = CreateRoot().Parse(args);
            code = await parse.InvokeAsync(configuration, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            await configuration.Error.WriteLineAsync("govexec: interrupted; nothing was judged").ConfigureAwait(false);
            return ExitCodes.Interrupted;
        }
#pragma warning disable CA1031 // The last resort: whatever escaped a command is reported as govexec's own failure, never as a verdict.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            await configuration.Error.WriteLineAsync($"govexec: internal error ({ex.GetType().Name}): {TerminalText.Escape(ex.Message)}; nothing was judged").ConfigureAwait(false);
            return ExitCodes.Internal;
        }

        // A command line that does not parse (unknown command or option, missing required option, invalid value) has
        // printed its errors and the usage: it is a usage error, distinct from a failure to read or judge the input.
        return parse.Errors.Count > 0 ? ExitCodes.Usage : code;
    }
}
