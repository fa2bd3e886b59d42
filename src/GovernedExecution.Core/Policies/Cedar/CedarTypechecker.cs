using System.Text;

namespace GovernedExecution.Policies.Cedar;

internal enum TKind
{
    Bool,
    Long,
    String,
    Entity,
    Set,
    Record,
    Ext,
}

/// <summary>The three boolean types: any boolean, or the singleton types of <c>true</c> and <c>false</c>.</summary>
internal enum BoolT
{
    Any,
    True,
    False,
}

internal readonly record struct VAttr(VType Type, bool Required);

/// <summary>A type of the validator. Entity types are a sorted set of names (one in strict mode); a set with no element type is the empty set.</summary>
internal sealed class VType
{
    public static readonly VType AnyBool = new(TKind.Bool) { Bool = BoolT.Any };
    public static readonly VType True = new(TKind.Bool) { Bool = BoolT.True };
    public static readonly VType False = new(TKind.Bool) { Bool = BoolT.False };
    public static readonly VType Long = new(TKind.Long);
    public static readonly VType String = new(TKind.String);
    public static readonly VType EmptySet = new(TKind.Set);

    public VType(TKind kind) => Kind = kind;

    public TKind Kind { get; }

    public BoolT Bool { get; init; }

    public IReadOnlyList<string>? Entities { get; init; }

    public VType? Element { get; init; }

    public SortedDictionary<string, VAttr>? Attrs { get; init; }

    /// <summary>Gets a value indicating whether a record may have attributes beyond <see cref="Attrs"/> (permissive merges only).</summary>
    public bool Open { get; init; }

    public string? Ext { get; init; }

    public static VType OfBool(BoolT b) => b switch { BoolT.True => True, BoolT.False => False, _ => AnyBool };

    public static VType Entity(string type) => new(TKind.Entity) { Entities = [type] };

    public static VType ExtType(string name) => new(TKind.Ext) { Ext = name };

    public static VType Set(VType element) => new(TKind.Set) { Element = element };

    public static bool Same(VType a, VType b)
    {
        if (a.Kind != b.Kind)
        {
            return false;
        }

        switch (a.Kind)
        {
            case TKind.Bool:
                return a.Bool == b.Bool;
            case TKind.Entity:
                return a.Entities!.SequenceEqual(b.Entities!, StringComparer.Ordinal);
            case TKind.Set:
                return a.Element is null ? b.Element is null : b.Element is not null && Same(a.Element, b.Element);
            case TKind.Record:
                if (a.Open != b.Open || a.Attrs!.Count != b.Attrs!.Count)
                {
                    return false;
                }

                foreach (var (k, v) in a.Attrs)
                {
                    if (!b.Attrs.TryGetValue(k, out var w) || v.Required != w.Required || !Same(v.Type, w.Type))
                    {
                        return false;
                    }
                }

                return true;
            case TKind.Ext:
                return a.Ext == b.Ext;
            default:
                return true;
        }
    }

    /// <summary>The least upper bound, or null when the two types have none (strict: only equal entity types and records of the same shape merge).</summary>
    public static VType? Lub(VType a, VType b, bool strict)
    {
        if (a.Kind != b.Kind)
        {
            return null;
        }

        switch (a.Kind)
        {
            case TKind.Bool:
                return a.Bool == b.Bool ? a : AnyBool;
            case TKind.Entity:
                if (a.Entities!.SequenceEqual(b.Entities!, StringComparer.Ordinal))
                {
                    return a;
                }

                return strict ? null : new VType(TKind.Entity) { Entities = a.Entities!.Union(b.Entities!, StringComparer.Ordinal).Order(StringComparer.Ordinal).ToArray() };
            case TKind.Set:
                if (a.Element is null || b.Element is null)
                {
                    return a.Element is null ? b : a;
                }

                var e = Lub(a.Element, b.Element, strict);
                return e is null ? null : Set(e);
            case TKind.Record:
                return LubRecord(a, b, strict);
            case TKind.Ext:
                return a.Ext == b.Ext ? a : null;
            default:
                return a;
        }
    }

    private static VType? LubRecord(VType a, VType b, bool strict)
    {
        var attrs = new SortedDictionary<string, VAttr>(StringComparer.Ordinal);
        if (strict)
        {
            if (a.Attrs!.Count != b.Attrs!.Count)
            {
                return null;
            }

            foreach (var (k, v) in a.Attrs)
            {
                if (!b.Attrs.TryGetValue(k, out var w) || v.Required != w.Required)
                {
                    return null;
                }

                var t = Lub(v.Type, w.Type, strict);
                if (t is null)
                {
                    return null;
                }

                attrs[k] = new VAttr(t, v.Required);
            }

            return new VType(TKind.Record) { Attrs = attrs };
        }

        bool open = a.Open || b.Open || a.Attrs!.Count != b.Attrs!.Count;
        foreach (var (k, v) in a.Attrs!)
        {
            if (!b.Attrs!.TryGetValue(k, out var w))
            {
                open = true;
                continue;
            }

            var t = Lub(v.Type, w.Type, strict);
            if (t is null)
            {
                return null;
            }

            attrs[k] = new VAttr(t, v.Required && w.Required);
        }

        return new VType(TKind.Record) { Attrs = attrs, Open = open };
    }

    public override string ToString()
    {
        var sb = new StringBuilder();
        Write(sb);
        return sb.ToString();
    }

    private void Write(StringBuilder sb)
    {
        switch (Kind)
        {
            case TKind.Bool:
                sb.Append(Bool switch { BoolT.True => "True", BoolT.False => "False", _ => "Bool" });
                break;
            case TKind.Long:
                sb.Append("Long");
                break;
            case TKind.String:
                sb.Append("String");
                break;
            case TKind.Entity:
                sb.AppendJoin(" | ", Entities!);
                break;
            case TKind.Set:
                sb.Append("Set<");
                if (Element is null)
                {
                    sb.Append('?');
                }
                else
                {
                    Element.Write(sb);
                }

                sb.Append('>');
                break;
            case TKind.Record:
                sb.Append('{');
                bool first = true;
                foreach (var (k, v) in Attrs!)
                {
                    sb.Append(first ? " " : ", ").Append(CedarText.Quote(k)).Append(v.Required ? ": " : "?: ");
                    v.Type.Write(sb);
                    first = false;
                }

                sb.Append(Open ? (first ? "..." : ", ...") : string.Empty).Append(first && !Open ? "}" : " }");
                break;
            default:
                sb.Append(Ext);
                break;
        }
    }
}

