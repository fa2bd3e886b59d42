using System.Text;

namespace GovernedExecution.Policies.Cedar;

/// <summary>
/// A Cedar schema: the entity types (attributes, tags, parents, enumerated ids), the actions (principal and resource
/// types, context, action groups) and common types of an application, read from Cedar's schema format
/// (<c>.cedarschema</c>) or its JSON schema format, and written back in either.
/// </summary>
/// <remarks>
/// Given to the entity and request readers, the schema types entity and context JSON (extension values without
/// <c>__extn</c>, entity references without <c>__entity</c>), validates entities and requests against their declared
/// types as Cedar does, and adds its action entities and their groups to the entity store. <see cref="CedarValidator"/> type checks policies
/// against it.
/// </remarks>
public sealed class CedarSchema
{
    // The model is resolved and typed so that a policy typechecker can ask, without looking at either syntax:
    // entity type -> attributes (type, required), tags type, parent types, enumerated ids; action -> principal types,
    // resource types, context type, parent actions (and their transitive closure). Common types are resolved in place
    // (SchemaType.CommonName only remembers the alias, for the writers).
    private readonly Dictionary<string, SchemaEntityType> _entityTypes;
    private readonly Dictionary<EntityUid, SchemaAction> _actions;
    private readonly Dictionary<string, SchemaCommonType> _commonTypes;
    private string? _digest;

    internal CedarSchema(IReadOnlyList<SchemaNamespace> namespaces)
    {
        Namespaces = namespaces;
        _entityTypes = new(StringComparer.Ordinal);
        _actions = [];
        _commonTypes = new(StringComparer.Ordinal);
        foreach (var ns in namespaces)
        {
            foreach (var c in ns.CommonTypes)
            {
                _commonTypes[c.Name] = c;
            }

            foreach (var e in ns.EntityTypes)
            {
                _entityTypes[e.Name] = e;
            }

            foreach (var a in ns.Actions)
            {
                _actions[a.Uid] = a;
            }
        }
    }

    /// <summary>Gets the namespaces in declaration order (the empty namespace has the name "").</summary>
    internal IReadOnlyList<SchemaNamespace> Namespaces { get; }

    internal IReadOnlyDictionary<string, SchemaEntityType> EntityTypes => _entityTypes;

    internal IReadOnlyDictionary<EntityUid, SchemaAction> Actions => _actions;

    internal IReadOnlyDictionary<string, SchemaCommonType> CommonTypes => _commonTypes;

    /// <summary>Reads a schema in Cedar's schema format (<c>.cedarschema</c>).</summary>
    /// <param name="text">The schema text.</param>
    /// <param name="fileName">The name used in diagnostics, or null for <c>schema.cedarschema</c>.</param>
    /// <returns>The schema.</returns>
    /// <exception cref="ArgumentNullException">When <paramref name="text"/> is null.</exception>
    /// <exception cref="CedarParseException">When the text is not a valid schema: a syntax error or an error Cedar reports
    /// when it builds a schema (an undeclared type or action, a duplicate declaration, a cycle, a reserved name); the
    /// diagnostic carries the 1-based line and column.</exception>
    public static CedarSchema Parse(string text, string? fileName = null)
    {
        ArgumentNullException.ThrowIfNull(text);
        var source = fileName ?? "schema.cedarschema";
        return Build(source, () => CedarSchemaTextReader.Read(text));
    }

    /// <summary>Reads a schema in Cedar's JSON schema format.</summary>
    /// <param name="json">The JSON text.</param>
    /// <param name="fileName">The name used in diagnostics, or null for <c>schema.json</c>.</param>
    /// <returns>The schema.</returns>
    /// <exception cref="ArgumentNullException">When <paramref name="json"/> is null.</exception>
    /// <exception cref="CedarParseException">When the JSON is malformed, has a member Cedar does not accept, or is not a
    /// valid schema (see <see cref="Parse"/>).</exception>
    public static CedarSchema ParseJson(string json, string? fileName = null)
    {
        ArgumentNullException.ThrowIfNull(json);
        var source = fileName ?? "schema.json";
        return Build(source, () => CedarSchemaJson.Read(json));
    }

