namespace GovernedExecution.Policies.Cedar;

/// <summary>A 1-based source position (0, 0 when the format has none, as in JSON after parsing).</summary>
internal readonly record struct SchemaPos(int Line, int Column)
{
    public static readonly SchemaPos None = new(0, 0);

    public static SchemaPos Of(Token t) => new(t.Line, t.Column);
}

/// <summary>How a type was written, before names are resolved.</summary>
internal enum RawTypeKind
{
    /// <summary>A name that may be a common, entity or built-in type (every name in the Cedar format; <c>EntityOrCommon</c> and bare type names in JSON).</summary>
    Name,
    Long,
    String,
    Bool,
    Entity,
    Extension,
    Set,
    Record,
}

internal sealed class RawType
{
    public RawTypeKind Kind { get; init; }

    public string? Name { get; init; }

    public RawType? Element { get; init; }

    public List<RawAttribute>? Attributes { get; init; }

    public SchemaPos Pos { get; init; }
}

internal sealed record RawAttribute(string Name, RawType Type, bool Required, List<KeyValuePair<string, string>> Annotations, SchemaPos Pos);

internal sealed record RawRef(string Name, SchemaPos Pos);

/// <summary>An action reference: <paramref name="Type"/> is null for a bare name (an action of the same namespace).</summary>
internal sealed record RawActionRef(string? Type, string Id, SchemaPos Pos);

internal sealed record RawCommon(string Name, RawType Type, List<KeyValuePair<string, string>> Annotations, SchemaPos Pos);

internal sealed record RawEntity(string Name, List<RawRef> MemberOf, RawType? Shape, RawType? Tags, List<string>? Enum, List<KeyValuePair<string, string>> Annotations, SchemaPos Pos);

internal sealed record RawAction(string Name, List<RawActionRef> MemberOf, List<RawRef>? Principals, List<RawRef>? Resources, RawType? Context, List<KeyValuePair<string, string>> Annotations, SchemaPos Pos);

internal sealed class RawNamespace
{
    public required string Name { get; init; }

    public SchemaPos Pos { get; init; }

    public List<KeyValuePair<string, string>> Annotations { get; init; } = [];

    public List<RawCommon> CommonTypes { get; } = [];

    public List<RawEntity> EntityTypes { get; } = [];

    public List<RawAction> Actions { get; } = [];
}

/// <summary>Turns what a reader produced into a <see cref="CedarSchema"/>, with the checks Cedar makes when it builds a schema.</summary>
internal sealed class SchemaResolver
{
    /// <summary>Names that cannot be common types (Cedar's reserved schema keywords).</summary>
    public static readonly HashSet<string> ReservedTypeNames = new(StringComparer.Ordinal) { "Bool", "Boolean", "Entity", "Extension", "Long", "Record", "Set", "String" };

    private readonly List<RawNamespace> _raw;
    private readonly Dictionary<string, (RawCommon Decl, string Ns)> _commons = new(StringComparer.Ordinal);
    private readonly Dictionary<string, SchemaType> _resolvedCommons = new(StringComparer.Ordinal);
    private readonly HashSet<string> _resolving = new(StringComparer.Ordinal);
    private readonly Dictionary<string, RawEntity> _entities = new(StringComparer.Ordinal);
    private readonly Dictionary<EntityUid, RawAction> _actions = [];

    public SchemaResolver(List<RawNamespace> raw) => _raw = raw;

    public static string Qualify(string ns, string name) => ns.Length == 0 ? name : ns + "::" + name;

    public static bool IsReservedPath(string path) =>
        path == "__cedar" || path.StartsWith("__cedar::", StringComparison.Ordinal) || path.EndsWith("::__cedar", StringComparison.Ordinal) || path.Contains("::__cedar::", StringComparison.Ordinal);

