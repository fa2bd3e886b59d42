namespace GovernedExecution.Policies.Cedar;

/// <summary>A compiled expression that yields a value.</summary>
internal delegate CedarValue CedarValueCode(EvalEnv env);

/// <summary>A compiled expression in a boolean position: yields the boolean, or raises the error the expression raises.</summary>
internal delegate bool CedarBoolCode(EvalEnv env);

/// <summary>A compiled arithmetic expression: yields the integer, or raises the error the expression raises.</summary>
internal delegate long CedarLongCode(EvalEnv env);

/// <summary>
/// Compiles expression trees into closures specialised by operator and operand shape: booleans and integers flow
/// unboxed between operators, literal sets, records and entities are built once, attribute reads of <c>context</c>
/// go straight to its record. Every closure evaluates its operands in the order the tree does and raises the same
/// errors with the same messages; a node with no specialised form (extension calls, template slots) runs its own
/// <see cref="CedarExpr.Eval"/>, which is the definition the closures follow.
/// </summary>
internal sealed class CedarCompiler
{
    private readonly CedarAttributeSlots _slots;

    /// <summary>Creates a compiler whose attribute reads of the request's entities and context use <paramref name="slots"/>.</summary>
    public CedarCompiler(CedarAttributeSlots slots) => _slots = slots;

    public CedarBoolCode Bool(CedarExpr e)
    {
        switch (e)
        {
            case LiteralExpr { Value: BoolValue b }:
                {
                    var v = b.Value;
                    return _ => v;
                }

            case AndExpr and:
                {
                    var l = Bool(and.Left);
                    var r = Bool(and.Right);
                    return env => l(env) && r(env);
                }

            case OrExpr or:
                {
                    var l = Bool(or.Left);
                    var r = Bool(or.Right);
                    return env => l(env) || r(env);
                }

            case NotExpr not:
                {
                    var o = Bool(not.Operand);
                    return env => !o(env);
                }

            case BinaryExpr { Op: BinaryOp.Eq or BinaryOp.NotEq } eq:
                return Equality(eq);
            case BinaryExpr { Op: BinaryOp.Less or BinaryOp.LessEq or BinaryOp.Greater or BinaryOp.GreaterEq } cmp:
                return Comparison(cmp);
            case BinaryExpr { Op: BinaryOp.In } inn:
                return In(inn.Left, inn.Right);
            case HasExpr { Expanded: { } expanded }:
                return Bool(expanded);
            case HasExpr { Target: VarExpr { Var: VarKind.Principal or VarKind.Resource } target } has:
                {
                    int slot = _slots.Entity(has.Attr);
                    return target.Var == VarKind.Principal
                        ? env => env.PrincipalSlots is { } p && p[slot] is not null
                        : env => env.ResourceSlots is { } r && r[slot] is not null;
                }

            case HasExpr has:
                {
                    var t = Value(has.Target);
                    var attr = has.Attr;
                    return env => CedarExpr.HasAttr(t(env), attr, env);
                }

            case LikeExpr like:
                {
                    var t = Value(like.Target);
                    var chars = like.Chars;
                    return env => LikeExpr.Match(CedarExpr.AsString(t(env)), chars);
                }

            case IsExpr isExpr:
                return Is(isExpr);
            case IfExpr ifExpr:
                {
                    var c = Bool(ifExpr.Cond);
                    var t = Bool(ifExpr.Then);
                    var f = Bool(ifExpr.Else);
                    return env => c(env) ? t(env) : f(env);
                }

            case CallExpr call when Call(call) is { } code:
                return code;
            default:
                {
                    var v = Value(e);
                    return env => CedarExpr.AsBool(v(env));
                }
        }
    }

    public CedarValueCode Value(CedarExpr e)
    {
        switch (e)
        {
            case LiteralExpr literal:
                {
                    var v = literal.Value;
                    return _ => v;
                }

            case VarExpr { Var: VarKind.Principal }:
                return static env => env.Principal;
            case VarExpr { Var: VarKind.Action }:
                return static env => env.Action;
            case VarExpr { Var: VarKind.Resource }:
                return static env => env.Resource;
            case VarExpr:
                return static env => env.Context;
            case GetAttrExpr get:
                return GetAttr(get);
            case SetExpr or RecordExpr when IsConstant(e):
                {
                    // Literals only: the value cannot depend on the request, and building it cannot fail.
                    var v = e.Eval(null!);
                    return _ => v;
                }

            case BinaryExpr { Op: BinaryOp.Add or BinaryOp.Sub or BinaryOp.Mul }:
            case NegExpr:
                {
                    var l = Long(e);
                    return env => LongValue.Of(l(env));
                }

            case IfExpr ifExpr:
                {
                    var c = Bool(ifExpr.Cond);
                    var t = Value(ifExpr.Then);
                    var f = Value(ifExpr.Else);
                    return env => c(env) ? t(env) : f(env);
                }

            case AndExpr or OrExpr or NotExpr or BinaryExpr or HasExpr or LikeExpr or IsExpr:
            case CallExpr when Call((CallExpr)e) is not null:
                {
                    var b = Bool(e);
                    return env => BoolValue.Of(b(env));
                }

            default:
                return e.Eval;
        }
    }

