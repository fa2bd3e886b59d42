using System.Text;

namespace GovernedExecution.Policies.Cedar;

/// <summary>Reads Cedar's schema format (<c>.cedarschema</c>) into declarations; names are resolved later.</summary>
internal sealed class CedarSchemaTextReader
{
    private const int MaxNesting = 128;

    /// <summary>Identifiers Cedar reserves; they cannot be bare names of attributes, types or actions (<c>__cedar</c> is checked by the resolver, since it may start a type name).</summary>
    private static readonly HashSet<string> ReservedIdentifiers = new(StringComparer.Ordinal) { "true", "false", "if", "then", "else", "in", "is", "like", "has" };

    private readonly List<Token> _t;
    private int _pos;

    private CedarSchemaTextReader(List<Token> tokens) => _t = tokens;

    private Token Cur => _t[_pos];

    public static List<RawNamespace> Read(string text)
    {
        var reader = new CedarSchemaTextReader(CedarLexer.Tokenize(text, allowAssign: true));
        return reader.ReadSchema();
    }

    private List<RawNamespace> ReadSchema()
    {
        var result = new List<RawNamespace>();
        RawNamespace? empty = null;
        while (Cur.Kind != TokenKind.Eof)
        {
            var start = Cur;
            var annotations = ReadAnnotations();
            if (IsWord("namespace"))
            {
                _pos++;
                var pathTok = Cur;
                var name = ReadPath();
                var ns = new RawNamespace { Name = name, Pos = SchemaPos.Of(pathTok), Annotations = annotations };
                Expect(TokenKind.LBrace, "`{`");
                while (Cur.Kind != TokenKind.RBrace)
                {
                    if (Cur.Kind == TokenKind.Eof)
                    {
                        throw Fail("`}` closing namespace " + name);
                    }

                    ReadDecl(ns, ReadAnnotations());
                }

                _pos++;
                result.Add(ns);
            }
            else
            {
                if (empty is null)
                {
                    empty = new RawNamespace { Name = string.Empty, Pos = SchemaPos.Of(start) };
                    result.Add(empty);
                }

                ReadDecl(empty, annotations);
            }
        }

        return result;
    }

    private CedarSyntaxException Fail(string expected) =>
        new(Cur.Line, Cur.Column, "schema: expected " + expected + ", found " + (Cur.Kind == TokenKind.Eof ? "end of input" : "`" + Cur.Text + "`"));

    private bool IsWord(string w) => Cur.Kind == TokenKind.Ident && string.Equals(Cur.Text, w, StringComparison.Ordinal);

    private Token Expect(TokenKind k, string what)
    {
        if (Cur.Kind != k)
        {
            throw Fail(what);
        }

        return _t[_pos++];
    }

    private bool Accept(TokenKind k)
    {
        if (Cur.Kind == k)
        {
            _pos++;
            return true;
        }

        return false;
    }

    private string ReadIdent(string what)
    {
        var tok = Expect(TokenKind.Ident, what);
        return ReservedIdentifiers.Contains(tok.Text)
            ? throw new CedarSyntaxException(tok.Line, tok.Column, $"schema: `{tok.Text}` is a reserved identifier")
            : tok.Text;
    }

    private List<KeyValuePair<string, string>> ReadAnnotations()
    {
        var list = new List<KeyValuePair<string, string>>();
        while (Cur.Kind == TokenKind.At)
        {
            _pos++;
            var keyTok = Cur;
            var key = Expect(TokenKind.Ident, "an annotation name").Text; // any identifier, reserved words included
            var value = string.Empty;
            if (Accept(TokenKind.LParen))
            {
                value = ReadString();
                Expect(TokenKind.RParen, "`)`");
            }

            if (list.Exists(a => a.Key == key))
            {
                throw new CedarSyntaxException(keyTok.Line, keyTok.Column, $"schema: duplicate annotation `@{key}`");
            }

            list.Add(new(key, value));
        }

        return list;
    }

