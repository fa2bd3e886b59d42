using GovernedExecution.Policies;
using GovernedExecution.Policies.Cedar;

namespace GovernedExecution.Testing.Cedar;

/// <summary>
/// The evaluator as it was before policies were compiled: candidate policies marked through scope indexes, then each
/// one interpreted from its expression tree (<see cref="CedarPolicy.Evaluate"/>). Kept as the baseline of the
/// benchmarks and as a second opinion in the tests; it is the definition the compiled form must agree with.
/// </summary>
public sealed class CedarInterpretedReference
{
    private const int StackMarks = 512;

    private readonly CedarPolicy[] _policies;
    private readonly ScopeIndex _principal;
    private readonly ScopeIndex _action;
    private readonly ScopeIndex _resource;

    internal CedarInterpretedReference(IEnumerable<CedarPolicy> policies)
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
        _policies = [.. list];
        _principal = new ScopeIndex(_policies, static p => p.Principal);
        _action = new ScopeIndex(_policies, static p => p.Action);
        _resource = new ScopeIndex(_policies, static p => p.Resource);
    }

    /// <summary>Builds the reference evaluator of a policy set.</summary>
    /// <param name="set">The policy set.</param>
    /// <returns>The evaluator.</returns>
    public static CedarInterpretedReference Of(CedarPolicySet set) => new(set.Policies);

    /// <summary>Decides a request exactly as the engine's in-memory entry point did before compilation (a new environment, then a result).</summary>
    /// <param name="request">The request.</param>
    /// <param name="entities">The entities.</param>
    /// <returns>True when the request is allowed.</returns>
    public bool IsAllowed(CedarRequest request, CedarEntities entities) =>
        Authorize(new EvalEnv(request.Principal, request.Action, request.Resource, request.Context, entities.Store)).Allowed;

    /// <summary>Evaluates a request the way the engine did before compilation.</summary>
    /// <param name="request">The request.</param>
    /// <param name="entities">The entities.</param>
    /// <returns>The decision, the determining policies and the errors.</returns>
    public CedarResponse Evaluate(CedarRequest request, CedarEntities entities) =>
        CedarResponse.From(Authorize(new EvalEnv(request.Principal, request.Action, request.Resource, request.Context, entities.Store)));

    internal CedarAuthorizationResult Authorize(EvalEnv env)
    {
        // Result lists are created only when something goes into them.
        List<string>? permits = null;
        List<string>? forbids = null;
        List<CedarPolicyError>? errors = null;
        int n = _policies.Length;
        byte[]? rented = null;
        Span<byte> marks = n <= StackMarks ? stackalloc byte[n] : (rented = System.Buffers.ArrayPool<byte>.Shared.Rent(n)).AsSpan(0, n);
        marks.Clear();
        try
        {
            _principal.Mark(env.Principal, env.Entities, marks, 1);
            _action.Mark(env.Action, env.Entities, marks, 2);
            _resource.Mark(env.Resource, env.Entities, marks, 4);
            for (int i = 0; i < n; i++)
            {
                if (marks[i] != 7)
                {
                    continue;
                }

                var p = _policies[i];
                bool applies;
                try
                {
                    applies = p.Evaluate(env);
                }
                catch (CedarEvaluationException e)
                {
                    (errors ??= []).Add(new CedarPolicyError(p.Id, e.Message));
                    continue;
                }

                if (applies)
                {
                    if (p.Effect == PolicyEffect.Forbid)
                    {
                        (forbids ??= []).Add(p.Id);
                    }
                    else
                    {
                        (permits ??= []).Add(p.Id);
                    }
                }
            }
        }
        finally
        {
            if (rented is not null)
            {
                System.Buffers.ArrayPool<byte>.Shared.Return(rented);
            }
        }

        bool forbidden = forbids is not null;
        bool allowed = !forbidden && permits is not null;
        return new CedarAuthorizationResult(allowed, forbidden, (forbidden ? forbids : permits) ?? [], errors ?? []);
    }

    /// <summary>Candidate policies for one scope variable.</summary>
    private sealed class ScopeIndex
    {
        private readonly int[] _any;
        private readonly Dictionary<EntityUid, int[]> _eq;
        private readonly Dictionary<EntityUid, int[]> _in;
        private readonly Dictionary<string, int[]> _type;

        public ScopeIndex(CedarPolicy[] policies, Func<CedarPolicy, ScopeConstraint> select)
        {
            var any = new List<int>();
            var eq = new Dictionary<EntityUid, List<int>>();
            var inn = new Dictionary<EntityUid, List<int>>();
            var type = new Dictionary<string, List<int>>(StringComparer.Ordinal);
            for (int i = 0; i < policies.Length; i++)
            {
                var c = select(policies[i]);
                switch (c.Kind)
                {
                    case ScopeKind.Eq when c.Entity is not null:
                        Add(eq, c.Entity, i);
                        break;
                    case ScopeKind.In or ScopeKind.IsIn when c.Entity is not null:
                        Add(inn, c.Entity, i);
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
                        any.Add(i);
                        break;
                }
            }

            _any = [.. any];
            _eq = Freeze(eq);
            _in = Freeze(inn);
            _type = Freeze(type);
        }

        public void Mark(EntityUid uid, CedarEntityStore store, Span<byte> marks, byte bit)
        {
            foreach (var i in _any)
            {
                marks[i] |= bit;
            }

            if (_eq.TryGetValue(uid, out var eq))
            {
                MarkAll(eq, marks, bit);
            }

            if (_type.TryGetValue(uid.Type, out var byType))
            {
                MarkAll(byType, marks, bit);
            }

            if (_in.Count > 0)
            {
                if (_in.TryGetValue(uid, out var own))
                {
                    MarkAll(own, marks, bit);
                }

                var entity = store.Get(uid);
                if (entity is not null)
                {
                    foreach (var ancestor in entity.Ancestors)
                    {
                        if (_in.TryGetValue(ancestor, out var viaAncestor))
                        {
                            MarkAll(viaAncestor, marks, bit);
                        }
                    }
                }
            }
        }

        private static void MarkAll(int[] indices, Span<byte> marks, byte bit)
        {
            foreach (var i in indices)
            {
                marks[i] |= bit;
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

        private static Dictionary<TKey, int[]> Freeze<TKey>(Dictionary<TKey, List<int>> d)
            where TKey : notnull
        {
            var r = new Dictionary<TKey, int[]>(d.Count, d.Comparer);
            foreach (var kv in d)
            {
                r[kv.Key] = [.. kv.Value];
            }

            return r;
        }
    }
}
