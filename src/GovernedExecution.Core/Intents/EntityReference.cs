namespace GovernedExecution.Intents;

/// <summary>
/// A typed reference to an entity, as Cedar writes it: <c>Type::"id"</c>, where the type may be namespaced
/// (<c>Bank::Account</c>).
/// </summary>
public sealed class EntityReference : IEquatable<EntityReference>
{
    /// <summary>Creates a reference to the entity of type <paramref name="type"/> with id <paramref name="id"/>.</summary>
    /// <param name="type">The entity type, for example <c>User</c> or <c>Bank::Account</c>.</param>
    /// <param name="id">The entity id; any string, including the empty one.</param>
    /// <exception cref="ArgumentNullException">A parameter is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="type"/> is not a valid Cedar entity type name.</exception>
    public EntityReference(string type, string id)
    {
        ArgumentNullException.ThrowIfNull(type);
        ArgumentNullException.ThrowIfNull(id);
        if (!IsValidTypeName(type))
        {
            throw new ArgumentException($"'{type}' is not a valid entity type name (identifiers separated by '::').", nameof(type));
        }

        Type = type;
        Id = id;
    }

    private string? _text;

    /// <summary>The entity type, for example <c>User</c> or <c>Bank::Account</c>.</summary>
    public string Type { get; }

    /// <summary>The entity id.</summary>
    public string Id { get; }

    /// <inheritdoc />
    public bool Equals(EntityReference? other) =>
        other is not null && string.Equals(Type, other.Type, StringComparison.Ordinal) && string.Equals(Id, other.Id, StringComparison.Ordinal);

    /// <inheritdoc />
    public override bool Equals(object? obj) => Equals(obj as EntityReference);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(StringComparer.Ordinal.GetHashCode(Type), StringComparer.Ordinal.GetHashCode(Id));

    /// <summary>The Cedar form, <c>Type::"id"</c>, with the id escaped as a Cedar string.</summary>
    public override string ToString() => _text ??= Type + "::\"" + Escape(Id) + "\"";

    /// <summary>Compares two references for equality.</summary>
    public static bool operator ==(EntityReference? left, EntityReference? right) => left is null ? right is null : left.Equals(right);

    /// <summary>Compares two references for inequality.</summary>
    public static bool operator !=(EntityReference? left, EntityReference? right) => !(left == right);

    internal static bool IsValidTypeName(string type)
    {
        if (type.Length == 0)
        {
            return false;
        }

        foreach (var part in type.Split("::"))
        {
            if (part.Length == 0 || !(char.IsAsciiLetter(part[0]) || part[0] == '_'))
            {
                return false;
            }

            foreach (var c in part)
            {
                if (!(char.IsAsciiLetterOrDigit(c) || c == '_'))
                {
                    return false;
                }
            }
        }

        return true;
    }

    private static string Escape(string id)
    {
        var builder = new System.Text.StringBuilder(id.Length + 2);
        foreach (var c in id)
        {
            switch (c)
            {
                case '"': builder.Append("\\\""); break;
                case '\\': builder.Append("\\\\"); break;
                case '\n': builder.Append("\\n"); break;
                case '\r': builder.Append("\\r"); break;
                case '\t': builder.Append("\\t"); break;
                case '\0': builder.Append("\\0"); break;
                default:
                    if (char.IsControl(c))
                    {
                        builder.Append("\\u{").Append(((int)c).ToString("x", System.Globalization.CultureInfo.InvariantCulture)).Append('}');
                    }
                    else
                    {
                        builder.Append(c);
                    }

                    break;
            }
        }

        return builder.ToString();
    }
}
