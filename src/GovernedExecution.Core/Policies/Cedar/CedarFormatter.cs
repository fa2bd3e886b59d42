using System.Text;

namespace GovernedExecution.Policies.Cedar;

/// <summary>
/// Lays out Cedar policy text the way the official <c>cedar format</c> does for the common shapes (line width 80,
/// indentation 2): annotations one per line, the scope on one line or one element per line, each condition on a line
/// of its own or broken at its top-level <c>&amp;&amp;</c> / <c>||</c> operands, a blank line between policies, comments
/// kept. It works on tokens and their source text, so literals and parentheses stay exactly as written.
/// </summary>
internal sealed class CedarFormatter
{
    private const int Width = 80;
    private const string Indent = "  ";

    private static readonly HashSet<string> Keywords = new(StringComparer.Ordinal) { "if", "then", "else", "in", "has", "like", "is" };

    private readonly string _text;
    private readonly List<Token> _tokens;
    private readonly int[] _start;
    private readonly int[] _end;
    private readonly List<string>[] _leading;
    private readonly List<string>[] _trailing;
    private readonly StringBuilder _out = new();

    private CedarFormatter(string text)
    {
        _text = text;
        _tokens = CedarLexer.Tokenize(text);
        var lineStarts = new List<int> { 0 };
        for (int i = 0; i < text.Length; i++)
        {
            if (text[i] == '\n')
            {
                lineStarts.Add(i + 1);
            }
        }

        int n = _tokens.Count;
        _start = new int[n];
        _end = new int[n];
        _leading = new List<string>[n];
        _trailing = new List<string>[n];
        for (int i = 0; i < n; i++)
        {
            var t = _tokens[i];
            _start[i] = t.Kind == TokenKind.Eof ? text.Length : lineStarts[t.Line - 1] + t.Column - 1;
            _end[i] = t.Kind switch
            {
                TokenKind.Eof => text.Length,
                TokenKind.String => EndOfString(_start[i]),
                _ => _start[i] + t.Text.Length,
            };
            _leading[i] = [];
            _trailing[i] = [];
        }

        CollectComments();
    }

    /// <summary>Formats policy text; the text must already parse (see <see cref="CedarParser"/>).</summary>
    public static string Format(string text)
    {
        var f = new CedarFormatter(text);
        f.FormatAll();
        return f._out.ToString();
    }

    private int EndOfString(int start)
    {
        int i = start + 1;
        while (i < _text.Length && _text[i] != '"')
        {
            i += _text[i] == '\\' ? 2 : 1;
        }

        return i + 1;
    }

    private void CollectComments()
    {
        int prevEnd = 0;
        for (int i = 0; i < _tokens.Count; i++)
        {
            int pos = prevEnd;
            bool sawNewline = i == 0;
            while (pos < _start[i])
            {
                char c = _text[pos];
                if (c is '\n' or '\r')
                {
                    sawNewline = true;
                    pos++;
                }
                else if (c == '/' && pos + 1 < _text.Length && _text[pos + 1] == '/')
                {
                    int stop = pos;
                    while (stop < _text.Length && _text[stop] is not ('\n' or '\r'))
                    {
                        stop++;
                    }

                    var comment = _text[pos..stop].TrimEnd();
                    (sawNewline || i == 0 ? _leading[i] : _trailing[i - 1]).Add(comment);
                    pos = stop;
                }
                else
                {
                    pos++;
                }
            }

            prevEnd = _end[i];
        }
    }

    private string Src(int i) => _text[_start[i].._end[i]];

    private bool IsKind(int i, TokenKind kind) => _tokens[i].Kind == kind;

    private bool IsWord(int i, string word) => _tokens[i].Kind == TokenKind.Ident && _tokens[i].Text == word;

    private void FormatAll()
    {
        int i = 0;
        bool first = true;
        while (!IsKind(i, TokenKind.Eof))
        {
            if (!first)
            {
                _out.Append('\n');
            }

            first = false;
            i = FormatPolicy(i);
        }

        foreach (var c in _leading[i])
        {
            _out.Append(c).Append('\n');
        }
    }