    private string ReadString()
    {
        var tok = Expect(TokenKind.String, "a string literal");
        var err = CedarText.Unescape(tok.Text, out var s);
        return err is null ? s : throw new CedarSyntaxException(tok.Line, tok.Column, "schema: invalid string literal: " + err);
    }

    private string ReadPath()
    {
        var name = ReadIdent("an identifier");
        while (Cur.Kind == TokenKind.DoubleColon && _t[_pos + 1].Kind == TokenKind.Ident)
        {
            _pos++;
            name += "::" + ReadIdent("an identifier");
        }

        return name;
    }

    /// <summary>A name that is an identifier or a string (actions, attributes).</summary>
    private string ReadName(string what) => Cur.Kind == TokenKind.String ? ReadString() : Cur.Kind == TokenKind.Ident ? ReadIdent(what) : throw Fail(what);

    private void ReadDecl(RawNamespace ns, List<KeyValuePair<string, string>> annotations)
    {
        if (IsWord("entity"))
        {
            _pos++;
            ReadEntity(ns, annotations);
        }
        else if (IsWord("action"))
        {
            _pos++;
            ReadAction(ns, annotations);
        }
        else if (IsWord("type"))
        {
            _pos++;
            var nameTok = Cur;
            var name = ReadIdent("a type name");
            Expect(TokenKind.Assign, "`=`");
            var type = ReadType(0);
            Expect(TokenKind.Semi, "`;`");
            ns.CommonTypes.Add(new RawCommon(name, type, annotations, SchemaPos.Of(nameTok)));
        }
        else
        {
            throw Fail("`entity`, `action`, `type` or `namespace`");
        }
    }

    private void ReadEntity(RawNamespace ns, List<KeyValuePair<string, string>> annotations)
    {
        var names = new List<(string, SchemaPos)>();
        do
        {
            var tok = Cur;
            names.Add((ReadIdent("an entity type name"), SchemaPos.Of(tok)));
        }
        while (Accept(TokenKind.Comma));

        var memberOf = new List<RawRef>();
        RawType? shape = null, tags = null;
        List<string>? enumIds = null;
        if (IsWord("enum"))
        {
            _pos++;
            Expect(TokenKind.LBracket, "`[`");
            enumIds = [ReadString()];
            while (Accept(TokenKind.Comma))
            {
                enumIds.Add(ReadString());
            }

            Expect(TokenKind.RBracket, "`]`");
        }
        else
        {
            if (IsWord("in"))
            {
                _pos++;
                memberOf = ReadEntityTypes(allowEmpty: true);
            }

            bool assign = Accept(TokenKind.Assign);
            if (Cur.Kind == TokenKind.LBrace)
            {
                shape = ReadType(0);
            }
            else if (assign)
            {
                throw Fail("`{`");
            }

            if (IsWord("tags"))
            {
                _pos++;
                tags = ReadType(0);
            }
        }

        Expect(TokenKind.Semi, "`;`");
        foreach (var (name, pos) in names)
        {
            ns.EntityTypes.Add(new RawEntity(name, memberOf, shape, tags, enumIds, annotations, pos));
        }
    }

    private List<RawRef> ReadEntityTypes(bool allowEmpty)
    {
        var list = new List<RawRef>();
        if (Accept(TokenKind.LBracket))
        {
            if (Cur.Kind == TokenKind.RBracket && allowEmpty)
            {
                _pos++;
                return list;
            }

            do
            {
                var tok = Cur;
                list.Add(new RawRef(ReadPath(), SchemaPos.Of(tok)));
            }
            while (Accept(TokenKind.Comma));

            Expect(TokenKind.RBracket, "`]`");
        }
        else
        {
            var tok = Cur;
            list.Add(new RawRef(ReadPath(), SchemaPos.Of(tok)));
        }

        return list;
    }

