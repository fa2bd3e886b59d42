using System.Collections.Immutable;
using System.Globalization;

namespace GovernedExecution.Intents;

/// <summary>
/// An immutable attribute value of an intent's context: a string, long, boolean, decimal, entity reference, set or
/// record. The kinds are Cedar's, so that a context maps to a Cedar request without loss.
/// </summary>
public sealed class IntentValue : IEquatable<IntentValue>
{
    private const long DecimalScale = 10_000;
    private const decimal MinDecimal = -922_337_203_685_477.5808m;
    private const decimal MaxDecimal = 922_337_203_685_477.5807m;
    private static readonly IntentValue TrueValue = new(IntentValueKind.Boolean, null, 1);
    private static readonly IntentValue FalseValue = new(IntentValueKind.Boolean, null, 0);

    private readonly object? _reference;
    private readonly long _number;

    private IntentValue(IntentValueKind kind, object? reference, long number)
    {
        Kind = kind;
        _reference = reference;
        _number = number;
    }

    /// <summary>The kind of the value.</summary>
    public IntentValueKind Kind { get; }

    /// <summary>Creates a string value.</summary>
    /// <exception cref="ArgumentNullException"><paramref name="value"/> is <see langword="null"/>.</exception>
    public static IntentValue String(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        return new IntentValue(IntentValueKind.String, value, 0);
    }

    /// <summary>Creates a long value.</summary>
    public static IntentValue Long(long value) => new(IntentValueKind.Long, null, value);

    /// <summary>Creates a boolean value.</summary>
    public static IntentValue Boolean(bool value) => value ? TrueValue : FalseValue;

    /// <summary>Creates a Cedar decimal from its text form (<c>-?digits.digits</c>, one to four fractional digits).</summary>
    /// <exception cref="ArgumentNullException"><paramref name="text"/> is <see langword="null"/>.</exception>
    /// <exception cref="FormatException"><paramref name="text"/> is not a Cedar decimal or is out of range.</exception>
    public static IntentValue Decimal(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return TryParseDecimal(text, out var scaled)
            ? new IntentValue(IntentValueKind.Decimal, null, scaled)
            : throw new FormatException($"'{text}' is not a Cedar decimal (digits, a point, one to four digits, within the 64-bit range).");
    }

    /// <summary>
    /// Creates a Cedar decimal from a <see langword="decimal"/>, exactly: the value must have at most four fractional
    /// digits (trailing zeros aside) and lie within Cedar's range, -922337203685477.5808 to 922337203685477.5807.
    /// Anything else is refused, never rounded: a rounded amount could pass a policy the real one fails.
    /// </summary>
    /// <param name="value">The value.</param>
    /// <returns>The decimal value.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="value"/> has more than four fractional digits or is
    /// outside Cedar's decimal range.</exception>
    public static IntentValue Decimal(decimal value)
    {
        // The range first, so that scaling by 10,000 below is exact: no more than 19 significant digits result.
        if (value < MinDecimal || value > MaxDecimal || decimal.Round(value, 4, MidpointRounding.ToZero) != value)
        {
            throw new ArgumentOutOfRangeException(
                nameof(value),
                "A Cedar decimal has at most four fractional digits and lies within -922337203685477.5808 .. 922337203685477.5807; the value is refused rather than rounded.");
        }

        return new IntentValue(IntentValueKind.Decimal, null, decimal.ToInt64(value * DecimalScale));
    }

    /// <summary>Creates an entity reference value.</summary>
    /// <exception cref="ArgumentNullException"><paramref name="entity"/> is <see langword="null"/>.</exception>
    public static IntentValue Entity(EntityReference entity)
    {
        ArgumentNullException.ThrowIfNull(entity);
        return new IntentValue(IntentValueKind.Entity, entity, 0);
    }

    /// <summary>Creates a set; duplicates are removed and order does not matter.</summary>
    /// <exception cref="ArgumentNullException"><paramref name="items"/> or an item is <see langword="null"/>.</exception>
    public static IntentValue Set(params IEnumerable<IntentValue> items)
    {
        ArgumentNullException.ThrowIfNull(items);
        var builder = ImmutableArray.CreateBuilder<IntentValue>();
        foreach (var item in items)
        {
            ArgumentNullException.ThrowIfNull(item, nameof(items));
            if (!builder.Contains(item))
            {
                builder.Add(item);
            }
        }

        return new IntentValue(IntentValueKind.Set, builder.ToImmutable(), 0);
    }

    /// <summary>Creates a record from key-value pairs.</summary>
    /// <exception cref="ArgumentNullException"><paramref name="fields"/>, a key or a value is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">A key appears twice.</exception>
    public static IntentValue Record(IEnumerable<KeyValuePair<string, IntentValue>> fields)
    {
        ArgumentNullException.ThrowIfNull(fields);
        return new IntentValue(IntentValueKind.Record, ToSortedMap(fields, nameof(fields)), 0);
    }

