namespace GovernedExecution.Policies.Cedar;

/// <summary>
/// Checks requests and entities against a schema as Cedar does when it is given one (request validation and entity
/// validation): each check answers null when the value conforms, or the first reason it does not.
/// </summary>
internal static class CedarSchemaConformance
{
    /// <summary>
    /// Cedar's request validation: the action is declared, the principal and resource are of entity types the action
    /// applies to (and valid ids of an enumerated type), and the context conforms to the action's context type.
    /// </summary>
    public static string? CheckRequest(CedarSchema schema, EntityUid principal, EntityUid action, EntityUid resource, RecordValue context)
    {
        var declared = schema.GetAction(action);
        if (declared is null)
        {
            return $"request's action {action} is not declared in the schema";
        }

        if (CheckRequestEntity(schema, "principal", principal, declared.PrincipalTypes, action) is { } principalError)
        {
            return principalError;
        }

        if (CheckRequestEntity(schema, "resource", resource, declared.ResourceTypes, action) is { } resourceError)
        {
            return resourceError;
        }

        return CheckValue(schema, context, declared.Context) is { } contextError
            ? $"context does not conform to the context type of {action}: {contextError}"
            : null;
    }

    /// <summary>Cedar's entity validation of one entity (not an action: <see cref="CheckAction"/> checks those).</summary>
    public static string? CheckEntity(CedarSchema schema, CedarEntity entity)
    {
        var type = schema.GetEntityType(entity.Uid.Type);
        if (schema.GetAction(entity.Uid) is not null || (type is null && IsActionType(entity.Uid.Type)))
        {
            return CheckAction(schema, entity);
        }

        if (type is null)
        {
            return $"entity {entity.Uid} has type {entity.Uid.Type}, which is not declared in the schema";
        }

        if (CheckEnumerated(schema, entity.Uid) is { } enumError)
        {
            return enumError;
        }

        if (CheckRecord(schema, entity.Attrs, type.Attributes) is { } attrError)
        {
            return $"entity {entity.Uid} does not conform to its type: {attrError}";
        }

        foreach (var parent in entity.Parents)
        {
            if (!type.MemberOfTypes.Contains(parent.Type))
            {
                return $"entity {entity.Uid} may not have a parent of type {parent.Type} according to the schema";
            }

            if (CheckEnumerated(schema, parent) is { } parentError)
            {
                return parentError;
            }
        }

        if (entity.Tags is { Count: > 0 } tags)
        {
            if (type.Tags is null)
            {
                return $"entity {entity.Uid} has tags, but its type declares none";
            }

            foreach (var (key, value) in tags)
            {
                if (CheckValue(schema, value, type.Tags) is { } tagError)
                {
                    return $"tag {CedarText.Quote(key)} of entity {entity.Uid} does not conform to the tag type: {tagError}";
                }
            }
        }

        return null;
    }

    /// <summary>An action listed in entity data must be declared and match its declaration (no attributes or tags, the same ancestors).</summary>
    public static string? CheckAction(CedarSchema schema, CedarEntity entity)
    {
        var declared = schema.GetAction(entity.Uid);
        if (declared is null)
        {
            return $"found action entity {entity.Uid}, but it was not declared as an action in the schema";
        }

        // Compare the ancestors: the data may list only direct parents, or the whole closure.
        var ancestors = new HashSet<EntityUid>();
        foreach (var p in entity.Parents)
        {
            ancestors.Add(p);
            if (schema.GetAction(p) is { } parent)
            {
                ancestors.UnionWith(parent.Ancestors);
            }
        }

        return entity.Attrs.Count > 0 || entity.Tags is { Count: > 0 } || !ancestors.SetEquals(declared.Ancestors)
            ? $"the definition of action {entity.Uid} does not match its schema declaration (leave it out of the entity data to use the schema's)"
            : null;
    }

