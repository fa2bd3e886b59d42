using System.Globalization;
using System.Text;

namespace GovernedExecution.Policies.Cedar;

/// <summary>The kinds of Cedar runtime values.</summary>
internal enum ValueKind
{
    Bool,
    Long,
    String,
    Entity,
    Set,
    Record,
    Decimal,
    Ip,
    Datetime,
    Duration,
}

/// <summary>A Cedar runtime value. Equality is structural; values of different kinds are never equal.</summary>
internal abstract class CedarValue : IEquatable<CedarValue>
{
    public abstract ValueKind Kind { get; }

    public abstract bool Equals(CedarValue? other);

    public sealed override bool Equals(object? obj) => obj is CedarValue v && Equals(v);

    public abstract override int GetHashCode();

    /// <summary>Writes the value as a Cedar expression that evaluates to it.</summary>
    public abstract void WriteCedar(StringBuilder sb);

    public override string ToString()
    {
        var sb = new StringBuilder();
        WriteCedar(sb);
        return sb.ToString();
    }

    public static string TypeName(ValueKind kind) => kind switch
    {
        ValueKind.Bool => "bool",
        ValueKind.Long => "long",
        ValueKind.String => "string",
        ValueKind.Entity => "entity",
        ValueKind.Set => "set",
        ValueKind.Record => "record",
        ValueKind.Decimal => "decimal",
        ValueKind.Ip => "ipaddr",
        ValueKind.Datetime => "datetime",
        ValueKind.Duration => "duration",
        _ => "unknown",
    };
}

internal sealed class BoolValue : CedarValue
{
    public static readonly BoolValue True = new(true);
    public static readonly BoolValue False = new(false);

    private BoolValue(bool value) => Value = value;

    public bool Value { get; }

    public override ValueKind Kind => ValueKind.Bool;

    public static BoolValue Of(bool b) => b ? True : False;

    public override bool Equals(CedarValue? other) => other is BoolValue b && b.Value == Value;

    public override int GetHashCode() => Value ? 1 : 2;

    public override void WriteCedar(StringBuilder sb) => sb.Append(Value ? "true" : "false");
}

internal sealed class LongValue : CedarValue
{
    private static readonly LongValue[] Small = CreateSmall();

    public LongValue(long value) => Value = value;

    public long Value { get; }

    public override ValueKind Kind => ValueKind.Long;

    public static LongValue Of(long v) => v >= -16 && v < 240 ? Small[v + 16] : new LongValue(v);

    public override bool Equals(CedarValue? other) => other is LongValue l && l.Value == Value;

    public override int GetHashCode() => Value.GetHashCode();

    public override void WriteCedar(StringBuilder sb) => sb.Append(Value.ToString(CultureInfo.InvariantCulture));

    private static LongValue[] CreateSmall()
    {
        var a = new LongValue[256];
        for (int i = 0; i < a.Length; i++)
        {
            a[i] = new LongValue(i - 16);
        }

        return a;
    }
}

internal sealed class StringValue : CedarValue
{
    public static readonly StringValue Empty = new(string.Empty);

    public StringValue(string value) => Value = value;

    public string Value { get; }

    public override ValueKind Kind => ValueKind.String;

    public override bool Equals(CedarValue? other) => other is StringValue s && string.Equals(s.Value, Value, StringComparison.Ordinal);

    public override int GetHashCode() => StringComparer.Ordinal.GetHashCode(Value);

    public override void WriteCedar(StringBuilder sb) => CedarText.WriteString(sb, Value);
}

/// <summary>An entity reference: a type name (possibly namespaced) and an id.</summary>
internal sealed class EntityUid : CedarValue
{
    private readonly int _hash;

    public EntityUid(string type, string id)
    {
        Type = EntityTypeNames.Intern(type);
        Id = id;
        _hash = HashCode.Combine(StringComparer.Ordinal.GetHashCode(type), StringComparer.Ordinal.GetHashCode(id));
    }

    public string Type { get; }

    public string Id { get; }

    public override ValueKind Kind => ValueKind.Entity;

    public override bool Equals(CedarValue? other) =>
        ReferenceEquals(this, other) ||
        (other is EntityUid e && e._hash == _hash && string.Equals(e.Id, Id, StringComparison.Ordinal) && string.Equals(e.Type, Type, StringComparison.Ordinal));