    private void ReadAction(RawNamespace ns, List<KeyValuePair<string, string>> annotations)
    {
        var names = new List<(string, SchemaPos)>();
        do
        {
            var tok = Cur;
            names.Add((ReadName("an action name"), SchemaPos.Of(tok)));
        }
        while (Accept(TokenKind.Comma));

        var memberOf = new List<RawActionRef>();
        if (IsWord("in"))
        {
            _pos++;
            if (Accept(TokenKind.LBracket))
            {
                do
                {
                    memberOf.Add(ReadActionRef());
                }
                while (Accept(TokenKind.Comma));

                Expect(TokenKind.RBracket, "`]`");
            }
            else
            {
                memberOf.Add(ReadActionRef());
            }
        }

        List<RawRef>? principals = null, resources = null;
        RawType? context = null;
        if (IsWord("appliesTo"))
        {
            var appliesTok = Cur;
            _pos++;
            Expect(TokenKind.LBrace, "`{`");
            bool seenContext = false;
            while (Cur.Kind != TokenKind.RBrace)
            {
                var keyTok = Cur;
                var key = Cur.Kind == TokenKind.Ident ? Cur.Text : throw Fail("`principal`, `resource` or `context`");
                _pos++;
                Expect(TokenKind.Colon, "`:`");
                switch (key)
                {
                    case "principal" when principals is null:
                        principals = ReadEntityTypes(allowEmpty: true);
                        if (principals.Count == 0)
                        {
                            throw new CedarSyntaxException(keyTok.Line, keyTok.Column, $"schema: for action `{names[0].Item1}`, `principal` is `[]`, which is invalid");
                        }

                        break;
                    case "resource" when resources is null:
                        resources = ReadEntityTypes(allowEmpty: true);
                        if (resources.Count == 0)
                        {
                            throw new CedarSyntaxException(keyTok.Line, keyTok.Column, $"schema: for action `{names[0].Item1}`, `resource` is `[]`, which is invalid");
                        }

                        break;
                    case "context" when !seenContext:
                        seenContext = true;
                        context = ReadType(0);
                        if (context.Kind is RawTypeKind.Set)
                        {
                            throw new CedarSyntaxException(keyTok.Line, keyTok.Column, "schema: a context must be a record type or the name of one");
                        }

                        break;
                    case "principal" or "resource" or "context":
                        throw new CedarSyntaxException(keyTok.Line, keyTok.Column, $"schema: duplicate `{key}` declaration in action `{names[0].Item1}`");
                    default:
                        throw new CedarSyntaxException(keyTok.Line, keyTok.Column, "schema: expected `principal`, `resource` or `context`, found `" + key + "`");
                }

                if (!Accept(TokenKind.Comma))
                {
                    break;
                }
            }

            Expect(TokenKind.RBrace, "`}`");
            if (principals is null || resources is null)
            {
                var (name, pos) = names[0];
                throw new CedarSyntaxException(pos.Line, pos.Column, $"schema: missing `{(principals is null ? "principal" : "resource")}` declaration for action `{name}` in `appliesTo` (line {appliesTok.Line})");
            }
        }

        Expect(TokenKind.Semi, "`;`");
        foreach (var (name, pos) in names)
        {
            ns.Actions.Add(new RawAction(name, memberOf, principals, resources, context, annotations, pos));
        }
    }

    private RawActionRef ReadActionRef()
    {
        var tok = Cur;
        if (Cur.Kind == TokenKind.String)
        {
            return new RawActionRef(null, ReadString(), SchemaPos.Of(tok));
        }

        var path = ReadPath();
        if (Accept(TokenKind.DoubleColon))
        {
            return new RawActionRef(path, ReadString(), SchemaPos.Of(tok));
        }

        return path.Contains("::", StringComparison.Ordinal)
            ? throw new CedarSyntaxException(tok.Line, tok.Column, "schema: expected an action name or a reference such as Action::\"name\"")
            : new RawActionRef(null, path, SchemaPos.Of(tok));
    }