/// <summary>What a subexpression is known to have: attributes (after <c>has</c>) and tags (after <c>hasTag</c>), keyed by expression text.</summary>
internal sealed class Caps
{
    public static readonly Caps Empty = new([]);

    private readonly HashSet<string> _keys;

    private Caps(HashSet<string> keys) => _keys = keys;

    public static Caps Single(string key) => new(new HashSet<string>(StringComparer.Ordinal) { key });

    public bool Contains(string key) => _keys.Contains(key);

    public Caps Union(Caps other)
    {
        if (other._keys.Count == 0)
        {
            return this;
        }

        if (_keys.Count == 0)
        {
            return other;
        }

        var s = new HashSet<string>(_keys, StringComparer.Ordinal);
        s.UnionWith(other._keys);
        return new Caps(s);
    }

    public Caps Intersect(Caps other)
    {
        if (_keys.Count == 0 || other._keys.Count == 0)
        {
            return Empty;
        }

        var s = new HashSet<string>(_keys, StringComparer.Ordinal);
        s.IntersectWith(other._keys);
        return new Caps(s);
    }
}

/// <summary>The type of an expression with the capabilities it grants when true; <see cref="Type"/> is null when it did not typecheck (the error is recorded).</summary>
/// <summary>
/// A typed expression, or a failure (no type). A Boolean expression that failed keeps the singleton type it would have
/// had (<see cref="Recovery"/>, Cedar's recovery type): an operand that has an error still short-circuits by it.
/// </summary>
internal readonly record struct Typed(VType? Type, Caps Caps, BoolT Recovery = BoolT.Any)
{
    public static readonly Typed Failed = new(null, Caps.Empty);

    /// <summary>Gets the singleton Boolean type (or <see cref="BoolT.Any"/>) of a typed or failed expression.</summary>
    public BoolT BoolType => Type is null ? Recovery : Type.Kind == TKind.Bool ? Type.Bool : BoolT.Any;

    public static Typed FailedAs(BoolT recovery) => new(null, Caps.Empty, recovery);

    public bool IsFalse => Type is { Kind: TKind.Bool, Bool: BoolT.False };
}

/// <summary>
/// Cedar's typechecker over the evaluator's AST, after Cedar's formal model: each policy (scope and conditions joined with
/// <c>&amp;&amp;</c>) is typed once per request environment, with <c>action</c> replaced by the environment's action; singleton
/// boolean types short-circuit <c>&amp;&amp;</c>, <c>||</c> and <c>if</c>, and <c>has</c>/<c>hasTag</c> grant capabilities that make the
/// guarded attribute or tag readable.
/// </summary>
internal sealed class CedarTypechecker
{
    private readonly CedarSchema _schema;
    private readonly bool _strict;
    private readonly Dictionary<string, HashSet<string>> _ancestors = new(StringComparer.Ordinal);
    private readonly HashSet<string> _actionTypes = new(StringComparer.Ordinal);
    private readonly Dictionary<SchemaType, VType> _converted = new(ReferenceEqualityComparer.Instance);
    private readonly List<Env> _envs = [];

    // Per policy and environment.
    private readonly Dictionary<CedarExpr, string> _keys = new(ReferenceEqualityComparer.Instance);
    private List<(CedarValidationKind Kind, string Message, int Condition)> _errors = [];
    private int _condition;
    private Env _env = null!;

    public CedarTypechecker(CedarSchema schema, bool strict)
    {
        _schema = schema;
        _strict = strict;
        foreach (var e in schema.EntityTypes.Values)
        {
            var seen = new HashSet<string>(StringComparer.Ordinal);
            var queue = new Queue<string>(e.MemberOfTypes);
            while (queue.Count > 0)
            {
                var t = queue.Dequeue();
                if (seen.Add(t) && schema.EntityTypes.TryGetValue(t, out var pt))
                {
                    foreach (var g in pt.MemberOfTypes)
                    {
                        queue.Enqueue(g);
                    }
                }
            }

            _ancestors[e.Name] = seen;
        }

        foreach (var a in schema.Actions.Values.OrderBy(a => a.Uid.ToString(), StringComparer.Ordinal))
        {
            _actionTypes.Add(a.Uid.Type);
            var context = Convert(a.Context);
            foreach (var p in a.PrincipalTypes)
            {
                foreach (var r in a.ResourceTypes)
                {
                    _envs.Add(new Env(p, a, r, context));
                }
            }
        }
    }

    private sealed record Env(string Principal, SchemaAction Action, string Resource, VType Context);

    public List<CedarValidationDiagnostic> CheckPolicy(CedarPolicy policy)
    {
        _keys.Clear();
        var found = new List<(CedarValidationKind Kind, string Message, int Condition)>();
        _errors = found;
        _condition = -1;
        CheckEntities(policy);
        bool anyScope = false;
        bool anyTrue = false;
        foreach (var env in _envs)
        {
            _env = env;
            _condition = -1;
            var t = TypeScope(policy);
            if (t.Type is null)
            {
                anyScope = true;
                anyTrue = true;
                continue;
            }

            if (t.IsFalse)
            {
                continue;
            }

            anyScope = true;
            var bt = t.Type.Bool;
            var caps = t.Caps;
            bool failed = false;
            for (int i = 0; i < policy.Conditions.Count; i++)
            {
                _condition = i;
                var c = policy.Conditions[i];
                var r = TypeOf(c.Body, caps);
                if (r.Type is null)
                {
                    failed = true;
                    break;
                }

                if (r.Type.Kind != TKind.Bool)
                {
                    Error(CedarValidationKind.UnexpectedType, $"a condition must be a boolean, not {r.Type}");
                    failed = true;
                    break;
                }

                var b = c.IsWhen ? r.Type.Bool : Not(r.Type.Bool);
                var rc = c.IsWhen ? r.Caps : Caps.Empty;
                if (b == BoolT.False)
                {
                    bt = BoolT.False;
                    break;
                }

                bt = b == BoolT.True ? bt : BoolT.Any;
                caps = caps.Union(rc);
            }

            if (failed || bt != BoolT.False)
            {
                anyTrue = true;
            }
        }

        _condition = -1;
        if (!anyScope)
        {
            found.Add((CedarValidationKind.InvalidActionApplication, "no action of the schema applies to the principal and resource types the policy's scope allows", -1));
        }

        if (!anyTrue)
        {
            found.Add((CedarValidationKind.ImpossiblePolicy, "the policy is false for every request the schema allows", -1));
        }

        var span = policy.Span ?? new CedarSpan("<policies>", 0, 0);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var list = new List<CedarValidationDiagnostic>();
        foreach (var (kind, message, cond) in found)
        {
            if (!seen.Add(((int)kind).ToString(System.Globalization.CultureInfo.InvariantCulture) + "\0" + message + "\0" + cond.ToString(System.Globalization.CultureInfo.InvariantCulture)))
            {
                continue;
            }

            int line = span.Line, column = span.Column;
            if (cond >= 0 && policy.Conditions[cond].Line > 0)
            {
                line = policy.Conditions[cond].Line;
                column = policy.Conditions[cond].Column;
            }

            list.Add(new CedarValidationDiagnostic(kind, policy.Id, message, span.Source, line, column));
        }

        return list;
    }

