namespace GovernedExecution.Policies.Cedar;

/// <summary>The outcome of one evaluation, before it is exposed publicly.</summary>
internal sealed class CedarAuthorizationResult
{
    public CedarAuthorizationResult(bool allowed, bool forbidden, List<string> reasons, List<CedarPolicyError> errors)
    {
        Allowed = allowed;
        Forbidden = forbidden;
        Reasons = reasons;
        Errors = errors;
    }

    public bool Allowed { get; }

    public bool Forbidden { get; }

    /// <summary>Determining policies in ordinal id order.</summary>
    public List<string> Reasons { get; }

    /// <summary>Policies that raised an error, in ordinal id order.</summary>
    public List<CedarPolicyError> Errors { get; }
}

/// <summary>
/// A reusable scratch space for decisions: the request environment, the candidate marks and the result lists, so
/// that a decision allocates nothing once the buffer has grown to the policy set. Not thread-safe: one per caller
/// (thread); the lists hold the last decision until the next one.
/// </summary>
internal sealed class CedarDecisionBuffer
{
    private readonly List<string> _permits = new(4);
    private readonly List<string> _forbids = new(4);
    private ulong[] _scratch = [];

    public EvalEnv Env { get; } = new();

    /// <summary>Gets a value indicating whether the last decision was an allow.</summary>
    public bool Allowed { get; private set; }

    /// <summary>Gets a value indicating whether a forbid applied in the last decision.</summary>
    public bool Forbidden => _forbids.Count > 0;

    /// <summary>Gets the determining policies of the last decision, in ordinal id order.</summary>
    public List<string> Reasons => Forbidden ? _forbids : _permits;

    /// <summary>Gets the policies that raised errors in the last decision, in ordinal id order.</summary>
    public List<CedarPolicyError> Errors { get; } = [];

    /// <summary>Scratch bit sets for scope variables whose entity is not in the store (three of <paramref name="words"/> words).</summary>
    public Span<ulong> Scratch(int words)
    {
        if (_scratch.Length < 3 * words)
        {
            _scratch = new ulong[3 * words];
        }

        return _scratch.AsSpan(0, 3 * words);
    }

    public void Clear()
    {
        _permits.Clear();
        _forbids.Clear();
        Errors.Clear();
        Allowed = false;
    }

    public void Add(CedarCompiledPolicy policy) => (policy.Effect == PolicyEffect.Forbid ? _forbids : _permits).Add(policy.Id);

    public bool Finish() => Allowed = _forbids.Count == 0 && _permits.Count > 0;
}

/// <summary>One policy compiled: what is left of its scope once the indexes have selected it, then its conditions as closures.</summary>
internal sealed class CedarCompiledPolicy
{
    private readonly ScopeConstraint? _principal;
    private readonly ScopeConstraint? _action;
    private readonly ScopeConstraint? _resource;
    private readonly CedarBoolCode[] _conditions;
    private readonly bool[] _when;

    public CedarCompiledPolicy(CedarPolicy policy, CedarCompiler compiler)
    {
        Source = policy;
        Id = policy.Id;
        Effect = policy.Effect;
        _principal = CedarCompiledPolicySet.IsExactlyIndexed(policy.Principal) ? null : policy.Principal;
        _action = CedarCompiledPolicySet.IsExactlyIndexed(policy.Action) ? null : policy.Action;
        _resource = CedarCompiledPolicySet.IsExactlyIndexed(policy.Resource) ? null : policy.Resource;
        // A `when` on `A && B && ...` holds exactly when each conjunct holds, taken left to right and stopping at the
        // first false one (errors included), so its conjuncts are checked one by one, not through nested closures.
        var conditions = new List<CedarBoolCode>();
        var when = new List<bool>();
        foreach (var c in policy.Conditions)
        {
            foreach (var part in c.IsWhen ? Conjuncts(c.Body) : [c.Body])
            {
                conditions.Add(compiler.Bool(part));
                when.Add(c.IsWhen);
            }
        }

        _conditions = [.. conditions];
        _when = [.. when];
    }

    private static List<CedarExpr> Conjuncts(CedarExpr e)
    {
        var parts = new List<CedarExpr>();
        var pending = new Stack<CedarExpr>();
        pending.Push(e);
        while (pending.Count > 0)
        {
            var next = pending.Pop();
            if (next is AndExpr and)
            {
                pending.Push(and.Right);
                pending.Push(and.Left);
            }
            else
            {
                parts.Add(next);
            }
        }

        return parts;
    }

