using System.Globalization;
using System.Text;

namespace GovernedExecution.Policies.Cedar;

/// <summary>A fixed-point decimal with four fractional digits, stored as a scaled long.</summary>
internal sealed class DecimalValue : CedarValue
{
    private const int Digits = 4;

    public DecimalValue(long scaled) => Scaled = scaled;

    public long Scaled { get; }

    public override ValueKind Kind => ValueKind.Decimal;

    public static DecimalValue? TryParse(string s)
    {
        int i = 0;
        bool negative = false;
        if (s.Length > 0 && s[0] == '-')
        {
            negative = true;
            i = 1;
        }

        int intStart = i;
        while (i < s.Length && char.IsAsciiDigit(s[i]))
        {
            i++;
        }

        if (i == intStart || i >= s.Length || s[i] != '.')
        {
            return null;
        }

        int intEnd = i;
        i++;
        int fracStart = i;
        while (i < s.Length && char.IsAsciiDigit(s[i]))
        {
            i++;
        }

        int fracLen = i - fracStart;
        if (i != s.Length || fracLen == 0 || fracLen > Digits)
        {
            return null;
        }

        // Accumulate as a negative number so that the minimum value is representable.
        long acc = 0;
        try
        {
            for (int k = intStart; k < intEnd; k++)
            {
                acc = checked((acc * 10) - (s[k] - '0'));
            }

            for (int k = 0; k < Digits; k++)
            {
                int digit = k < fracLen ? s[fracStart + k] - '0' : 0;
                acc = checked((acc * 10) - digit);
            }

            return new DecimalValue(negative ? acc : checked(-acc));
        }
        catch (OverflowException)
        {
            return null;
        }
    }

    public override bool Equals(CedarValue? other) => other is DecimalValue d && d.Scaled == Scaled;

    public override int GetHashCode() => Scaled.GetHashCode() ^ 0x5bd1e995;

    public override void WriteCedar(StringBuilder sb)
    {
        sb.Append("decimal(");
        CedarText.WriteString(sb, Format());
        sb.Append(')');
    }

    public string Format()
    {
        Int128 v = Scaled;
        bool neg = v < 0;
        if (neg)
        {
            v = -v;
        }

        var whole = (v / 10000).ToString(CultureInfo.InvariantCulture);
        var frac = ((int)(v % 10000)).ToString("D4", CultureInfo.InvariantCulture);
        return (neg ? "-" : string.Empty) + whole + "." + frac;
    }
}

/// <summary>An IPv4 or IPv6 address with a prefix length (a single address has the full length).</summary>
internal sealed class IpValue : CedarValue
{
    public IpValue(bool isV6, UInt128 address, int prefix)
    {
        IsV6 = isV6;
        Address = address;
        Prefix = prefix;
    }

    public bool IsV6 { get; }

    public UInt128 Address { get; }

    public int Prefix { get; }

    public int Width => IsV6 ? 128 : 32;

    public override ValueKind Kind => ValueKind.Ip;

    public UInt128 Network => Prefix == 0 ? UInt128.Zero : Address & ~(HostMask(Width, Prefix));

    public UInt128 Broadcast => Network | HostMask(Width, Prefix);

    public static IpValue? TryParse(string s)
    {
        string addr = s;
        int? prefix = null;
        int slash = s.IndexOf('/', StringComparison.Ordinal);
        if (slash >= 0)
        {
            addr = s[..slash];
            var p = s[(slash + 1)..];
            if (p.Length == 0 || p.Length > 3)
            {
                return null;
            }

            int pv = 0;
            foreach (var c in p)
            {
                if (!char.IsAsciiDigit(c))
                {
                    return null;
                }

                pv = (pv * 10) + (c - '0');
            }

            if (p.Length > 1 && p[0] == '0')
            {
                return null;
            }

            prefix = pv;
        }

        if (addr.Contains(':', StringComparison.Ordinal))
        {
            if (addr.Contains('.', StringComparison.Ordinal) || !TryParseV6(addr, out var a6))
            {
                return null;
            }

            int pl = prefix ?? 128;
            return pl > 128 ? null : new IpValue(true, a6, pl);
        }

        if (!TryParseV4(addr, out var a4))
        {
            return null;
        }

        int pl4 = prefix ?? 32;
        return pl4 > 32 ? null : new IpValue(false, a4, pl4);
    }