    private void Leading(int i, string indent)
    {
        foreach (var c in _leading[i])
        {
            _out.Append(indent).Append(c).Append('\n');
        }
    }

    private void Trailing(int i)
    {
        foreach (var c in _trailing[i])
        {
            _out.Append(' ').Append(c);
        }
    }

    private bool HasComments(int from, int to)
    {
        for (int i = from; i < to; i++)
        {
            if ((i > from && _leading[i].Count > 0) || _trailing[i].Count > 0)
            {
                return true;
            }
        }

        return false;
    }

    private int FormatPolicy(int i)
    {
        while (IsKind(i, TokenKind.At))
        {
            Leading(i, string.Empty);
            int close = i + 2;
            if (IsKind(close, TokenKind.LParen))
            {
                close += 2;
            }
            else
            {
                close--;
            }

            _out.Append(Flat(i, close + 1));
            Trailing(close);
            _out.Append('\n');
            i = close + 1;
        }

        Leading(i, string.Empty);
        var effect = Src(i);
        int open = i + 1;
        int closeParen = Matching(open);
        var parts = SplitTopLevel(open + 1, closeParen);
        bool hasConditions = IsWord(closeParen + 1, "when") || IsWord(closeParen + 1, "unless");
        var flat = effect + " (" + string.Join(", ", parts.Select(p => Flat(p.From, p.To))) + ")";
        // The official formatter keeps the scope on one line only when it constrains nothing.
        bool bare = parts.Count == 3 && parts.All(p => p.To == p.From + 1);
        bool flatScope = bare && flat.Length + (hasConditions ? 0 : 1) <= Width && !HasComments(i, closeParen);
        if (flatScope)
        {
            _out.Append(flat);
        }
        else
        {
            _out.Append(effect).Append(" (");
            Trailing(open);
            _out.Append('\n');
            for (int k = 0; k < parts.Count; k++)
            {
                Leading(parts[k].From, Indent);
                ScopeElement(parts[k].From, parts[k].To, k < parts.Count - 1 ? 1 : 0);
                if (k < parts.Count - 1)
                {
                    _out.Append(',');
                    Trailing(parts[k].To);
                }
                else
                {
                    Trailing(parts[k].To - 1);
                }

                _out.Append('\n');
            }

            Leading(closeParen, string.Empty);
            _out.Append(')');
        }

        Trailing(closeParen);
        i = closeParen + 1;
        bool semicolonOwnLine = _trailing[closeParen].Count > 0 && !hasConditions;
        while (IsWord(i, "when") || IsWord(i, "unless"))
        {
            _out.Append('\n');
            Leading(i, string.Empty);
            var keyword = Src(i);
            int braceOpen = i + 1;
            int braceClose = Matching(braceOpen);
            bool last = !(IsWord(braceClose + 1, "when") || IsWord(braceClose + 1, "unless"));
            var body = Flat(braceOpen + 1, braceClose);
            var line = keyword + " { " + body + " }";
            if (line.Length + (last ? 1 : 0) <= Width && !HasComments(i, braceClose + 1) && _leading[braceClose].Count == 0)
            {
                _out.Append(line);
                semicolonOwnLine = false;
            }
            else
            {
                _out.Append(keyword);
                Trailing(i);
                _out.Append("\n{");
                Trailing(braceOpen);
                _out.Append('\n');
                Body(braceOpen + 1, braceClose);
                Leading(braceClose, string.Empty);
                _out.Append('}');
                Trailing(braceClose);
                semicolonOwnLine = _trailing[braceClose].Count > 0;
            }

            i = braceClose + 1;
        }

        if (semicolonOwnLine || _leading[i].Count > 0)
        {
            _out.Append('\n');
            Leading(i, string.Empty);
        }

        _out.Append(';');
        Trailing(i);
        _out.Append('\n');
        return i + 1;
    }

