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
/// A policy set compiled for evaluation: policies sorted by id, and an index from action to the policies whose
/// action scope can match it, so that only candidates are evaluated.
/// </summary>
internal sealed class CedarCompiledPolicySet
{
    private readonly CedarPolicy[] _policies;
    private readonly int[] _anyAction;
    private readonly Dictionary<EntityUid, int[]> _actionEq;
    private readonly Dictionary<EntityUid, int[]> _actionIn;

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
        _policies = [.. list];
        var any = new List<int>();
        var eq = new Dictionary<EntityUid, List<int>>();
        var inn = new Dictionary<EntityUid, List<int>>();
        for (int i = 0; i < _policies.Length; i++)
        {
            var a = _policies[i].Action;
            switch (a.Kind)
            {
                case ScopeKind.Eq when a.Entity is not null:
                    Add(eq, a.Entity, i);
                    break;
                case ScopeKind.In when a.Entity is not null:
                    Add(inn, a.Entity, i);
                    break;
                case ScopeKind.In when a.Entities is not null:
                    foreach (var e in a.Entities)
                    {
                        Add(inn, e, i);
                    }

                    break;
                default:
                    any.Add(i);
                    break;
            }
        }

        _anyAction = [.. any];
        _actionEq = Freeze(eq);
        _actionIn = Freeze(inn);
    }

    public IReadOnlyList<CedarPolicy> Policies => _policies;

    public CedarAuthorizationResult Authorize(EvalEnv env)
    {
        var candidates = Candidates(env);
        var permits = new List<string>();
        var forbids = new List<string>();
        var errors = new List<CedarPolicyError>();
        foreach (var i in candidates)
        {
            var p = _policies[i];
            bool applies;
            try
            {
                applies = p.Evaluate(env);
            }
            catch (CedarEvaluationException e)
            {
                errors.Add(new CedarPolicyError(p.Id, e.Message));
                continue;
            }

            if (applies)
            {
                (p.Effect == PolicyEffect.Forbid ? forbids : permits).Add(p.Id);
            }
        }

        bool forbidden = forbids.Count > 0;
        bool allowed = !forbidden && permits.Count > 0;
        return new CedarAuthorizationResult(allowed, forbidden, forbidden ? forbids : permits, errors);
    }

    private List<int> Candidates(EvalEnv env)
    {
        var result = new List<int>(_anyAction);
        if (_actionEq.TryGetValue(env.Action, out var eq))
        {
            result.AddRange(eq);
        }

        if (_actionIn.Count > 0)
        {
            if (_actionIn.TryGetValue(env.Action, out var own))
            {
                result.AddRange(own);
            }

            var entity = env.Entities.Get(env.Action);
            if (entity is not null)
            {
                foreach (var ancestor in entity.Ancestors)
                {
                    if (_actionIn.TryGetValue(ancestor, out var viaParent))
                    {
                        result.AddRange(viaParent);
                    }
                }
            }
        }

        result.Sort();
        int w = 0;
        for (int r = 0; r < result.Count; r++)
        {
            if (w == 0 || result[w - 1] != result[r])
            {
                result[w++] = result[r];
            }
        }

        result.RemoveRange(w, result.Count - w);
        return result;
    }

    private static void Add(Dictionary<EntityUid, List<int>> d, EntityUid key, int index)
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

    private static Dictionary<EntityUid, int[]> Freeze(Dictionary<EntityUid, List<int>> d)
    {
        var r = new Dictionary<EntityUid, int[]>(d.Count);
        foreach (var kv in d)
        {
            r[kv.Key] = [.. kv.Value];
        }

        return r;
    }
}
