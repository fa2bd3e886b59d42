namespace GovernedExecution.Policies.Cedar;

/// <summary>One entity: its attributes, tags and the transitive closure of its parents.</summary>
internal sealed class CedarEntity
{
    public CedarEntity(EntityUid uid, Dictionary<string, CedarValue> attrs, List<EntityUid> parents, Dictionary<string, CedarValue>? tags)
    {
        Uid = uid;
        Attrs = attrs;
        Parents = parents;
        Tags = tags;
        Ancestors = new HashSet<EntityUid>(parents);
    }

    public EntityUid Uid { get; }

    public Dictionary<string, CedarValue> Attrs { get; }

    public List<EntityUid> Parents { get; }

    public Dictionary<string, CedarValue>? Tags { get; }

    /// <summary>Every entity this one is (transitively) in, not including itself.</summary>
    public HashSet<EntityUid> Ancestors { get; }
}

/// <summary>An immutable entity store with precomputed ancestor sets.</summary>
internal sealed class CedarEntityStore
{
    public static readonly CedarEntityStore Empty = new([]);

    private readonly Dictionary<EntityUid, CedarEntity> _entities;
    private readonly Dictionary<EntityUid, int> _ordinals;
    private readonly CedarEntity[] _byOrdinal;

    public CedarEntityStore(IEnumerable<CedarEntity> entities)
    {
        _entities = [];
        _ordinals = [];
        foreach (var e in entities)
        {
            // As in Cedar, an entity listed twice identically is one entity; listed with different contents it is an error.
            if (_entities.TryAdd(e.Uid, e))
            {
                _ordinals.Add(e.Uid, _ordinals.Count);
            }
            else if (!SameContents(_entities[e.Uid], e))
            {
                throw new CedarEvaluationException("duplicate entity entry " + e.Uid);
            }
        }

        _byOrdinal = new CedarEntity[_ordinals.Count];
        foreach (var (uid, ordinal) in _ordinals)
        {
            _byOrdinal[ordinal] = _entities[uid];
        }

        ComputeClosure();
        foreach (var e in _entities.Values)
        {
            // Cedar refuses a hierarchy with a cycle when it computes the closure.
            if (e.Ancestors.Contains(e.Uid))
            {
                throw new CedarEvaluationException($"the entity hierarchy has a cycle containing {e.Uid}");
            }
        }
    }

    public int Count => _entities.Count;

    public IEnumerable<CedarEntity> All => _entities.Values;

    public CedarEntity? Get(EntityUid uid) => _entities.TryGetValue(uid, out var e) ? e : null;

    /// <summary>Gets the position (0 to <see cref="Count"/> - 1) of an entity of this store, or -1 when it is not in the store.</summary>
    public int OrdinalOf(EntityUid uid) => _ordinals.TryGetValue(uid, out var i) ? i : -1;

    /// <summary>Gets the entity at a position given by <see cref="OrdinalOf"/>.</summary>
    public CedarEntity At(int ordinal) => _byOrdinal[ordinal];

    /// <summary>True when <paramref name="child"/> equals <paramref name="ancestor"/> or is transitively in it.</summary>
    public bool IsIn(EntityUid child, EntityUid ancestor)
    {
        if (child.Equals(ancestor))
        {
            return true;
        }

        return _entities.TryGetValue(child, out var e) && e.Ancestors.Contains(ancestor);
    }

    private static bool SameContents(CedarEntity a, CedarEntity b) =>
        SameValues(a.Attrs, b.Attrs) && SameValues(a.Tags ?? [], b.Tags ?? []) && new HashSet<EntityUid>(a.Parents).SetEquals(b.Parents);

    private static bool SameValues(Dictionary<string, CedarValue> a, Dictionary<string, CedarValue> b) =>
        a.Count == b.Count && a.All(kv => b.TryGetValue(kv.Key, out var v) && v.Equals(kv.Value));

    private void ComputeClosure()
    {
        // Breadth-first over parents from every entity; terminates on cycles (refused afterwards) and tolerates parents missing from the store.
        var queue = new Queue<EntityUid>();
        foreach (var e in _entities.Values)
        {
            foreach (var p in e.Parents)
            {
                queue.Enqueue(p);
            }

            while (queue.Count > 0)
            {
                var p = queue.Dequeue();
                if (_entities.TryGetValue(p, out var pe))
                {
                    foreach (var gp in pe.Parents)
                    {
                        if (e.Ancestors.Add(gp))
                        {
                            queue.Enqueue(gp);
                        }
                    }
                }
            }
        }
    }
}

/// <summary>An error raised while evaluating one policy; the policy is skipped and reported.</summary>
internal sealed class CedarEvaluationException : Exception
{
    public CedarEvaluationException()
    {
    }

    public CedarEvaluationException(string message)
        : base(message)
    {
    }

    public CedarEvaluationException(string message, Exception inner)
        : base(message, inner)
    {
    }
}