    /// <summary>
    /// One scope element on its own line; when it is too long, its target goes on the next line, four columns in, and
    /// an action list one entity per line.
    /// </summary>
    private void ScopeElement(int from, int to, int comma)
    {
        var text = Flat(from, to);
        int op = -1;
        for (int i = from; i < to && !IsKind(i, TokenKind.LBracket); i++)
        {
            if (IsKind(i, TokenKind.EqEq) || IsWord(i, "in"))
            {
                op = i;
            }
        }

        if (Indent.Length + text.Length + comma <= Width || op < 0 || HasComments(from, to))
        {
            _out.Append(Indent).Append(text);
            return;
        }

        _out.Append(Indent).Append(Flat(from, op + 1)).Append('\n').Append(Indent).Append(Indent);
        if (IsKind(op + 1, TokenKind.LBracket))
        {
            var items = SplitTopLevel(op + 2, Matching(op + 1));
            _out.Append('[').Append(string.Join(",\n" + Indent + Indent + " ", items.Select(it => Flat(it.From, it.To)))).Append(']');
            return;
        }

        _out.Append(Flat(op + 1, to));
    }

    /// <summary>A broken condition body: one top-level <c>&amp;&amp;</c> / <c>||</c> operand per line, operator at the end.</summary>
    private void Body(int from, int to) => Chain(from, to, Indent, string.Empty, string.Empty);

    /// <summary>
    /// Writes an operator chain one operand per line, each line starting with <paramref name="indent"/>; the first line
    /// gets <paramref name="prefix"/> and the last <paramref name="suffix"/>. A parenthesised operand too long for its
    /// line is broken inside its parentheses, aligned one column in.
    /// </summary>
    private void Chain(int from, int to, string indent, string prefix, string suffix)
    {
        var operands = new List<(int From, int To)>();
        int depth = 0, start = from;
        for (int i = from; i < to; i++)
        {
            switch (_tokens[i].Kind)
            {
                case TokenKind.LParen or TokenKind.LBracket or TokenKind.LBrace:
                    depth++;
                    break;
                case TokenKind.RParen or TokenKind.RBracket or TokenKind.RBrace:
                    depth--;
                    break;
                case TokenKind.AndAnd or TokenKind.OrOr when depth == 0:
                    operands.Add((start, i + 1));
                    start = i + 1;
                    break;
                default:
                    if (_trailing[i].Count > 0 && depth == 0)
                    {
                        operands.Add((start, i + 1));
                        start = i + 1;
                    }

                    break;
            }
        }

        if (start < to)
        {
            operands.Add((start, to));
        }

        var continued = indent + new string(' ', prefix.Length);
        for (int k = 0; k < operands.Count; k++)
        {
            var (f, t) = operands[k];
            Operand(f, t, k == 0 ? indent : continued, k == 0 ? prefix : string.Empty, k == operands.Count - 1 ? suffix : string.Empty);
        }
    }

    private void Operand(int from, int to, string indent, string prefix, string suffix)
    {
        Leading(from, indent);
        var text = Flat(from, to);
        int last = to - 1;
        bool endsWithOperator = _tokens[last].Kind is TokenKind.AndAnd or TokenKind.OrOr;
        int inner = endsWithOperator ? last : to;
        bool parenthesised = _tokens[from].Kind == TokenKind.LParen && Matching(from) == inner - 1;
        if (indent.Length + prefix.Length + text.Length + suffix.Length > Width && parenthesised && HasTopLevelChain(from + 1, inner - 1) && !HasComments(from, to))
        {
            var tail = (endsWithOperator ? ") " + Src(last) : ")") + suffix;
            Chain(from + 1, inner - 1, indent, prefix + "(", tail);
            return;
        }

        _out.Append(indent).Append(prefix).Append(text).Append(suffix);
        Trailing(last);
        _out.Append('\n');
    }

