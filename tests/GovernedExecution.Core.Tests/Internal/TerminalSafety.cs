using System.Globalization;
using System.Text;

namespace GovernedExecution.Tests.Internal;

/// <summary>
/// Asserts that text printed to a terminal carries no character that can move the cursor, recolour, reorder or hide
/// what the reader sees: controls (other than the line feeds the printer itself writes), format characters such as
/// the bidi overrides, line and paragraph separators, and unassigned code points. Written independently of the
/// product's escaper, from the Unicode categories.
/// </summary>
internal static class TerminalSafety
{
    internal static void AssertSafe(string printed)
    {
        var lines = printed.Replace("\r\n", "\n", StringComparison.Ordinal).Split('\n');
        for (var n = 0; n < lines.Length; n++)
        {
            var text = lines[n];
            for (var i = 0; i < text.Length;)
            {
                var status = Rune.DecodeFromUtf16(text.AsSpan(i), out var rune, out var used);
                Assert.True(status == System.Buffers.OperationStatus.Done, $"line {n + 1}: a lone surrogate at {i}: {text}");
                var category = Rune.GetUnicodeCategory(rune);
                Assert.False(
                    category is UnicodeCategory.Control or UnicodeCategory.Format or UnicodeCategory.LineSeparator or UnicodeCategory.ParagraphSeparator or UnicodeCategory.OtherNotAssigned,
                    $"line {n + 1}: U+{rune.Value:X4} ({category}) printed raw: {text}");
                i += used;
            }
        }
    }

    /// <summary>A string that carries every kind of character a hostile input would use against a terminal.</summary>
    internal const string Hostile = "ev\u202Eil\u2066x\u2069\u200B\u00AD\u001B[2J\u001B]0;t\u0007\r\u009B31m\u2028\uFEFF";
}