    private RawType ReadType(int depth)
    {
        if (depth > MaxNesting)
        {
            throw Fail("a type nested less deeply");
        }

        var tok = Cur;
        if (Accept(TokenKind.LBrace))
        {
            var attrs = new List<RawAttribute>();
            while (Cur.Kind != TokenKind.RBrace)
            {
                var annotations = ReadAnnotations();
                var nameTok = Cur;
                var name = ReadName("an attribute name");
                bool optional = Accept(TokenKind.Question);
                Expect(TokenKind.Colon, "`:`");
                attrs.Add(new RawAttribute(name, ReadType(depth + 1), !optional, annotations, SchemaPos.Of(nameTok)));
                if (!Accept(TokenKind.Comma))
                {
                    break;
                }
            }

            Expect(TokenKind.RBrace, "`}`");
            return new RawType { Kind = RawTypeKind.Record, Attributes = attrs, Pos = SchemaPos.Of(tok) };
        }

        var path = ReadPath();
        if (path == "Set" && Accept(TokenKind.Less))
        {
            var elem = ReadType(depth + 1);
            Expect(TokenKind.Greater, "`>`");
            return new RawType { Kind = RawTypeKind.Set, Element = elem, Pos = SchemaPos.Of(tok) };
        }

        return new RawType { Kind = RawTypeKind.Name, Name = path, Pos = SchemaPos.Of(tok) };
    }
}

/// <summary>Writes a schema in Cedar's schema format.</summary>
internal static class CedarSchemaTextWriter
{
    private static readonly HashSet<string> Reserved = new(StringComparer.Ordinal) { "true", "false", "if", "then", "else", "in", "is", "like", "has", "__cedar" };

    public static string Write(CedarSchema schema)
    {
        var sb = new StringBuilder();
        foreach (var ns in schema.Namespaces.OrderBy(n => n.Name.Length == 0 ? 0 : 1))
        {
            var indent = string.Empty;
            if (ns.Name.Length > 0)
            {
                WriteAnnotations(sb, ns.Annotations, string.Empty);
                sb.Append("namespace ").Append(ns.Name).Append(" {\n");
                indent = "  ";
            }

            foreach (var c in ns.CommonTypes)
            {
                WriteAnnotations(sb, c.Annotations, indent);
                sb.Append(indent).Append("type ").Append(Simple(c.Name)).Append(" = ");
                WriteType(sb, c.Type.WithoutCommonName(), schema, ns.Name, indent);
                sb.Append(";\n");
            }

            foreach (var e in ns.EntityTypes)
            {
                WriteAnnotations(sb, e.Annotations, indent);
                sb.Append(indent).Append("entity ").Append(Simple(e.Name));
                if (e.EnumIds is not null)
                {
                    sb.Append(" enum [").AppendJoin(", ", e.EnumIds.Select(CedarText.Quote)).Append("];\n");
                    continue;
                }

                if (e.MemberOfTypes.Count > 0)
                {
                    sb.Append(" in [").AppendJoin(", ", e.MemberOfTypes).Append(']');
                }

                if (e.Attributes.Attributes!.Count > 0)
                {
                    sb.Append(" = ");

                    // The Cedar format allows only a record here: a shape written as a common type is written out.
                    WriteType(sb, e.Attributes.WithoutCommonName(), schema, ns.Name, indent);
                }

                if (e.Tags is not null)
                {
                    sb.Append(" tags ");
                    WriteType(sb, e.Tags, schema, ns.Name, indent);
                }

                sb.Append(";\n");
            }

            foreach (var a in ns.Actions)
            {
                WriteAnnotations(sb, a.Annotations, indent);
                sb.Append(indent).Append("action ").Append(CedarText.Quote(a.Uid.Id));
                if (a.MemberOf.Count > 0)
                {
                    sb.Append(" in [").AppendJoin(", ", a.MemberOf.Select(m => m.Type == a.Uid.Type ? CedarText.Quote(m.Id) : m.Type + "::" + CedarText.Quote(m.Id))).Append(']');
                }

                // An action that applies to no principal or no resource is written without appliesTo (the same meaning).
                if (a.PrincipalTypes.Count > 0 && a.ResourceTypes.Count > 0)
                {
                    sb.Append(" appliesTo {\n").Append(indent).Append("  principal: [").AppendJoin(", ", a.PrincipalTypes).Append("],\n")
                        .Append(indent).Append("  resource: [").AppendJoin(", ", a.ResourceTypes).Append(']');
                    if (a.Context.CommonName is not null || a.Context.Attributes!.Count > 0)
                    {
                        sb.Append(",\n").Append(indent).Append("  context: ");
                        WriteType(sb, a.Context, schema, ns.Name, indent + "  ");
                    }

                    sb.Append('\n').Append(indent).Append('}');
                }

                sb.Append(";\n");
            }

            if (ns.Name.Length > 0)
            {
                sb.Append("}\n");
            }
        }

        return sb.ToString();
    }