    public override int GetHashCode() => _hash;

    public override void WriteCedar(StringBuilder sb)
    {
        sb.Append(Type).Append("::");
        CedarText.WriteString(sb, Id);
    }
}

internal sealed class SetValue : CedarValue
{
    public static readonly SetValue Empty = new([]);

    private HashSet<CedarValue>? _lookup;
    private int _hash;

    /// <summary>Creates a set; <paramref name="items"/> must already be free of duplicates.</summary>
    private SetValue(CedarValue[] items) => Items = items;

    public CedarValue[] Items { get; }

    public override ValueKind Kind => ValueKind.Set;

    public static SetValue Create(List<CedarValue> values)
    {
        if (values.Count == 0)
        {
            return Empty;
        }

        var seen = new HashSet<CedarValue>(values.Count);
        var list = new List<CedarValue>(values.Count);
        foreach (var v in values)
        {
            if (seen.Add(v))
            {
                list.Add(v);
            }
        }

        return new SetValue([.. list]) { _lookup = list.Count > 8 ? seen : null };
    }

    public bool Contains(CedarValue v)
    {
        if (_lookup is not null)
        {
            return _lookup.Contains(v);
        }

        foreach (var item in Items)
        {
            if (item.Equals(v))
            {
                return true;
            }
        }

        return false;
    }

    public override bool Equals(CedarValue? other)
    {
        if (other is not SetValue s || s.Items.Length != Items.Length)
        {
            return false;
        }

        foreach (var item in s.Items)
        {
            if (!Contains(item))
            {
                return false;
            }
        }

        return true;
    }

    public override int GetHashCode()
    {
        if (_hash == 0)
        {
            int h = 17;
            foreach (var item in Items)
            {
                h ^= item.GetHashCode();
            }

            _hash = h == 0 ? 1 : h;
        }

        return _hash;
    }

    public override void WriteCedar(StringBuilder sb)
    {
        var parts = new List<string>(Items.Length);
        foreach (var item in Items)
        {
            parts.Add(item.ToString());
        }

        parts.Sort(StringComparer.Ordinal);
        sb.Append('[');
        for (int i = 0; i < parts.Count; i++)
        {
            if (i > 0)
            {
                sb.Append(", ");
            }

            sb.Append(parts[i]);
        }

        sb.Append(']');
    }
}

internal sealed class RecordValue : CedarValue
{
    public static readonly RecordValue Empty = new(new Dictionary<string, CedarValue>(StringComparer.Ordinal));

    public RecordValue(Dictionary<string, CedarValue> attrs) => Attrs = attrs;

    public Dictionary<string, CedarValue> Attrs { get; }

    public override ValueKind Kind => ValueKind.Record;

    public override bool Equals(CedarValue? other)
    {
        if (other is not RecordValue r || r.Attrs.Count != Attrs.Count)
        {
            return false;
        }

        foreach (var kv in Attrs)
        {
            if (!r.Attrs.TryGetValue(kv.Key, out var v) || !v.Equals(kv.Value))
            {
                return false;
            }
        }

        return true;
    }

    public override int GetHashCode()
    {
        int h = 31;
        foreach (var kv in Attrs)
        {
            h ^= HashCode.Combine(StringComparer.Ordinal.GetHashCode(kv.Key), kv.Value.GetHashCode());
        }

        return h;
    }

    public override void WriteCedar(StringBuilder sb)
    {
        var keys = new List<string>(Attrs.Keys);
        keys.Sort(StringComparer.Ordinal);
        sb.Append('{');
        for (int i = 0; i < keys.Count; i++)
        {
            if (i > 0)
            {
                sb.Append(", ");
            }

            CedarText.WriteString(sb, keys[i]);
            sb.Append(": ");
            Attrs[keys[i]].WriteCedar(sb);
        }

        sb.Append('}');
    }
}

/// <summary>
/// Shares one string instance per entity type name, so that type comparisons on the hot path are usually reference
/// checks. The table is bounded: past its capacity names are simply not shared.
/// </summary>
internal static class EntityTypeNames
{
    private const int Capacity = 16_384;

    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, string> Names = new(StringComparer.Ordinal);

    public static string Intern(string name)
    {
        if (Names.TryGetValue(name, out var shared))
        {
            return shared;
        }

        return Names.Count < Capacity ? Names.GetOrAdd(name, name) : name;
    }
}