    /// <summary>Integer code for an arithmetic node (<c>+</c>, <c>-</c>, <c>*</c>, unary <c>-</c>).</summary>
    private CedarLongCode Long(CedarExpr e)
    {
        if (e is NegExpr neg)
        {
            var o = Operand(neg.Operand);
            return env =>
            {
                long v = o(env);
                return v == long.MinValue ? throw new CedarEvaluationException("integer overflow in negation") : -v;
            };
        }

        var bin = (BinaryExpr)e;
        var op = bin.Op;
        if (IsArithmetic(bin.Left) && IsArithmetic(bin.Right))
        {
            var l = Long(bin.Left);
            var r = Long(bin.Right);
            return env =>
            {
                long a = l(env);
                return BinaryExpr.Arith(op, a, r(env));
            };
        }

        if (IsArithmetic(bin.Left))
        {
            var l = Long(bin.Left);
            if (bin.Right is LiteralExpr { Value: LongValue k })
            {
                var kv = k.Value;
                return env => BinaryExpr.Arith(op, l(env), kv);
            }

            var rv = Value(bin.Right);
            return env =>
            {
                long a = l(env);
                return BinaryExpr.Arith(op, a, CedarExpr.AsLong(rv(env)));
            };
        }

        // The left operand is a value: both operands are evaluated before either is checked, as the tree does.
        var lv = Value(bin.Left);
        if (bin.Right is LiteralExpr { Value: LongValue c })
        {
            var cv = c.Value;
            return env => BinaryExpr.Arith(op, CedarExpr.AsLong(lv(env)), cv);
        }

        if (IsArithmetic(bin.Right))
        {
            var r = Long(bin.Right);
            return env =>
            {
                var a = lv(env);
                long b = r(env);
                return BinaryExpr.Arith(op, CedarExpr.AsLong(a), b);
            };
        }

        var rv2 = Value(bin.Right);
        return env =>
        {
            var a = lv(env);
            var b = rv2(env);
            return BinaryExpr.Arith(op, CedarExpr.AsLong(a), CedarExpr.AsLong(b));
        };
    }

    /// <summary>The operand of a negation: evaluated, then checked to be an integer.</summary>
    private CedarLongCode Operand(CedarExpr e)
    {
        if (IsArithmetic(e))
        {
            return Long(e);
        }

        var v = Value(e);
        return env => CedarExpr.AsLong(v(env));
    }

    private static bool IsArithmetic(CedarExpr e) => e is NegExpr or BinaryExpr { Op: BinaryOp.Add or BinaryOp.Sub or BinaryOp.Mul };

    private CedarBoolCode Equality(BinaryExpr e)
    {
        bool equal = e.Op == BinaryOp.Eq;
        var l = Value(e.Left);
        if (e.Right is LiteralExpr { Value: var k })
        {
            if (SlotRead(e.Left) is { } read)
            {
                return equal ? env => read.Read(env).Equals(k) : env => !read.Read(env).Equals(k);
            }

            if (k is LongValue kl)
            {
                var kv = kl.Value;
                return env => (l(env) is LongValue v && v.Value == kv) == equal;
            }

            return env => l(env).Equals(k) == equal;
        }

        var r = Value(e.Right);
        return env =>
        {
            var a = l(env);
            return a.Equals(r(env)) == equal;
        };
    }

