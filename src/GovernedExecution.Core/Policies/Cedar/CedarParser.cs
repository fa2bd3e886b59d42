using System.Globalization;

namespace GovernedExecution.Policies.Cedar;

/// <summary>Recursive-descent parser for Cedar policy text. Depth is bounded, so hostile input fails cleanly.</summary>
internal sealed class CedarParser
{
    /// <summary>The deepest expression nesting accepted (parentheses, brackets, braces, calls and accesses).</summary>
    public const int MaxDepth = 200;

    /// <summary>The tallest expression tree accepted; operator chains such as <c>a || b || c</c> count one per operand.</summary>
    public const int MaxHeight = 1000;

    private const int MaxUnary = 4;

    private readonly List<Token> _tokens;
    private int _pos;
    private int _depth;

    private CedarParser(List<Token> tokens) => _tokens = tokens;

    private Token Cur => _tokens[_pos];

    /// <summary>The most problems reported for one source before giving up.</summary>
    public const int MaxDiagnostics = 50;

    /// <summary>Parses every policy (or template) in <paramref name="text"/>; ids come from <paramref name="idFor"/>.</summary>
    /// <exception cref="CedarParseException">
    /// With the first problem of every bad policy (reading resumes after the next <c>;</c>); nothing is returned partially.
    /// </exception>
    public static List<CedarPolicy> ParsePolicies(string text, string source, Func<int, string> idFor)
    {
        CedarParser parser;
        try
        {
            parser = new CedarParser(CedarLexer.Tokenize(text));
        }
        catch (CedarSyntaxException e)
        {
            throw new CedarParseException([new CedarDiagnostic(source, e.Line, e.Column, e.Message)]);
        }

        var list = new List<CedarPolicy>();
        var problems = new List<CedarDiagnostic>();
        int index = 0;
        while (parser.Cur.Kind != TokenKind.Eof && problems.Count < MaxDiagnostics)
        {
            try
            {
                var start = parser.Cur;
                var policy = parser.ParsePolicy(idFor(index));
                policy.Span = new CedarSpan(source, start.Line, start.Column);
                list.Add(policy);
            }
            catch (CedarSyntaxException e)
            {
                problems.Add(new CedarDiagnostic(source, e.Line, e.Column, e.Message));
                parser._depth = 0;
                parser.SkipPastSemicolon();
            }

            index++;
        }

        return problems.Count > 0 ? throw new CedarParseException(problems) : list;
    }

    private void SkipPastSemicolon()
    {
        while (Cur.Kind != TokenKind.Eof && Cur.Kind != TokenKind.Semi)
        {
            _pos++;
        }

        Accept(TokenKind.Semi);
    }

    /// <summary>Parses a single expression (used for tests and tools).</summary>
    public static CedarExpr ParseExpression(string text, string source = "<expr>")
    {
        try
        {
            var parser = new CedarParser(CedarLexer.Tokenize(text));
            var e = parser.ParseExpr();
            parser.Expect(TokenKind.Eof, "end of input");
            return e;
        }
        catch (CedarSyntaxException e)
        {
            throw new CedarParseException([new CedarDiagnostic(source, e.Line, e.Column, e.Message)]);
        }
    }

    /// <summary>Parses an entity reference such as <c>A::B::"id"</c>.</summary>
    public static EntityUid? TryParseEntityUid(string text)
    {
        try
        {
            var parser = new CedarParser(CedarLexer.Tokenize(text));
            var uid = parser.ParseEntity();
            return parser.Cur.Kind == TokenKind.Eof ? uid : null;
        }
        catch (CedarSyntaxException)
        {
            return null;
        }
    }

    /// <summary>True when <paramref name="name"/> is a valid (possibly namespaced) name such as <c>A::B</c>.</summary>
    public static bool IsValidName(string name)
    {
        foreach (var part in name.Split("::"))
        {
            if (!IsAnyIdent(part) || IsReserved(part))
            {
                return false;
            }
        }

        return true;
    }