    public CedarPolicy Source { get; }

    public string Id { get; }

    public PolicyEffect Effect { get; }

    /// <summary>True when the policy applies to a request its scope indexes selected; raises <see cref="CedarEvaluationException"/> on error.</summary>
    public bool Applies(EvalEnv env)
    {
        if ((_principal is not null && !_principal.Matches(env.Principal, env.Entities)) ||
            (_action is not null && !_action.Matches(env.Action, env.Entities)) ||
            (_resource is not null && !_resource.Matches(env.Resource, env.Entities)))
        {
            return false;
        }

        for (int i = 0; i < _conditions.Length; i++)
        {
            if (_conditions[i](env) != _when[i])
            {
                return false;
            }
        }

        return true;
    }
}

/// <summary>
/// A policy set compiled for evaluation: policies sorted by id and compiled to closures (<see cref="CedarCompiler"/>),
/// and one index per scope variable (by exact entity, by entity type for <c>is</c>, by the target of <c>in</c>). For
/// each entity store the index is resolved once per entity (its own entry, its type's and those of its transitive
/// ancestors, precomputed by the store) into the list of policies whose scope it can match, so a decision marks
/// candidates with three array walks and evaluates only policies whose three scope constraints match.
/// </summary>
internal sealed class CedarCompiledPolicySet
{
    [ThreadStatic]
    private static CedarDecisionBuffer? t_buffer;

    private readonly CedarCompiledPolicy[] _policies;
    private readonly CedarPolicy[] _sources;
    private readonly int _words;
    private readonly ScopeIndex _principal;
    private readonly ScopeIndex _action;
    private readonly ScopeIndex _resource;
    private readonly CedarAttributeSlots _slots = new();
    private readonly System.Runtime.CompilerServices.ConditionalWeakTable<CedarEntityStore, Binding> _bindings = new();
    private volatile Binding? _lastBinding;

    public CedarCompiledPolicySet(IEnumerable<CedarPolicy> policies)
    {
        var list = new List<CedarPolicy>();
        foreach (var p in policies)
        {
            if (!p.IsTemplate)
            {
                list.Add(p);
            }
        }

        list.Sort((a, b) => string.CompareOrdinal(a.Id, b.Id));
        _sources = [.. list];
        var compiler = new CedarCompiler(_slots);
        _policies = [.. list.Select(p => new CedarCompiledPolicy(p, compiler))];
        _words = (_sources.Length + 63) >> 6;
        _principal = new ScopeIndex(_sources, static p => p.Principal);
        _action = new ScopeIndex(_sources, static p => p.Action);
        _resource = new ScopeIndex(_sources, static p => p.Resource);
    }

    public IReadOnlyList<CedarPolicy> Policies => _sources;

    /// <summary>True when the scope index selects exactly the entities the constraint matches (no check left for evaluation).</summary>
    public static bool IsExactlyIndexed(ScopeConstraint c) => c.Kind switch
    {
        ScopeKind.Any => true,
        ScopeKind.Eq => c.Entity is not null,
        ScopeKind.In => c.Entity is not null || c.Entities is not null,
        ScopeKind.Is => c.EntityType is not null,
        ScopeKind.IsIn => c.Entity is not null && c.EntityType is not null,
        _ => false,
    };

    public CedarAuthorizationResult Authorize(EvalEnv env)
    {
        var buffer = t_buffer ??= new CedarDecisionBuffer();
        bool allowed = Decide(env, buffer);
        return new CedarAuthorizationResult(allowed, buffer.Forbidden, [.. buffer.Reasons], [.. buffer.Errors]);
    }

    public CedarAuthorizationResult Authorize(EntityUid principal, EntityUid action, EntityUid resource, RecordValue context, CedarEntityStore entities)
    {
        var buffer = t_buffer ??= new CedarDecisionBuffer();
        buffer.Env.Reset(principal, action, resource, context, entities);
        bool allowed = Decide(buffer.Env, buffer);
        return new CedarAuthorizationResult(allowed, buffer.Forbidden, [.. buffer.Reasons], [.. buffer.Errors]);
    }

