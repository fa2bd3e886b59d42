using System.Collections.Immutable;
using GovernedExecution.Intents;

namespace GovernedExecution.Policies.Cedar;

/// <summary>
/// Decides intents with Cedar policies, evaluated by the project's managed engine: the intent's principal, action
/// and resource become the request's entity references and its context the request context; entities come from a
/// fixed store or an <see cref="IEntityProvider"/>. Annotations of the determining permit policies become
/// obligations, except the informational ones (<c>id</c>, <c>description</c>, <c>name</c>, <c>reason</c>).
/// Decisions name a policy by its <c>@id("...")</c> annotation when it has one that no other policy of the set
/// shares, and by its policy id otherwise.
/// </summary>
public sealed class CedarPolicyEvaluator : IPolicyEvaluator
{
    /// <summary>Annotations that describe a policy and carry no obligation.</summary>
    public static IReadOnlySet<string> InformationalAnnotations { get; } = ImmutableHashSet.Create(StringComparer.Ordinal, "id", "description", "name", "reason");

    private readonly CedarPolicySet _policies;
    private readonly CedarEntities _entities;
    private readonly IEntityProvider? _provider;
    private readonly CedarSchemaGate? _schema;
    private readonly Dictionary<string, CedarPolicy> _byId;
    private readonly Dictionary<string, string> _names;
    private CedarSliceLiterals? _literals;

    /// <summary>Creates an evaluator with a fixed entity store.</summary>
    /// <param name="policies">The policy set.</param>
    /// <param name="entities">The entities; none by default.</param>
    /// <exception cref="ArgumentNullException"><paramref name="policies"/> is <see langword="null"/>.</exception>
    public CedarPolicyEvaluator(CedarPolicySet policies, CedarEntities? entities = null)
    {
        ArgumentNullException.ThrowIfNull(policies);
        _policies = policies;
        _entities = entities ?? CedarEntities.Empty;
        _byId = new Dictionary<string, CedarPolicy>(StringComparer.Ordinal);
        var annotated = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var policy in policies.Policies)
        {
            _byId[policy.Id] = policy;
            if (IdAnnotation(policy) is { } name)
            {
                annotated[name] = annotated.GetValueOrDefault(name) + 1;
            }
        }

