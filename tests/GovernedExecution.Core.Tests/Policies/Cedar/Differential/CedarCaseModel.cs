using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;

namespace GovernedExecution.Tests.Policies.Cedar.Differential;

/// <summary>The kinds of value the generator produces expressions and data for.</summary>
internal enum GenKind
{
    Bool,
    Long,
    String,
    Set,
    Record,
    Entity,
    Decimal,
    Ip,
    Datetime,
    Duration,
}

/// <summary>An entity reference (type with its namespace, and id).</summary>
internal sealed record GenUid(string Type, string Id)
{
    public string ToCedar() => Type + "::" + GenText.Quote(Id);

    public JsonObject ToJson() => new() { ["type"] = Type, ["id"] = Id };
}

/// <summary>A data value, written both as a Cedar expression and as Cedar's value JSON.</summary>
internal sealed class GenValue
{
    private GenValue(GenKind kind) => Kind = kind;

    public GenKind Kind { get; }

    public bool Bool { get; private init; }

    public long Long { get; private init; }

    /// <summary>Gets the string, or the argument of an extension value.</summary>
    public string Text { get; private init; } = string.Empty;

    public GenUid? Uid { get; private init; }

    public List<GenValue> Items { get; private init; } = [];

    public List<KeyValuePair<string, GenValue>> Fields { get; private init; } = [];

    /// <summary>Gets a value indicating whether a record that looks like an entity reference is written without <c>__entity</c>.</summary>
    public bool BareTypeIdRecord { get; private init; }

    /// <summary>Gets a value indicating whether an entity reference or extension value is written in the form only a schema can read (no <c>__entity</c>/<c>__extn</c>).</summary>
    public bool Implicit { get; private init; }

    /// <summary>The same value written without <c>__entity</c>/<c>__extn</c> (entity references and extension values only; read by their schema type).</summary>
    public GenValue AsImplicit() => new(Kind) { Bool = Bool, Long = Long, Text = Text, Uid = Uid, Items = Items, Fields = Fields, Implicit = Kind is not (GenKind.Bool or GenKind.Long or GenKind.String or GenKind.Set or GenKind.Record) };

    public static GenValue OfBool(bool b) => new(GenKind.Bool) { Bool = b };

    public static GenValue OfLong(long l) => new(GenKind.Long) { Long = l };

    public static GenValue OfString(string s) => new(GenKind.String) { Text = s };

    public static GenValue OfEntity(GenUid uid) => new(GenKind.Entity) { Uid = uid };

    public static GenValue OfSet(List<GenValue> items) => new(GenKind.Set) { Items = items };

    public static GenValue OfRecord(List<KeyValuePair<string, GenValue>> fields) => new(GenKind.Record) { Fields = fields };

    public static GenValue OfExtension(GenKind kind, string arg) => new(kind) { Text = arg };

    public static string ExtensionName(GenKind kind) => kind switch
    {
        GenKind.Decimal => "decimal",
        GenKind.Ip => "ip",
        GenKind.Datetime => "datetime",
        GenKind.Duration => "duration",
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };

    public JsonNode ToJson() => Kind switch
    {
        GenKind.Bool => JsonValue.Create(Bool),
        GenKind.Long => JsonValue.Create(Long),
        GenKind.String => JsonValue.Create(Text),
        GenKind.Entity when Implicit => Uid!.ToJson(),
        GenKind.Entity => new JsonObject { ["__entity"] = Uid!.ToJson() },
        GenKind.Set => new JsonArray(Items.Select(i => i.ToJson()).ToArray()),
        GenKind.Record => RecordJson(),
        _ when Implicit => JsonValue.Create(Text),
        _ => new JsonObject { ["__extn"] = new JsonObject { ["fn"] = ExtensionName(Kind), ["arg"] = Text } },
    };

