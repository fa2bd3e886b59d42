using System.Text.Encodings.Web;
using System.Text.Json;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using GovernedExecution.Internal;

namespace GovernedExecution.Tests.Internal;

/// <summary>The escaper every text printed to a terminal goes through.</summary>
public sealed class TerminalTextTests
{
    private static readonly JsonSerializerOptions Relaxed = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>Strings of any UTF-16 units, lone surrogates and unassigned code points included, weighted towards the hostile ones.</summary>
    private static Arbitrary<string> Texts() => Gen.ListOf(Gen.OneOf(
            Gen.Elements('a', 'é', '"', '\\', '\n', '\r', '\u001B', '\u0085', '\u009B', '\u00AD', '\u061C', '\u200B', '\u200E', '\u202E', '\u2066', '\u2028', '\uFEFF', '\uD800', '\uDC00', '\u0378'),
            Gen.Choose(0, 0xFFFF).Select(i => (char)i)))
        .Select(chars => new string([.. chars]))
        .ToArbitrary();

    [Property(MaxTest = 500)]
    public Property Escaped_text_is_safe_on_a_terminal_and_one_line() =>
        Prop.ForAll(Texts(), text =>
        {
            var escaped = TerminalText.Escape(text);
            TerminalSafety.AssertSafe(escaped);
            return !escaped.Contains('\n', StringComparison.Ordinal);
        });

    [Property(MaxTest = 500)]
    public Property Escaped_json_is_safe_and_means_the_same() =>
        Prop.ForAll(Texts().Filter(t => !HasLoneSurrogate(t)), text =>
        {
            var json = TerminalText.EscapeJson(JsonSerializer.Serialize(new[] { text, "plain" }, Relaxed));
            TerminalSafety.AssertSafe(json);
            return JsonSerializer.Deserialize<string[]>(json)!.SequenceEqual([text, "plain"]);
        });

    [Theory]
    [InlineData("plain", "plain")]
    [InlineData("a\u202Eb", "a\\u{202e}b")]
    [InlineData("\u001B[31m", "\\u{1b}[31m")]
    [InlineData("x\ny", "x\\u{a}y")]
    [InlineData("\U000E0041", "\\u{e0041}")] // a tag character, beyond the BMP
    [InlineData("\U0001F600", "\U0001F600")] // an emoji is shown as it is
    public void Escape_writes_each_unsafe_character_as_its_code_point(string text, string expected) =>
        Assert.Equal(expected, TerminalText.Escape(text));

    [Fact]
    public void Escape_writes_a_lone_surrogate_as_its_code_unit() =>
        Assert.Equal("a\\u{d800}b", TerminalText.Escape("a\uD800b")); // in a Fact: test-case serialization would replace it

    [Fact]
    public void Escape_json_writes_characters_beyond_the_bmp_as_a_surrogate_pair()
    {
        Assert.Equal("\"\\uDB40\\uDC41\"", TerminalText.EscapeJson("\"\U000E0041\""));
        Assert.Equal("\"\\u202E\"", TerminalText.EscapeJson("\"\u202E\""));
    }

    private static bool HasLoneSurrogate(string text)
    {
        for (var i = 0; i < text.Length; i++)
        {
            if (char.IsHighSurrogate(text[i]) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                i++;
            }
            else if (char.IsSurrogate(text[i]))
            {
                return true;
            }
        }

        return false;
    }
}
