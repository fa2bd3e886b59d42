using System.Globalization;
using System.Text;

namespace GovernedExecution.Policies.Cedar;

/// <summary>One problem found while reading Cedar policies, entities or schemas.</summary>
public sealed class CedarDiagnostic
{
    /// <summary>Creates a diagnostic.</summary>
    /// <param name="source">The name of the source (usually a file name).</param>
    /// <param name="line">The 1-based line, or 0 when unknown.</param>
    /// <param name="column">The 1-based column, or 0 when unknown.</param>
    /// <param name="message">What went wrong, and what was expected.</param>
    /// <exception cref="ArgumentNullException">When <paramref name="source"/> or <paramref name="message"/> is null.</exception>
    public CedarDiagnostic(string source, int line, int column, string message)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(message);
        Source = source;
        Line = line;
        Column = column;
        Message = message;
    }

    /// <summary>Gets the name of the source.</summary>
    public string Source { get; }

    /// <summary>Gets the 1-based line (0 when unknown).</summary>
    public int Line { get; }

    /// <summary>Gets the 1-based column (0 when unknown).</summary>
    public int Column { get; }

    /// <summary>Gets the message.</summary>
    public string Message { get; }

    /// <summary>Formats the diagnostic as <c>source:line:column: message</c>.</summary>
    /// <returns>The formatted diagnostic.</returns>
    public override string ToString() =>
        string.Create(CultureInfo.InvariantCulture, $"{Source}:{Line}:{Column}: {Message}");
}

/// <summary>Raised when Cedar text or JSON cannot be read; no partial result is ever returned.</summary>
public sealed class CedarParseException : Exception
{
    /// <summary>Creates an exception with no diagnostics.</summary>
    public CedarParseException()
        : this([])
    {
    }

    /// <summary>Creates an exception with a single diagnostic built from <paramref name="message"/>.</summary>
    /// <param name="message">The message.</param>
    public CedarParseException(string message)
        : this([new CedarDiagnostic("<input>", 0, 0, message ?? string.Empty)])
    {
    }

    /// <summary>Creates an exception wrapping another one.</summary>
    /// <param name="message">The message.</param>
    /// <param name="innerException">The cause.</param>
    public CedarParseException(string message, Exception innerException)
        : base(message, innerException)
    {
        Diagnostics = [new CedarDiagnostic("<input>", 0, 0, message ?? string.Empty)];
    }

    /// <summary>Creates an exception carrying <paramref name="diagnostics"/>.</summary>
    /// <param name="diagnostics">The problems found, in source order.</param>
    /// <exception cref="ArgumentNullException">When <paramref name="diagnostics"/> is null.</exception>
    public CedarParseException(IReadOnlyList<CedarDiagnostic> diagnostics)
        : base(Summarize(diagnostics))
    {
        Diagnostics = diagnostics;
    }

    /// <summary>Gets the problems found, in source order.</summary>
    public IReadOnlyList<CedarDiagnostic> Diagnostics { get; }

    /// <summary>Formats every diagnostic as <c>source:line:column: message</c>, one per line.</summary>
    /// <returns>The formatted diagnostics.</returns>
    public override string ToString()
    {
        var sb = new StringBuilder();
        foreach (var d in Diagnostics)
        {
            if (sb.Length > 0)
            {
                sb.Append('\n');
            }

            sb.Append(d);
        }

        return sb.Length == 0 ? Message : sb.ToString();
    }

    private static string Summarize(IReadOnlyList<CedarDiagnostic> diagnostics)
    {
        ArgumentNullException.ThrowIfNull(diagnostics);
        return diagnostics.Count == 0 ? "Cedar input could not be read." : diagnostics[0].ToString();
    }
}