    public static bool IsAnyIdent(string s)
    {
        if (s.Length == 0 || !(s[0] == '_' || char.IsAsciiLetter(s[0])))
        {
            return false;
        }

        foreach (var c in s)
        {
            if (!(c == '_' || char.IsAsciiLetterOrDigit(c)))
            {
                return false;
            }
        }

        return true;
    }

    public static bool IsReserved(string s) =>
        s is "true" or "false" or "if" or "then" or "else" or "in" or "like" or "has" or "is" or "__cedar";

    private static string Describe(Token t) => t.Kind switch
    {
        TokenKind.Eof => "end of input",
        TokenKind.String => "string literal",
        TokenKind.Int => "number " + t.Text,
        TokenKind.Ident => "'" + t.Text + "'",
        _ => "'" + t.Text + "'",
    };

    private CedarSyntaxException Error(string expected) => Error(Cur, "expected " + expected + ", found " + Describe(Cur));

    private static CedarSyntaxException Error(Token at, string message) => new(at.Line, at.Column, message);

    private Token Next() => _tokens[_pos++];

    private bool Is(TokenKind kind) => Cur.Kind == kind;

    private bool IsIdent(string word) => Cur.Kind == TokenKind.Ident && string.Equals(Cur.Text, word, StringComparison.Ordinal);

    private bool Accept(TokenKind kind)
    {
        if (Cur.Kind == kind)
        {
            _pos++;
            return true;
        }

        return false;
    }

    private bool AcceptIdent(string word)
    {
        if (IsIdent(word))
        {
            _pos++;
            return true;
        }

        return false;
    }

    private Token Expect(TokenKind kind, string what)
    {
        if (Cur.Kind != kind)
        {
            throw Error(what);
        }

        return Next();
    }

    private void ExpectIdent(string word)
    {
        if (!AcceptIdent(word))
        {
            throw Error("'" + word + "'");
        }
    }

    private string ExpectString(string what)
    {
        var t = Expect(TokenKind.String, what);
        return Unescape(t);
    }

    private static string Unescape(Token t)
    {
        var err = CedarText.Unescape(t.Text, out var s);
        return err is null ? s : throw Error(t, "invalid string literal: " + err);
    }

    private CedarPolicy ParsePolicy(string id)
    {
        var annotations = new List<KeyValuePair<string, string>>();
        var valueless = new HashSet<string>(StringComparer.Ordinal);
        while (Is(TokenKind.At))
        {
            Next();
            var key = Expect(TokenKind.Ident, "annotation name");
            string value = string.Empty;
            if (Accept(TokenKind.LParen))
            {
                value = ExpectString("annotation value (a string literal)");
                Expect(TokenKind.RParen, "')'");
            }
            else
            {
                valueless.Add(key.Text);
            }

            foreach (var a in annotations)
            {
                if (string.Equals(a.Key, key.Text, StringComparison.Ordinal))
                {
                    throw Error(key, "duplicate annotation @" + key.Text);
                }
            }

            annotations.Add(new(key.Text, value));
        }

        PolicyEffect effect;
        if (AcceptIdent("permit"))
        {
            effect = PolicyEffect.Permit;
        }
        else if (AcceptIdent("forbid"))
        {
            effect = PolicyEffect.Forbid;
        }
        else
        {
            throw Error("'permit' or 'forbid'");
        }

        Expect(TokenKind.LParen, "'('");
        ExpectIdent("principal");
        var principal = ParseScope(true);
        Expect(TokenKind.Comma, "','");
        ExpectIdent("action");
        var action = ParseActionScope();
        Expect(TokenKind.Comma, "','");
        ExpectIdent("resource");
        var resource = ParseScope(false);
        Expect(TokenKind.RParen, "')'");

        var conditions = new List<CedarCondition>();
        while (IsIdent("when") || IsIdent("unless"))
        {
            bool isWhen = Next().Text == "when";
            Expect(TokenKind.LBrace, "'{'");
            if (Is(TokenKind.RBrace))
            {
                throw Error("an expression in the condition");
            }

            var bodyStart = Cur;
            var body = ParseExpr();
            Expect(TokenKind.RBrace, "'}'");
            conditions.Add(new CedarCondition(isWhen, body) { Line = bodyStart.Line, Column = bodyStart.Column });
        }

        Expect(TokenKind.Semi, "';' (or 'when'/'unless')");
        return new CedarPolicy(id, effect, annotations, principal, action, resource, conditions) { ValuelessAnnotations = valueless };
    }