    /// <summary>The string; throws when the value is not a string.</summary>
    /// <exception cref="InvalidOperationException">The value is of another kind.</exception>
    public string AsString() => Kind == IntentValueKind.String ? (string)_reference! : throw WrongKind(IntentValueKind.String);

    /// <summary>The long; throws when the value is not a long.</summary>
    /// <exception cref="InvalidOperationException">The value is of another kind.</exception>
    public long AsLong() => Kind == IntentValueKind.Long ? _number : throw WrongKind(IntentValueKind.Long);

    /// <summary>The boolean; throws when the value is not a boolean.</summary>
    /// <exception cref="InvalidOperationException">The value is of another kind.</exception>
    public bool AsBoolean() => Kind == IntentValueKind.Boolean ? _number != 0 : throw WrongKind(IntentValueKind.Boolean);

    /// <summary>The entity reference; throws when the value is not an entity.</summary>
    /// <exception cref="InvalidOperationException">The value is of another kind.</exception>
    public EntityReference AsEntity() => Kind == IntentValueKind.Entity ? (EntityReference)_reference! : throw WrongKind(IntentValueKind.Entity);

    /// <summary>The items of a set, in insertion order; throws when the value is not a set.</summary>
    /// <exception cref="InvalidOperationException">The value is of another kind.</exception>
    public IReadOnlyList<IntentValue> AsSet() => Kind == IntentValueKind.Set ? (ImmutableArray<IntentValue>)_reference! : throw WrongKind(IntentValueKind.Set);

    /// <summary>The fields of a record, ordered by key (ordinal); throws when the value is not a record.</summary>
    /// <exception cref="InvalidOperationException">The value is of another kind.</exception>
    public IReadOnlyDictionary<string, IntentValue> AsRecord() =>
        Kind == IntentValueKind.Record ? (ImmutableSortedDictionary<string, IntentValue>)_reference! : throw WrongKind(IntentValueKind.Record);

    /// <summary>The decimal scaled by 10,000 (Cedar's fixed four fractional digits); throws for other kinds.</summary>
    /// <exception cref="InvalidOperationException">The value is of another kind.</exception>
    public long AsScaledDecimal() => Kind == IntentValueKind.Decimal ? _number : throw WrongKind(IntentValueKind.Decimal);

    /// <summary>The decimal, exactly; throws when the value is not a decimal.</summary>
    /// <exception cref="InvalidOperationException">The value is of another kind.</exception>
    public decimal AsDecimal() => Kind == IntentValueKind.Decimal ? new decimal(_number) / DecimalScale : throw WrongKind(IntentValueKind.Decimal);

    /// <summary>Converts a string.</summary>
    public static implicit operator IntentValue(string value) => String(value);

    /// <summary>Converts a long.</summary>
    public static implicit operator IntentValue(long value) => Long(value);

    /// <summary>Converts a boolean.</summary>
    public static implicit operator IntentValue(bool value) => Boolean(value);

    /// <summary>Converts an entity reference.</summary>
    public static implicit operator IntentValue(EntityReference value) => Entity(value);

    /// <inheritdoc />
    public bool Equals(IntentValue? other)
    {
        if (other is null || other.Kind != Kind)
        {
            return false;
        }

        return Kind switch
        {
            IntentValueKind.Long or IntentValueKind.Boolean or IntentValueKind.Decimal => _number == other._number,
            IntentValueKind.String => string.Equals((string)_reference!, (string)other._reference!, StringComparison.Ordinal),
            IntentValueKind.Entity => ((EntityReference)_reference!).Equals((EntityReference)other._reference!),
            IntentValueKind.Set => SetEquals((ImmutableArray<IntentValue>)_reference!, (ImmutableArray<IntentValue>)other._reference!),
            IntentValueKind.Record => RecordEquals((ImmutableSortedDictionary<string, IntentValue>)_reference!, (ImmutableSortedDictionary<string, IntentValue>)other._reference!),
            _ => false,
        };
    }

    /// <inheritdoc />
    public override bool Equals(object? obj) => Equals(obj as IntentValue);

    /// <inheritdoc />
    public override int GetHashCode()
    {
        switch (Kind)
        {
            case IntentValueKind.String: return StringComparer.Ordinal.GetHashCode((string)_reference!);
            case IntentValueKind.Entity: return _reference!.GetHashCode();
            case IntentValueKind.Set:
                var setHash = 0;
                foreach (var item in (ImmutableArray<IntentValue>)_reference!)
                {
                    setHash ^= item.GetHashCode(); // order-independent
                }

                return HashCode.Combine(Kind, setHash);
            case IntentValueKind.Record:
                var hash = new HashCode();
                foreach (var pair in (ImmutableSortedDictionary<string, IntentValue>)_reference!)
                {
                    hash.Add(pair.Key, StringComparer.Ordinal);
                    hash.Add(pair.Value);
                }

                return hash.ToHashCode();
            default: return HashCode.Combine(Kind, _number);
        }
    }

