namespace GovernedExecution.Policies.Cedar;

/// <summary>
/// The parts of a human-readable Cedar schema that reading entity and context JSON needs: attribute, tag and
/// context types. This is not a validator: policies are never type checked against it.
/// </summary>
internal sealed class CedarSchema
{
    private readonly Dictionary<string, EntityTypeInfo> _entityTypes = new(StringComparer.Ordinal);
    private readonly Dictionary<EntityUid, SchemaType> _actionContexts = [];
    private readonly Dictionary<string, RawType> _commonTypes = new(StringComparer.Ordinal);
    private readonly List<PendingEntity> _pendingEntities = [];
    private readonly List<(EntityUid Action, RawType Context, string Ns)> _pendingActions = [];

    private CedarSchema()
    {
    }

    public SchemaEntityType? GetEntityType(string name) => _entityTypes.TryGetValue(name, out var e) ? e.Resolved : null;

    public SchemaType? GetActionContext(EntityUid action) => _actionContexts.TryGetValue(action, out var t) ? t : null;

    /// <summary>Parses schema text; returns null when the text cannot be read (callers then read JSON without types).</summary>
    public static CedarSchema? TryParse(string text)
    {
        try
        {
            var schema = new CedarSchema();
            var reader = new Reader(CedarLexer.Tokenize(text, allowAssign: true), schema);
            reader.ParseSchema();
            schema.Resolve();
            return schema;
        }
        catch (CedarSyntaxException)
        {
            return null;
        }
    }

    private void Resolve()
    {
        foreach (var pe in _pendingEntities)
        {
            var info = _entityTypes[pe.Name];
            info.Resolved = new SchemaEntityType(
                pe.Attributes is null ? null : ResolveType(pe.Attributes, pe.Ns, 0),
                pe.Tags is null ? null : ResolveType(pe.Tags, pe.Ns, 0));
        }

        foreach (var (action, ctx, ns) in _pendingActions)
        {
            _actionContexts[action] = ResolveType(ctx, ns, 0);
        }
    }

    private SchemaType ResolveType(RawType raw, string ns, int depth)
    {
        if (depth > 64)
        {
            throw new CedarSyntaxException(0, 0, "schema type nested too deeply or cyclic");
        }

        switch (raw.Kind)
        {
            case RawKind.Set:
                return new SchemaType(SchemaTypeKind.Set) { Element = ResolveType(raw.Element!, ns, depth + 1) };
            case RawKind.Record:
                {
                    var attrs = new Dictionary<string, SchemaType>(StringComparer.Ordinal);
                    foreach (var kv in raw.Attributes!)
                    {
                        attrs[kv.Key] = ResolveType(kv.Value, ns, depth + 1);
                    }

                    return new SchemaType(SchemaTypeKind.Record) { Attributes = attrs };
                }

            default:
                return ResolvePath(raw.Path!, ns, depth);
        }
    }

    private SchemaType ResolvePath(string path, string ns, int depth)
    {
        var candidates = new List<string>(2);
        if (!path.Contains("::", StringComparison.Ordinal) && ns.Length > 0)
        {
            candidates.Add(ns + "::" + path);
        }

        candidates.Add(path);
        foreach (var c in candidates)
        {
            if (_commonTypes.TryGetValue(c, out var common))
            {
                int cut = c.LastIndexOf("::", StringComparison.Ordinal);
                return ResolveType(common, cut < 0 ? string.Empty : c[..cut], depth + 1);
            }

            if (_entityTypes.ContainsKey(c))
            {
                return new SchemaType(SchemaTypeKind.Entity) { Name = c };
            }
        }

        var builtin = path.StartsWith("__cedar::", StringComparison.Ordinal) ? path["__cedar::".Length..] : path;
        return builtin switch
        {
            "Long" => SchemaType.Long,
            "String" => SchemaType.String,
            "Bool" or "Boolean" => SchemaType.Bool,
            "ipaddr" => new SchemaType(SchemaTypeKind.Extension) { Name = "ip" },
            "decimal" or "datetime" or "duration" => new SchemaType(SchemaTypeKind.Extension) { Name = builtin },

            // An undeclared name is most likely an entity type declared elsewhere.
            _ => new SchemaType(SchemaTypeKind.Entity) { Name = candidates[0] },
        };
    }