    /// <summary>Decides a request into <paramref name="buffer"/> (allocation-free once the buffer and the store's index are warm).</summary>
    public bool Decide(EvalEnv env, CedarDecisionBuffer buffer)
    {
        buffer.Clear();
        int n = _policies.Length;
        if (n == 0)
        {
            return false;
        }

        int words = _words;
        var scratch = buffer.Scratch(words);
        var binding = Bind(env.Entities);
        var store = binding.Store;
        int principalOrdinal = store.OrdinalOf(env.Principal);
        int resourceOrdinal = store.OrdinalOf(env.Resource);
        var principal = _principal.Bits(env.Principal, principalOrdinal, binding, binding.Principal, scratch[..words]);
        var action = _action.Bits(env.Action, store.OrdinalOf(env.Action), binding, binding.Action, scratch.Slice(words, words));
        var resource = _resource.Bits(env.Resource, resourceOrdinal, binding, binding.Resource, scratch.Slice(2 * words, words));
        env.PrincipalSlots = principalOrdinal < 0 ? null : binding.Slots(principalOrdinal, _slots);
        env.ResourceSlots = resourceOrdinal < 0 ? null : binding.Slots(resourceOrdinal, _slots);
        env.ResetContextSlots(_slots.ContextCount);
        for (int w = 0; w < words; w++)
        {
            ulong candidates = principal[w] & action[w] & resource[w];
            while (candidates != 0)
            {
                int i = (w << 6) + System.Numerics.BitOperations.TrailingZeroCount(candidates);
                Evaluate(_policies[i], env, buffer);
                candidates &= candidates - 1;
            }
        }

        return buffer.Finish();
    }

    private static void Evaluate(CedarCompiledPolicy policy, EvalEnv env, CedarDecisionBuffer buffer)
    {
        bool applies;
        try
        {
            applies = policy.Applies(env);
        }
        catch (CedarEvaluationException e)
        {
            buffer.Errors.Add(new CedarPolicyError(policy.Id, e.Message));
            return;
        }

        if (applies)
        {
            buffer.Add(policy);
        }
    }

    private Binding Bind(CedarEntityStore store)
    {
        var last = _lastBinding;
        if (last is not null && ReferenceEquals(last.Store, store))
        {
            return last;
        }

        last = _bindings.GetValue(store, static s => new Binding(s));
        _lastBinding = last;
        return last;
    }

    /// <summary>The scope indexes resolved for one entity store, per entity, filled as entities are first seen.</summary>
    private sealed class Binding
    {
        public Binding(CedarEntityStore store)
        {
            Store = store;
            Principal = new ulong[]?[store.Count];
            Action = new ulong[]?[store.Count];
            Resource = new ulong[]?[store.Count];
            Attributes = new CedarValue?[]?[store.Count];
        }

        public CedarEntityStore Store { get; }

        public ulong[]?[] Principal { get; }

        public ulong[]?[] Action { get; }

        public ulong[]?[] Resource { get; }

        /// <summary>Gets the attribute values by slot of the entities seen as principal or resource, by ordinal.</summary>
        public CedarValue?[]?[] Attributes { get; }

        /// <summary>The attribute values by slot of the entity at <paramref name="ordinal"/>, resolved on first use.</summary>
        public CedarValue?[] Slots(int ordinal, CedarAttributeSlots slots)
        {
            var values = Volatile.Read(ref Attributes[ordinal]);
            if (values is null)
            {
                values = slots.Resolve(Store.At(ordinal));
                Volatile.Write(ref Attributes[ordinal], values);
            }

            return values;
        }
    }

    /// <summary>Candidate policies for one scope variable, as bit sets over the policies (bit i for policy i).</summary>
    private sealed class ScopeIndex
    {
        private readonly ulong[] _any;
        private readonly Dictionary<EntityUid, int[]> _eq;
        private readonly Dictionary<EntityUid, int[]> _in;
        private readonly Dictionary<EntityUid, (int Policy, string Type)[]> _isIn;
        private readonly Dictionary<string, int[]> _type;