    public bool IsInRange(IpValue range)
    {
        if (IsV6 != range.IsV6)
        {
            return false;
        }

        return range.Network <= Network && Broadcast <= range.Broadcast;
    }

    public bool IsLoopback() => IsV6
        ? Address == UInt128.One && Prefix == 128
        : (Address >> 24) == 127 && Prefix >= 8;

    public bool IsMulticast() => IsV6
        ? (Address >> 120) == 0xff && Prefix >= 8
        : (Address >> 28) == 0xe && Prefix >= 4;

    public override bool Equals(CedarValue? other) => other is IpValue i && i.IsV6 == IsV6 && i.Address == Address && i.Prefix == Prefix;

    public override int GetHashCode() => HashCode.Combine(IsV6, Address, Prefix);

    public override void WriteCedar(StringBuilder sb)
    {
        sb.Append("ip(");
        CedarText.WriteString(sb, Format());
        sb.Append(')');
    }

    public string Format()
    {
        var sb = new StringBuilder();
        if (IsV6)
        {
            for (int i = 7; i >= 0; i--)
            {
                sb.Append(((int)((Address >> (i * 16)) & 0xffff)).ToString("x", CultureInfo.InvariantCulture));
                if (i > 0)
                {
                    sb.Append(':');
                }
            }
        }
        else
        {
            for (int i = 3; i >= 0; i--)
            {
                sb.Append(((int)((Address >> (i * 8)) & 0xff)).ToString(CultureInfo.InvariantCulture));
                if (i > 0)
                {
                    sb.Append('.');
                }
            }
        }

        if (Prefix != Width)
        {
            sb.Append('/').Append(Prefix.ToString(CultureInfo.InvariantCulture));
        }

        return sb.ToString();
    }

    private static UInt128 HostMask(int width, int prefix)
    {
        int hostBits = width - prefix;
        return hostBits == 0 ? UInt128.Zero : (hostBits == 128 ? UInt128.MaxValue : (UInt128.One << hostBits) - 1);
    }

    private static bool TryParseV4(string s, out UInt128 value)
    {
        value = 0;
        var parts = s.Split('.');
        if (parts.Length != 4)
        {
            return false;
        }

        uint acc = 0;
        foreach (var part in parts)
        {
            if (part.Length == 0 || part.Length > 3 || (part.Length > 1 && part[0] == '0'))
            {
                return false;
            }

            int v = 0;
            foreach (var c in part)
            {
                if (!char.IsAsciiDigit(c))
                {
                    return false;
                }

                v = (v * 10) + (c - '0');
            }

            if (v > 255)
            {
                return false;
            }

            acc = (acc << 8) | (uint)v;
        }

        value = acc;
        return true;
    }

    private static bool TryParseV6(string s, out UInt128 value)
    {
        value = 0;
        int dbl = s.IndexOf("::", StringComparison.Ordinal);
        if (dbl >= 0 && s.IndexOf("::", dbl + 1, StringComparison.Ordinal) >= 0)
        {
            return false;
        }

        List<ushort>? head;
        List<ushort>? tail;
        if (dbl >= 0)
        {
            head = ParseGroups(s[..dbl]);
            tail = ParseGroups(s[(dbl + 2)..]);
            if (head is null || tail is null || head.Count + tail.Count > 7)
            {
                return false;
            }
        }
        else
        {
            head = ParseGroups(s);
            tail = [];
            if (head is null || head.Count != 8)
            {
                return false;
            }
        }

        var groups = new ushort[8];
        for (int i = 0; i < head.Count; i++)
        {
            groups[i] = head[i];
        }

        for (int i = 0; i < tail.Count; i++)
        {
            groups[8 - tail.Count + i] = tail[i];
        }

        UInt128 acc = 0;
        foreach (var g in groups)
        {
            acc = (acc << 16) | g;
        }

        value = acc;
        return true;
    }