    private static BoolT Not(BoolT b) => b switch { BoolT.True => BoolT.False, BoolT.False => BoolT.True, _ => BoolT.Any };

    private void Error(CedarValidationKind kind, string message) => _errors.Add((kind, message, _condition));

    private VType Convert(SchemaType t)
    {
        if (_converted.TryGetValue(t, out var v))
        {
            return v;
        }

        v = t.Kind switch
        {
            SchemaTypeKind.Bool => VType.AnyBool,
            SchemaTypeKind.Long => VType.Long,
            SchemaTypeKind.String => VType.String,
            SchemaTypeKind.Set => VType.Set(Convert(t.Element!)),
            SchemaTypeKind.Record => new VType(TKind.Record) { Attrs = new SortedDictionary<string, VAttr>(t.Attributes!.ToDictionary(a => a.Key, a => new VAttr(Convert(a.Value.Type), a.Value.Required)), StringComparer.Ordinal) },
            SchemaTypeKind.Entity => VType.Entity(t.Name!),
            SchemaTypeKind.Extension => VType.ExtType(t.Name!),
            _ => new VType(TKind.Record) { Attrs = new SortedDictionary<string, VAttr>(StringComparer.Ordinal), Open = true },
        };
        _converted[t] = v;
        return v;
    }

    // ---- Declared entity types, actions and enumerated ids, anywhere in the policy (not subject to short-circuiting).
    private void CheckEntities(CedarPolicy policy)
    {
        foreach (var scope in new[] { policy.Principal, policy.Resource })
        {
            if (scope.EntityType is not null)
            {
                CheckType(scope.EntityType);
            }

            if (scope.Entity is not null)
            {
                CheckUid(scope.Entity);
            }
        }

        if (policy.Action.Entity is not null)
        {
            CheckUid(policy.Action.Entity);
        }

        foreach (var a in policy.Action.Entities ?? [])
        {
            CheckUid(a);
        }

        for (int i = 0; i < policy.Conditions.Count; i++)
        {
            _condition = i;
            CheckEntities(policy.Conditions[i].Body);
        }

        _condition = -1;
    }

    private void CheckEntities(CedarExpr e)
    {
        switch (e)
        {
            case LiteralExpr l:
                CheckValue(l.Value);
                break;
            case IsExpr i:
                CheckType(i.EntityType);
                CheckEntities(i.Target);
                if (i.InExpr is not null)
                {
                    CheckEntities(i.InExpr);
                }

                break;
            case IfExpr f:
                CheckEntities(f.Cond);
                CheckEntities(f.Then);
                CheckEntities(f.Else);
                break;
            case AndExpr a:
                CheckEntities(a.Left);
                CheckEntities(a.Right);
                break;
            case OrExpr o:
                CheckEntities(o.Left);
                CheckEntities(o.Right);
                break;
            case BinaryExpr b:
                CheckEntities(b.Left);
                CheckEntities(b.Right);
                break;
            case NotExpr n:
                CheckEntities(n.Operand);
                break;
            case NegExpr n:
                CheckEntities(n.Operand);
                break;
            case HasExpr h:
                CheckEntities(h.Target);
                break;
            case GetAttrExpr g:
                CheckEntities(g.Target);
                break;
            case LikeExpr l:
                CheckEntities(l.Target);
                break;
            case SetExpr s:
                foreach (var x in s.Items)
                {
                    CheckEntities(x);
                }

                break;
            case RecordExpr r:
                foreach (var f in r.Fields)
                {
                    CheckEntities(f.Value);
                }

                break;
            case CallExpr c:
                foreach (var x in c.Args)
                {
                    CheckEntities(x);
                }

                break;
            default:
                break;
        }
    }

    private void CheckValue(CedarValue v)
    {
        switch (v)
        {
            case EntityUid uid:
                CheckUid(uid);
                break;
            case SetValue s:
                foreach (var x in s.Items)
                {
                    CheckValue(x);
                }

                break;
            case RecordValue r:
                foreach (var x in r.Attrs.Values)
                {
                    CheckValue(x);
                }

                break;
            default:
                break;
        }
    }

    private void CheckType(string type)
    {
        if (!_schema.EntityTypes.ContainsKey(type) && !_actionTypes.Contains(type))
        {
            Error(CedarValidationKind.UnrecognizedEntityType, $"unrecognized entity type `{type}`");
        }
    }

    private void CheckUid(EntityUid uid)
    {
        if (IsValidUid(uid))
        {
            return;
        }

        if (CedarParser.IsActionType(uid.Type) && !_schema.EntityTypes.ContainsKey(uid.Type))
        {
            Error(CedarValidationKind.UnrecognizedActionId, $"unrecognized action `{uid}`");
        }
        else if (_schema.EntityTypes.TryGetValue(uid.Type, out var et) && et.EnumIds is not null)
        {
            Error(CedarValidationKind.InvalidEnumEntity, $"entity `{uid}` is not one of the ids the enumerated entity type `{uid.Type}` allows ({string.Join(", ", et.EnumIds.Select(CedarText.Quote))})");
        }
        else
        {
            Error(CedarValidationKind.UnrecognizedEntityType, $"unrecognized entity type `{uid.Type}`");
        }
    }

    /// <summary>
    /// Whether the typechecker can type the entity literal: its type is declared (an id that an enumerated type does not
    /// list is reported by CheckEntities, but still typed by its type, as Cedar does), or it is a declared action.
    /// </summary>
    private bool IsTypedUid(EntityUid uid) => _schema.EntityTypes.ContainsKey(uid.Type) || _schema.Actions.ContainsKey(uid);

    private bool IsValidUid(EntityUid uid) =>
        _schema.EntityTypes.TryGetValue(uid.Type, out var et)
            ? et.EnumIds is null || et.EnumIds.Contains(uid.Id, StringComparer.Ordinal)
            : _schema.Actions.ContainsKey(uid);