    private ScopeConstraint ParseScope(bool isPrincipal)
    {
        if (Accept(TokenKind.EqEq))
        {
            return ParseScopeTarget(ScopeKind.Eq, null, isPrincipal);
        }

        if (AcceptIdent("is"))
        {
            var type = ParsePath();
            if (AcceptIdent("in"))
            {
                return ParseScopeTarget(ScopeKind.IsIn, type, isPrincipal);
            }

            return new ScopeConstraint(ScopeKind.Is, null, null, type, false);
        }

        if (AcceptIdent("in"))
        {
            return ParseScopeTarget(ScopeKind.In, null, isPrincipal);
        }

        return ScopeConstraint.AnyScope;
    }

    private ScopeConstraint ParseScopeTarget(ScopeKind kind, string? type, bool isPrincipal)
    {
        if (Is(TokenKind.Question))
        {
            var q = Next();
            var name = Expect(TokenKind.Ident, "slot name");
            string want = isPrincipal ? "principal" : "resource";
            if (!string.Equals(name.Text, want, StringComparison.Ordinal))
            {
                throw Error(q, "expected slot ?" + want + ", found ?" + name.Text);
            }

            return new ScopeConstraint(kind, null, null, type, true);
        }

        return new ScopeConstraint(kind, ParseEntity(), null, type, false);
    }

    /// <summary>True when <paramref name="type"/> is an action entity type: <c>Action</c> or <c>Namespace::Action</c>.</summary>
    public static bool IsActionType(string type) =>
        type == "Action" || type.EndsWith("::Action", StringComparison.Ordinal);

    private EntityUid ParseActionEntity()
    {
        var at = Cur;
        var uid = ParseEntity();
        return IsActionType(uid.Type) ? uid : throw Error(at, "expected an action entity (type Action or Namespace::Action), found type " + uid.Type);
    }

    private ScopeConstraint ParseActionScope()
    {
        if (Accept(TokenKind.EqEq))
        {
            return new ScopeConstraint(ScopeKind.Eq, ParseActionEntity(), null, null, false);
        }

        if (AcceptIdent("in"))
        {
            if (Accept(TokenKind.LBracket))
            {
                var list = new List<EntityUid>();
                if (!Is(TokenKind.RBracket))
                {
                    do
                    {
                        list.Add(ParseActionEntity());
                    }
                    while (Accept(TokenKind.Comma) && !Is(TokenKind.RBracket));
                }

                Expect(TokenKind.RBracket, "']'");
                return new ScopeConstraint(ScopeKind.In, null, list, null, false);
            }

            return new ScopeConstraint(ScopeKind.In, ParseActionEntity(), null, null, false);
        }

        if (IsIdent("is"))
        {
            throw Error(Cur, "'is' is not allowed in the action scope");
        }

        return ScopeConstraint.AnyScope;
    }

    private EntityUid ParseEntity()
    {
        var parts = new List<string>();
        while (true)
        {
            var t = Expect(TokenKind.Ident, "entity type name");
            if (IsReserved(t.Text))
            {
                throw Error(t, "'" + t.Text + "' is reserved and cannot be used in an entity type");
            }

            parts.Add(t.Text);
            Expect(TokenKind.DoubleColon, "'::'");
            if (Is(TokenKind.String))
            {
                return new EntityUid(string.Join("::", parts), Unescape(Next()));
            }
        }
    }

    private string ParsePath()
    {
        var t = Expect(TokenKind.Ident, "entity type name");
        if (IsReserved(t.Text))
        {
            throw Error(t, "'" + t.Text + "' is reserved and cannot be used in an entity type");
        }

        var name = t.Text;
        while (Is(TokenKind.DoubleColon) && _tokens[_pos + 1].Kind == TokenKind.Ident)
        {
            Next();
            var p = Next();
            if (IsReserved(p.Text))
            {
                throw Error(p, "'" + p.Text + "' is reserved and cannot be used in an entity type");
            }

            name += "::" + p.Text;
        }

        return name;
    }

