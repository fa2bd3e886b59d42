using System.Text;

namespace GovernedExecution.Policies.Cedar;

/// <summary>The request and entities a policy is evaluated against.</summary>
internal sealed class EvalEnv
{
    private CedarEntity? _principalEntity;
    private CedarEntity? _resourceEntity;
    private bool _principalLooked;
    private bool _resourceLooked;
    private CedarValue?[] _contextValues = [];
    private uint[] _contextStamps = [];
    private uint _stamp;

    public EvalEnv(EntityUid principal, EntityUid action, EntityUid resource, RecordValue context, CedarEntityStore entities) =>
        Reset(principal, action, resource, context, entities);

    /// <summary>An environment to be <see cref="Reset"/> before use.</summary>
    public EvalEnv()
    {
    }

    public EntityUid Principal { get; private set; } = null!;

    public EntityUid Action { get; private set; } = null!;

    public EntityUid Resource { get; private set; } = null!;

    public RecordValue Context { get; private set; } = null!;

    public CedarEntityStore Entities { get; private set; } = null!;

    /// <summary>Gets the principal's entity data (null when it is not in the store), looked up once per request.</summary>
    public CedarEntity? PrincipalEntity
    {
        get
        {
            if (!_principalLooked)
            {
                _principalEntity = Entities.Get(Principal);
                _principalLooked = true;
            }

            return _principalEntity;
        }
    }

    /// <summary>Gets the resource's entity data (null when it is not in the store), looked up once per request.</summary>
    public CedarEntity? ResourceEntity
    {
        get
        {
            if (!_resourceLooked)
            {
                _resourceEntity = Entities.Get(Resource);
                _resourceLooked = true;
            }

            return _resourceEntity;
        }
    }

    /// <summary>
    /// Gets or sets the principal's attribute values by slot (<see cref="CedarAttributeSlots"/>), or null when the
    /// principal is not in the store; set by <see cref="CedarCompiledPolicySet.Decide"/> for its own slots before it
    /// evaluates any compiled policy, and read only by the code it compiled.
    /// </summary>
    public CedarValue?[]? PrincipalSlots { get; set; }

    /// <summary>Gets or sets the resource's attribute values by slot; see <see cref="PrincipalSlots"/>.</summary>
    public CedarValue?[]? ResourceSlots { get; set; }

    /// <summary>
    /// Forgets every context slot value looked up so far and makes room for <paramref name="count"/> slots; called by
    /// <see cref="CedarCompiledPolicySet.Decide"/> at the start of every decision, so a value read for one request (or
    /// one policy set's numbering) is never seen by another.
    /// </summary>
    public void ResetContextSlots(int count)
    {
        if (_contextStamps.Length < count)
        {
            _contextValues = new CedarValue?[count];
            _contextStamps = new uint[count];
            _stamp = 0;
        }

        if (++_stamp == 0)
        {
            // Wrapped around: stamps written 2^32 decisions ago would match again.
            Array.Clear(_contextStamps);
            _stamp = 1;
        }
    }

    /// <summary>The context's attribute <paramref name="name"/> (null when it has none), looked up once per decision for slot <paramref name="slot"/>.</summary>
    public CedarValue? ContextSlot(int slot, string name)
    {
        if (_contextStamps[slot] == _stamp)
        {
            return _contextValues[slot];
        }

        var value = Context.Attrs.GetValueOrDefault(name);
        _contextValues[slot] = value;
        _contextStamps[slot] = _stamp;
        return value;
    }

    /// <summary>Points a reused environment at another request (see <see cref="CedarDecisionBuffer"/>); never during an evaluation.</summary>
    public void Reset(EntityUid principal, EntityUid action, EntityUid resource, RecordValue context, CedarEntityStore entities)
    {
        Principal = principal;
        Action = action;
        Resource = resource;
        Context = context;
        Entities = entities;
        _principalEntity = null;
        _resourceEntity = null;
        _principalLooked = false;
        _resourceLooked = false;
        PrincipalSlots = null;
        ResourceSlots = null;
    }
}