    /// <summary>Checks that a value has a schema type: kinds, closed records with their required attributes, entity types, extension types.</summary>
    public static string? CheckValue(CedarSchema schema, CedarValue value, SchemaType type)
    {
        System.Runtime.CompilerServices.RuntimeHelpers.EnsureSufficientExecutionStack();
        switch (type.Kind)
        {
            case SchemaTypeKind.Bool:
                return Expect(value, ValueKind.Bool, "Bool");
            case SchemaTypeKind.Long:
                return Expect(value, ValueKind.Long, "Long");
            case SchemaTypeKind.String:
                return Expect(value, ValueKind.String, "String");
            case SchemaTypeKind.Extension:
                return Expect(value, ExtensionKind(type.Name!), type.Name!);
            case SchemaTypeKind.Entity:
                if (value is not EntityUid uid || !string.Equals(uid.Type, type.Name, StringComparison.Ordinal))
                {
                    return $"expected an entity of type {type.Name}, found {Describe(value)}";
                }

                return CheckEnumerated(schema, uid);
            case SchemaTypeKind.Set:
                if (value is not SetValue set)
                {
                    return $"expected a set, found {Describe(value)}";
                }

                foreach (var item in set.Items)
                {
                    if (CheckValue(schema, item, type.Element!) is { } itemError)
                    {
                        return "in a set: " + itemError;
                    }
                }

                return null;
            case SchemaTypeKind.Record:
                return value is RecordValue record ? CheckRecord(schema, record.Attrs, type) : $"expected a record, found {Describe(value)}";
            default:
                // A resolved schema has no other kind; should one appear, nothing conforms to it.
                return $"the schema type {type.Kind} admits no value";
        }
    }

    /// <summary>A record is closed: every required attribute is present, and no attribute is undeclared.</summary>
    private static string? CheckRecord(CedarSchema schema, Dictionary<string, CedarValue> attrs, SchemaType type)
    {
        var declared = type.Attributes!;
        foreach (var (name, attribute) in declared)
        {
            if (attrs.TryGetValue(name, out var value))
            {
                if (CheckValue(schema, value, attribute.Type) is { } error)
                {
                    return $"attribute {CedarText.Quote(name)}: {error}";
                }
            }
            else if (attribute.Required)
            {
                return $"required attribute {CedarText.Quote(name)} is missing";
            }
        }

        foreach (var name in attrs.Keys)
        {
            if (!declared.ContainsKey(name))
            {
                return $"attribute {CedarText.Quote(name)} is not declared";
            }
        }

        return null;
    }

    private static string? CheckRequestEntity(CedarSchema schema, string role, EntityUid uid, IReadOnlyList<string> allowed, EntityUid action)
    {
        if (!allowed.Contains(uid.Type))
        {
            return schema.GetEntityType(uid.Type) is null
                ? $"{role} type {uid.Type} is not declared in the schema"
                : $"{role} type {uid.Type} is not valid for {action}";
        }

        return CheckEnumerated(schema, uid);
    }

    private static string? CheckEnumerated(CedarSchema schema, EntityUid uid) =>
        schema.GetEntityType(uid.Type) is { EnumIds: { } ids } && !ids.Contains(uid.Id)
            ? $"entity {uid} is of an enumerated entity type, but {CedarText.Quote(uid.Id)} is not one of its ids"
            : null;

    private static bool IsActionType(string type) => type == "Action" || type.EndsWith("::Action", StringComparison.Ordinal);

    private static ValueKind ExtensionKind(string name) => name switch
    {
        "ipaddr" => ValueKind.Ip,
        "decimal" => ValueKind.Decimal,
        "datetime" => ValueKind.Datetime,
        _ => ValueKind.Duration,
    };

    private static string? Expect(CedarValue value, ValueKind kind, string name) =>
        value.Kind == kind ? null : $"expected a value of type {name}, found {Describe(value)}";

    private static string Describe(CedarValue value) => value is EntityUid uid ? "an entity of type " + uid.Type : "a value of type " + CedarValue.TypeName(value.Kind);
}