    public CedarSchema Resolve()
    {
        Declare();
        var namespaces = new List<SchemaNamespace>();
        var allActions = new List<SchemaAction>();
        foreach (var ns in _raw)
        {
            var commons = new List<SchemaCommonType>();
            foreach (var c in ns.CommonTypes)
            {
                var name = Qualify(ns.Name, c.Name);
                commons.Add(new SchemaCommonType(name, ResolveCommon(name, c.Pos), c.Annotations));
            }

            var entities = new List<SchemaEntityType>();
            foreach (var e in ns.EntityTypes)
            {
                entities.Add(ResolveEntity(ns.Name, e));
            }

            var actions = new List<SchemaAction>();
            foreach (var a in ns.Actions)
            {
                actions.Add(ResolveAction(ns.Name, a));
            }

            allActions.AddRange(actions);
            namespaces.Add(new SchemaNamespace(ns.Name, ns.Annotations, commons, entities, actions));
        }

        ComputeActionAncestors(allActions);
        return new CedarSchema(namespaces);
    }

    private static CedarSyntaxException Error(SchemaPos pos, string message) => new(pos.Line, pos.Column, message);

    private void Declare()
    {
        var seenNamespaces = new Dictionary<string, SchemaPos>(StringComparer.Ordinal);
        foreach (var ns in _raw)
        {
            if (IsReservedPath(ns.Name))
            {
                throw Error(ns.Pos, $"use of the reserved `__cedar` namespace in `{ns.Name}`");
            }

            if (!seenNamespaces.TryAdd(ns.Name, ns.Pos))
            {
                throw Error(ns.Pos, $"duplicate namespace `{ns.Name}`");
            }

            if (ns.Name.Length == 0 && ns.Annotations.Count > 0)
            {
                throw Error(ns.Pos, "annotations are not allowed on the empty namespace");
            }

            foreach (var c in ns.CommonTypes)
            {
                if (ReservedTypeNames.Contains(c.Name))
                {
                    throw Error(c.Pos, $"`{c.Name}` is a reserved schema keyword and cannot name a common type");
                }

                CheckName(c.Name, c.Pos);
                if (!_commons.TryAdd(Qualify(ns.Name, c.Name), (c, ns.Name)))
                {
                    throw Error(c.Pos, $"common type `{Qualify(ns.Name, c.Name)}` is declared twice");
                }
            }

            foreach (var e in ns.EntityTypes)
            {
                CheckName(e.Name, e.Pos);
                if (!_entities.TryAdd(Qualify(ns.Name, e.Name), e))
                {
                    throw Error(e.Pos, $"entity type `{Qualify(ns.Name, e.Name)}` is declared twice");
                }

                if (e.Enum is { Count: 0 })
                {
                    throw Error(e.Pos, $"enumerated entity type `{Qualify(ns.Name, e.Name)}` needs at least one id");
                }
            }

            foreach (var a in ns.Actions)
            {
                var uid = new EntityUid(Qualify(ns.Name, "Action"), a.Name);
                if (!_actions.TryAdd(uid, a))
                {
                    throw Error(a.Pos, $"action `{uid}` is declared twice");
                }
            }
        }

        // A declaration in a namespace may not shadow a common or entity type of the empty namespace.
        foreach (var ns in _raw)
        {
            if (ns.Name.Length == 0)
            {
                continue;
            }

            foreach (var (name, pos) in ns.CommonTypes.Select(c => (c.Name, c.Pos)).Concat(ns.EntityTypes.Select(e => (e.Name, e.Pos))))
            {
                if (_commons.ContainsKey(name) || _entities.ContainsKey(name))
                {
                    throw Error(pos, $"definition of `{Qualify(ns.Name, name)}` illegally shadows the existing definition of `{name}`");
                }
            }
        }
    }

    private static void CheckName(string name, SchemaPos pos)
    {
        if (name == "__cedar")
        {
            throw Error(pos, "use of the reserved `__cedar` namespace");
        }
    }

