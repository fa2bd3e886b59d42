using System.Globalization;
using System.Text;

namespace GovernedExecution.Internal;

/// <summary>
/// Makes text read from untrusted input (lineage records, artifact claims, policy files, request files) safe to print
/// on a terminal, where a control character can move the cursor or recolour the screen and a format character (the
/// bidi overrides such as U+202E, zero-width characters) can reorder or hide what an approver or auditor reads.
/// </summary>
internal static class TerminalText
{
    /// <summary>
    /// Whether a character must not reach a terminal raw: controls, format characters, line and paragraph separators,
    /// lone surrogates, and unassigned code points (which a newer terminal may treat as format characters).
    /// </summary>
    internal static bool IsUnsafe(Rune rune) => Rune.GetUnicodeCategory(rune) is UnicodeCategory.Control or UnicodeCategory.Format
        or UnicodeCategory.LineSeparator or UnicodeCategory.ParagraphSeparator or UnicodeCategory.Surrogate or UnicodeCategory.OtherNotAssigned;

    /// <summary>
    /// The text with every unsafe character written as <c>\u{hex}</c> (the form <see cref="Intents.EntityReference"/>
    /// already uses for controls), line feeds included: one value never spans or fakes another line.
    /// </summary>
    internal static string Escape(string? text) => Rewrite(text ?? string.Empty, static _ => true, static (builder, value) =>
        builder.Append("\\u{").Append(value.ToString("x", CultureInfo.InvariantCulture)).Append('}'));

    /// <summary>
    /// JSON text with every unsafe character inside its strings written as a JSON <c>\uXXXX</c> escape (a pair of them
    /// beyond the BMP), so the document means exactly what it meant before. Outside strings JSON text is ASCII, and
    /// inside them a JSON writer has already escaped the C0 controls: the tab, line feed and carriage return that
    /// remain are the document's own whitespace and stay as they are.
    /// </summary>
    internal static string EscapeJson(string json) => Rewrite(json, static value => value is not ('\t' or '\n' or '\r'), static (builder, value) =>
    {
        Span<char> units = stackalloc char[2];
        var count = value <= 0xFFFF ? 1 : new Rune(value).EncodeToUtf16(units);
        if (count == 1)
        {
            units[0] = (char)value;
        }

        foreach (var unit in units[..count])
        {
            builder.Append("\\u").Append(((int)unit).ToString("X4", CultureInfo.InvariantCulture));
        }
    });

    private static string Rewrite(string text, Func<int, bool> escapesControl, Action<StringBuilder, int> escape)
    {
        StringBuilder? builder = null;
        var copied = 0;
        for (var i = 0; i < text.Length;)
        {
            int value;
            int used;
            bool unsafeHere;
            if (Rune.DecodeFromUtf16(text.AsSpan(i), out var rune, out used) == System.Buffers.OperationStatus.Done)
            {
                value = rune.Value;
                unsafeHere = IsUnsafe(rune) && (!Rune.IsControl(rune) || escapesControl(rune.Value));
            }
            else
            {
                // A lone surrogate: one UTF-16 unit that no terminal can show faithfully.
                value = text[i];
                used = 1;
                unsafeHere = true;
            }

            if (unsafeHere)
            {
                builder ??= new StringBuilder(text.Length + 16);
                builder.Append(text, copied, i - copied);
                escape(builder, value);
                copied = i + used;
            }

            i += used;
        }

        return builder is null ? text : builder.Append(text, copied, text.Length - copied).ToString();
    }
}