    /// <summary>
    /// Gets the schema's content digest: lowercase hex SHA-256 over the UTF-8 bytes of a canonical description of the
    /// resolved schema (declarations sorted by name, uses of common types written out), so that it does not change with
    /// the format, declaration order, whitespace or comments. An executor deciding under a
    /// schema joins it to the policy-set digest (docs/artifact-format.md).
    /// </summary>
    public string Digest => _digest ??= Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(Encoding.UTF8.GetBytes(Describe())));

    /// <summary>Writes the schema in Cedar's JSON schema format.</summary>
    /// <returns>The JSON text (indented).</returns>
    public string ToJson() => CedarSchemaJson.Write(this);

    /// <summary>Writes the schema in Cedar's schema format (<c>.cedarschema</c>).</summary>
    /// <returns>The schema text.</returns>
    public string ToCedarText() => CedarSchemaTextWriter.Write(this);

    /// <summary>Reads a schema, choosing the format by the first non-blank character (<c>{</c> is JSON).</summary>
    internal static CedarSchema ParseAny(string text, string fileName) =>
        text.AsSpan().TrimStart().StartsWith("{", StringComparison.Ordinal) ? ParseJson(text, fileName) : Parse(text, fileName);

    internal SchemaEntityType? GetEntityType(string name) => _entityTypes.GetValueOrDefault(name);

    internal SchemaAction? GetAction(EntityUid uid) => _actions.GetValueOrDefault(uid);

    internal SchemaType? GetActionContext(EntityUid action) => _actions.TryGetValue(action, out var a) ? a.Context : null;

    /// <summary>The action entities the schema declares, with their direct parents (action groups).</summary>
    internal IEnumerable<CedarEntity> ActionEntities()
    {
        foreach (var a in _actions.Values)
        {
            yield return new CedarEntity(a.Uid, new Dictionary<string, CedarValue>(StringComparer.Ordinal), [.. a.MemberOf], null);
        }
    }

    /// <summary>A canonical description of the resolved model (alias names and declaration order left out), for comparing two schemas.</summary>
    internal string Describe()
    {
        var sb = new StringBuilder();
        foreach (var ns in Namespaces.Where(n => n.Name.Length > 0).OrderBy(n => n.Name, StringComparer.Ordinal))
        {
            sb.Append("namespace ").Append(ns.Name).Append(' ');
            SchemaType.DescribeAnnotations(sb, ns.Annotations);
            sb.Append('\n');
        }

        foreach (var c in _commonTypes.Values.OrderBy(c => c.Name, StringComparer.Ordinal))
        {
            sb.Append("type ").Append(c.Name).Append(" = ");
            c.Type.Describe(sb);
            SchemaType.DescribeAnnotations(sb, c.Annotations);
            sb.Append('\n');
        }

        foreach (var e in _entityTypes.Values.OrderBy(e => e.Name, StringComparer.Ordinal))
        {
            sb.Append("entity ").Append(e.Name).Append(" in [").AppendJoin(", ", e.MemberOfTypes.Order(StringComparer.Ordinal)).Append("] ");
            if (e.EnumIds is not null)
            {
                sb.Append("enum [").AppendJoin(", ", e.EnumIds.Select(CedarText.Quote)).Append("] ");
            }

            e.Attributes.Describe(sb);
            if (e.Tags is not null)
            {
                sb.Append(" tags ");
                e.Tags.Describe(sb);
            }

            SchemaType.DescribeAnnotations(sb, e.Annotations);
            sb.Append('\n');
        }

        foreach (var a in _actions.Values.OrderBy(a => a.Uid.ToString(), StringComparer.Ordinal))
        {
            sb.Append("action ").Append(a.Uid).Append(" in [").AppendJoin(", ", a.MemberOf.Select(m => m.ToString()).Order(StringComparer.Ordinal)).Append("] principal [")
                .AppendJoin(", ", a.PrincipalTypes.Order(StringComparer.Ordinal)).Append("] resource [").AppendJoin(", ", a.ResourceTypes.Order(StringComparer.Ordinal)).Append("] context ");
            a.Context.Describe(sb);
            SchemaType.DescribeAnnotations(sb, a.Annotations);
            sb.Append('\n');
        }

        return sb.ToString();
    }

    private static CedarSchema Build(string source, Func<List<RawNamespace>> read)
    {
        try
        {
            return new SchemaResolver(read()).Resolve();
        }
        catch (CedarSyntaxException e)
        {
            throw new CedarParseException([new CedarDiagnostic(source, e.Line, e.Column, e.Message)]);
        }
        catch (System.Text.Json.JsonException e)
        {
            throw new CedarParseException([new CedarDiagnostic(source, (int)(e.LineNumber ?? -1) + 1, (int)(e.BytePositionInLine ?? -1) + 1, e.Message)]);
        }
        catch (InsufficientExecutionStackException)
        {
            throw new CedarParseException([new CedarDiagnostic(source, 0, 0, "schema nested too deeply")]);
        }
    }
}

