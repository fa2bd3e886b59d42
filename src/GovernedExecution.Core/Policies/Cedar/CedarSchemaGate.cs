using System.Security.Cryptography;
using System.Text;
using GovernedExecution.Intents;

namespace GovernedExecution.Policies.Cedar;

/// <summary>
/// What an evaluator deciding under a schema adds: the intent becomes a request typed and validated by the schema,
/// entities are validated against it and hold its actions, and the digest of the decision is the policy set's joined
/// to the schema's (<see cref="CombinedDigest"/>). A request or entities that do not conform throw
/// <see cref="CedarSchemaViolationException"/>, which the executor turns into a denial before any policy is evaluated.
/// </summary>
internal sealed class CedarSchemaGate
{
    public CedarSchemaGate(CedarSchema schema, string policySetDigest)
    {
        Schema = schema;
        Digest = CombinedDigest(policySetDigest, schema.Digest);
    }

    public CedarSchema Schema { get; }

    /// <summary>Gets the digest decisions carry: <see cref="CombinedDigest"/> of the policy set and the schema.</summary>
    public string Digest { get; }

    /// <summary>
    /// Lowercase hex SHA-256 over the UTF-8 text <c>governed-cedar-policies-schema/1\n{policy-set digest}\n{schema digest}\n</c>
    /// (both lowercase hex), documented in docs/artifact-format.md.
    /// </summary>
    public static string CombinedDigest(string policySetDigest, string schemaDigest) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes("governed-cedar-policies-schema/1\n" + policySetDigest + "\n" + schemaDigest + "\n")));

    /// <summary>The intent as a request validated against the schema; context strings are read as the extension values the context type declares.</summary>
    public (EntityUid Principal, EntityUid Action, EntityUid Resource, RecordValue Context) Request(ExecutionIntent intent)
    {
        var action = CedarPolicyEvaluator.ToUid(intent.Action);
        var principal = CedarPolicyEvaluator.ToUid(intent.Principal);
        var resource = CedarPolicyEvaluator.ToUid(intent.Resource);
        RecordValue context;
        try
        {
            context = ToRecord(intent.Context, Schema.GetActionContext(action));
        }
        catch (CedarEvaluationException e)
        {
            throw new CedarSchemaViolationException(entities: false, e.Message);
        }

        if (CedarSchemaConformance.CheckRequest(Schema, principal, action, resource, context) is { } error)
        {
            throw new CedarSchemaViolationException(entities: false, error);
        }

        return (principal, action, resource, context);
    }

    /// <summary>The entities validated against the schema, with its action entities; those read with this schema are already both.</summary>
    public CedarEntities Entities(CedarEntities entities)
    {
        if (ReferenceEquals(entities.Schema, Schema) || (entities.Schema is not null && entities.Schema.Digest == Schema.Digest))
        {
            return entities;
        }

        try
        {
            return new CedarEntities(new CedarEntityStore(CedarEntities.WithSchemaActions(entities.Store.All, Schema)), Schema);
        }
        catch (CedarEvaluationException e)
        {
            throw new CedarSchemaViolationException(entities: true, e.Message);
        }
    }

    private static RecordValue ToRecord(IReadOnlyDictionary<string, IntentValue> record, SchemaType? type)
    {
        var fields = new Dictionary<string, CedarValue>(record.Count, StringComparer.Ordinal);
        foreach (var pair in record)
        {
            SchemaAttribute? attribute = null;
            type?.Attributes?.TryGetValue(pair.Key, out attribute);
            fields[pair.Key] = ToValue(pair.Value, attribute?.Type);
        }

        return fields.Count == 0 ? RecordValue.Empty : new RecordValue(fields);
    }

    private static CedarValue ToValue(IntentValue value, SchemaType? type) => value.Kind switch
    {
        // An intent has no ip, datetime or duration values: a string is read as the one the schema declares (Cedar's JSON rule).
        IntentValueKind.String when type?.ExtensionConstructor is { } constructor && CedarFunctionInfo.Lookup(constructor) is { } info =>
            CallExpr.Construct(info.Function, value.AsString()),
        IntentValueKind.Set => CedarValues.Set(value.AsSet().Select(v => ToValue(v, type?.Kind == SchemaTypeKind.Set ? type.Element : null))),
        IntentValueKind.Record => ToRecord(value.AsRecord(), type?.Kind == SchemaTypeKind.Record ? type : null),
        _ => CedarPolicyEvaluator.ToValue(value),
    };
}

/// <summary>The request or the entities of a decision do not conform to the schema; the executor denies (<c>RequestInvalid</c>).</summary>
internal sealed class CedarSchemaViolationException : Exception
{
    public CedarSchemaViolationException(bool entities, string message)
        : base(message) => IsEntities = entities;

    public CedarSchemaViolationException()
    {
    }

    public CedarSchemaViolationException(string message)
        : base(message)
    {
    }

    public CedarSchemaViolationException(string message, Exception inner)
        : base(message, inner)
    {
    }

    /// <summary>Gets whether the entities (rather than the request) do not conform.</summary>
    public bool IsEntities { get; }
}