    private void Enter()
    {
        if (++_depth > MaxDepth)
        {
            throw Error(Cur, "expression nested too deeply (the limit is " + MaxDepth.ToString(CultureInfo.InvariantCulture) + ")");
        }

    }

    private T Check<T>(T node)
        where T : CedarExpr
    {
        if (node.Height > MaxHeight)
        {
            throw Error(Cur, "expression nested too deeply (operator chains and nesting exceed " + MaxHeight.ToString(CultureInfo.InvariantCulture) + " levels)");
        }

        return node;
    }

    private CedarExpr ParseExpr()
    {
        Enter();
        try
        {
            if (AcceptIdent("if"))
            {
                var c = ParseExpr();
                ExpectIdent("then");
                var t = ParseExpr();
                ExpectIdent("else");
                var e = ParseExpr();
                return Check(new IfExpr(c, t, e));
            }

            return Check(ParseOr());
        }
        finally
        {
            _depth--;
        }
    }

    private CedarExpr ParseOr()
    {
        var left = ParseAnd();
        while (Accept(TokenKind.OrOr))
        {
            left = Check(new OrExpr(left, ParseAnd()));
        }

        return left;
    }

    private CedarExpr ParseAnd()
    {
        var left = ParseRelation();
        while (Accept(TokenKind.AndAnd))
        {
            left = Check(new AndExpr(left, ParseRelation()));
        }

        return left;
    }

    private CedarExpr ParseRelation()
    {
        var left = ParseAdd();
        BinaryOp? op = Cur.Kind switch
        {
            TokenKind.EqEq => BinaryOp.Eq,
            TokenKind.NotEq => BinaryOp.NotEq,
            TokenKind.Less => BinaryOp.Less,
            TokenKind.LessEq => BinaryOp.LessEq,
            TokenKind.Greater => BinaryOp.Greater,
            TokenKind.GreaterEq => BinaryOp.GreaterEq,
            TokenKind.Ident when Cur.Text == "in" => BinaryOp.In,
            _ => null,
        };
        if (op is not null)
        {
            Next();
            var right = ParseAdd();
            return new BinaryExpr(op.Value, left, right);
        }

        if (AcceptIdent("has"))
        {
            if (Is(TokenKind.String))
            {
                return new HasExpr(left, Unescape(Next()));
            }

            var first = Expect(TokenKind.Ident, "attribute name (identifier or string) after 'has'");
            var path = new List<string> { AttributeName(first) };
            while (Is(TokenKind.Dot) && _tokens[_pos + 1].Kind == TokenKind.Ident)
            {
                Next();
                path.Add(AttributeName(Next()));
            }

            return Check(new HasExpr(left, path));
        }

        if (AcceptIdent("like"))
        {
            var t = Expect(TokenKind.String, "pattern string after 'like'");
            var pattern = new List<string?>();
            var err = CedarText.Unescape(t.Text, out _, pattern);
            if (err is not null)
            {
                throw Error(t, "invalid pattern: " + err);
            }

            return new LikeExpr(left, pattern);
        }

        if (AcceptIdent("is"))
        {
            var type = ParsePath();
            CedarExpr? inExpr = null;
            if (AcceptIdent("in"))
            {
                inExpr = ParseAdd();
            }

            return new IsExpr(left, type, inExpr);
        }

        return left;
    }

    private CedarExpr ParseAdd()
    {
        var left = ParseMult();
        while (Is(TokenKind.Plus) || Is(TokenKind.Minus))
        {
            var op = Next().Kind == TokenKind.Plus ? BinaryOp.Add : BinaryOp.Sub;
            left = Check(new BinaryExpr(op, left, ParseMult()));
        }

        return left;
    }

    private CedarExpr ParseMult()
    {
        var left = ParseUnary();
        while (Accept(TokenKind.Star))
        {
            left = Check(new BinaryExpr(BinaryOp.Mul, left, ParseUnary()));
        }

        return left;
    }