    // ---- The scope, typed as Cedar types `principal == E`, `principal in E`, `principal is T [in E]` and the action constraint.
    private Typed TypeScope(CedarPolicy policy)
    {
        var p = TypeScopePart(policy.Principal, _env.Principal);
        if (p.Type is null || p.IsFalse)
        {
            return p;
        }

        var a = TypeActionScope(policy.Action);
        if (a.Type is null || a.IsFalse)
        {
            return a;
        }

        var r = TypeScopePart(policy.Resource, _env.Resource);
        if (r.Type is null || r.IsFalse)
        {
            return r;
        }

        bool allTrue = p.Type.Bool == BoolT.True && a.Type.Bool == BoolT.True && r.Type.Bool == BoolT.True;
        return new Typed(allTrue ? VType.True : VType.AnyBool, Caps.Empty);
    }

    private Typed TypeScopePart(ScopeConstraint scope, string varType)
    {
        switch (scope.Kind)
        {
            case ScopeKind.Any:
                return new Typed(VType.True, Caps.Empty);
            case ScopeKind.Is:
                return new Typed(scope.EntityType == varType ? VType.True : VType.False, Caps.Empty);
            case ScopeKind.IsIn:
                if (scope.EntityType != varType)
                {
                    return new Typed(VType.False, Caps.Empty);
                }

                goto case ScopeKind.In;
            case ScopeKind.In:
                if (scope.IsSlot)
                {
                    return new Typed(VType.AnyBool, Caps.Empty);
                }

                return !IsTypedUid(scope.Entity!) ? Typed.Failed : new Typed(DescendentOf(varType, scope.Entity!.Type) ? VType.AnyBool : VType.False, Caps.Empty);
            default:
                if (scope.IsSlot)
                {
                    return new Typed(VType.AnyBool, Caps.Empty);
                }

                return !IsTypedUid(scope.Entity!) ? Typed.Failed : new Typed(scope.Entity!.Type == varType ? VType.AnyBool : VType.False, Caps.Empty);
        }
    }

    private Typed TypeActionScope(ScopeConstraint scope)
    {
        var action = _env.Action.Uid;
        switch (scope.Kind)
        {
            case ScopeKind.Any:
                return new Typed(VType.True, Caps.Empty);
            case ScopeKind.Eq:
                return !IsValidUid(scope.Entity!) ? Typed.Failed : new Typed(action.Equals(scope.Entity) ? VType.True : VType.False, Caps.Empty);
            case ScopeKind.In when scope.Entities is not null:
                {
                    if (scope.Entities.Count == 0)
                    {
                        if (_strict)
                        {
                            Error(CedarValidationKind.EmptySetForbidden, "empty set literals are not allowed");
                            return Typed.Failed;
                        }

                        return new Typed(VType.False, Caps.Empty);
                    }

                    bool ok = true;
                    foreach (var e in scope.Entities)
                    {
                        ok &= IsValidUid(e);
                    }

                    if (!ok)
                    {
                        return Typed.Failed;
                    }

                    if (_strict && scope.Entities.Select(e => e.Type).Distinct(StringComparer.Ordinal).Skip(1).Any())
                    {
                        Error(CedarValidationKind.IncompatibleTypes, "the actions in the scope's list have different entity types: " + string.Join(", ", scope.Entities.Select(e => e.Type).Distinct(StringComparer.Ordinal)));
                        return Typed.Failed;
                    }

                    return new Typed(scope.Entities.Any(e => ActionDescendentOf(action, e)) ? VType.True : VType.False, Caps.Empty);
                }

            default:
                return !IsValidUid(scope.Entity!) ? Typed.Failed : new Typed(ActionDescendentOf(action, scope.Entity!) ? VType.True : VType.False, Caps.Empty);
        }
    }

    private bool ActionDescendentOf(EntityUid a, EntityUid b) =>
        a.Equals(b) || (_schema.Actions.TryGetValue(a, out var sa) && sa.Ancestors.Contains(b));

    private bool DescendentOf(string t1, string t2)
    {
        if (t1 == t2)
        {
            return true;
        }

        if (_ancestors.TryGetValue(t1, out var anc))
        {
            return anc.Contains(t2);
        }

        foreach (var a in _schema.Actions.Values)
        {
            if (a.Uid.Type == t1 && a.Ancestors.Any(g => g.Type == t2))
            {
                return true;
            }
        }

        return false;
    }

    private bool DescendentOfAny(IReadOnlyList<string> t1, IReadOnlyList<string> t2)
    {
        foreach (var a in t1)
        {
            foreach (var b in t2)
            {
                if (DescendentOf(a, b))
                {
                    return true;
                }
            }
        }

        return false;
    }

    // ---- Expressions.
    private string Key(CedarExpr e)
    {
        if (!_keys.TryGetValue(e, out var k))
        {
            k = e is VarExpr { Var: VarKind.Action } ? "action" : e.ToString();
            _keys[e] = k;
        }

        return k;
    }

    /// <summary>The literal an expression stands for in this environment (<c>action</c> is replaced by the environment's action).</summary>
    private CedarValue? LiteralOf(CedarExpr e) => e switch
    {
        LiteralExpr l => l.Value,
        VarExpr { Var: VarKind.Action } => _env.Action.Uid,
        _ => null,
    };

