using System.Text;
using GovernedExecution.Intents;
using GovernedExecution.Internal;

namespace GovernedExecution.Approvals;

/// <summary>
/// Asks on a console (or any reader and writer) whether to approve, showing everything the answer is about: the
/// group and policy, the principal, action and resource, every context value, the arguments digest and the intent
/// digest. Answers <c>y</c> or <c>yes</c> approve, anything else refuses. One question at a time. For samples and
/// operator tools.
/// </summary>
/// <remarks>
/// Everything printed comes from the caller and may be hostile: control and format characters (such as the bidi
/// override U+202E) are printed as <c>\u{hex}</c>, and strings are quoted, so that no value can hide, reorder or
/// fake another.
/// </remarks>
public sealed class ConsoleApprovalProvider : IApprovalProvider, IDisposable
{
    private readonly TextReader _input;
    private readonly TextWriter _output;
    private readonly string _approver;
    private readonly TimeSpan _validity;
    private readonly TimeProvider _time;
    private readonly SemaphoreSlim _one = new(1, 1);

    /// <summary>Creates the provider.</summary>
    /// <param name="approver">The identity recorded as approver.</param>
    /// <param name="input">Where answers are read; standard input by default.</param>
    /// <param name="output">Where questions are written; standard output by default.</param>
    /// <param name="validity">How long an approval is valid; 5 minutes by default.</param>
    /// <param name="timeProvider">The clock; the system clock by default.</param>
    /// <exception cref="ArgumentException"><paramref name="approver"/> is empty.</exception>
    public ConsoleApprovalProvider(string approver, TextReader? input = null, TextWriter? output = null, TimeSpan? validity = null, TimeProvider? timeProvider = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(approver);
        _approver = approver;
        _input = input ?? Console.In;
        _output = output ?? Console.Out;
        _validity = validity ?? TimeSpan.FromMinutes(5);
        _time = timeProvider ?? TimeProvider.System;
    }

    /// <inheritdoc />
    public void Dispose() => _one.Dispose();

    /// <inheritdoc />
    public async ValueTask<ApprovalDecision> RequestApprovalAsync(ApprovalRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        await _one.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await _output.WriteAsync(Prompt(request, _output.NewLine)).ConfigureAwait(false);
            await _output.WriteAsync("  approve? [y/N] ").ConfigureAwait(false);
            await _output.FlushAsync(cancellationToken).ConfigureAwait(false);
            var answer = (await _input.ReadLineAsync(cancellationToken).ConfigureAwait(false))?.Trim();
            var approved = string.Equals(answer, "y", StringComparison.OrdinalIgnoreCase) || string.Equals(answer, "yes", StringComparison.OrdinalIgnoreCase);
            return approved
                ? ApprovalDecision.Approve(request, _approver, _time.GetUtcNow() + _validity)
                : ApprovalDecision.Refuse(request, _approver, "refused at the console");
        }
        finally
        {
            _one.Release();
        }
    }

    /// <summary>The question, one fact a line; every value from the request escaped.</summary>
    internal static string Prompt(ApprovalRequest request, string newLine)
    {
        var intent = request.Intent;
        var text = new StringBuilder();
        text.Append("Approval needed (").Append(TerminalText.Escape(request.Group)).Append(", policy ").Append(TerminalText.Escape(request.PolicyId))
            .Append("): ").Append(TerminalText.Escape(intent.ToString())).Append(newLine);
        text.Append("  execution ").Append(request.ExecutionId.ToString("D")).Append(newLine);
        text.Append("  principal ").Append(TerminalText.Escape(intent.Principal.ToString())).Append(newLine);
        text.Append("  action    ").Append(TerminalText.Escape(intent.Action.ToString())).Append(newLine);
        text.Append("  resource  ").Append(TerminalText.Escape(intent.Resource.ToString())).Append(newLine);
        if (intent.Context.Count == 0)
        {
            text.Append("  context: (empty)").Append(newLine);
        }

        foreach (var pair in intent.Context)
        {
            text.Append("  context").Append(Member(pair.Key)).Append(" = ");
            AppendValue(text, pair.Value);
            text.Append(newLine);
        }

        text.Append("  arguments digest ").Append(intent.ArgumentsDigest.IsEmpty ? "(none)" : Convert.ToHexStringLower(intent.ArgumentsDigest.Span)).Append(newLine);
        text.Append("  intent digest ").Append(Convert.ToHexStringLower(request.IntentDigest.Span)).Append(newLine);
        return text.ToString();
    }

    private static string Member(string key) => IsIdentifier(key) ? "." + key : "[" + Quote(key) + "]";

    private static bool IsIdentifier(string key)
    {
        if (key.Length == 0 || !(char.IsAsciiLetter(key[0]) || key[0] == '_'))
        {
            return false;
        }

        foreach (var c in key)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c == '_'))
            {
                return false;
            }
        }

        return true;
    }

    private static string Quote(string value) =>
        "\"" + TerminalText.Escape(value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal)) + "\"";

    private static void AppendValue(StringBuilder text, IntentValue value)
    {
        switch (value.Kind)
        {
            case IntentValueKind.String:
                text.Append(Quote(value.AsString()));
                break;
            case IntentValueKind.Entity:
                text.Append(TerminalText.Escape(value.AsEntity().ToString()));
                break;
            case IntentValueKind.Set:
                text.Append('[');
                var first = true;
                foreach (var item in value.AsSet())
                {
                    text.Append(first ? string.Empty : ", ");
                    AppendValue(text, item);
                    first = false;
                }

                text.Append(']');
                break;
            case IntentValueKind.Record:
                text.Append('{');
                var firstField = true;
                foreach (var field in value.AsRecord())
                {
                    text.Append(firstField ? string.Empty : ", ").Append(Quote(field.Key)).Append(": ");
                    AppendValue(text, field.Value);
                    firstField = false;
                }

                text.Append('}');
                break;
            default:
                // Longs, booleans and decimals print in Cedar's form, which holds no text from the caller.
                text.Append(value.ToString());
                break;
        }
    }
}
