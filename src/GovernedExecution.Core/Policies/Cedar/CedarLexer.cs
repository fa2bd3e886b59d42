namespace GovernedExecution.Policies.Cedar;

internal enum TokenKind
{
    Eof,
    Ident,
    Int,
    String,
    LParen,
    RParen,
    LBracket,
    RBracket,
    LBrace,
    RBrace,
    Comma,
    Semi,
    Colon,
    DoubleColon,
    Dot,
    At,
    Question,
    EqEq,
    NotEq,
    Less,
    LessEq,
    Greater,
    GreaterEq,
    AndAnd,
    OrOr,
    Bang,
    Minus,
    Plus,
    Star,
    Assign,
}

/// <summary>A token; for strings <see cref="Text"/> is the raw body between the quotes.</summary>
internal readonly record struct Token(TokenKind Kind, string Text, int Line, int Column);

/// <summary>Thrown inside the parser to abort at the first problem.</summary>
internal sealed class CedarSyntaxException : Exception
{
    public CedarSyntaxException()
    {
    }

    public CedarSyntaxException(string message)
        : base(message)
    {
    }

    public CedarSyntaxException(string message, Exception inner)
        : base(message, inner)
    {
    }

    public CedarSyntaxException(int line, int column, string message)
        : base(message)
    {
        Line = line;
        Column = column;
    }

    public int Line { get; }

    public int Column { get; }
}

/// <summary>Splits Cedar text into tokens; whitespace and <c>//</c> comments are skipped.</summary>
internal static class CedarLexer
{
    public static List<Token> Tokenize(string text, bool allowAssign = false)
    {
        var tokens = new List<Token>();
        int i = 0, line = 1, lineStart = 0;
        while (true)
        {
            // Skip whitespace and comments.
            while (i < text.Length)
            {
                char c = text[i];
                if (c == '\n')
                {
                    line++;
                    i++;
                    lineStart = i;
                }
                else if (char.IsWhiteSpace(c))
                {
                    // Cedar skips every Unicode White_Space character, not only the ASCII ones.
                    i++;
                }
                else if (c == '/' && i + 1 < text.Length && text[i + 1] == '/')
                {
                    // A comment ends at a line feed or a carriage return.
                    while (i < text.Length && text[i] != '\n' && text[i] != '\r')
                    {
                        i++;
                    }
                }
                else
                {
                    break;
                }
            }

            int col = i - lineStart + 1;
            if (i >= text.Length)
            {
                tokens.Add(new Token(TokenKind.Eof, string.Empty, line, col));
                return tokens;
            }

            char ch = text[i];
            if (ch == '_' || char.IsAsciiLetter(ch))
            {
                int start = i;
                while (i < text.Length && (text[i] == '_' || char.IsAsciiLetterOrDigit(text[i])))
                {
                    i++;
                }

                tokens.Add(new Token(TokenKind.Ident, text[start..i], line, col));
                continue;
            }

            if (char.IsAsciiDigit(ch))
            {
                int start = i;
                while (i < text.Length && char.IsAsciiDigit(text[i]))
                {
                    i++;
                }

                if (i < text.Length && (text[i] == '_' || char.IsAsciiLetter(text[i])))
                {
                    throw new CedarSyntaxException(line, col, "invalid number literal: expected digits only");
                }

                tokens.Add(new Token(TokenKind.Int, text[start..i], line, col));
                continue;
            }

            if (ch == '"')
            {
                int start = ++i;
                int startLine = line;
                while (true)
                {
                    if (i >= text.Length)
                    {
                        throw new CedarSyntaxException(startLine, col, "unterminated string literal: expected a closing '\"'");
                    }

                    char s = text[i];
                    if (s == '"')
                    {
                        break;
                    }

                    if (s == '\\')
                    {
                        i++;
                        if (i < text.Length && text[i] == '\n')
                        {
                            line++;
                            lineStart = i + 1;
                        }
                    }
                    else if (s == '\n')
                    {
                        line++;
                        lineStart = i + 1;
                    }

                    i++;
                }

                tokens.Add(new Token(TokenKind.String, text[start..i], startLine, col));
                i++;
                continue;
            }

            TokenKind kind;
            int len = 1;
            char next = i + 1 < text.Length ? text[i + 1] : '\0';
            switch (ch)
            {
                case '(': kind = TokenKind.LParen; break;
                case ')': kind = TokenKind.RParen; break;
                case '[': kind = TokenKind.LBracket; break;
                case ']': kind = TokenKind.RBracket; break;
                case '{': kind = TokenKind.LBrace; break;
                case '}': kind = TokenKind.RBrace; break;
                case ',': kind = TokenKind.Comma; break;
                case ';': kind = TokenKind.Semi; break;
                case '.': kind = TokenKind.Dot; break;
                case '@': kind = TokenKind.At; break;
                case '?': kind = TokenKind.Question; break;
                case '+': kind = TokenKind.Plus; break;
                case '-': kind = TokenKind.Minus; break;
                case '*': kind = TokenKind.Star; break;
                case ':':
                    (kind, len) = next == ':' ? (TokenKind.DoubleColon, 2) : (TokenKind.Colon, 1);
                    break;
                case '=' when next == '=':
                    (kind, len) = (TokenKind.EqEq, 2);
                    break;
                case '!':
                    (kind, len) = next == '=' ? (TokenKind.NotEq, 2) : (TokenKind.Bang, 1);
                    break;
                case '<':
                    (kind, len) = next == '=' ? (TokenKind.LessEq, 2) : (TokenKind.Less, 1);
                    break;
                case '>':
                    (kind, len) = next == '=' ? (TokenKind.GreaterEq, 2) : (TokenKind.Greater, 1);
                    break;
                case '&' when next == '&':
                    (kind, len) = (TokenKind.AndAnd, 2);
                    break;
                case '|' when next == '|':
                    (kind, len) = (TokenKind.OrOr, 2);
                    break;
                case '=' when allowAssign:
                    kind = TokenKind.Assign;
                    break;
                case '=':
                    throw new CedarSyntaxException(line, col, "unknown operator '=': expected '=='");
                case '&':
                    throw new CedarSyntaxException(line, col, "unknown operator '&': expected '&&'");
                case '|':
                    throw new CedarSyntaxException(line, col, "unknown operator '|': expected '||'");
                default:
                    throw new CedarSyntaxException(line, col, "unexpected character " + Describe(ch));
            }

            tokens.Add(new Token(kind, text.Substring(i, len), line, col));
            i += len;
        }
    }

    private static string Describe(char c) =>
        c >= 0x20 && c < 0x7f ? "'" + c + "'" : "U+" + ((int)c).ToString("X4", System.Globalization.CultureInfo.InvariantCulture);
}