    private CedarBoolCode Comparison(BinaryExpr e)
    {
        var op = e.Op;
        var leftLong = IsArithmetic(e.Left) ? Long(e.Left) : null;
        var rightLong = IsArithmetic(e.Right) ? Long(e.Right) : null;
        var l = leftLong is null ? Value(e.Left) : null;
        var r = rightLong is null ? Value(e.Right) : null;
        if (l is not null && e.Right is LiteralExpr { Value: LongValue k })
        {
            var kv = k.Value;
            if (SlotRead(e.Left) is { } read)
            {
                // An attribute of the request read in place (no closure call), compared by an operator fixed here.
                return op switch
                {
                    BinaryOp.Less => env =>
                    {
                        var a = read.Read(env);
                        return a is LongValue la ? la.Value < kv : BinaryExpr.Compare(op, a, k);
                    },
                    BinaryOp.LessEq => env =>
                    {
                        var a = read.Read(env);
                        return a is LongValue la ? la.Value <= kv : BinaryExpr.Compare(op, a, k);
                    },
                    BinaryOp.Greater => env =>
                    {
                        var a = read.Read(env);
                        return a is LongValue la ? la.Value > kv : BinaryExpr.Compare(op, a, k);
                    },
                    _ => env =>
                    {
                        var a = read.Read(env);
                        return a is LongValue la ? la.Value >= kv : BinaryExpr.Compare(op, a, k);
                    },
                };
            }

            return env =>
            {
                var a = l(env);
                return a is LongValue la ? Compare(op, la.Value, kv) : BinaryExpr.Compare(op, a, k);
            };
        }

        if (leftLong is not null && rightLong is not null)
        {
            return env =>
            {
                long a = leftLong(env);
                return Compare(op, a, rightLong(env));
            };
        }

        if (leftLong is not null)
        {
            return env =>
            {
                long a = leftLong(env);
                var b = r!(env);
                return b is LongValue lb ? Compare(op, a, lb.Value) : BinaryExpr.Compare(op, LongValue.Of(a), b);
            };
        }

        if (rightLong is not null)
        {
            return env =>
            {
                var a = l!(env);
                long b = rightLong(env);
                return a is LongValue la ? Compare(op, la.Value, b) : BinaryExpr.Compare(op, a, LongValue.Of(b));
            };
        }

        return env =>
        {
            var a = l!(env);
            var b = r!(env);
            return a is LongValue la && b is LongValue lb ? Compare(op, la.Value, lb.Value) : BinaryExpr.Compare(op, a, b);
        };
    }

    private static bool Compare(BinaryOp op, long a, long b) => op switch
    {
        BinaryOp.Less => a < b,
        BinaryOp.LessEq => a <= b,
        BinaryOp.Greater => a > b,
        _ => a >= b,
    };

    private CedarBoolCode In(CedarExpr left, CedarExpr right)
    {
        var l = Value(left);
        if (right is LiteralExpr { Value: EntityUid parent })
        {
            return env => env.Entities.IsIn(CedarExpr.AsEntity(l(env)), parent);
        }

        var r = Value(right);
        return env =>
        {
            var a = l(env);
            var b = r(env);
            return BinaryExpr.EvalIn(CedarExpr.AsEntity(a), b, env);
        };
    }

    private CedarBoolCode Is(IsExpr e)
    {
        var t = Value(e.Target);
        var type = e.EntityType;
        if (e.InExpr is null)
        {
            return env => string.Equals(CedarExpr.AsEntity(t(env)).Type, type, StringComparison.Ordinal);
        }

        var target = Value(e.InExpr);
        return env =>
        {
            var entity = CedarExpr.AsEntity(t(env));
            return string.Equals(entity.Type, type, StringComparison.Ordinal) && BinaryExpr.EvalIn(entity, target(env), env);
        };
    }

    /// <summary>A read of an attribute of the request's principal, resource or context, as a call the closure using it can inline; null for other expressions.</summary>
    private AttributeRead? SlotRead(CedarExpr e) => e switch
    {
        GetAttrExpr { Target: VarExpr { Var: VarKind.Context } } get => new AttributeRead(VarKind.Context, _slots.Context(get.Attr), get.Attr),
        GetAttrExpr { Target: VarExpr { Var: VarKind.Principal or VarKind.Resource } target } get => new AttributeRead(target.Var, _slots.Entity(get.Attr), get.Attr),
        _ => null,
    };

    private CedarValueCode GetAttr(GetAttrExpr e)
    {
        var attr = e.Attr;
        if (e.Target is VarExpr { Var: VarKind.Context })
        {
            // Looked up once per request and attribute (EvalEnv.ContextSlot), with the message of CedarExpr.GetAttr.
            int slot = _slots.Context(attr);
            return env => env.ContextSlot(slot, attr) ?? throw new CedarEvaluationException("record does not have attribute " + CedarText.Quote(attr));
        }

        if (e.Target is VarExpr { Var: VarKind.Principal or VarKind.Resource } target)
        {
            // The request's own entities: their attributes resolved to slots once per entity store (EvalEnv.PrincipalSlots),
            // with the messages of CedarExpr.GetAttr.
            int slot = _slots.Entity(attr);
            if (target.Var == VarKind.Principal)
            {
                return env => env.PrincipalSlots is { } p
                    ? p[slot] ?? throw MissingAttribute(env.Principal, attr)
                    : throw Missing(env.Principal);
            }

            return env => env.ResourceSlots is { } r
                ? r[slot] ?? throw MissingAttribute(env.Resource, attr)
                : throw Missing(env.Resource);
        }

        var t = Value(e.Target);
        return env => CedarExpr.GetAttr(t(env), attr, env);
    }