    private static string Simple(string qualified)
    {
        int cut = qualified.LastIndexOf("::", StringComparison.Ordinal);
        return cut < 0 ? qualified : qualified[(cut + 2)..];
    }

    private static void WriteAnnotations(StringBuilder sb, IReadOnlyList<KeyValuePair<string, string>> annotations, string indent)
    {
        foreach (var a in annotations)
        {
            sb.Append(indent).Append('@').Append(a.Key).Append('(').Append(CedarText.Quote(a.Value)).Append(")\n");
        }
    }

    private static bool IsIdentifier(string s)
    {
        if (s.Length == 0 || Reserved.Contains(s) || !(char.IsAsciiLetter(s[0]) || s[0] == '_'))
        {
            return false;
        }

        foreach (var c in s)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c == '_'))
            {
                return false;
            }
        }

        return true;
    }

    private static void WriteType(StringBuilder sb, SchemaType t, CedarSchema schema, string ns, string indent)
    {
        if (t.CommonName is not null)
        {
            sb.Append(t.CommonName);
            return;
        }

        switch (t.Kind)
        {
            case SchemaTypeKind.Set:
                sb.Append("Set<");
                WriteType(sb, t.Element!, schema, ns, indent);
                sb.Append('>');
                break;
            case SchemaTypeKind.Record:
                if (t.Attributes!.Count == 0)
                {
                    sb.Append("{}");
                    break;
                }

                sb.Append("{\n");
                int i = 0;
                foreach (var (name, attr) in t.Attributes)
                {
                    WriteAnnotations(sb, attr.Annotations, indent + "  ");
                    sb.Append(indent).Append("  ").Append(IsIdentifier(name) ? name : CedarText.Quote(name)).Append(attr.Required ? ": " : "?: ");
                    WriteType(sb, attr.Type, schema, ns, indent + "  ");
                    sb.Append(++i < t.Attributes.Count ? ",\n" : "\n");
                }

                sb.Append(indent).Append('}');
                break;
            case SchemaTypeKind.Entity:
                sb.Append(t.Name);
                break;
            default:
                {
                    var name = t.Kind switch
                    {
                        SchemaTypeKind.Long => "Long",
                        SchemaTypeKind.String => "String",
                        SchemaTypeKind.Bool => "Bool",
                        _ => t.Name!,
                    };

                    // A built-in name that a declaration shadows is written with the reserved __cedar prefix.
                    bool shadowed = schema.CommonTypes.ContainsKey(name) || schema.EntityTypes.ContainsKey(name)
                        || (ns.Length > 0 && (schema.CommonTypes.ContainsKey(ns + "::" + name) || schema.EntityTypes.ContainsKey(ns + "::" + name)));
                    sb.Append(shadowed ? "__cedar::" : string.Empty).Append(name);
                    break;
                }
        }
    }
}