    private SchemaType ResolveCommon(string name, SchemaPos usedAt)
    {
        if (_resolvedCommons.TryGetValue(name, out var done))
        {
            return done;
        }

        if (!_resolving.Add(name))
        {
            throw Error(usedAt, $"cycle in common type references containing `{name}`");
        }

        var (decl, ns) = _commons[name];
        var t = ResolveType(decl.Type, ns).WithCommonName(name);
        _resolving.Remove(name);
        _resolvedCommons[name] = t;
        return t;
    }

    private SchemaType ResolveType(RawType raw, string ns)
    {
        System.Runtime.CompilerServices.RuntimeHelpers.EnsureSufficientExecutionStack();
        switch (raw.Kind)
        {
            case RawTypeKind.Long:
                return SchemaType.Long;
            case RawTypeKind.String:
                return SchemaType.String;
            case RawTypeKind.Bool:
                return SchemaType.Bool;
            case RawTypeKind.Set:
                return new SchemaType(SchemaTypeKind.Set) { Element = ResolveType(raw.Element!, ns) };
            case RawTypeKind.Record:
                {
                    var attrs = new Dictionary<string, SchemaAttribute>(StringComparer.Ordinal);
                    foreach (var a in raw.Attributes!)
                    {
                        // As Cedar does, a repeated attribute name keeps the last declaration.
                        attrs.Remove(a.Name);
                        attrs[a.Name] = new SchemaAttribute(ResolveType(a.Type, ns), a.Required, a.Annotations);
                    }

                    return new SchemaType(SchemaTypeKind.Record) { Attributes = attrs };
                }

            case RawTypeKind.Entity:
                return new SchemaType(SchemaTypeKind.Entity) { Name = ResolveEntityName(raw.Name!, ns, raw.Pos) };
            case RawTypeKind.Extension:
                return SchemaType.ExtensionNames.Contains(raw.Name!)
                    ? new SchemaType(SchemaTypeKind.Extension) { Name = raw.Name }
                    : throw Error(raw.Pos, $"unknown extension type `{raw.Name}`");
            default:
                return ResolveName(raw.Name!, ns, raw.Pos);
        }
    }

    /// <summary>Cedar's order for a type name: common type, then entity type (current namespace before the empty one), then built-in.</summary>
    private SchemaType ResolveName(string name, string ns, SchemaPos pos)
    {
        const string Builtin = "__cedar::";
        if (name.StartsWith(Builtin, StringComparison.Ordinal))
        {
            return Primitive(name[Builtin.Length..]) ?? throw Error(pos, $"failed to resolve type: `{name}` is not a built-in type");
        }

        var candidates = name.Contains("::", StringComparison.Ordinal) || ns.Length == 0 ? [name] : new[] { Qualify(ns, name), name };
        foreach (var c in candidates)
        {
            if (_commons.ContainsKey(c))
            {
                return ResolveCommon(c, pos);
            }

            if (_entities.ContainsKey(c))
            {
                return new SchemaType(SchemaTypeKind.Entity) { Name = c };
            }
        }

        return (name.Contains("::", StringComparison.Ordinal) ? null : Primitive(name))
            ?? throw Error(pos, $"failed to resolve type: `{name}` has not been declared as a common or entity type");
    }

    private static SchemaType? Primitive(string name) => name switch
    {
        "Long" => SchemaType.Long,
        "String" => SchemaType.String,
        "Bool" => SchemaType.Bool,
        _ when SchemaType.ExtensionNames.Contains(name) => new SchemaType(SchemaTypeKind.Extension) { Name = name },
        _ => null,
    };

    private string ResolveEntityName(string name, string ns, SchemaPos pos)
    {
        if (!name.Contains("::", StringComparison.Ordinal) && ns.Length > 0 && _entities.ContainsKey(Qualify(ns, name)))
        {
            return Qualify(ns, name);
        }

        return _entities.ContainsKey(name) ? name : throw Error(pos, $"failed to resolve type: `{name}` has not been declared as an entity type");
    }