    private static CedarEvaluationException Missing(EntityUid uid) => new("entity " + uid + " does not exist");

    private static CedarEvaluationException MissingAttribute(EntityUid uid, string attr) => new("entity " + uid + " does not have attribute " + CedarText.Quote(attr));

    /// <summary>The set methods, specialised; null for the other calls (extension functions), which keep their tree form.</summary>
    private CedarBoolCode? Call(CallExpr call)
    {
        if (call.Args.Count != call.Info.Arity)
        {
            return null;
        }

        switch (call.Info.Function)
        {
            case CedarFunction.Contains:
                {
                    var s = Value(call.Args[0]);
                    var item = Value(call.Args[1]);
                    return env =>
                    {
                        var set = s(env);
                        var v = item(env);
                        return CedarExpr.AsSet(set).Contains(v);
                    };
                }

            case CedarFunction.IsEmpty:
                {
                    var s = Value(call.Args[0]);
                    return env => CedarExpr.AsSet(s(env)).Items.Length == 0;
                }

            case CedarFunction.HasTag:
                {
                    var e = Value(call.Args[0]);
                    var tag = Value(call.Args[1]);
                    return env =>
                    {
                        var a = e(env);
                        var b = tag(env);
                        var entity = env.Entities.Get(CedarExpr.AsEntity(a));
                        var name = CedarExpr.AsString(b);
                        return entity?.Tags is not null && entity.Tags.ContainsKey(name);
                    };
                }

            default:
                return null;
        }
    }

    private static bool IsConstant(CedarExpr e) => e switch
    {
        LiteralExpr => true,
        SetExpr set => set.Items.All(IsConstant),
        RecordExpr record => record.Fields.All(f => IsConstant(f.Value)),
        _ => false,
    };
}

/// <summary>
/// One attribute read of the request's principal, resource or context by slot, with the errors and messages of
/// <see cref="CedarExpr.GetAttr"/> (the same as the closures <see cref="CedarCompiler"/> builds for such reads).
/// </summary>
internal sealed class AttributeRead(VarKind target, int slot, string name)
{
    private readonly VarKind _target = target;
    private readonly int _slot = slot;
    private readonly string _name = name;

    public CedarValue Read(EvalEnv env)
    {
        switch (_target)
        {
            case VarKind.Context:
                return env.ContextSlot(_slot, _name) ?? throw new CedarEvaluationException("record does not have attribute " + CedarText.Quote(_name));
            case VarKind.Principal:
                return env.PrincipalSlots is { } p
                    ? p[_slot] ?? throw new CedarEvaluationException("entity " + env.Principal + " does not have attribute " + CedarText.Quote(_name))
                    : throw new CedarEvaluationException("entity " + env.Principal + " does not exist");
            default:
                return env.ResourceSlots is { } r
                    ? r[_slot] ?? throw new CedarEvaluationException("entity " + env.Resource + " does not have attribute " + CedarText.Quote(_name))
                    : throw new CedarEvaluationException("entity " + env.Resource + " does not exist");
        }
    }
}

/// <summary>
/// The attribute names a compiled policy set reads directly from the request's principal and resource and from its
/// context, each given a slot: an entity's values for those names are resolved once per entity store (not once per
/// read), the context's once per request.
/// </summary>
internal sealed class CedarAttributeSlots
{
    private readonly Dictionary<string, int> _entity = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _context = new(StringComparer.Ordinal);
    private readonly List<string> _entityNames = [];

    /// <summary>Gets the entity attribute names, by slot.</summary>
    public IReadOnlyList<string> EntityNames => _entityNames;

    /// <summary>Gets the number of context slots.</summary>
    public int ContextCount => _context.Count;

    public int Entity(string name)
    {
        if (!_entity.TryGetValue(name, out var slot))
        {
            slot = _entityNames.Count;
            _entity.Add(name, slot);
            _entityNames.Add(name);
        }

        return slot;
    }

    public int Context(string name)
    {
        if (!_context.TryGetValue(name, out var slot))
        {
            slot = _context.Count;
            _context.Add(name, slot);
        }

        return slot;
    }

    /// <summary>The values of <paramref name="entity"/>'s attributes by slot (null where it has no such attribute).</summary>
    public CedarValue?[] Resolve(CedarEntity entity)
    {
        if (_entityNames.Count == 0)
        {
            return [];
        }

        var values = new CedarValue?[_entityNames.Count];
        for (int i = 0; i < values.Length; i++)
        {
            values[i] = entity.Attrs.GetValueOrDefault(_entityNames[i]);
        }

        return values;
    }
}