    /// <summary>A readable form, Cedar-like; for diagnostics only.</summary>
    public override string ToString() => Kind switch
    {
        IntentValueKind.String => "\"" + (string)_reference! + "\"",
        IntentValueKind.Long => _number.ToString(CultureInfo.InvariantCulture),
        IntentValueKind.Boolean => _number != 0 ? "true" : "false",
        IntentValueKind.Decimal => "decimal(\"" + FormatDecimal(_number) + "\")",
        IntentValueKind.Entity => _reference!.ToString()!,
        IntentValueKind.Set => "[" + string.Join(", ", (ImmutableArray<IntentValue>)_reference!) + "]",
        IntentValueKind.Record => "{" + string.Join(", ", ((ImmutableSortedDictionary<string, IntentValue>)_reference!).Select(p => "\"" + p.Key + "\": " + p.Value)) + "}",
        _ => "?",
    };

    internal static ImmutableSortedDictionary<string, IntentValue> ToSortedMap(IEnumerable<KeyValuePair<string, IntentValue>> fields, string parameterName)
    {
        var builder = ImmutableSortedDictionary.CreateBuilder<string, IntentValue>(StringComparer.Ordinal);
        foreach (var pair in fields)
        {
            ArgumentNullException.ThrowIfNull(pair.Key, parameterName);
            ArgumentNullException.ThrowIfNull(pair.Value, parameterName);
            if (!builder.TryAdd(pair.Key, pair.Value))
            {
                throw new ArgumentException($"The key '{pair.Key}' appears twice.", parameterName);
            }
        }

        return builder.ToImmutable();
    }

    internal static string FormatDecimal(long scaled)
    {
        var integer = scaled / DecimalScale;
        var fraction = Math.Abs(scaled % DecimalScale);
        var sign = scaled < 0 && integer == 0 ? "-" : string.Empty;
        var fractionText = fraction.ToString("D4", CultureInfo.InvariantCulture).TrimEnd('0');
        return sign + integer.ToString(CultureInfo.InvariantCulture) + "." + (fractionText.Length == 0 ? "0" : fractionText);
    }

    internal static bool TryParseDecimal(string text, out long scaled)
    {
        scaled = 0;
        var point = text.IndexOf('.', StringComparison.Ordinal);
        if (point <= 0 || point == text.Length - 1 || text.Length - point - 1 > 4)
        {
            return false;
        }

        var negative = text[0] == '-';
        var integerPart = text.AsSpan(negative ? 1 : 0, point - (negative ? 1 : 0));
        var fractionPart = text.AsSpan(point + 1);
        if (integerPart.Length == 0 || !IsDigits(integerPart) || !IsDigits(fractionPart))
        {
            return false;
        }

        long fraction = long.Parse(fractionPart, NumberStyles.None, CultureInfo.InvariantCulture);
        for (var i = fractionPart.Length; i < 4; i++)
        {
            fraction *= 10;
        }

        try
        {
            checked
            {
                // Accumulate negatively so that long.MinValue-sized decimals stay representable.
                long value = 0;
                foreach (var c in integerPart)
                {
                    value = (value * 10) - (c - '0');
                }

                value = (value * DecimalScale) - fraction;
                scaled = negative ? value : -value;
                return true;
            }
        }
        catch (OverflowException)
        {
            return false;
        }
    }

    private static bool IsDigits(ReadOnlySpan<char> span)
    {
        foreach (var c in span)
        {
            if (!char.IsAsciiDigit(c))
            {
                return false;
            }
        }

        return true;
    }

    private static bool SetEquals(ImmutableArray<IntentValue> left, ImmutableArray<IntentValue> right)
    {
        if (left.Length != right.Length)
        {
            return false;
        }

        foreach (var item in left)
        {
            if (!right.Contains(item))
            {
                return false;
            }
        }

        return true;
    }

    private static bool RecordEquals(ImmutableSortedDictionary<string, IntentValue> left, ImmutableSortedDictionary<string, IntentValue> right)
    {
        if (left.Count != right.Count)
        {
            return false;
        }

        foreach (var pair in left)
        {
            if (!right.TryGetValue(pair.Key, out var other) || !pair.Value.Equals(other))
            {
                return false;
            }
        }

        return true;
    }

    private InvalidOperationException WrongKind(IntentValueKind expected) => new($"The value is a {Kind}, not a {expected}.");
}