    private SchemaEntityType ResolveEntity(string ns, RawEntity e)
    {
        var name = Qualify(ns, e.Name);
        var memberOf = new List<string>();
        foreach (var m in e.MemberOf)
        {
            var resolved = ResolveEntityName(m.Name, ns, m.Pos);
            if (!memberOf.Contains(resolved))
            {
                memberOf.Add(resolved);
            }
        }

        var shape = SchemaType.EmptyRecord;
        if (e.Shape is not null)
        {
            shape = ResolveType(e.Shape, ns);
            if (shape.Kind != SchemaTypeKind.Record)
            {
                throw Error(e.Shape.Pos, $"the shape of entity type `{name}` is declared with a type other than a record");
            }
        }

        var tags = e.Tags is null ? null : ResolveType(e.Tags, ns);
        return new SchemaEntityType(name, shape, tags, memberOf, e.Enum, e.Annotations);
    }

    private SchemaAction ResolveAction(string ns, RawAction a)
    {
        var uid = new EntityUid(Qualify(ns, "Action"), a.Name);
        var memberOf = new List<EntityUid>();
        foreach (var m in a.MemberOf)
        {
            var parent = ResolveActionRef(m, ns);
            if (!memberOf.Contains(parent))
            {
                memberOf.Add(parent);
            }
        }

        var context = SchemaType.EmptyRecord;
        if (a.Context is not null)
        {
            context = ResolveType(a.Context, ns);
            if (context.Kind != SchemaTypeKind.Record)
            {
                throw Error(a.Context.Pos, $"the context of action `{uid}` is declared with a type other than a record");
            }
        }

        return new SchemaAction(uid, memberOf, EntityList(a.Principals, ns), EntityList(a.Resources, ns), context, a.Annotations);
    }

    private List<string> EntityList(List<RawRef>? refs, string ns)
    {
        var list = new List<string>();
        foreach (var r in refs ?? [])
        {
            var resolved = ResolveEntityName(r.Name, ns, r.Pos);
            if (!list.Contains(resolved))
            {
                list.Add(resolved);
            }
        }

        return list;
    }

    private EntityUid ResolveActionRef(RawActionRef r, string ns)
    {
        if (r.Type is null)
        {
            var uid = new EntityUid(Qualify(ns, "Action"), r.Id);
            return _actions.ContainsKey(uid) ? uid : throw Error(r.Pos, $"undeclared action: {uid}");
        }

        if (r.Type != "Action" && !r.Type.EndsWith("::Action", StringComparison.Ordinal))
        {
            throw Error(r.Pos, $"action group `{r.Type}::{CedarText.Quote(r.Id)}` is not an action (its type must be Action)");
        }

        // An unqualified Action type means the current namespace's actions first, then the empty namespace's.
        if (r.Type == "Action" && ns.Length > 0 && _actions.ContainsKey(new EntityUid(Qualify(ns, "Action"), r.Id)))
        {
            return new EntityUid(Qualify(ns, "Action"), r.Id);
        }

        var full = new EntityUid(r.Type, r.Id);
        return _actions.ContainsKey(full) ? full : throw Error(r.Pos, $"undeclared action: {full}");
    }

    private void ComputeActionAncestors(List<SchemaAction> actions)
    {
        var byUid = actions.ToDictionary(a => a.Uid);
        foreach (var a in actions)
        {
            var seen = new HashSet<EntityUid>();
            var queue = new Queue<EntityUid>(a.MemberOf);
            while (queue.Count > 0)
            {
                var p = queue.Dequeue();
                if (p.Equals(a.Uid))
                {
                    throw Error(_actions[a.Uid].Pos, $"cycle in action hierarchy containing `{a.Uid}`");
                }

                if (seen.Add(p))
                {
                    foreach (var gp in byUid[p].MemberOf)
                    {
                        queue.Enqueue(gp);
                    }
                }
            }

            a.Ancestors = seen;
        }
    }
}