    private enum RawKind
    {
        Path,
        Set,
        Record,
    }

    private sealed class RawType
    {
        public RawKind Kind { get; init; }

        public string? Path { get; init; }

        public RawType? Element { get; init; }

        public Dictionary<string, RawType>? Attributes { get; init; }
    }

    private sealed class EntityTypeInfo
    {
        public SchemaEntityType? Resolved { get; set; }
    }

    private sealed record PendingEntity(string Name, string Ns, RawType? Attributes, RawType? Tags);

    private sealed class Reader
    {
        private readonly List<Token> _t;
        private readonly CedarSchema _schema;
        private int _pos;

        public Reader(List<Token> tokens, CedarSchema schema)
        {
            _t = tokens;
            _schema = schema;
        }

        private Token Cur => _t[_pos];

        public void ParseSchema()
        {
            while (Cur.Kind != TokenKind.Eof)
            {
                SkipAnnotations();
                if (IsWord("namespace"))
                {
                    _pos++;
                    var ns = ParsePath();
                    Expect(TokenKind.LBrace);
                    while (Cur.Kind != TokenKind.RBrace)
                    {
                        ParseDecl(ns);
                    }

                    _pos++;
                }
                else
                {
                    ParseDecl(string.Empty);
                }
            }
        }

        private static string Qualify(string ns, string name) => ns.Length == 0 ? name : ns + "::" + name;

        private CedarSyntaxException Fail(string what) => new(Cur.Line, Cur.Column, "schema: expected " + what);

        private bool IsWord(string w) => Cur.Kind == TokenKind.Ident && string.Equals(Cur.Text, w, StringComparison.Ordinal);