    private CedarExpr ParseUnary()
    {
        var ops = new List<TokenKind>();
        var first = Cur;
        while (Is(TokenKind.Bang) || Is(TokenKind.Minus))
        {
            ops.Add(Next().Kind);
        }

        if (ops.Count > MaxUnary)
        {
            throw Error(first, "too many unary operators in a row (at most " + MaxUnary.ToString(CultureInfo.InvariantCulture) + ")");
        }

        CedarExpr operand;
        int applied = ops.Count;
        if (applied > 0 && ops[^1] == TokenKind.Minus && Is(TokenKind.Int) && !IsAccessAt(_pos + 1))
        {
            // A minus directly before an integer literal is part of the literal, so that the minimum long is writable.
            var t = Next();
            operand = new LiteralExpr(LongValue.Of(ParseLong(t, negative: true)));
            applied--;
        }
        else
        {
            operand = ParseMember();
        }

        for (int i = applied - 1; i >= 0; i--)
        {
            operand = ops[i] == TokenKind.Bang ? new NotExpr(operand) : new NegExpr(operand);
        }

        return operand;
    }

    private bool IsAccessAt(int index)
    {
        var k = _tokens[index].Kind;
        return k is TokenKind.Dot or TokenKind.LBracket;
    }

    private static long ParseLong(Token t, bool negative)
    {
        var digits = t.Text;
        if (digits.Length <= 19 && ulong.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out var u))
        {
            if (negative && u <= 9223372036854775808UL)
            {
                return u == 9223372036854775808UL ? long.MinValue : -(long)u;
            }

            if (!negative && u <= long.MaxValue)
            {
                return (long)u;
            }
        }