    private bool HasTopLevelChain(int from, int to)
    {
        int depth = 0;
        for (int i = from; i < to; i++)
        {
            var k = _tokens[i].Kind;
            if (k is TokenKind.LParen or TokenKind.LBracket or TokenKind.LBrace)
            {
                depth++;
            }
            else if (k is TokenKind.RParen or TokenKind.RBracket or TokenKind.RBrace)
            {
                depth--;
            }
            else if (k is TokenKind.AndAnd or TokenKind.OrOr && depth == 0)
            {
                return true;
            }
        }

        return false;
    }

    private int Matching(int open)
    {
        int depth = 0;
        for (int i = open; ; i++)
        {
            var k = _tokens[i].Kind;
            if (k is TokenKind.LParen or TokenKind.LBracket or TokenKind.LBrace)
            {
                depth++;
            }
            else if (k is TokenKind.RParen or TokenKind.RBracket or TokenKind.RBrace && --depth == 0)
            {
                return i;
            }
            else if (k == TokenKind.Eof)
            {
                return i;
            }
        }
    }

    private List<(int From, int To)> SplitTopLevel(int from, int to)
    {
        var parts = new List<(int, int)>();
        int depth = 0, start = from;
        for (int i = from; i < to; i++)
        {
            var k = _tokens[i].Kind;
            if (k is TokenKind.LParen or TokenKind.LBracket or TokenKind.LBrace)
            {
                depth++;
            }
            else if (k is TokenKind.RParen or TokenKind.RBracket or TokenKind.RBrace)
            {
                depth--;
            }
            else if (k == TokenKind.Comma && depth == 0)
            {
                parts.Add((start, i));
                start = i + 1;
            }
        }

        if (start < to)
        {
            parts.Add((start, to));
        }

        return parts;
    }

    /// <summary>Tokens <paramref name="from"/>..<paramref name="to"/> on one line, spaced as Cedar spaces them, trailing commas dropped.</summary>
    private string Flat(int from, int to)
    {
        var sb = new StringBuilder();
        int prev = -1;
        for (int i = from; i < to; i++)
        {
            var k = _tokens[i].Kind;
            if (k == TokenKind.Comma && i + 1 < _tokens.Count && _tokens[i + 1].Kind is TokenKind.RBracket or TokenKind.RBrace or TokenKind.RParen)
            {
                continue;
            }

            if (prev >= 0 && Space(prev, i))
            {
                sb.Append(' ');
            }

            sb.Append(Src(i));
            prev = i;
        }

        return sb.ToString();
    }

    private bool EndsOperand(int i) => _tokens[i].Kind switch
    {
        TokenKind.Ident => !Keywords.Contains(_tokens[i].Text),
        TokenKind.Int or TokenKind.String or TokenKind.RParen or TokenKind.RBracket or TokenKind.RBrace => true,
        _ => false,
    };

    private bool IsUnary(int i) =>
        _tokens[i].Kind == TokenKind.Bang || (_tokens[i].Kind == TokenKind.Minus && (i == 0 || !EndsOperand(i - 1)));

    private bool Space(int prev, int cur)
    {
        var p = _tokens[prev].Kind;
        var c = _tokens[cur].Kind;
        if (p is TokenKind.LParen or TokenKind.LBracket or TokenKind.Dot or TokenKind.DoubleColon or TokenKind.At or TokenKind.Question || IsUnary(prev))
        {
            return false;
        }

        if (c is TokenKind.RParen or TokenKind.RBracket or TokenKind.Comma or TokenKind.Dot or TokenKind.DoubleColon or TokenKind.Colon or TokenKind.Semi)
        {
            return false;
        }

        if (p == TokenKind.LBrace)
        {
            return c != TokenKind.RBrace;
        }

        if (c is TokenKind.LParen or TokenKind.LBracket && EndsOperand(prev))
        {
            return false;
        }

        return true;
    }
}