    private static List<ushort>? ParseGroups(string s)
    {
        var list = new List<ushort>();
        if (s.Length == 0)
        {
            return list;
        }

        foreach (var part in s.Split(':'))
        {
            if (part.Length == 0 || part.Length > 4)
            {
                return null;
            }

            int v = 0;
            foreach (var c in part)
            {
                if (!char.IsAsciiHexDigit(c))
                {
                    return null;
                }

                v = (v * 16) + Convert.ToInt32(c.ToString(), 16);
            }

            list.Add((ushort)v);
        }

        return list;
    }
}

/// <summary>An instant as milliseconds since the Unix epoch.</summary>
internal sealed class DatetimeValue : CedarValue
{
    public const long MsPerDay = 86_400_000;

    public DatetimeValue(long millis) => Millis = millis;

    public long Millis { get; }

    public override ValueKind Kind => ValueKind.Datetime;

    public static DatetimeValue? TryParse(string s)
    {
        // YYYY-MM-DD[Thh:mm:ss[.SSS](Z|(+|-)hhmm)]
        if (s.Length < 10 || !Digits(s, 0, 4) || s[4] != '-' || !Digits(s, 5, 2) || s[7] != '-' || !Digits(s, 8, 2))
        {
            return null;
        }

        int year = Num(s, 0, 4), month = Num(s, 5, 2), day = Num(s, 8, 2);
        if (month < 1 || month > 12 || day < 1 || day > DaysInMonth(year, month))
        {
            return null;
        }

        long days = DaysFromCivil(year, month, day);
        long ms = days * MsPerDay;
        if (s.Length == 10)
        {
            return new DatetimeValue(ms);
        }

        if (s.Length < 20 || s[10] != 'T' || !Digits(s, 11, 2) || s[13] != ':' || !Digits(s, 14, 2) || s[16] != ':' || !Digits(s, 17, 2))
        {
            return null;
        }

        int hh = Num(s, 11, 2), mm = Num(s, 14, 2), ss = Num(s, 17, 2);
        if (hh > 23 || mm > 59 || ss > 59)
        {
            return null;
        }

        ms += (((hh * 60L) + mm) * 60L + ss) * 1000L;
        int i = 19;
        if (s[i] == '.')
        {
            if (!Digits(s, i + 1, 3))
            {
                return null;
            }

            ms += Num(s, i + 1, 3);
            i += 4;
        }

        if (i >= s.Length)
        {
            return null;
        }

        if (s[i] == 'Z')
        {
            return i + 1 == s.Length ? new DatetimeValue(ms) : null;
        }

        if ((s[i] == '+' || s[i] == '-') && i + 5 == s.Length && Digits(s, i + 1, 4))
        {
            int oh = Num(s, i + 1, 2), om = Num(s, i + 3, 2);
            if (oh > 23 || om > 59)
            {
                return null;
            }

            long offset = ((oh * 60L) + om) * 60_000L;
            return new DatetimeValue(s[i] == '+' ? ms - offset : ms + offset);
        }

        return null;
    }

    public override bool Equals(CedarValue? other) => other is DatetimeValue d && d.Millis == Millis;

    public override int GetHashCode() => Millis.GetHashCode() ^ 0x1234567;

    public override void WriteCedar(StringBuilder sb)
    {
        // Values outside the textual range are written as an offset from the epoch.
        sb.Append("datetime(\"1970-01-01\").offset(duration(");
        CedarText.WriteString(sb, Millis.ToString(CultureInfo.InvariantCulture) + "ms");
        sb.Append("))");
    }

    public string FormatIso()
    {
        long days = Millis >= 0 ? Millis / MsPerDay : -((-(Millis + 1) / MsPerDay) + 1);
        long rem = Millis - (days * MsPerDay);
        CivilFromDays(days, out long y, out int m, out int d);
        return string.Create(CultureInfo.InvariantCulture, $"{y:D4}-{m:D2}-{d:D2}T{rem / 3_600_000:D2}:{rem / 60_000 % 60:D2}:{rem / 1000 % 60:D2}.{rem % 1000:D3}Z");
    }