internal enum VarKind
{
    Principal,
    Action,
    Resource,
    Context,
}

internal enum BinaryOp
{
    Eq,
    NotEq,
    Less,
    LessEq,
    Greater,
    GreaterEq,
    In,
    Add,
    Sub,
    Mul,
}

/// <summary>An expression node; it evaluates itself.</summary>
internal abstract class CedarExpr
{
    /// <summary>Gets the height of the expression tree (a leaf is 1); the parsers bound it so evaluation cannot exhaust the stack.</summary>
    public int Height { get; private set; } = 1;

    public abstract CedarValue Eval(EvalEnv env);

    protected void Over(CedarExpr child) => Height = Math.Max(Height, child.Height + 1);

    protected void Over(IEnumerable<CedarExpr> children)
    {
        foreach (var c in children)
        {
            Over(c);
        }
    }

    /// <summary>Writes the expression in canonical Cedar text (fully parenthesised where precedence matters).</summary>
    public abstract void Write(StringBuilder sb);

    public override string ToString()
    {
        var sb = new StringBuilder();
        Write(sb);
        return sb.ToString();
    }

    public static CedarEvaluationException TypeError(string expected, CedarValue got) =>
        new("type error: expected " + expected + ", got " + CedarValue.TypeName(got.Kind));

    public static bool AsBool(CedarValue v) => v is BoolValue b ? b.Value : throw TypeError("bool", v);

    public static long AsLong(CedarValue v) => v is LongValue l ? l.Value : throw TypeError("long", v);

    public static string AsString(CedarValue v) => v is StringValue s ? s.Value : throw TypeError("string", v);

    public static EntityUid AsEntity(CedarValue v) => v as EntityUid ?? throw TypeError("entity", v);

    public static SetValue AsSet(CedarValue v) => v as SetValue ?? throw TypeError("set", v);

    /// <summary>Reads an attribute of a record or entity; raises an error when it is missing.</summary>
    public static CedarValue GetAttr(CedarValue target, string attr, EvalEnv env)
    {
        switch (target)
        {
            case RecordValue r:
                return r.Attrs.TryGetValue(attr, out var v) ? v : throw new CedarEvaluationException("record does not have attribute " + CedarText.Quote(attr));
            case EntityUid e:
                var ent = env.Entities.Get(e) ?? throw new CedarEvaluationException("entity " + e + " does not exist");
                return ent.Attrs.TryGetValue(attr, out var ev) ? ev : throw new CedarEvaluationException("entity " + e + " does not have attribute " + CedarText.Quote(attr));
            default:
                throw TypeError("entity or record", target);
        }
    }

    public static bool HasAttr(CedarValue target, string attr, EvalEnv env) => target switch
    {
        RecordValue r => r.Attrs.ContainsKey(attr),
        EntityUid e => env.Entities.Get(e)?.Attrs.ContainsKey(attr) ?? false,
        _ => throw TypeError("entity or record", target),
    };
}

internal sealed class LiteralExpr : CedarExpr
{
    public LiteralExpr(CedarValue value) => Value = value;

    public CedarValue Value { get; }

    public override CedarValue Eval(EvalEnv env) => Value;

    public override void Write(StringBuilder sb) => Value.WriteCedar(sb);
}

internal sealed class VarExpr : CedarExpr
{
    public VarExpr(VarKind var) => Var = var;

    public VarKind Var { get; }

    public override CedarValue Eval(EvalEnv env) => Var switch
    {
        VarKind.Principal => env.Principal,
        VarKind.Action => env.Action,
        VarKind.Resource => env.Resource,
        _ => env.Context,
    };

    public override void Write(StringBuilder sb) => sb.Append(Name(Var));

    public static string Name(VarKind v) => v switch
    {
        VarKind.Principal => "principal",
        VarKind.Action => "action",
        VarKind.Resource => "resource",
        _ => "context",
    };
}