/// <summary>One namespace of a schema, in declaration order (for the writers).</summary>
internal sealed record SchemaNamespace(
    string Name,
    IReadOnlyList<KeyValuePair<string, string>> Annotations,
    IReadOnlyList<SchemaCommonType> CommonTypes,
    IReadOnlyList<SchemaEntityType> EntityTypes,
    IReadOnlyList<SchemaAction> Actions);

/// <summary>A common type (type alias), fully qualified, with its resolved type.</summary>
internal sealed record SchemaCommonType(string Name, SchemaType Type, IReadOnlyList<KeyValuePair<string, string>> Annotations);

/// <summary>An entity type: its attributes (always a record), tags, the types it may be a member of, and enumerated ids.</summary>
internal sealed class SchemaEntityType
{
    public SchemaEntityType(string name, SchemaType attributes, SchemaType? tags, IReadOnlyList<string> memberOfTypes, IReadOnlyList<string>? enumIds, IReadOnlyList<KeyValuePair<string, string>> annotations)
    {
        Name = name;
        Attributes = attributes;
        Tags = tags;
        MemberOfTypes = memberOfTypes;
        EnumIds = enumIds;
        Annotations = annotations;
    }

    /// <summary>Gets the fully qualified name.</summary>
    public string Name { get; }

    /// <summary>Gets the attribute record (empty when the type declares none).</summary>
    public SchemaType Attributes { get; }

    /// <summary>Gets the tag type, or null when the entity type has no tags.</summary>
    public SchemaType? Tags { get; }

    /// <summary>Gets the fully qualified entity types an entity of this type may be a member of.</summary>
    public IReadOnlyList<string> MemberOfTypes { get; }

    /// <summary>Gets the only ids entities of this type may have, or null when the type is not enumerated.</summary>
    public IReadOnlyList<string>? EnumIds { get; }

    public IReadOnlyList<KeyValuePair<string, string>> Annotations { get; }
}

/// <summary>An action: what it applies to, its context type and the action groups it is a member of.</summary>
internal sealed class SchemaAction
{
    public SchemaAction(EntityUid uid, IReadOnlyList<EntityUid> memberOf, IReadOnlyList<string> principalTypes, IReadOnlyList<string> resourceTypes, SchemaType context, IReadOnlyList<KeyValuePair<string, string>> annotations)
    {
        Uid = uid;
        MemberOf = memberOf;
        PrincipalTypes = principalTypes;
        ResourceTypes = resourceTypes;
        Context = context;
        Annotations = annotations;
    }

    public EntityUid Uid { get; }

    /// <summary>Gets the direct parents (action groups).</summary>
    public IReadOnlyList<EntityUid> MemberOf { get; }

    /// <summary>Gets every action group this action is transitively in (filled by the resolver).</summary>
    public IReadOnlySet<EntityUid> Ancestors { get; internal set; } = new HashSet<EntityUid>();

