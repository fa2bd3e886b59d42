using System.Text;

namespace GovernedExecution.Policies.Cedar;

internal enum ScopeKind
{
    Any,
    Eq,
    In,
    Is,
    IsIn,
}

/// <summary>One scope constraint (principal, action or resource).</summary>
internal sealed class ScopeConstraint
{
    public static readonly ScopeConstraint AnyScope = new(ScopeKind.Any, null, null, null, false);

    public ScopeConstraint(ScopeKind kind, EntityUid? entity, IReadOnlyList<EntityUid>? entities, string? entityType, bool isSlot)
    {
        Kind = kind;
        Entity = entity;
        Entities = entities;
        EntityType = entityType is null ? null : EntityTypeNames.Intern(entityType);
        IsSlot = isSlot;
    }

    public ScopeKind Kind { get; }

    /// <summary>The entity for <c>==</c> / <c>in</c>; null when it is a slot or a list.</summary>
    public EntityUid? Entity { get; }

    /// <summary>For <c>action in [..]</c>: the listed entities.</summary>
    public IReadOnlyList<EntityUid>? Entities { get; }

    public string? EntityType { get; }

    public bool IsSlot { get; }

    public bool Matches(EntityUid uid, CedarEntityStore store)
    {
        switch (Kind)
        {
            case ScopeKind.Any:
                return true;
            case ScopeKind.Eq:
                return Entity is not null && uid.Equals(Entity);
            case ScopeKind.Is:
                return string.Equals(uid.Type, EntityType, StringComparison.Ordinal);
            case ScopeKind.IsIn:
                if (!string.Equals(uid.Type, EntityType, StringComparison.Ordinal))
                {
                    return false;
                }

                goto case ScopeKind.In;
            case ScopeKind.In:
                if (Entities is not null)
                {
                    foreach (var e in Entities)
                    {
                        if (store.IsIn(uid, e))
                        {
                            return true;
                        }
                    }

                    return false;
                }

                return Entity is not null && store.IsIn(uid, Entity);
            default:
                return false;
        }
    }

    public ScopeConstraint Link(EntityUid value) => IsSlot ? new ScopeConstraint(Kind, value, null, EntityType, false) : this;

    public void Write(StringBuilder sb, string var, string slotName)
    {
        sb.Append(var);
        switch (Kind)
        {
            case ScopeKind.Eq:
                sb.Append(" == ");
                WriteTarget(sb, slotName);
                break;
            case ScopeKind.In:
                sb.Append(" in ");
                WriteTarget(sb, slotName);
                break;
            case ScopeKind.Is:
                sb.Append(" is ").Append(EntityType);
                break;
            case ScopeKind.IsIn:
                sb.Append(" is ").Append(EntityType).Append(" in ");
                WriteTarget(sb, slotName);
                break;
            default:
                break;
        }
    }

    private void WriteTarget(StringBuilder sb, string slotName)
    {
        if (IsSlot)
        {
            sb.Append(slotName);
        }
        else if (Entities is not null)
        {
            sb.Append('[');
            for (int i = 0; i < Entities.Count; i++)
            {
                if (i > 0)
                {
                    sb.Append(", ");
                }

                Entities[i].WriteCedar(sb);
            }

            sb.Append(']');
        }
        else
        {
            Entity!.WriteCedar(sb);
        }
    }
}

/// <summary>A condition clause: <c>when { body }</c> or <c>unless { body }</c>.</summary>
internal sealed class CedarCondition
{
    public CedarCondition(bool isWhen, CedarExpr body)
    {
        IsWhen = isWhen;
        Body = body;
    }

    public bool IsWhen { get; }

    public CedarExpr Body { get; }

    /// <summary>Gets the 1-based line of the body's first token (0 when not read from Cedar text).</summary>
    public int Line { get; init; }

    /// <summary>Gets the 1-based column of the body's first token (0 when not read from Cedar text).</summary>
    public int Column { get; init; }
}

/// <summary>Where a policy starts in its source (0 line and column when unknown).</summary>
internal readonly record struct CedarSpan(string Source, int Line, int Column);