/// <summary>A template slot; evaluating an unlinked slot is an error.</summary>
internal sealed class SlotExpr : CedarExpr
{
    public SlotExpr(bool isPrincipal) => IsPrincipal = isPrincipal;

    public bool IsPrincipal { get; }

    public override CedarValue Eval(EvalEnv env) => throw new CedarEvaluationException("unlinked template slot");

    public override void Write(StringBuilder sb) => sb.Append(IsPrincipal ? "?principal" : "?resource");
}

internal sealed class IfExpr : CedarExpr
{
    public IfExpr(CedarExpr cond, CedarExpr then, CedarExpr otherwise)
    {
        Cond = cond;
        Then = then;
        Else = otherwise;
        Over(cond);
        Over(then);
        Over(otherwise);
    }

    public CedarExpr Cond { get; }

    public CedarExpr Then { get; }

    public CedarExpr Else { get; }

    public override CedarValue Eval(EvalEnv env) => AsBool(Cond.Eval(env)) ? Then.Eval(env) : Else.Eval(env);

    public override void Write(StringBuilder sb)
    {
        sb.Append("(if ");
        Cond.Write(sb);
        sb.Append(" then ");
        Then.Write(sb);
        sb.Append(" else ");
        Else.Write(sb);
        sb.Append(')');
    }
}

internal sealed class AndExpr : CedarExpr
{
    public AndExpr(CedarExpr left, CedarExpr right)
    {
        Left = left;
        Right = right;
        Over(left);
        Over(right);
    }

    public CedarExpr Left { get; }

    public CedarExpr Right { get; }

    public override CedarValue Eval(EvalEnv env)
    {
        if (!AsBool(Left.Eval(env)))
        {
            return BoolValue.False;
        }

        return BoolValue.Of(AsBool(Right.Eval(env)));
    }

    public override void Write(StringBuilder sb)
    {
        sb.Append('(');
        Left.Write(sb);
        sb.Append(" && ");
        Right.Write(sb);
        sb.Append(')');
    }
}

internal sealed class OrExpr : CedarExpr
{
    public OrExpr(CedarExpr left, CedarExpr right)
    {
        Left = left;
        Right = right;
        Over(left);
        Over(right);
    }

    public CedarExpr Left { get; }

    public CedarExpr Right { get; }

    public override CedarValue Eval(EvalEnv env)
    {
        if (AsBool(Left.Eval(env)))
        {
            return BoolValue.True;
        }

        return BoolValue.Of(AsBool(Right.Eval(env)));
    }

    public override void Write(StringBuilder sb)
    {
        sb.Append('(');
        Left.Write(sb);
        sb.Append(" || ");
        Right.Write(sb);
        sb.Append(')');
    }
}

internal sealed class NotExpr : CedarExpr
{
    public NotExpr(CedarExpr operand)
    {
        Operand = operand;
        Over(operand);
    }

    public CedarExpr Operand { get; }

    public override CedarValue Eval(EvalEnv env) => BoolValue.Of(!AsBool(Operand.Eval(env)));

    public override void Write(StringBuilder sb)
    {
        sb.Append("!(");
        Operand.Write(sb);
        sb.Append(')');
    }
}

internal sealed class NegExpr : CedarExpr
{
    public NegExpr(CedarExpr operand)
    {
        Operand = operand;
        Over(operand);
    }

    public CedarExpr Operand { get; }

    public override CedarValue Eval(EvalEnv env)
    {
        long v = AsLong(Operand.Eval(env));
        return v == long.MinValue ? throw new CedarEvaluationException("integer overflow in negation") : LongValue.Of(-v);
    }

    public override void Write(StringBuilder sb)
    {
        sb.Append("-(");
        Operand.Write(sb);
        sb.Append(')');
    }
}

internal sealed class BinaryExpr : CedarExpr
{
    public BinaryExpr(BinaryOp op, CedarExpr left, CedarExpr right)
    {
        Op = op;
        Left = left;
        Right = right;
        Over(left);
        Over(right);
    }

    public BinaryOp Op { get; }

    public CedarExpr Left { get; }

    public CedarExpr Right { get; }