        _names = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var policy in policies.Policies)
        {
            _names[policy.Id] = IdAnnotation(policy) is { } name && annotated[name] == 1 && !_byId.ContainsKey(name) ? name : policy.Id;
        }
    }

    /// <summary>Creates an evaluator whose entities come from a provider, per intent.</summary>
    /// <param name="policies">The policy set.</param>
    /// <param name="entityProvider">The entity provider.</param>
    /// <exception cref="ArgumentNullException">A parameter is <see langword="null"/>.</exception>
    public CedarPolicyEvaluator(CedarPolicySet policies, IEntityProvider entityProvider)
        : this(policies)
    {
        ArgumentNullException.ThrowIfNull(entityProvider);
        _provider = entityProvider;
    }

    /// <summary>Creates an evaluator that decides under a schema (see <see cref="CedarSchemaGate"/>).</summary>
    /// <exception cref="ArgumentException">The fixed entities do not conform to the schema.</exception>
    internal CedarPolicyEvaluator(CedarPolicySet policies, CedarSchema schema, CedarEntities? entities, IEntityProvider? entityProvider)
        : this(policies)
    {
        ArgumentNullException.ThrowIfNull(schema);
        _schema = new CedarSchemaGate(schema, policies.Digest);
        _provider = entityProvider;
        try
        {
            _entities = _schema.Entities(entities ?? CedarEntities.Empty);
        }
        catch (CedarSchemaViolationException e)
        {
            throw new ArgumentException("The entities do not conform to the schema: " + e.Message, nameof(entities), e);
        }
    }

    /// <summary>
    /// Gets the digest decisions carry: the policy set's <see cref="CedarPolicySet.Digest"/>, or, when the evaluator
    /// decides under a schema, that digest joined to the schema's (docs/artifact-format.md).
    /// </summary>
    public string PolicySetDigest => _schema?.Digest ?? _policies.Digest;

    /// <summary>Gets the schema requests and entities are validated against, or null.</summary>
    internal CedarSchema? Schema => _schema?.Schema;

    /// <summary>The policy set.</summary>
    public CedarPolicySet Policies => _policies;

    /// <inheritdoc />
    public ValueTask<PolicyDecision> EvaluateAsync(ExecutionIntent intent, DateTimeOffset evaluationTime, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(intent);
        // Under a schema the request is validated before the entities are fetched or any policy is evaluated.
        var request = _schema is null
            ? (ToUid(intent.Principal), ToUid(intent.Action), ToUid(intent.Resource), ToRecord(intent.Context))
            : _schema.Request(intent);
        if (_provider is null)
        {
            return ValueTask.FromResult(Decide(request, _entities));
        }

        return DecideWithProviderAsync(intent, request, cancellationToken);
    }

    internal static EntityUid ToUid(EntityReference entity) => CedarValues.Entity(entity.Type, entity.Id);

    internal static RecordValue ToRecord(IReadOnlyDictionary<string, IntentValue> context)
    {
        if (context.Count == 0)
        {
            return RecordValue.Empty;
        }

        var fields = new Dictionary<string, CedarValue>(context.Count, StringComparer.Ordinal);
        foreach (var pair in context)
        {
            fields[pair.Key] = ToValue(pair.Value);
        }

        return new RecordValue(fields);
    }

    internal static CedarValue ToValue(IntentValue value) => value.Kind switch
    {
        IntentValueKind.String => CedarValues.String(value.AsString()),
        IntentValueKind.Long => CedarValues.Long(value.AsLong()),
        IntentValueKind.Boolean => CedarValues.Bool(value.AsBoolean()),
        IntentValueKind.Decimal => new DecimalValue(value.AsScaledDecimal()), // the same scaled long: no text round trip
        IntentValueKind.Entity => ToUid(value.AsEntity()),
        IntentValueKind.Set => CedarValues.Set(value.AsSet().Select(ToValue)),
        IntentValueKind.Record => ToRecord(value.AsRecord()),
        _ => throw new ArgumentOutOfRangeException(nameof(value), value.Kind, "Unknown value kind."),
    };

    private static string? IdAnnotation(CedarPolicy policy)
    {
        foreach (var annotation in policy.Annotations)
        {
            if (annotation.Key == "id" && annotation.Value.Length > 0)
            {
                return annotation.Value;
            }
        }

        return null;
    }

    private string[] Names(List<string> ids)
    {
        var names = new string[ids.Count];
        for (var i = 0; i < names.Length; i++)
        {
            names[i] = _names.TryGetValue(ids[i], out var name) ? name : ids[i];
        }

        return names;
    }

    private async ValueTask<PolicyDecision> DecideWithProviderAsync(ExecutionIntent intent, (EntityUid, EntityUid, EntityUid, RecordValue) request, CancellationToken cancellationToken)
    {
        var entities = await _provider!.GetEntitiesAsync(intent, cancellationToken).ConfigureAwait(false)
            ?? throw new InvalidOperationException("The entity provider returned no entities.");
        return Decide(request, _schema is null ? entities : _schema.Entities(entities));
    }

    /// <summary>Decides a request recorded in lineage again (<c>govexec replay</c>), against the entities given.</summary>
    internal PolicyDecision Replay(CedarRequest request, CedarEntities entities) =>
        Decide((request.Principal, request.Action, request.Resource, request.Context), entities);

    /// <summary>Gets the entities the policy set names as literals (computed once).</summary>
    internal CedarSliceLiterals Literals => _literals ??= CedarEntitySlice.Literals(_policies);

    private PolicyDecision Decide((EntityUid Principal, EntityUid Action, EntityUid Resource, RecordValue Context) request, CedarEntities entities)
    {
        var result = _policies.Authorize(request.Principal, request.Action, request.Resource, request.Context, entities.Store);
        // Taken from the store this decision was made with, outside the evaluation: what lineage needs to replay it.
        var slice = CedarEntitySlice.Take(request.Principal, request.Action, request.Resource, request.Context, entities.Store, Literals);
        var errors = result.Errors.Count == 0 ? [] : new PolicyEvaluationError[result.Errors.Count];
        for (var i = 0; i < errors.Length; i++)
        {
            var error = result.Errors[i];
            var effect = _byId.TryGetValue(error.PolicyId, out var p) ? p.Effect : PolicyEffect.Forbid;
            errors[i] = new PolicyEvaluationError(_names.TryGetValue(error.PolicyId, out var name) ? name : error.PolicyId, effect, error.Message);
        }

        if (result.Forbidden)
        {
            return new PolicyDecision(PolicyDecisionKind.Forbidden, Names(result.Reasons), errors, [], PolicySetDigest) { ConsultedEntities = slice };
        }

        if (!result.Allowed)
        {
            return new PolicyDecision(PolicyDecisionKind.NotPermitted, [], errors, [], PolicySetDigest) { ConsultedEntities = slice };
        }

        List<PolicyObligation>? obligations = null;
        foreach (var id in result.Reasons)
        {
            foreach (var annotation in _byId[id].Annotations)
            {
                if (!InformationalAnnotations.Contains(annotation.Key))
                {
                    (obligations ??= []).Add(new PolicyObligation(annotation.Key, annotation.Value, _names[id]));
                }
            }
        }

        return new PolicyDecision(PolicyDecisionKind.Permitted, Names(result.Reasons), errors, obligations ?? [], PolicySetDigest) { ConsultedEntities = slice };
    }
}