    public string ToCedar() => Kind switch
    {
        GenKind.Bool => Bool ? "true" : "false",
        GenKind.Long => Long.ToString(CultureInfo.InvariantCulture),
        GenKind.String => GenText.Quote(Text),
        GenKind.Entity => Uid!.ToCedar(),
        GenKind.Set => "[" + string.Join(", ", Items.Select(i => i.ToCedar())) + "]",
        GenKind.Record => "{" + string.Join(", ", Fields.Select(f => GenText.Key(f.Key) + ": " + f.Value.ToCedar())) + "}",
        _ => ExtensionName(Kind) + "(" + GenText.Quote(Text) + ")",
    };

    private JsonObject RecordJson()
    {
        var o = new JsonObject();
        foreach (var (k, v) in Fields)
        {
            o[k] = v.ToJson();
        }

        return o;
    }

    /// <summary>Creates a record <c>{"type": .., "id": ..}</c> (a record, not an entity reference).</summary>
    public static GenValue TypeIdRecord(string type, string id) =>
        new(GenKind.Record) { Fields = [new("type", OfString(type)), new("id", OfString(id))], BareTypeIdRecord = true };
}

/// <summary>An expression node: a template whose <c>\u0001N</c> marks are replaced by the children.</summary>
internal sealed class GenExpr
{
    /// <summary>Precedence levels: if-then-else, or, and, relations, + -, *, unary, member/primary.</summary>
    public const int If = -1, Or = 0, And = 1, Rel = 2, Add = 3, Mul = 4, Unary = 5, Primary = 6;

    public GenExpr(GenKind kind, int precedence, string template, params (GenExpr Expr, int Min)[] children)
    {
        Kind = kind;
        Precedence = precedence;
        Template = template;
        Children = children;
    }

    public GenKind Kind { get; }

    public int Precedence { get; }

    public string Template { get; }

    public (GenExpr Expr, int Min)[] Children { get; }

    public static GenExpr Leaf(GenKind kind, string text, int precedence = Primary) => new(kind, precedence, text);

    public static string Mark(int i) => "\u0001" + (char)('0' + i);

    public string Render()
    {
        if (Children.Length == 0)
        {
            return Template;
        }

        var sb = new StringBuilder(Template);
        for (int i = Children.Length - 1; i >= 0; i--)
        {
            var (child, min) = Children[i];
            var text = child.Render();
            if (child.Precedence < min)
            {
                text = "(" + text + ")";
            }

            sb.Replace(Mark(i), text);
        }

        return sb.ToString();
    }

    /// <summary>Every node of the tree, this one first.</summary>
    public IEnumerable<GenExpr> Nodes()
    {
        yield return this;
        foreach (var (c, _) in Children)
        {
            foreach (var n in c.Nodes())
            {
                yield return n;
            }
        }
    }

    /// <summary>A copy with <paramref name="target"/> (by reference) replaced by <paramref name="replacement"/>.</summary>
    public GenExpr Replace(GenExpr target, GenExpr replacement)
    {
        if (ReferenceEquals(this, target))
        {
            return replacement;
        }

        if (Children.Length == 0)
        {
            return this;
        }

        var kids = Children.Select(c => (c.Expr.Replace(target, replacement), c.Min)).ToArray();
        return new GenExpr(Kind, Precedence, Template, kids);
    }
}

/// <summary>A condition clause.</summary>
internal sealed record GenClause(bool When, GenExpr Body);

/// <summary>A policy: effect, the three scope constraints as text, conditions.</summary>
internal sealed record GenPolicy(bool Permit, string Principal, string Action, string Resource, List<GenClause> Clauses, string Annotation)
{
    public string ToCedar()
    {
        var sb = new StringBuilder();
        sb.Append(Annotation);
        sb.Append(Permit ? "permit" : "forbid").Append("(\n  ").Append(Principal).Append(",\n  ").Append(Action).Append(",\n  ").Append(Resource).Append("\n)");
        foreach (var c in Clauses)
        {
            sb.Append(c.When ? "\nwhen { " : "\nunless { ").Append(c.Body.Render()).Append(" }");
        }

        return sb.Append(";\n").ToString();
    }
}

internal sealed class GenEntity
{
    public required GenUid Uid { get; init; }