        public ScopeIndex(CedarPolicy[] policies, Func<CedarPolicy, ScopeConstraint> select)
        {
            _any = new ulong[(policies.Length + 63) >> 6];
            var eq = new Dictionary<EntityUid, List<int>>();
            var inn = new Dictionary<EntityUid, List<int>>();
            var isIn = new Dictionary<EntityUid, List<(int Policy, string Type)>>();
            var type = new Dictionary<string, List<int>>(StringComparer.Ordinal);
            for (int i = 0; i < policies.Length; i++)
            {
                var c = select(policies[i]);
                switch (c.Kind)
                {
                    case ScopeKind.Eq when c.Entity is not null:
                        Add(eq, c.Entity, i);
                        break;
                    case ScopeKind.In when c.Entity is not null:
                        Add(inn, c.Entity, i);
                        break;
                    case ScopeKind.IsIn when c.Entity is not null && c.EntityType is not null:
                        if (!isIn.TryGetValue(c.Entity, out var typed))
                        {
                            isIn[c.Entity] = typed = [];
                        }

                        typed.Add((i, c.EntityType));
                        break;
                    case ScopeKind.In when c.Entities is not null:
                        foreach (var e in c.Entities)
                        {
                            Add(inn, e, i);
                        }

                        break;
                    case ScopeKind.Is when c.EntityType is not null:
                        Add(type, c.EntityType, i);
                        break;
                    default:
                        // Unconstrained (or a shape the index does not hold, checked when the policy is evaluated).
                        _any[i >> 6] |= 1UL << i;
                        break;
                }
            }

            _eq = Freeze(eq);
            _in = Freeze(inn);
            _isIn = Freeze(isIn);
            _type = Freeze(type);
        }

        /// <summary>The policies whose constraint on this variable <paramref name="uid"/> can match.</summary>
        public ReadOnlySpan<ulong> Bits(EntityUid uid, int ordinal, Binding binding, ulong[]?[] resolved, Span<ulong> scratch)
        {
            if (ordinal < 0)
            {
                // Not in the store: no ancestors, so only its own entries; nothing to keep.
                Fill(scratch, uid, null);
                return scratch;
            }

            var bits = Volatile.Read(ref resolved[ordinal]);
            if (bits is null)
            {
                bits = new ulong[_any.Length];
                Fill(bits, uid, binding.Store.At(ordinal));
                Volatile.Write(ref resolved[ordinal], bits);
            }

            return bits;
        }

        private void Fill(Span<ulong> bits, EntityUid uid, CedarEntity? entity)
        {
            _any.CopyTo(bits);
            Set(bits, _eq.GetValueOrDefault(uid));
            Set(bits, _type.GetValueOrDefault(uid.Type));
            Set(bits, _in.GetValueOrDefault(uid));
            Set(bits, _isIn.GetValueOrDefault(uid), uid.Type);
            if (entity is not null && (_in.Count > 0 || _isIn.Count > 0))
            {
                foreach (var ancestor in entity.Ancestors)
                {
                    Set(bits, _in.GetValueOrDefault(ancestor));
                    Set(bits, _isIn.GetValueOrDefault(ancestor), uid.Type);
                }
            }
        }

        /// <summary>Marks the <c>is T in E</c> policies whose type <c>T</c> is <paramref name="type"/> (the request entity's).</summary>
        private static void Set(Span<ulong> bits, (int Policy, string Type)[]? entries, string type)
        {
            if (entries is null)
            {
                return;
            }

            foreach (var (i, t) in entries)
            {
                if (string.Equals(t, type, StringComparison.Ordinal))
                {
                    bits[i >> 6] |= 1UL << i;
                }
            }
        }

        private static void Set(Span<ulong> bits, int[]? indices)
        {
            if (indices is null)
            {
                return;
            }

            foreach (var i in indices)
            {
                bits[i >> 6] |= 1UL << i;
            }
        }

        private static void Add<TKey>(Dictionary<TKey, List<int>> d, TKey key, int index)
            where TKey : notnull
        {
            if (!d.TryGetValue(key, out var list))
            {
                d[key] = list = [];
            }

            if (list.Count == 0 || list[^1] != index)
            {
                list.Add(index);
            }
        }

        private static Dictionary<TKey, TValue[]> Freeze<TKey, TValue>(Dictionary<TKey, List<TValue>> d)
            where TKey : notnull
        {
            var r = new Dictionary<TKey, TValue[]>(d.Count, d.Comparer);
            foreach (var kv in d)
            {
                r[kv.Key] = [.. kv.Value];
            }

            return r;
        }
    }
}