        private Token Expect(TokenKind k)
        {
            if (Cur.Kind != k)
            {
                throw Fail(k.ToString());
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

        private void SkipAnnotations()
        {
            while (Accept(TokenKind.At))
            {
                Expect(TokenKind.Ident);
                if (Accept(TokenKind.LParen))
                {
                    Expect(TokenKind.String);
                    Expect(TokenKind.RParen);
                }
            }
        }

        private string ParsePath()
        {
            var name = Expect(TokenKind.Ident).Text;
            while (Cur.Kind == TokenKind.DoubleColon && _t[_pos + 1].Kind == TokenKind.Ident)
            {
                _pos++;
                name += "::" + _t[_pos++].Text;
            }

            return name;
        }

        private string ParseName()
        {
            if (Cur.Kind == TokenKind.String)
            {
                var err = CedarText.Unescape(_t[_pos++].Text, out var s);
                return err is null ? s : throw Fail("valid string");
            }

            return Expect(TokenKind.Ident).Text;
        }

        private void ParseDecl(string ns)
        {
            SkipAnnotations();
            if (IsWord("entity"))
            {
                _pos++;
                var names = new List<string> { Expect(TokenKind.Ident).Text };
                while (Accept(TokenKind.Comma))
                {
                    names.Add(Expect(TokenKind.Ident).Text);
                }

                RawType? attrs = null, tags = null;
                if (IsWord("enum"))
                {
                    _pos++;
                    Expect(TokenKind.LBracket);
                    while (Cur.Kind != TokenKind.RBracket && Cur.Kind != TokenKind.Eof)
                    {
                        _pos++;
                    }

                    Expect(TokenKind.RBracket);
                }
                else
                {
                    if (IsWord("in"))
                    {
                        _pos++;
                        ParseEntOrTypes();
                    }

                    Accept(TokenKind.Assign);
                    if (Cur.Kind == TokenKind.LBrace)
                    {
                        attrs = ParseType();
                    }

                    if (IsWord("tags"))
                    {
                        _pos++;
                        tags = ParseType();
                    }
                }

                Expect(TokenKind.Semi);
                foreach (var n in names)
                {
                    var full = Qualify(ns, n);
                    _schema._entityTypes[full] = new EntityTypeInfo();
                    _schema._pendingEntities.Add(new PendingEntity(full, ns, attrs, tags));
                }
            }
            else if (IsWord("action"))
            {
                _pos++;
                var names = new List<string> { ParseName() };
                while (Accept(TokenKind.Comma))
                {
                    names.Add(ParseName());
                }

                if (IsWord("in"))
                {
                    _pos++;
                    SkipRefs();
                }

                RawType context = new() { Kind = RawKind.Record, Attributes = new(StringComparer.Ordinal) };
                if (IsWord("appliesTo"))
                {
                    _pos++;
                    Expect(TokenKind.LBrace);
                    while (Cur.Kind != TokenKind.RBrace)
                    {
                        var key = Expect(TokenKind.Ident).Text;
                        Expect(TokenKind.Colon);
                        if (key == "context")
                        {
                            context = ParseType();
                        }
                        else
                        {
                            ParseEntOrTypes();
                        }

                        if (!Accept(TokenKind.Comma))
                        {
                            break;
                        }
                    }

                    Expect(TokenKind.RBrace);
                }

                Expect(TokenKind.Semi);
                foreach (var n in names)
                {
                    _schema._pendingActions.Add((new EntityUid(Qualify(ns, "Action"), n), context, ns));
                }
            }
            else if (IsWord("type"))
            {
                _pos++;
                var name = Expect(TokenKind.Ident).Text;
                Expect(TokenKind.Assign);
                var t = ParseType();
                Expect(TokenKind.Semi);
                _schema._commonTypes[Qualify(ns, name)] = t;
            }
            else
            {
                throw Fail("'entity', 'action', 'type' or 'namespace'");
            }
        }

        private void ParseEntOrTypes()
        {
            if (Accept(TokenKind.LBracket))
            {
                while (Cur.Kind != TokenKind.RBracket)
                {
                    ParsePath();
                    if (!Accept(TokenKind.Comma))
                    {
                        break;
                    }
                }

                Expect(TokenKind.RBracket);
            }
            else
            {
                ParsePath();
            }
        }

        private void SkipRefs()
        {
            if (Accept(TokenKind.LBracket))
            {
                while (Cur.Kind != TokenKind.RBracket)
                {
                    SkipRef();
                    if (!Accept(TokenKind.Comma))
                    {
                        break;
                    }
                }

                Expect(TokenKind.RBracket);
            }
            else
            {
                SkipRef();
            }
        }

        private void SkipRef()
        {
            if (Cur.Kind == TokenKind.String)
            {
                _pos++;
                return;
            }

            ParsePath();
            if (Accept(TokenKind.DoubleColon))
            {
                Expect(TokenKind.String);
            }
        }

        private RawType ParseType(int depth = 0)
        {
            if (depth > 64)
            {
                throw Fail("a type nested less deeply");
            }

            if (Accept(TokenKind.LBrace))
            {
                var attrs = new Dictionary<string, RawType>(StringComparer.Ordinal);
                while (Cur.Kind != TokenKind.RBrace)
                {
                    SkipAnnotations();
                    var name = ParseName();
                    Accept(TokenKind.Question);
                    Expect(TokenKind.Colon);
                    attrs[name] = ParseType(depth + 1);
                    if (!Accept(TokenKind.Comma))
                    {
                        break;
                    }
                }

                Expect(TokenKind.RBrace);
                return new RawType { Kind = RawKind.Record, Attributes = attrs };
            }

            var path = ParsePath();
            if (path == "Set" && Accept(TokenKind.Less))
            {
                var elem = ParseType(depth + 1);
                Expect(TokenKind.Greater);
                return new RawType { Kind = RawKind.Set, Element = elem };
            }

            return new RawType { Kind = RawKind.Path, Path = path };
        }
    }
}

/// <summary>The attribute and tag types of one entity type.</summary>
internal sealed class SchemaEntityType
{
    public SchemaEntityType(SchemaType? attributes, SchemaType? tags)
    {
        Attributes = attributes;
        Tags = tags;
    }

    public SchemaType? Attributes { get; }

    public SchemaType? Tags { get; }
}