    private Typed TypeOf(CedarExpr e, Caps c)
    {
        switch (e)
        {
            case LiteralExpr l:
                {
                    var t = TypeOfValue(l.Value);
                    return t is null ? Typed.Failed : new Typed(t, Caps.Empty);
                }

            case VarExpr v:
                return new Typed(
                    v.Var switch
                    {
                        VarKind.Principal => VType.Entity(_env.Principal),
                        VarKind.Action => VType.Entity(_env.Action.Uid.Type),
                        VarKind.Resource => VType.Entity(_env.Resource),
                        _ => _env.Context,
                    },
                    Caps.Empty);
            case SlotExpr:
                Error(CedarValidationKind.UnexpectedType, "a template slot cannot appear in a condition");
                return Typed.Failed;
            case IfExpr f:
                return TypeIf(f, c);
            case AndExpr a:
                return TypeAnd(a.Left, a.Right, c);
            case OrExpr o:
                return TypeOr(o, c);
            case NotExpr n:
                {
                    var t = TypeOf(n.Operand, c);
                    if (t.Type is null)
                    {
                        return Typed.FailedAs(Not(t.Recovery));
                    }

                    return t.Type.Kind == TKind.Bool ? new Typed(VType.OfBool(Not(t.Type.Bool)), Caps.Empty) : Unexpected("Bool", t.Type);
                }

            case NegExpr n:
                {
                    var t = TypeOf(n.Operand, c);
                    if (t.Type is null)
                    {
                        return t;
                    }

                    return t.Type.Kind == TKind.Long ? new Typed(VType.Long, Caps.Empty) : Unexpected("Long", t.Type);
                }

            case BinaryExpr b:
                return TypeBinary(b, c);
            case HasExpr { Expanded: { } chain }:
                // `e has a.b` is defined as `e has a && e.a has b`: typed (and its guards recorded) as that chain.
                return TypeOf(chain, c);
            case HasExpr h:
                return TypeHas(h, c);
            case GetAttrExpr g:
                return TypeGetAttr(g, c);
            case LikeExpr l:
                {
                    var t = TypeOf(l.Target, c);
                    if (t.Type is null)
                    {
                        return t;
                    }

                    return t.Type.Kind == TKind.String ? new Typed(VType.AnyBool, Caps.Empty) : Unexpected("String", t.Type);
                }

            case IsExpr i:
                return TypeIs(i, c);
            case SetExpr s:
                return TypeSet(s, c);
            case RecordExpr r:
                {
                    var attrs = new SortedDictionary<string, VAttr>(StringComparer.Ordinal);
                    bool failed = false;
                    foreach (var f in r.Fields)
                    {
                        var t = TypeOf(f.Value, c);
                        if (t.Type is null)
                        {
                            failed = true;
                        }
                        else
                        {
                            attrs[f.Key] = new VAttr(t.Type, true);
                        }
                    }

                    return failed ? Typed.Failed : new Typed(new VType(TKind.Record) { Attrs = attrs }, Caps.Empty);
                }

            case CallExpr call:
                return TypeCall(call, c);
            default:
                Error(CedarValidationKind.UnexpectedType, "unsupported expression");
                return Typed.Failed;
        }
    }

    private Typed Unexpected(string expected, VType got)
    {
        Error(CedarValidationKind.UnexpectedType, $"unexpected type: expected {expected}, found {got}");
        return Typed.Failed;
    }

    private VType? TypeOfValue(CedarValue v)
    {
        switch (v)
        {
            case BoolValue b:
                return b.Value ? VType.True : VType.False;
            case LongValue:
                return VType.Long;
            case StringValue:
                return VType.String;
            case EntityUid uid:
                return IsTypedUid(uid) ? VType.Entity(uid.Type) : null; // reported by CheckEntities
            case IpValue:
                return VType.ExtType("ipaddr");
            case DecimalValue:
                return VType.ExtType("decimal");
            case DatetimeValue:
                return VType.ExtType("datetime");
            case DurationValue:
                return VType.ExtType("duration");
            case SetValue s:
                {
                    VType? acc = null;
                    foreach (var item in s.Items)
                    {
                        var t = TypeOfValue(item);
                        if (t is null)
                        {
                            return null;
                        }

                        acc = acc is null ? t : VType.Lub(acc, t, _strict);
                        if (acc is null)
                        {
                            Error(CedarValidationKind.IncompatibleTypes, "the elements of a set literal have incompatible types");
                            return null;
                        }
                    }

                    if (acc is null && _strict)
                    {
                        Error(CedarValidationKind.EmptySetForbidden, "empty set literals are not allowed");
                        return null;
                    }

                    return acc is null ? VType.EmptySet : VType.Set(acc);
                }

            case RecordValue r:
                {
                    var attrs = new SortedDictionary<string, VAttr>(StringComparer.Ordinal);
                    foreach (var (k, x) in r.Attrs)
                    {
                        var t = TypeOfValue(x);
                        if (t is null)
                        {
                            return null;
                        }

                        attrs[k] = new VAttr(t, true);
                    }

                    return new VType(TKind.Record) { Attrs = attrs };
                }

            default:
                return null;
        }
    }

    private Typed RequireBool(Typed t)
    {
        if (t.Type is null || t.Type.Kind == TKind.Bool)
        {
            return t;
        }

        return Unexpected("Bool", t.Type);
    }

    private Typed TypeIf(IfExpr f, Caps c)
    {
        var t1 = RequireBool(TypeOf(f.Cond, c));
        if (t1.Type is null)
        {
            // Still look for errors in the branches, but as Cedar does: a condition with an error that is always true
            // (false) leaves the other branch unchecked.
            switch (t1.Recovery)
            {
                case BoolT.True:
                    return Typed.FailedAs(TypeOf(f.Then, c).BoolType);
                case BoolT.False:
                    return Typed.FailedAs(TypeOf(f.Else, c).BoolType);
                default:
                    var a = TypeOf(f.Then, c).BoolType;
                    var b = TypeOf(f.Else, c).BoolType;
                    return Typed.FailedAs(a == b ? a : BoolT.Any);
            }
        }

        switch (t1.Type.Bool)
        {
            case BoolT.True:
                {
                    var t2 = TypeOf(f.Then, c.Union(t1.Caps));
                    return t2.Type is null ? t2 : new Typed(t2.Type, t1.Caps.Union(t2.Caps));
                }

            case BoolT.False:
                return TypeOf(f.Else, c);
            default:
                {
                    var t2 = TypeOf(f.Then, c.Union(t1.Caps));
                    var t3 = TypeOf(f.Else, c);
                    if (t2.Type is null || t3.Type is null)
                    {
                        return Typed.FailedAs(t2.BoolType == t3.BoolType ? t2.BoolType : BoolT.Any);
                    }

                    var lub = VType.Lub(t2.Type, t3.Type, _strict);
                    if (lub is null)
                    {
                        Error(CedarValidationKind.IncompatibleTypes, $"the branches of an if have incompatible types {t2.Type} and {t3.Type}");
                        return Typed.Failed;
                    }

                    return new Typed(lub, t1.Caps.Union(t2.Caps).Intersect(t3.Caps));
                }
        }
    }

    private Typed TypeAnd(CedarExpr left, CedarExpr right, Caps c)
    {
        var t1 = RequireBool(TypeOf(left, c));
        if (t1.Type is null)
        {
            // Cedar goes on with the left's recovery type: one that is always false leaves the right unchecked.
            return t1.Recovery == BoolT.False ? t1 : Typed.FailedAs(And(t1.Recovery, RequireBool(TypeOf(right, c)).BoolType));
        }

        if (t1.Type.Bool == BoolT.False)
        {
            return t1;
        }

        var t2 = RequireBool(TypeOf(right, c.Union(t1.Caps)));
        if (t2.Type is null)
        {
            return Typed.FailedAs(And(t1.Type.Bool, t2.Recovery));
        }

        return t2.Type.Bool switch
        {
            BoolT.False => new Typed(VType.False, Caps.Empty),
            BoolT.True => new Typed(t1.Type, t1.Caps.Union(t2.Caps)),
            _ => new Typed(VType.AnyBool, t1.Caps.Union(t2.Caps)),
        };
    }