    public static string Symbol(BinaryOp op) => op switch
    {
        BinaryOp.Eq => "==",
        BinaryOp.NotEq => "!=",
        BinaryOp.Less => "<",
        BinaryOp.LessEq => "<=",
        BinaryOp.Greater => ">",
        BinaryOp.GreaterEq => ">=",
        BinaryOp.In => "in",
        BinaryOp.Add => "+",
        BinaryOp.Sub => "-",
        _ => "*",
    };

    public override CedarValue Eval(EvalEnv env)
    {
        var l = Left.Eval(env);
        var r = Right.Eval(env);
        switch (Op)
        {
            case BinaryOp.Eq:
                return BoolValue.Of(l.Equals(r));
            case BinaryOp.NotEq:
                return BoolValue.Of(!l.Equals(r));
            case BinaryOp.Less:
            case BinaryOp.LessEq:
            case BinaryOp.Greater:
            case BinaryOp.GreaterEq:
                return BoolValue.Of(Compare(l, r));
            case BinaryOp.In:
                return BoolValue.Of(EvalIn(AsEntity(l), r, env));
            default:
                return Arith(l, r);
        }
    }

    public static bool EvalIn(EntityUid child, CedarValue rhs, EvalEnv env)
    {
        if (rhs is EntityUid parent)
        {
            return env.Entities.IsIn(child, parent);
        }

        if (rhs is not SetValue set)
        {
            throw TypeError("entity or set of entities", rhs);
        }

        foreach (var item in set.Items)
        {
            if (item is not EntityUid)
            {
                throw TypeError("entity", item);
            }
        }

        foreach (var item in set.Items)
        {
            if (env.Entities.IsIn(child, (EntityUid)item))
            {
                return true;
            }
        }

        return false;
    }

    public override void Write(StringBuilder sb)
    {
        sb.Append('(');
        Left.Write(sb);
        sb.Append(' ').Append(Symbol(Op)).Append(' ');
        Right.Write(sb);
        sb.Append(')');
    }

    private bool Compare(CedarValue l, CedarValue r) => Compare(Op, l, r);

    /// <summary>Compares two values as <c>&lt;</c>, <c>&lt;=</c>, <c>&gt;</c> or <c>&gt;=</c> do, with their type errors.</summary>
    public static bool Compare(BinaryOp op, CedarValue l, CedarValue r)
    {
        long a, b;
        if (l is LongValue la && r is LongValue lb)
        {
            a = la.Value;
            b = lb.Value;
        }
        else if (l is DatetimeValue da && r is DatetimeValue db)
        {
            a = da.Millis;
            b = db.Millis;
        }
        else if (l is DurationValue ua && r is DurationValue ub)
        {
            a = ua.Millis;
            b = ub.Millis;
        }
        else if (l is LongValue or DatetimeValue or DurationValue)
        {
            throw TypeError(CedarValue.TypeName(l.Kind), r);
        }
        else
        {
            throw TypeError("long, datetime or duration", l);
        }

        return op switch
        {
            BinaryOp.Less => a < b,
            BinaryOp.LessEq => a <= b,
            BinaryOp.Greater => a > b,
            _ => a >= b,
        };
    }

    private LongValue Arith(CedarValue l, CedarValue r) => LongValue.Of(Arith(Op, AsLong(l), AsLong(r)));

    /// <summary>Adds, subtracts or multiplies, raising an error on overflow.</summary>
    public static long Arith(BinaryOp op, long a, long b)
    {
        try
        {
            return op switch
            {
                BinaryOp.Add => checked(a + b),
                BinaryOp.Sub => checked(a - b),
                _ => checked(a * b),
            };
        }
        catch (OverflowException)
        {
            throw new CedarEvaluationException("integer overflow in " + Symbol(op));
        }
    }
}

internal sealed class HasExpr : CedarExpr
{
    private readonly CedarExpr? _expanded;

    public HasExpr(CedarExpr target, string attr)
        : this(target, [attr])
    {
    }

