using System.CommandLine;
using System.Formats.Cbor;
using System.Security.Cryptography;
using System.Text.Json;
using GovernedExecution.Internal;
using GovernedExecution.Policies.Cedar;

namespace GovernedExecution.Cli.Commands;

/// <summary>
/// Turns what bad input throws (a missing or unreadable file, a malformed key, request, policy, artifact or log) into
/// one line on standard error and exit code 1, for every command. Anything else is a bug, reported by
/// <see cref="GovexecApp"/> as an internal error.
/// </summary>
internal static class CliGuard
{
    internal static bool IsInputError(Exception exception) => exception is IOException or UnauthorizedAccessException or FormatException
        or ArgumentException or NotSupportedException or InvalidDataException or JsonException or CedarParseException or CryptographicException
        or CborContentException or OverflowException or InvalidOperationException or KeyNotFoundException;

    internal static int Run(ParseResult result, Func<int> action)
    {
        try
        {
            return action();
        }
        catch (Exception ex) when (IsInputError(ex))
        {
            Report(result.InvocationConfiguration.Error, ex.Message);
            return ExitCodes.Error;
        }
    }

    internal static async Task<int> RunAsync(ParseResult result, Func<Task<int>> action)
    {
        try
        {
            return await action().ConfigureAwait(false);
        }
        catch (Exception ex) when (IsInputError(ex))
        {
            Report(result.InvocationConfiguration.Error, ex.Message);
            return ExitCodes.Error;
        }
    }

    /// <summary>
    /// A command validator that reads option values: a value that did not convert (<c>--sequence three</c>) throws when
    /// read, and is then reported as the usage error it is instead of escaping from the parser.
    /// </summary>
    internal static Action<System.CommandLine.Parsing.CommandResult> Validator(Action<System.CommandLine.Parsing.CommandResult> check) => result =>
    {
        try
        {
            check(result);
        }
        catch (InvalidOperationException ex)
        {
            result.AddError(ex.Message);
        }
    };

    /// <summary>Writes <c>govexec: message</c>, escaped: messages quote file names and the input they refuse.</summary>
    internal static void Report(TextWriter error, string message) => error.WriteLine("govexec: " + TerminalText.Escape(message));
}