    /// <summary>Gets the principal entity types (empty: the action applies to no request).</summary>
    public IReadOnlyList<string> PrincipalTypes { get; }

    public IReadOnlyList<string> ResourceTypes { get; }

    /// <summary>Gets the context record type (empty record when undeclared).</summary>
    public SchemaType Context { get; }

    public IReadOnlyList<KeyValuePair<string, string>> Annotations { get; }
}

/// <summary>An attribute of a record type.</summary>
internal sealed record SchemaAttribute(SchemaType Type, bool Required, IReadOnlyList<KeyValuePair<string, string>> Annotations);

/// <summary>A resolved schema type; also used to read JSON values that leave out the <c>__entity</c>/<c>__extn</c> escapes.</summary>
internal sealed class SchemaType
{
    public static readonly SchemaType Unknown = new(SchemaTypeKind.Unknown);
    public static readonly SchemaType Bool = new(SchemaTypeKind.Bool);
    public static readonly SchemaType Long = new(SchemaTypeKind.Long);
    public static readonly SchemaType String = new(SchemaTypeKind.String);
    public static readonly SchemaType EmptyRecord = new(SchemaTypeKind.Record) { Attributes = new Dictionary<string, SchemaAttribute>(StringComparer.Ordinal) };

    /// <summary>The extension types Cedar knows, by schema name.</summary>
    public static readonly IReadOnlyList<string> ExtensionNames = ["ipaddr", "decimal", "datetime", "duration"];

    public SchemaType(SchemaTypeKind kind) => Kind = kind;

    public SchemaTypeKind Kind { get; }

    public SchemaType? Element { get; init; }

    /// <summary>Gets the attributes of a record type, in declaration order.</summary>
    public IReadOnlyDictionary<string, SchemaAttribute>? Attributes { get; init; }

    /// <summary>Gets the fully qualified entity type name or the extension type name (ipaddr, decimal, datetime, duration).</summary>
    public string? Name { get; init; }

    /// <summary>Gets the common type this type was written as, if any (only the writers use it).</summary>
    public string? CommonName { get; init; }

    /// <summary>Gets the extension function that reads a string as a value of this type (ip, decimal, datetime, duration).</summary>
    public string? ExtensionConstructor => Kind == SchemaTypeKind.Extension ? (Name == "ipaddr" ? "ip" : Name) : null;

    public SchemaType WithCommonName(string name) => new(Kind) { Element = Element, Attributes = Attributes, Name = Name, CommonName = name };

    public SchemaType WithoutCommonName() => CommonName is null ? this : new(Kind) { Element = Element, Attributes = Attributes, Name = Name };

    public static void DescribeAnnotations(StringBuilder sb, IReadOnlyList<KeyValuePair<string, string>> annotations)
    {
        foreach (var a in annotations.OrderBy(a => a.Key, StringComparer.Ordinal))
        {
            sb.Append(" @").Append(a.Key).Append('(').Append(CedarText.Quote(a.Value)).Append(')');
        }
    }

    public void Describe(StringBuilder sb)
    {
        switch (Kind)
        {
            case SchemaTypeKind.Set:
                sb.Append("Set<");
                Element!.Describe(sb);
                sb.Append('>');
                break;
            case SchemaTypeKind.Record:
                sb.Append('{');
                foreach (var a in Attributes!.OrderBy(a => a.Key, StringComparer.Ordinal))
                {
                    sb.Append(CedarText.Quote(a.Key)).Append(a.Value.Required ? ": " : "?: ");
                    a.Value.Type.Describe(sb);
                    DescribeAnnotations(sb, a.Value.Annotations);
                    sb.Append(", ");
                }

                sb.Append('}');
                break;
            case SchemaTypeKind.Entity:
                sb.Append("entity ").Append(Name);
                break;
            case SchemaTypeKind.Extension:
                sb.Append("extension ").Append(Name);
                break;
            default:
                sb.Append(Kind.ToString());
                break;
        }
    }
}

internal enum SchemaTypeKind
{
    Unknown,
    Bool,
    Long,
    String,
    Set,
    Record,
    Entity,
    Extension,
}