    private static bool Digits(string s, int start, int count)
    {
        if (start + count > s.Length)
        {
            return false;
        }

        for (int i = start; i < start + count; i++)
        {
            if (!char.IsAsciiDigit(s[i]))
            {
                return false;
            }
        }

        return true;
    }

    private static int Num(string s, int start, int count)
    {
        int v = 0;
        for (int i = start; i < start + count; i++)
        {
            v = (v * 10) + (s[i] - '0');
        }

        return v;
    }

    private static bool IsLeap(int y) => (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

    private static int DaysInMonth(int y, int m) => m switch
    {
        2 => IsLeap(y) ? 29 : 28,
        4 or 6 or 9 or 11 => 30,
        _ => 31,
    };

    private static long DaysFromCivil(long y, int m, int d)
    {
        y -= m <= 2 ? 1 : 0;
        long era = (y >= 0 ? y : y - 399) / 400;
        long yoe = y - (era * 400);
        long doy = ((153 * (m + (m > 2 ? -3 : 9))) + 2) / 5 + d - 1;
        long doe = (yoe * 365) + (yoe / 4) - (yoe / 100) + doy;
        return (era * 146097) + doe - 719468;
    }

    private static void CivilFromDays(long z, out long y, out int m, out int d)
    {
        z += 719468;
        long era = (z >= 0 ? z : z - 146096) / 146097;
        long doe = z - (era * 146097);
        long yoe = (doe - (doe / 1460) + (doe / 36524) - (doe / 146096)) / 365;
        y = yoe + (era * 400);
        long doy = doe - ((365 * yoe) + (yoe / 4) - (yoe / 100));
        long mp = ((5 * doy) + 2) / 153;
        d = (int)(doy - (((153 * mp) + 2) / 5) + 1);
        m = (int)(mp < 10 ? mp + 3 : mp - 9);
        y += m <= 2 ? 1 : 0;
    }
}

/// <summary>A duration in milliseconds.</summary>
internal sealed class DurationValue : CedarValue
{
    public DurationValue(long millis) => Millis = millis;

    public long Millis { get; }

    public override ValueKind Kind => ValueKind.Duration;

    public static DurationValue? TryParse(string s)
    {
        int i = 0;
        bool negative = false;
        if (s.Length > 0 && s[0] == '-')
        {
            negative = true;
            i = 1;
        }

        if (i >= s.Length)
        {
            return null;
        }

        Int128 total = 0;
        int lastUnit = -1;
        while (i < s.Length)
        {
            int start = i;
            Int128 qty = 0;
            while (i < s.Length && char.IsAsciiDigit(s[i]))
            {
                qty = (qty * 10) + (s[i] - '0');
                if (qty > long.MaxValue + (Int128)1)
                {
                    return null;
                }

                i++;
            }

            if (i == start || i >= s.Length)
            {
                return null;
            }

            int unit;
            long factor;
            switch (s[i])
            {
                case 'd':
                    unit = 0;
                    factor = DatetimeValue.MsPerDay;
                    i++;
                    break;
                case 'h':
                    unit = 1;
                    factor = 3_600_000;
                    i++;
                    break;
                case 'm' when i + 1 < s.Length && s[i + 1] == 's':
                    unit = 4;
                    factor = 1;
                    i += 2;
                    break;
                case 'm':
                    unit = 2;
                    factor = 60_000;
                    i++;
                    break;
                case 's':
                    unit = 3;
                    factor = 1000;
                    i++;
                    break;
                default:
                    return null;
            }

            if (unit <= lastUnit)
            {
                return null;
            }

            lastUnit = unit;
            total += qty * factor;
            if (total > long.MaxValue + (Int128)1)
            {
                return null;
            }
        }

        if (negative)
        {
            total = -total;
        }

        return total < long.MinValue || total > long.MaxValue ? null : new DurationValue((long)total);
    }

    public override bool Equals(CedarValue? other) => other is DurationValue d && d.Millis == Millis;

    public override int GetHashCode() => Millis.GetHashCode() ^ 0x7654321;

    public override void WriteCedar(StringBuilder sb)
    {
        sb.Append("duration(");
        CedarText.WriteString(sb, Millis.ToString(CultureInfo.InvariantCulture) + "ms");
        sb.Append(')');
    }
}
