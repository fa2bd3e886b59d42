using System.Globalization;
using System.Text;
using GovernedExecution.Intents;

namespace GovernedExecution.AspNetCore;

/// <summary>Reads a Cedar entity uid written as <c>Type::"id"</c> (as in a policy), strictly.</summary>
internal static class EntityUid
{
    /// <summary>Parses <paramref name="text"/>.</summary>
    /// <exception cref="ArgumentException">The text is not an entity uid.</exception>
    public static EntityReference Parse(string text, string parameterName)
    {
        ArgumentNullException.ThrowIfNull(text, parameterName);
        var quote = text.IndexOf("::\"", StringComparison.Ordinal);
        while (quote >= 0 && !IsValidType(text[..quote]))
        {
            quote = text.IndexOf("::\"", quote + 1, StringComparison.Ordinal);
        }

        if (quote < 0 || text.Length < quote + 4 || text[^1] != '"' || !TryUnescape(text.AsSpan(quote + 3, text.Length - quote - 4), out var id))
        {
            throw new ArgumentException($"'{text}' is not a Cedar entity uid such as Action::\"refund\".", parameterName);
        }

        return new EntityReference(text[..quote], id);
    }

    public static bool IsValidType(string? type)
    {
        if (string.IsNullOrEmpty(type))
        {
            return false;
        }

        try
        {
            _ = new EntityReference(type, string.Empty);
            return true;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    private static bool TryUnescape(ReadOnlySpan<char> body, out string id)
    {
        var builder = new StringBuilder(body.Length);
        id = string.Empty;
        for (var i = 0; i < body.Length; i++)
        {
            var c = body[i];
            if (c == '"')
            {
                return false;
            }

            if (c != '\\')
            {
                builder.Append(c);
                continue;
            }

            if (++i == body.Length)
            {
                return false;
            }

            switch (body[i])
            {
                case '"': builder.Append('"'); break;
                case '\'': builder.Append('\''); break;
                case '\\': builder.Append('\\'); break;
                case 'n': builder.Append('\n'); break;
                case 'r': builder.Append('\r'); break;
                case 't': builder.Append('\t'); break;
                case '0': builder.Append('\0'); break;
                case 'u':
                    var close = body[i..].IndexOf('}');
                    if (i + 1 >= body.Length || body[i + 1] != '{' || close < 3
                        || !int.TryParse(body.Slice(i + 2, close - 2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var code)
                        || code > 0x10FFFF || code is >= 0xD800 and <= 0xDFFF)
                    {
                        return false;
                    }

                    builder.Append(char.ConvertFromUtf32(code));
                    i += close;
                    break;
                default:
                    return false;
            }
        }

        id = builder.ToString();
        return true;
    }
}