    /// <summary>
    /// <c>target has a.b.c</c>: Cedar defines it as <c>target has a &amp;&amp; target.a has b &amp;&amp; target.a.b has c</c>;
    /// the path is kept so that it is written back as it was read, and evaluated (and written canonically) as defined.
    /// </summary>
    public HasExpr(CedarExpr target, IReadOnlyList<string> path)
    {
        if (path.Count == 0)
        {
            throw new ArgumentException("a has path needs at least one attribute", nameof(path));
        }

        Target = target;
        Path = path;
        Over(target);
        if (path.Count > 1)
        {
            CedarExpr result = new HasExpr(target, path[0]);
            CedarExpr prefix = new GetAttrExpr(target, path[0]);
            for (int i = 1; i < path.Count; i++)
            {
                result = new AndExpr(result, new HasExpr(prefix, path[i]));
                prefix = new GetAttrExpr(prefix, path[i]);
            }

            _expanded = result;
            Over(result);
        }
    }

    public CedarExpr Target { get; }

    /// <summary>Gets the attribute path; one element for the plain form.</summary>
    public IReadOnlyList<string> Path { get; }

    /// <summary>Gets, for a path of more than one attribute, the <c>&amp;&amp;</c> chain it is defined as; null for the plain form.</summary>
    public CedarExpr? Expanded => _expanded;

    public string Attr => Path[0];

    public override CedarValue Eval(EvalEnv env) =>
        _expanded is not null ? _expanded.Eval(env) : BoolValue.Of(HasAttr(Target.Eval(env), Path[0], env));

    public override void Write(StringBuilder sb)
    {
        if (_expanded is not null)
        {
            _expanded.Write(sb);
            return;
        }

        sb.Append('(');
        Target.Write(sb);
        sb.Append(" has ");
        CedarText.WriteString(sb, Path[0]);
        sb.Append(')');
    }
}

internal sealed class GetAttrExpr : CedarExpr
{
    public GetAttrExpr(CedarExpr target, string attr)
    {
        Target = target;
        Attr = attr;
        Over(target);
    }

    public CedarExpr Target { get; }

    public string Attr { get; }

    public override CedarValue Eval(EvalEnv env) => GetAttr(Target.Eval(env), Attr, env);

    public override void Write(StringBuilder sb)
    {
        Target.Write(sb);
        sb.Append('[');
        CedarText.WriteString(sb, Attr);
        sb.Append(']');
    }
}

internal sealed class LikeExpr : CedarExpr
{
    /// <summary>Pattern pieces: a string is literal text, null is a wildcard.</summary>
    public LikeExpr(CedarExpr target, IReadOnlyList<string?> pattern)
    {
        Target = target;
        Pattern = pattern;
        _chars = Flatten(pattern);
        Over(target);
    }

    private readonly int[] _chars;

    /// <summary>Gets the pattern as characters, -1 for a wildcard.</summary>
    public int[] Chars => _chars;

    public CedarExpr Target { get; }

    public IReadOnlyList<string?> Pattern { get; }

    public static bool Match(string s, IReadOnlyList<string?> pattern) => Match(s, Flatten(pattern));

    public static bool Match(string s, int[] chars)
    {
        // Greedy matching with backtracking to the last wildcard: O(n*m) at worst, no recursion.
        int si = 0, pi = 0, starPi = -1, starSi = 0;
        while (si < s.Length)
        {
            if (pi < chars.Length && chars[pi] >= 0 && chars[pi] == s[si])
            {
                si++;
                pi++;
            }
            else if (pi < chars.Length && chars[pi] < 0)
            {
                starPi = pi++;
                starSi = si;
            }
            else if (starPi >= 0)
            {
                pi = starPi + 1;
                si = ++starSi;
            }
            else
            {
                return false;
            }
        }

        while (pi < chars.Length && chars[pi] < 0)
        {
            pi++;
        }

        return pi == chars.Length;
    }

    public override CedarValue Eval(EvalEnv env) => BoolValue.Of(Match(AsString(Target.Eval(env)), _chars));