    private Typed TypeOr(OrExpr o, Caps c)
    {
        var t1 = RequireBool(TypeOf(o.Left, c));
        if (t1.Type is null)
        {
            // Cedar goes on with the left's recovery type: one that is always true leaves the right unchecked.
            return t1.Recovery == BoolT.True ? t1 : Typed.FailedAs(Or(t1.Recovery, RequireBool(TypeOf(o.Right, c)).BoolType));
        }

        if (t1.Type.Bool == BoolT.True)
        {
            return t1;
        }

        var t2 = RequireBool(TypeOf(o.Right, c));
        if (t2.Type is null)
        {
            return Typed.FailedAs(Or(t1.Type.Bool, t2.Recovery));
        }

        if (t1.Type.Bool == BoolT.False)
        {
            return t2;
        }

        return t2.Type.Bool switch
        {
            BoolT.True => new Typed(VType.True, Caps.Empty),
            BoolT.False => new Typed(VType.AnyBool, t1.Caps),
            _ => new Typed(VType.AnyBool, t1.Caps.Intersect(t2.Caps)),
        };
    }

    /// <summary>The singleton type of <c>l &amp;&amp; r</c> (Cedar's rules, also for recovery types).</summary>
    private static BoolT And(BoolT l, BoolT r) => l == BoolT.True ? r : r == BoolT.False ? BoolT.False : r == BoolT.True ? l : BoolT.Any;

    /// <summary>The singleton type of <c>l || r</c> (Cedar's rules, also for recovery types).</summary>
    private static BoolT Or(BoolT l, BoolT r) => l == BoolT.False ? r : r == BoolT.True ? BoolT.True : r == BoolT.False ? l : BoolT.Any;

    private Typed TypeIs(IsExpr i, Caps c)
    {
        var t = TypeOf(i.Target, c);
        if (t.Type is null)
        {
            if (i.InExpr is not null)
            {
                TypeOf(i.InExpr, c);
            }

            return t;
        }

        if (t.Type.Kind != TKind.Entity)
        {
            return Unexpected("an entity", t.Type);
        }

        var isType = t.Type.Entities!.Count == 1 && t.Type.Entities[0] == i.EntityType
            ? BoolT.True
            : t.Type.Entities.Contains(i.EntityType, StringComparer.Ordinal) ? BoolT.Any : BoolT.False;
        if (isType == BoolT.False || i.InExpr is null)
        {
            return new Typed(VType.OfBool(isType), Caps.Empty);
        }

        // `x is T in y` types as `x is T && x in y`, with x of type T in the second half.
        var inType = TypeIn(i.Target, VType.Entity(i.EntityType), i.InExpr, c);
        if (inType.Type is null)
        {
            return inType;
        }

        return inType.Type.Bool switch
        {
            BoolT.False => new Typed(VType.False, Caps.Empty),
            BoolT.True => new Typed(VType.OfBool(isType), Caps.Empty),
            _ => new Typed(VType.AnyBool, Caps.Empty),
        };
    }

    private Typed TypeBinary(BinaryExpr b, Caps c)
    {
        if (b.Op == BinaryOp.In)
        {
            var lt = TypeOf(b.Left, c);
            if (lt.Type is null)
            {
                TypeOf(b.Right, c);
                return lt;
            }

            return TypeIn(b.Left, lt.Type, b.Right, c);
        }

        var l = TypeOf(b.Left, c);
        var r = TypeOf(b.Right, c);
        if (l.Type is null || r.Type is null)
        {
            return Typed.Failed;
        }

        switch (b.Op)
        {
            case BinaryOp.Eq:
            case BinaryOp.NotEq:
                {
                    var eq = TypeEq(b.Left, l.Type, b.Right, r.Type);
                    if (eq is null)
                    {
                        return Typed.Failed;
                    }

                    return new Typed(VType.OfBool(b.Op == BinaryOp.Eq ? eq.Value : Not(eq.Value)), Caps.Empty);
                }

            case BinaryOp.Less:
            case BinaryOp.LessEq:
            case BinaryOp.Greater:
            case BinaryOp.GreaterEq:
                if (l.Type.Kind == TKind.Long && r.Type.Kind == TKind.Long)
                {
                    return new Typed(VType.AnyBool, Caps.Empty);
                }

                if (l.Type.Kind == TKind.Ext && l.Type.Ext is "datetime" or "duration")
                {
                    return r.Type.Kind == TKind.Ext && r.Type.Ext == l.Type.Ext ? new Typed(VType.AnyBool, Caps.Empty) : Unexpected(l.Type.Ext!, r.Type);
                }

                if (l.Type.Kind == TKind.Long)
                {
                    return Unexpected("Long", r.Type);
                }

                return Unexpected("Long, datetime or duration", l.Type);
            default:
                if (l.Type.Kind != TKind.Long)
                {
                    return Unexpected("Long", l.Type);
                }

                return r.Type.Kind == TKind.Long ? new Typed(VType.Long, Caps.Empty) : Unexpected("Long", r.Type);
        }
    }

    /// <summary>The boolean type of <c>==</c>, or null after reporting incompatible types.</summary>
    private BoolT? TypeEq(CedarExpr le, VType l, CedarExpr re, VType r)
    {
        var ll = LiteralOf(le);
        var rl = LiteralOf(re);
        if (ll is not null && rl is not null)
        {
            return ll.Equals(rl) ? BoolT.True : BoolT.False;
        }

        if (VType.Lub(l, r, _strict) is not null)
        {
            return BoolT.Any;
        }

        if (l.Kind == TKind.Entity && r.Kind == TKind.Entity)
        {
            return BoolT.False;
        }

        Error(CedarValidationKind.IncompatibleTypes, $"the types {l} and {r} are not compatible");
        return null;
    }

