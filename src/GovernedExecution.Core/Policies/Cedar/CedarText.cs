using System.Globalization;
using System.Text;

namespace GovernedExecution.Policies.Cedar;

/// <summary>Cedar string literal escaping and unescaping.</summary>
internal static class CedarText
{
    /// <summary>Writes <paramref name="s"/> as a quoted Cedar string literal that reads back to the same string.</summary>
    public static void WriteString(StringBuilder sb, string s)
    {
        sb.Append('"');
        foreach (var rune in s.EnumerateRunes())
        {
            switch (rune.Value)
            {
                case '"':
                    sb.Append("\\\"");
                    break;
                case '\\':
                    sb.Append("\\\\");
                    break;
                case '\n':
                    sb.Append("\\n");
                    break;
                case '\r':
                    sb.Append("\\r");
                    break;
                case '\t':
                    sb.Append("\\t");
                    break;
                case '\0':
                    sb.Append("\\0");
                    break;
                default:
                    if (rune.Value < 0x20 || rune.Value == 0x7f || (rune.Value >= 0x80 && Rune.IsControl(rune)))
                    {
                        sb.Append("\\u{").Append(rune.Value.ToString("x", CultureInfo.InvariantCulture)).Append('}');
                    }
                    else
                    {
                        sb.Append(rune.ToString());
                    }

                    break;
            }
        }

        sb.Append('"');
    }

    public static string Quote(string s)
    {
        var sb = new StringBuilder(s.Length + 2);
        WriteString(sb, s);
        return sb.ToString();
    }

    /// <summary>
    /// Unescapes the body of a string literal (without quotes). When <paramref name="pattern"/> is given, the body is
    /// read as a <c>like</c> pattern: unescaped <c>*</c> becomes a wildcard (null in the list) and <c>\*</c> a literal star.
    /// Returns an error message, or null on success.
    /// </summary>
    public static string? Unescape(string body, out string result, List<string?>? pattern = null)
    {
        var sb = new StringBuilder(body.Length);
        result = string.Empty;
        for (int i = 0; i < body.Length; i++)
        {
            char c = body[i];
            if (c == '*' && pattern is not null)
            {
                if (sb.Length > 0)
                {
                    pattern.Add(sb.ToString());
                    sb.Clear();
                }

                pattern.Add(null);
                continue;
            }

            if (c != '\\')
            {
                sb.Append(c);
                continue;
            }

            if (i + 1 >= body.Length)
            {
                return "string ends with a lone backslash";
            }

            char e = body[++i];
            switch (e)
            {
                case 'n': sb.Append('\n'); break;
                case 'r': sb.Append('\r'); break;
                case 't': sb.Append('\t'); break;
                case '0': sb.Append('\0'); break;
                case '\\': sb.Append('\\'); break;
                case '"': sb.Append('"'); break;
                case '\'': sb.Append('\''); break;
                case '*' when pattern is not null:
                    sb.Append('*');
                    break;
                case 'x':
                    {
                        if (i + 2 >= body.Length || !char.IsAsciiHexDigit(body[i + 1]) || !char.IsAsciiHexDigit(body[i + 2]))
                        {
                            return "invalid \\x escape: expected two hex digits";
                        }

                        int v = int.Parse(body.AsSpan(i + 1, 2), NumberStyles.HexNumber, CultureInfo.InvariantCulture);
                        if (v > 0x7f)
                        {
                            return "invalid \\x escape: value above 0x7f";
                        }

                        i += 2;
                        AppendDecoded(sb, v, pattern);
                        break;
                    }

                case 'u':
                    {
                        if (i + 1 >= body.Length || body[i + 1] != '{')
                        {
                            return "invalid \\u escape: expected '{'";
                        }

                        int close = body.IndexOf('}', i + 2);
                        if (close < 0)
                        {
                            return "invalid \\u escape: expected '}'";
                        }

                        var hex = body.AsSpan(i + 2, close - i - 2);
                        if (hex.Length == 0 || hex.Length > 6)
                        {
                            return "invalid \\u escape: expected 1 to 6 hex digits";
                        }

                        foreach (var h in hex)
                        {
                            if (!char.IsAsciiHexDigit(h))
                            {
                                return "invalid \\u escape: not a hex digit";
                            }
                        }

                        int v = int.Parse(hex, NumberStyles.HexNumber, CultureInfo.InvariantCulture);
                        if (!Rune.IsValid(v))
                        {
                            return "invalid \\u escape: not a Unicode scalar value";
                        }

                        i = close;
                        AppendDecoded(sb, v, pattern);
                        break;
                    }

                default:
                    return "unknown escape sequence \\" + e;
            }
        }

        if (pattern is not null && sb.Length > 0)
        {
            pattern.Add(sb.ToString());
        }

        result = sb.ToString();
        return null;
    }

    // In a pattern, a star written as an escape (\x2a, \u{2a}) is a wildcard like a bare star; only \* is a literal star.
    private static void AppendDecoded(StringBuilder sb, int codePoint, List<string?>? pattern)
    {
        if (codePoint == '*' && pattern is not null)
        {
            if (sb.Length > 0)
            {
                pattern.Add(sb.ToString());
                sb.Clear();
            }

            pattern.Add(null);
            return;
        }

        sb.Append(new Rune(codePoint).ToString());
    }
}