    public List<KeyValuePair<string, GenValue>> Attrs { get; init; } = [];

    public List<GenUid> Parents { get; init; } = [];

    public List<KeyValuePair<string, GenValue>>? Tags { get; init; }

    public JsonObject ToJson()
    {
        var attrs = new JsonObject();
        foreach (var (k, v) in Attrs)
        {
            attrs[k] = v.ToJson();
        }

        var o = new JsonObject { ["uid"] = Uid.ToJson(), ["attrs"] = attrs, ["parents"] = new JsonArray(Parents.Select(p => (JsonNode)p.ToJson()).ToArray()) };
        if (Tags is not null)
        {
            var tags = new JsonObject();
            foreach (var (k, v) in Tags)
            {
                tags[k] = v.ToJson();
            }

            o["tags"] = tags;
        }

        return o;
    }
}

internal sealed record GenRequest(GenUid Principal, GenUid Action, GenUid Resource, List<KeyValuePair<string, GenValue>> Context)
{
    public JsonObject ToJson()
    {
        var context = new JsonObject();
        foreach (var (k, v) in Context)
        {
            context[k] = v.ToJson();
        }

        return new JsonObject { ["principal"] = Principal.ToJson(), ["action"] = Action.ToJson(), ["resource"] = Resource.ToJson(), ["context"] = context };
    }
}

/// <summary>
/// One generated test: a policy set, entities and requests, and optionally a schema (Cedar text): then the policies are
/// validated against it, and entities and requests are read and validated with it.
/// </summary>
internal sealed record GenCase(string Name, List<GenPolicy> Policies, List<GenEntity> Entities, List<GenRequest> Requests, string? Schema = null)
{
    public string PolicyText => string.Concat(Policies.Select(p => p.ToCedar()));

    public JsonArray EntitiesJson() => new(Entities.Select(e => (JsonNode)e.ToJson()).ToArray());

    public JsonObject ToJson() => new()
    {
        ["name"] = Name,
        ["policies"] = PolicyText,
        ["entities"] = EntitiesJson(),
        ["requests"] = new JsonArray(Requests.Select(r => (JsonNode)r.ToJson()).ToArray()),
        ["schema"] = Schema,
    };
}

internal static class GenText
{
    private static readonly HashSet<string> Reserved = new(StringComparer.Ordinal)
    {
        "true", "false", "if", "then", "else", "in", "is", "like", "has", "principal", "action", "resource", "context", "permit", "forbid", "when", "unless", "__cedar",
    };

    /// <summary>A Cedar string literal (Rust-style escapes), with some characters escaped in the other allowed forms.</summary>
    public static string Quote(string s)
    {
        var sb = new StringBuilder("\"");
        foreach (var rune in s.EnumerateRunes())
        {
            switch (rune.Value)
            {
                case '"': sb.Append("\\\""); break;
                case '\\': sb.Append("\\\\"); break;
                case '\n': sb.Append("\\n"); break;
                case '\r': sb.Append("\\r"); break;
                case '\t': sb.Append("\\t"); break;
                case 0: sb.Append("\\0"); break;
                case '\'': sb.Append("\\'"); break;
                case < 0x20 or 0x7f: sb.Append("\\u{").Append(rune.Value.ToString("x", CultureInfo.InvariantCulture)).Append('}'); break;
                case > 0x7f when rune.Value % 2 == 0: sb.Append("\\u{").Append(rune.Value.ToString("x", CultureInfo.InvariantCulture)).Append('}'); break;
                default: sb.Append(rune.ToString()); break;
            }
        }

        return sb.Append('"').ToString();
    }

    public static bool IsIdentifier(string s) =>
        s.Length > 0 && (char.IsAsciiLetter(s[0]) || s[0] == '_') && s.All(c => char.IsAsciiLetterOrDigit(c) || c == '_') && !Reserved.Contains(s);

    /// <summary>A record key: an identifier, or a string literal.</summary>
    public static string Key(string k) => IsIdentifier(k) ? k : Quote(k);
}