    private Typed TypeIn(CedarExpr left, VType lt, CedarExpr right, Caps c)
    {
        var rt = TypeOf(right, c);
        if (rt.Type is null)
        {
            return rt;
        }

        if (lt.Kind != TKind.Entity)
        {
            return Unexpected("an entity", lt);
        }

        var leftAction = LiteralOf(left) is EntityUid lu && _schema.Actions.ContainsKey(lu) ? lu : null;
        if (rt.Type.Kind == TKind.Entity)
        {
            if (leftAction is not null && LiteralOf(right) is EntityUid ru)
            {
                return new Typed(ActionDescendentOf(leftAction, ru) ? VType.True : VType.False, Caps.Empty);
            }

            return new Typed(DescendentOfAny(lt.Entities!, rt.Type.Entities!) ? VType.AnyBool : VType.False, Caps.Empty);
        }

        if (rt.Type.Kind == TKind.Set && (rt.Type.Element is null || rt.Type.Element.Kind == TKind.Entity))
        {
            if (rt.Type.Element is null)
            {
                return new Typed(VType.False, Caps.Empty);
            }

            if (leftAction is not null && right is SetExpr s && s.Items.All(x => LiteralOf(x) is EntityUid))
            {
                return new Typed(s.Items.Any(x => ActionDescendentOf(leftAction, (EntityUid)LiteralOf(x)!)) ? VType.True : VType.False, Caps.Empty);
            }

            return new Typed(DescendentOfAny(lt.Entities!, rt.Type.Element.Entities!) ? VType.AnyBool : VType.False, Caps.Empty);
        }

        return Unexpected("an entity or a set of entities", rt.Type);
    }

    private Typed TypeSet(SetExpr s, Caps c)
    {
        VType? acc = null;
        bool failed = false;
        var types = new List<VType>();
        foreach (var x in s.Items)
        {
            var t = TypeOf(x, c);
            if (t.Type is null)
            {
                failed = true;
            }
            else
            {
                types.Add(t.Type);
            }
        }

        if (failed)
        {
            return Typed.Failed;
        }

        if (types.Count == 0)
        {
            if (_strict)
            {
                Error(CedarValidationKind.EmptySetForbidden, "empty set literals are not allowed");
                return Typed.Failed;
            }

            return new Typed(VType.EmptySet, Caps.Empty);
        }

        foreach (var t in types)
        {
            acc = acc is null ? t : VType.Lub(acc, t, _strict);
            if (acc is null)
            {
                Error(CedarValidationKind.IncompatibleTypes, "the elements of a set have incompatible types: " + string.Join(", ", types.Select(x => x.ToString()).Distinct(StringComparer.Ordinal)));
                return Typed.Failed;
            }
        }

        return new Typed(VType.Set(acc!), Caps.Empty);
    }

    /// <summary>The attributes of a record type or of entity types (for several entity types, the ones they all have).</summary>
    private (SortedDictionary<string, VAttr>? Attrs, bool Open, bool IsEntity) AttributesOf(VType t, out bool unknownEntity)
    {
        unknownEntity = false;
        if (t.Kind == TKind.Record)
        {
            return (t.Attrs, t.Open, false);
        }

        SortedDictionary<string, VAttr>? acc = null;
        bool open = false;
        foreach (var name in t.Entities!)
        {
            if (!_schema.EntityTypes.TryGetValue(name, out var et))
            {
                if (!_actionTypes.Contains(name))
                {
                    unknownEntity = true;
                }

                acc ??= new SortedDictionary<string, VAttr>(StringComparer.Ordinal);
                continue;
            }

            var attrs = Convert(et.Attributes).Attrs!;
            if (acc is null)
            {
                acc = attrs;
                continue;
            }

            var merged = new SortedDictionary<string, VAttr>(StringComparer.Ordinal);
            foreach (var (k, v) in acc)
            {
                if (attrs.TryGetValue(k, out var w) && VType.Lub(v.Type, w.Type, _strict) is { } lub)
                {
                    merged[k] = new VAttr(lub, v.Required && w.Required);
                }
            }

            open |= merged.Count != acc.Count || merged.Count != attrs.Count;
            acc = merged;
        }

        return (acc, open, true);
    }

    private Typed TypeHas(HasExpr h, Caps c)
    {
        var t = TypeOf(h.Target, c);
        if (t.Type is null)
        {
            return t;
        }

        if (t.Type.Kind is not (TKind.Record or TKind.Entity))
        {
            return Unexpected("an entity or a record", t.Type);
        }

        var (attrs, open, isEntity) = AttributesOf(t.Type, out bool unknown);
        if (unknown)
        {
            Error(CedarValidationKind.UnrecognizedEntityType, $"unrecognized entity type `{t.Type}`");
            return Typed.Failed;
        }

        var key = Key(h.Target) + "\0." + h.Attr;
        if (attrs!.TryGetValue(h.Attr, out var a))
        {
            if (c.Contains(key) || (a.Required && !isEntity))
            {
                return new Typed(VType.True, Caps.Empty);
            }

            return new Typed(VType.AnyBool, Caps.Single(key));
        }

        if (open || (isEntity && t.Type.Entities!.Any(n => _schema.EntityTypes.TryGetValue(n, out var et) && Convert(et.Attributes).Attrs!.ContainsKey(h.Attr))))
        {
            return new Typed(VType.AnyBool, Caps.Single(key));
        }

        return new Typed(VType.False, Caps.Empty);
    }

    private Typed TypeGetAttr(GetAttrExpr g, Caps c)
    {
        var t = TypeOf(g.Target, c);
        if (t.Type is null)
        {
            return t;
        }

        if (t.Type.Kind is not (TKind.Record or TKind.Entity))
        {
            return Unexpected("an entity or a record", t.Type);
        }

        var (attrs, _, isEntity) = AttributesOf(t.Type, out bool unknown);
        if (unknown)
        {
            Error(CedarValidationKind.UnrecognizedEntityType, $"unrecognized entity type `{t.Type}`");
            return Typed.Failed;
        }

        string where = isEntity ? $"entity type `{t.Type}`" : g.Target is VarExpr { Var: VarKind.Context } ? $"the context of {_env.Action.Uid}" : $"record type {t.Type}";
        if (!attrs!.TryGetValue(g.Attr, out var a))
        {
            Error(CedarValidationKind.UnsafeAttributeAccess, $"attribute `{g.Attr}` not found on {where}");
            return Typed.Failed;
        }

        if (!a.Required && !c.Contains(Key(g.Target) + "\0." + g.Attr))
        {
            Error(CedarValidationKind.UnsafeOptionalAttributeAccess, $"the optional attribute `{g.Attr}` of {where} is read without a `has` guard");
            return Typed.Failed;
        }

        return new Typed(a.Type, Caps.Empty);
    }