        throw Error(t, "integer literal " + (negative ? "-" : string.Empty) + digits + " does not fit in a 64-bit signed integer");
    }

    private CedarExpr ParseMember()
    {
        var target = ParsePrimary();
        while (true)
        {
            if (Accept(TokenKind.Dot))
            {
                var name = Expect(TokenKind.Ident, "attribute or method name after '.'");
                AttributeName(name);
                if (Is(TokenKind.LParen))
                {
                    var info = CedarFunctionInfo.Lookup(name.Text);
                    if (info is null || !info.IsMethod)
                    {
                        throw Error(name, info is null ? "unknown method '" + name.Text + "'" : "'" + name.Text + "' is a function, not a method: call it as " + name.Text + "(..)");
                    }

                    Next();
                    var args = new List<CedarExpr> { target };
                    ParseArgs(args);
                    CheckArity(info, args.Count, name);
                    target = Check(new CallExpr(info, args));
                }
                else
                {
                    target = Check(new GetAttrExpr(target, name.Text));
                }
            }
            else if (Accept(TokenKind.LBracket))
            {
                var attr = ExpectString("string literal in '[..]'");
                Expect(TokenKind.RBracket, "']'");
                target = Check(new GetAttrExpr(target, attr));
            }
            else
            {
                        return target;
            }
        }
    }

    private static void CheckArity(CedarFunctionInfo info, int count, Token at)
    {
        if (count != info.Arity && !info.IsExtension)
        {
            int shown = info.IsMethod ? info.Arity - 1 : info.Arity;
            int got = info.IsMethod ? count - 1 : count;
            throw Error(at, string.Create(CultureInfo.InvariantCulture, $"wrong number of arguments for '{info.Name}': expected {shown}, found {got}"));
        }
    }

    /// <summary>An identifier used as an attribute name or record key: Cedar refuses the reserved words there.</summary>
    private static string AttributeName(Token t) =>
        IsReserved(t.Text) ? throw Error(t, "'" + t.Text + "' is reserved and cannot be used as an attribute name (write it as a string: [\"" + t.Text + "\"])") : t.Text;

    private void ParseArgs(List<CedarExpr> args)
    {
        if (!Is(TokenKind.RParen))
        {
            do
            {
                args.Add(ParseExpr());
            }
            while (Accept(TokenKind.Comma) && !Is(TokenKind.RParen));
        }

        Expect(TokenKind.RParen, "')' or ','");
    }

    private CedarExpr ParsePrimary()
    {
        var t = Cur;
        switch (t.Kind)
        {
            case TokenKind.Int:
                Next();
                return new LiteralExpr(LongValue.Of(ParseLong(t, negative: false)));
            case TokenKind.String:
                Next();
                return new LiteralExpr(new StringValue(Unescape(t)));
            case TokenKind.LParen:
                {
                    Next();
                    var e = ParseExpr();
                    Expect(TokenKind.RParen, "')'");
                    return e;
                }

            case TokenKind.LBracket:
                {
                    Next();
                    var items = new List<CedarExpr>();
                    if (!Is(TokenKind.RBracket))
                    {
                        do
                        {
                            items.Add(ParseExpr());
                        }
                        while (Accept(TokenKind.Comma) && !Is(TokenKind.RBracket));
                    }

                    Expect(TokenKind.RBracket, "']' or ','");
                    return new SetExpr(items);
                }

            case TokenKind.LBrace:
                return ParseRecord();
            case TokenKind.Question:
                throw Error(t, "template slots are only allowed in the policy scope");
            case TokenKind.Ident:
                return ParseIdentPrimary();
            default:
                throw Error("an expression");
        }
    }

    private RecordExpr ParseRecord()
    {
        Next();
        var fields = new List<KeyValuePair<string, CedarExpr>>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        if (!Is(TokenKind.RBrace))
        {
            do
            {
                var kt = Cur;
                string key;
                if (kt.Kind == TokenKind.String)
                {
                    key = Unescape(Next());
                }
                else if (kt.Kind == TokenKind.Ident)
                {
                    key = AttributeName(Next());
                }
                else
                {
                    throw Error("record key (identifier or string)");
                }

                Expect(TokenKind.Colon, "':'");
                var value = ParseExpr();
                if (!seen.Add(key))
                {
                    throw Error(kt, "duplicate key " + CedarText.Quote(key) + " in record literal");
                }

                fields.Add(new(key, value));
            }
            while (Accept(TokenKind.Comma) && !Is(TokenKind.RBrace));
        }

        Expect(TokenKind.RBrace, "'}' or ','");
        return new RecordExpr(fields);
    }

    private CedarExpr ParseIdentPrimary()
    {
        var t = Cur;
        bool pathFollows = _tokens[_pos + 1].Kind == TokenKind.DoubleColon;
        switch (t.Text)
        {
            case "true":
                Next();
                return new LiteralExpr(BoolValue.True);
            case "false":
                Next();
                return new LiteralExpr(BoolValue.False);
            case "if":
                throw Error(t, "'if' must be parenthesised here: expected an operand");
            case "principal" when !pathFollows:
                Next();
                return new VarExpr(VarKind.Principal);
            case "action" when !pathFollows:
                Next();
                return new VarExpr(VarKind.Action);
            case "resource" when !pathFollows:
                Next();
                return new VarExpr(VarKind.Resource);
            case "context" when !pathFollows:
                Next();
                return new VarExpr(VarKind.Context);
            default:
                break;
        }

        if (IsReserved(t.Text))
        {
            throw Error("an expression");
        }

        var parts = new List<string>();
        while (true)
        {
            var p = Expect(TokenKind.Ident, "identifier");
            if (IsReserved(p.Text))
            {
                throw Error(p, "'" + p.Text + "' is reserved and cannot be used in a name");
            }

            parts.Add(p.Text);
            if (Accept(TokenKind.DoubleColon))
            {
                if (Is(TokenKind.String))
                {
                    return new LiteralExpr(new EntityUid(string.Join("::", parts), Unescape(Next())));
                }

                continue;
            }

            if (Is(TokenKind.LParen))
            {
                var name = string.Join("::", parts);
                var info = CedarFunctionInfo.Lookup(name);
                if (info is null || info.IsMethod)
                {
                    throw Error(t, info is null ? "unknown function '" + name + "'" : "'" + name + "' is a method, not a function: call it as x." + name + "(..)");
                }

                Next();
                var args = new List<CedarExpr>();
                ParseArgs(args);
                CheckArity(info, args.Count, t);
                return new CallExpr(info, args);
            }

            throw Error(t, "unexpected identifier '" + string.Join("::", parts) + "': expected a variable, an entity (Type::\"id\") or a function call");
        }
    }
}