/// <summary>A parsed policy or template.</summary>
internal sealed class CedarPolicy
{
    public CedarPolicy(
        string id,
        PolicyEffect effect,
        IReadOnlyList<KeyValuePair<string, string>> annotations,
        ScopeConstraint principal,
        ScopeConstraint action,
        ScopeConstraint resource,
        IReadOnlyList<CedarCondition> conditions)
    {
        Id = id;
        Effect = effect;
        Annotations = annotations;
        Principal = principal;
        Action = action;
        Resource = resource;
        Conditions = conditions;
    }

    public string Id { get; }

    public PolicyEffect Effect { get; }

    public IReadOnlyList<KeyValuePair<string, string>> Annotations { get; }

    public ScopeConstraint Principal { get; }

    public ScopeConstraint Action { get; }

    public ScopeConstraint Resource { get; }

    public IReadOnlyList<CedarCondition> Conditions { get; }

    /// <summary>Gets the names of the annotations written without a value (<c>@name</c>); they read as the empty string.</summary>
    public IReadOnlySet<string> ValuelessAnnotations { get; init; } = EmptyNames;

    /// <summary>Gets the template this policy was linked from, or null for a static policy or a template.</summary>
    public string? TemplateId { get; private init; }

    /// <summary>Gets the slot values of a linked policy (<c>?principal</c>, <c>?resource</c>).</summary>
    public IReadOnlyDictionary<string, EntityUid>? SlotValues { get; private init; }

    public bool IsTemplate => Principal.IsSlot || Resource.IsSlot;

    private static readonly IReadOnlySet<string> EmptyNames = new HashSet<string>(StringComparer.Ordinal);

    /// <summary>Gets or sets where the policy starts in its source; set by the text parser, kept by <see cref="WithId"/> and <see cref="Link"/>.</summary>
    public CedarSpan? Span { get; set; }

    public CedarPolicy WithId(string id) => new(id, Effect, Annotations, Principal, Action, Resource, Conditions)
    {
        Span = Span,
        ValuelessAnnotations = ValuelessAnnotations,
        TemplateId = TemplateId,
        SlotValues = SlotValues,
    };

    public CedarPolicy Link(string newId, EntityUid? principal, EntityUid? resource)
    {
        var values = new Dictionary<string, EntityUid>(StringComparer.Ordinal);
        if (principal is not null)
        {
            values["?principal"] = principal;
        }

        if (resource is not null)
        {
            values["?resource"] = resource;
        }

        return new(
            newId,
            Effect,
            Annotations,
            principal is null ? Principal : Principal.Link(principal),
            Action,
            resource is null ? Resource : Resource.Link(resource),
            Conditions)
        {
            Span = Span,
            ValuelessAnnotations = ValuelessAnnotations,
            TemplateId = Id,
            SlotValues = values,
        };
    }

    /// <summary>Evaluates the policy: true when it applies; raises <see cref="CedarEvaluationException"/> on error.</summary>
    public bool Evaluate(EvalEnv env)
    {
        if (!Principal.Matches(env.Principal, env.Entities) || !Action.Matches(env.Action, env.Entities) || !Resource.Matches(env.Resource, env.Entities))
        {
            return false;
        }

        foreach (var c in Conditions)
        {
            bool v = CedarExpr.AsBool(c.Body.Eval(env));
            if (v != c.IsWhen)
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Writes the canonical Cedar text of the policy (the id is not part of it).</summary>
    public void Write(StringBuilder sb)
    {
        foreach (var a in Annotations)
        {
            sb.Append('@').Append(a.Key).Append('(');
            CedarText.WriteString(sb, a.Value);
            sb.Append(")\n");
        }

        sb.Append(Effect == PolicyEffect.Permit ? "permit" : "forbid").Append("(\n  ");
        Principal.Write(sb, "principal", "?principal");
        sb.Append(",\n  ");
        Action.Write(sb, "action", "?action");
        sb.Append(",\n  ");
        Resource.Write(sb, "resource", "?resource");
        sb.Append("\n)");
        foreach (var c in Conditions)
        {
            sb.Append(c.IsWhen ? " when {\n  " : " unless {\n  ");
            c.Body.Write(sb);
            sb.Append("\n}");
        }

        sb.Append(";\n");
    }

    public string ToCedar()
    {
        var sb = new StringBuilder();
        Write(sb);
        return sb.ToString();
    }
}
