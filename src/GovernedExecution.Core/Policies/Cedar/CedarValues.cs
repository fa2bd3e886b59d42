namespace GovernedExecution.Policies.Cedar;

/// <summary>Builds Cedar values and entities in memory, for callers that evaluate without JSON.</summary>
internal static class CedarValues
{
    public static EntityUid Entity(string type, string id)
    {
        ArgumentNullException.ThrowIfNull(type);
        ArgumentNullException.ThrowIfNull(id);
        return new EntityUid(type, id);
    }

    public static CedarValue Bool(bool value) => BoolValue.Of(value);

    public static CedarValue Long(long value) => LongValue.Of(value);

    public static CedarValue String(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        return new StringValue(value);
    }

    public static CedarValue Set(IEnumerable<CedarValue> items)
    {
        ArgumentNullException.ThrowIfNull(items);
        return SetValue.Create([.. items]);
    }

    public static RecordValue Record(IEnumerable<KeyValuePair<string, CedarValue>> fields)
    {
        ArgumentNullException.ThrowIfNull(fields);
        var d = new Dictionary<string, CedarValue>(StringComparer.Ordinal);
        foreach (var kv in fields)
        {
            d[kv.Key] = kv.Value;
        }

        return new RecordValue(d);
    }

    /// <summary>Calls an extension constructor (ip, decimal, datetime, duration); throws <see cref="CedarEvaluationException"/> on bad input.</summary>
    public static CedarValue Extension(string function, string argument)
    {
        ArgumentNullException.ThrowIfNull(function);
        ArgumentNullException.ThrowIfNull(argument);
        var info = CedarFunctionInfo.Lookup(function);
        return info is { IsExtension: true, IsMethod: false }
            ? CallExpr.Construct(info.Function, argument)
            : throw new CedarEvaluationException("unknown extension constructor " + function);
    }

    public static CedarEntity EntityData(
        EntityUid uid,
        IEnumerable<KeyValuePair<string, CedarValue>>? attributes = null,
        IEnumerable<EntityUid>? parents = null,
        IEnumerable<KeyValuePair<string, CedarValue>>? tags = null)
    {
        ArgumentNullException.ThrowIfNull(uid);
        return new CedarEntity(
            uid,
            attributes is null ? new Dictionary<string, CedarValue>(StringComparer.Ordinal) : Record(attributes).Attrs,
            parents is null ? [] : [.. parents],
            tags is null ? null : Record(tags).Attrs);
    }

    /// <summary>Builds an entity store; throws <see cref="CedarEvaluationException"/> on a duplicate entity.</summary>
    public static CedarEntities Entities(IEnumerable<CedarEntity> entities)
    {
        ArgumentNullException.ThrowIfNull(entities);
        return new CedarEntities(new CedarEntityStore(entities));
    }
}