    private Typed TypeCall(CallExpr call, Caps c)
    {
        var f = call.Info;
        var types = new List<VType?>();
        foreach (var a in call.Args)
        {
            types.Add(TypeOf(a, c).Type);
        }

        if (call.Args.Count != f.Arity)
        {
            Error(CedarValidationKind.WrongNumberArguments, $"`{f.Name}` takes {f.Arity - (f.IsMethod ? 1 : 0)} argument(s), found {call.Args.Count - (f.IsMethod ? 1 : 0)}");
            return Typed.Failed;
        }

        if (f.Function is CedarFunction.Ip or CedarFunction.Decimal or CedarFunction.Datetime or CedarFunction.Duration)
        {
            return TypeConstructor(call, types[0]);
        }

        if (types.Any(t => t is null))
        {
            return Typed.Failed;
        }

        var t0 = types[0]!;
        switch (f.Function)
        {
            case CedarFunction.IsEmpty:
                return t0.Kind == TKind.Set ? new Typed(VType.AnyBool, Caps.Empty) : Unexpected("a set", t0);
            case CedarFunction.Contains:
                if (t0.Kind != TKind.Set)
                {
                    return Unexpected("a set", t0);
                }

                return LubThenBool(t0.Element, types[1]!);
            case CedarFunction.ContainsAll:
            case CedarFunction.ContainsAny:
                if (t0.Kind != TKind.Set)
                {
                    return Unexpected("a set", t0);
                }

                if (types[1]!.Kind != TKind.Set)
                {
                    return Unexpected("a set", types[1]!);
                }

                return LubThenBool(t0.Element, types[1]!.Element);
            case CedarFunction.HasTag:
            case CedarFunction.GetTag:
                return TypeTag(call, t0, types[1]!, c);
            default:
                return TypeExtensionCall(f, types!);
        }
    }

    private Typed LubThenBool(VType? a, VType? b)
    {
        if (a is null || b is null || VType.Lub(a, b, _strict) is not null || !_strict)
        {
            return new Typed(VType.AnyBool, Caps.Empty);
        }

        Error(CedarValidationKind.IncompatibleTypes, $"the types {a} and {b} are not compatible");
        return Typed.Failed;
    }

    private Typed TypeTag(CallExpr call, VType target, VType key, Caps c)
    {
        if (target.Kind != TKind.Entity)
        {
            return Unexpected("an entity", target);
        }

        if (key.Kind != TKind.String)
        {
            return Unexpected("String", key);
        }

        bool isGet = call.Info.Function == CedarFunction.GetTag;
        VType? tagType = null;
        bool anyTags = false, allTags = true;
        foreach (var name in target.Entities!)
        {
            if (!_schema.EntityTypes.TryGetValue(name, out var et))
            {
                if (!_actionTypes.Contains(name))
                {
                    Error(CedarValidationKind.UnrecognizedEntityType, $"unrecognized entity type `{name}`");
                    return Typed.Failed;
                }

                allTags = false;
                continue;
            }

            if (et.Tags is null)
            {
                allTags = false;
                continue;
            }

            anyTags = true;
            var tt = Convert(et.Tags);
            tagType = tagType is null ? tt : VType.Lub(tagType, tt, _strict);
            if (tagType is null)
            {
                Error(CedarValidationKind.IncompatibleTypes, $"the tag types of `{target}` are not compatible");
                return Typed.Failed;
            }
        }

        var capKey = Key(call.Args[0]) + "\0tag\0" + Key(call.Args[1]);
        if (!isGet)
        {
            if (!anyTags)
            {
                return new Typed(VType.False, Caps.Empty);
            }

            return c.Contains(capKey) ? new Typed(VType.True, Caps.Empty) : new Typed(VType.AnyBool, Caps.Single(capKey));
        }

        if (!anyTags || !allTags)
        {
            Error(CedarValidationKind.UnsafeTagAccess, $"entity type `{target}` has no tags, so `getTag` cannot succeed");
            return Typed.Failed;
        }

        if (!c.Contains(capKey))
        {
            Error(CedarValidationKind.UnsafeTagAccess, $"the tag {call.Args[1]} of entity type `{target}` is read without a `hasTag` guard");
            return Typed.Failed;
        }

        return new Typed(tagType!, Caps.Empty);
    }

    private Typed TypeConstructor(CallExpr call, VType? argType)
    {
        var f = call.Info;
        var resultName = f.Function == CedarFunction.Ip ? "ipaddr" : f.Name;
        if (call.Args[0] is LiteralExpr { Value: StringValue s })
        {
            try
            {
                CallExpr.Construct(f.Function, s.Value);
            }
            catch (CedarEvaluationException e)
            {
                Error(CedarValidationKind.FunctionArgumentValidation, $"`{f.Name}` cannot read its argument: {e.Message}");
                return Typed.Failed;
            }

            return new Typed(VType.ExtType(resultName), Caps.Empty);
        }

        if (argType is null)
        {
            return Typed.Failed;
        }

        if (_strict)
        {
            Error(CedarValidationKind.NonLitExtConstructor, $"the extension constructor `{f.Name}` takes a string literal in strict mode");
            return Typed.Failed;
        }

        return argType.Kind == TKind.String ? new Typed(VType.ExtType(resultName), Caps.Empty) : Unexpected("String", argType);
    }

    private Typed TypeExtensionCall(CedarFunctionInfo f, List<VType> types)
    {
        (string[] Args, VType Result) sig = f.Function switch
        {
            CedarFunction.LessThan or CedarFunction.LessThanOrEqual or CedarFunction.GreaterThan or CedarFunction.GreaterThanOrEqual => (["decimal", "decimal"], VType.AnyBool),
            CedarFunction.IsIpv4 or CedarFunction.IsIpv6 or CedarFunction.IsLoopback or CedarFunction.IsMulticast => (["ipaddr"], VType.AnyBool),
            CedarFunction.IsInRange => (["ipaddr", "ipaddr"], VType.AnyBool),
            CedarFunction.Offset => (["datetime", "duration"], VType.ExtType("datetime")),
            CedarFunction.DurationSince => (["datetime", "datetime"], VType.ExtType("duration")),
            CedarFunction.ToDate => (["datetime"], VType.ExtType("datetime")),
            CedarFunction.ToTime => (["datetime"], VType.ExtType("duration")),
            _ => (["duration"], VType.Long),
        };
        for (int i = 0; i < sig.Args.Length; i++)
        {
            if (types[i].Kind != TKind.Ext || types[i].Ext != sig.Args[i])
            {
                return Unexpected(sig.Args[i], types[i]);
            }
        }

        return new Typed(sig.Result, Caps.Empty);
    }
}