    public override void Write(StringBuilder sb)
    {
        sb.Append('(');
        Target.Write(sb);
        sb.Append(" like ");
        WritePattern(sb, Pattern);
        sb.Append(')');
    }

    public static void WritePattern(StringBuilder sb, IReadOnlyList<string?> pattern)
    {
        var inner = new StringBuilder();
        sb.Append('"');
        foreach (var piece in pattern)
        {
            if (piece is null)
            {
                sb.Append('*');
                continue;
            }

            inner.Clear();
            CedarText.WriteString(inner, piece);
            sb.Append(inner.ToString(1, inner.Length - 2).Replace("*", "\\*", StringComparison.Ordinal));
        }

        sb.Append('"');
    }

    private static int[] Flatten(IReadOnlyList<string?> pattern)
    {
        var list = new List<int>();
        foreach (var piece in pattern)
        {
            if (piece is null)
            {
                list.Add(-1);
            }
            else
            {
                foreach (var c in piece)
                {
                    list.Add(c);
                }
            }
        }

        return [.. list];
    }
}

internal sealed class IsExpr : CedarExpr
{
    public IsExpr(CedarExpr target, string entityType, CedarExpr? inExpr)
    {
        Target = target;
        EntityType = EntityTypeNames.Intern(entityType);
        InExpr = inExpr;
        Over(target);
        if (inExpr is not null)
        {
            Over(inExpr);
        }
    }

    public CedarExpr Target { get; }

    public string EntityType { get; }

    public CedarExpr? InExpr { get; }

    public override CedarValue Eval(EvalEnv env)
    {
        var e = AsEntity(Target.Eval(env));
        if (!string.Equals(e.Type, EntityType, StringComparison.Ordinal))
        {
            return BoolValue.False;
        }

        return InExpr is null ? BoolValue.True : BoolValue.Of(BinaryExpr.EvalIn(e, InExpr.Eval(env), env));
    }

    public override void Write(StringBuilder sb)
    {
        sb.Append('(');
        Target.Write(sb);
        sb.Append(" is ").Append(EntityType);
        if (InExpr is not null)
        {
            sb.Append(" in ");
            InExpr.Write(sb);
        }

        sb.Append(')');
    }
}

internal sealed class SetExpr : CedarExpr
{
    public SetExpr(IReadOnlyList<CedarExpr> items)
    {
        Items = items;
        Over(items);
    }

    public IReadOnlyList<CedarExpr> Items { get; }

    public override CedarValue Eval(EvalEnv env)
    {
        var list = new List<CedarValue>(Items.Count);
        foreach (var item in Items)
        {
            list.Add(item.Eval(env));
        }

        return SetValue.Create(list);
    }

    public override void Write(StringBuilder sb)
    {
        sb.Append('[');
        for (int i = 0; i < Items.Count; i++)
        {
            if (i > 0)
            {
                sb.Append(", ");
            }

            Items[i].Write(sb);
        }

        sb.Append(']');
    }
}

internal sealed class RecordExpr : CedarExpr
{
    public RecordExpr(IReadOnlyList<KeyValuePair<string, CedarExpr>> fields)
    {
        Fields = fields;
        foreach (var f in fields)
        {
            Over(f.Value);
        }
    }

    public IReadOnlyList<KeyValuePair<string, CedarExpr>> Fields { get; }

    public override CedarValue Eval(EvalEnv env)
    {
        var d = new Dictionary<string, CedarValue>(Fields.Count, StringComparer.Ordinal);
        foreach (var f in Fields)
        {
            d[f.Key] = f.Value.Eval(env);
        }

        return new RecordValue(d);
    }

    public override void Write(StringBuilder sb)
    {
        sb.Append('{');
        for (int i = 0; i < Fields.Count; i++)
        {
            if (i > 0)
            {
                sb.Append(", ");
            }

            CedarText.WriteString(sb, Fields[i].Key);
            sb.Append(": ");
            Fields[i].Value.Write(sb);
        }

        sb.Append('}');
    }
}
