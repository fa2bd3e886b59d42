using System.Text;

namespace GovernedExecution.Policies.Cedar;

internal enum CedarFunction
{
    Contains,
    ContainsAll,
    ContainsAny,
    IsEmpty,
    GetTag,
    HasTag,
    Ip,
    Decimal,
    Datetime,
    Duration,
    IsIpv4,
    IsIpv6,
    IsLoopback,
    IsMulticast,
    IsInRange,
    LessThan,
    LessThanOrEqual,
    GreaterThan,
    GreaterThanOrEqual,
    Offset,
    DurationSince,
    ToDate,
    ToTime,
    ToDays,
    ToHours,
    ToMinutes,
    ToSeconds,
    ToMilliseconds,
}

/// <summary>The signature of a built-in function or method: its name, call style and argument count (receiver included).</summary>
internal sealed class CedarFunctionInfo
{
    private static readonly Dictionary<string, CedarFunctionInfo> ByName = Build();

    private CedarFunctionInfo(CedarFunction function, string name, bool isMethod, int arity)
    {
        Function = function;
        Name = name;
        IsMethod = isMethod;
        Arity = arity;
    }

    public CedarFunction Function { get; }

    public string Name { get; }

    public bool IsMethod { get; }

    /// <summary>Number of arguments, counting the receiver of a method.</summary>
    public int Arity { get; }

    /// <summary>Gets a value indicating whether this is an extension function, whose argument count is checked when it is called.</summary>
    public bool IsExtension => Function >= CedarFunction.Ip;

    public static CedarFunctionInfo? Lookup(string name) => ByName.TryGetValue(name, out var f) ? f : null;

    private static Dictionary<string, CedarFunctionInfo> Build()
    {
        var list = new (CedarFunction F, string N, bool M, int A)[]
        {
            (CedarFunction.Contains, "contains", true, 2),
            (CedarFunction.ContainsAll, "containsAll", true, 2),
            (CedarFunction.ContainsAny, "containsAny", true, 2),
            (CedarFunction.IsEmpty, "isEmpty", true, 1),
            (CedarFunction.GetTag, "getTag", true, 2),
            (CedarFunction.HasTag, "hasTag", true, 2),
            (CedarFunction.Ip, "ip", false, 1),
            (CedarFunction.Decimal, "decimal", false, 1),
            (CedarFunction.Datetime, "datetime", false, 1),
            (CedarFunction.Duration, "duration", false, 1),
            (CedarFunction.IsIpv4, "isIpv4", true, 1),
            (CedarFunction.IsIpv6, "isIpv6", true, 1),
            (CedarFunction.IsLoopback, "isLoopback", true, 1),
            (CedarFunction.IsMulticast, "isMulticast", true, 1),
            (CedarFunction.IsInRange, "isInRange", true, 2),
            (CedarFunction.LessThan, "lessThan", true, 2),
            (CedarFunction.LessThanOrEqual, "lessThanOrEqual", true, 2),
            (CedarFunction.GreaterThan, "greaterThan", true, 2),
            (CedarFunction.GreaterThanOrEqual, "greaterThanOrEqual", true, 2),
            (CedarFunction.Offset, "offset", true, 2),
            (CedarFunction.DurationSince, "durationSince", true, 2),
            (CedarFunction.ToDate, "toDate", true, 1),
            (CedarFunction.ToTime, "toTime", true, 1),
            (CedarFunction.ToDays, "toDays", true, 1),
            (CedarFunction.ToHours, "toHours", true, 1),
            (CedarFunction.ToMinutes, "toMinutes", true, 1),
            (CedarFunction.ToSeconds, "toSeconds", true, 1),
            (CedarFunction.ToMilliseconds, "toMilliseconds", true, 1),
        };
        var d = new Dictionary<string, CedarFunctionInfo>(StringComparer.Ordinal);
        foreach (var (f, n, m, a) in list)
        {
            d[n] = new CedarFunctionInfo(f, n, m, a);
        }

        return d;
    }
}

/// <summary>A call of a built-in function or method; for a method, the receiver is the first argument.</summary>
internal sealed class CallExpr : CedarExpr
{
    public CallExpr(CedarFunctionInfo info, IReadOnlyList<CedarExpr> args)
    {
        Info = info;
        Args = args;
        Over(args);
    }

    public CedarFunctionInfo Info { get; }

    public IReadOnlyList<CedarExpr> Args { get; }

    public static CedarValue Construct(CedarFunction f, string s) => f switch
    {
        CedarFunction.Ip => (CedarValue?)IpValue.TryParse(s) ?? throw new CedarEvaluationException("invalid ip address " + CedarText.Quote(s)),
        CedarFunction.Decimal => (CedarValue?)DecimalValue.TryParse(s) ?? throw new CedarEvaluationException("invalid decimal " + CedarText.Quote(s)),
        CedarFunction.Datetime => (CedarValue?)DatetimeValue.TryParse(s) ?? throw new CedarEvaluationException("invalid datetime " + CedarText.Quote(s)),
        CedarFunction.Duration => (CedarValue?)DurationValue.TryParse(s) ?? throw new CedarEvaluationException("invalid duration " + CedarText.Quote(s)),
        _ => throw new CedarEvaluationException("not a constructor"),
    };

    public override CedarValue Eval(EvalEnv env)
    {
        if (Args.Count != Info.Arity)
        {
            // Extension calls are checked here, after their arguments are evaluated, as the language defines.
            foreach (var arg in Args)
            {
                arg.Eval(env);
            }

            throw new CedarEvaluationException("wrong number of arguments for " + Info.Name);
        }

        var a0 = Args[0].Eval(env);
        switch (Info.Function)
        {
            case CedarFunction.Ip:
            case CedarFunction.Decimal:
            case CedarFunction.Datetime:
            case CedarFunction.Duration:
                return Construct(Info.Function, AsString(a0));
            case CedarFunction.IsEmpty:
                return BoolValue.Of(AsSet(a0).Items.Length == 0);
            case CedarFunction.IsIpv4:
                return BoolValue.Of(!AsIp(a0).IsV6);
            case CedarFunction.IsIpv6:
                return BoolValue.Of(AsIp(a0).IsV6);
            case CedarFunction.IsLoopback:
                return BoolValue.Of(AsIp(a0).IsLoopback());
            case CedarFunction.IsMulticast:
                return BoolValue.Of(AsIp(a0).IsMulticast());
            case CedarFunction.ToDate:
                return ToDate(AsDatetime(a0));
            case CedarFunction.ToTime:
                return ToTime(AsDatetime(a0));
            case CedarFunction.ToDays:
                return LongValue.Of(AsDuration(a0) / DatetimeValue.MsPerDay);
            case CedarFunction.ToHours:
                return LongValue.Of(AsDuration(a0) / 3_600_000);
            case CedarFunction.ToMinutes:
                return LongValue.Of(AsDuration(a0) / 60_000);
            case CedarFunction.ToSeconds:
                return LongValue.Of(AsDuration(a0) / 1000);
            case CedarFunction.ToMilliseconds:
                return LongValue.Of(AsDuration(a0));
            default:
                break;
        }

        // Binary functions. The receiver's type is checked before the argument is evaluated only where that
        // cannot change the outcome: both are evaluated first, then checked left to right.
        var a1 = Args[1].Eval(env);
        switch (Info.Function)
        {
            case CedarFunction.Contains:
                return BoolValue.Of(AsSet(a0).Contains(a1));
            case CedarFunction.ContainsAll:
                {
                    var s = AsSet(a0);
                    foreach (var item in AsSet(a1).Items)
                    {
                        if (!s.Contains(item))
                        {
                            return BoolValue.False;
                        }
                    }

                    return BoolValue.True;
                }

            case CedarFunction.ContainsAny:
                {
                    var s = AsSet(a0);
                    foreach (var item in AsSet(a1).Items)
                    {
                        if (s.Contains(item))
                        {
                            return BoolValue.True;
                        }
                    }

                    return BoolValue.False;
                }

            case CedarFunction.GetTag:
                {
                    var e = AsEntity(a0);
                    var tag = AsString(a1);
                    var ent = env.Entities.Get(e) ?? throw new CedarEvaluationException("entity " + e + " does not exist");
                    return ent.Tags is not null && ent.Tags.TryGetValue(tag, out var v)
                        ? v
                        : throw new CedarEvaluationException("entity " + e + " does not have tag " + CedarText.Quote(tag));
                }

            case CedarFunction.HasTag:
                {
                    var e = AsEntity(a0);
                    var tag = AsString(a1);
                    var ent = env.Entities.Get(e);
                    return BoolValue.Of(ent?.Tags is not null && ent.Tags.ContainsKey(tag));
                }

            case CedarFunction.IsInRange:
                return BoolValue.Of(AsIp(a0).IsInRange(AsIp(a1)));
            case CedarFunction.LessThan:
                return BoolValue.Of(AsDecimal(a0) < AsDecimal(a1));
            case CedarFunction.LessThanOrEqual:
                return BoolValue.Of(AsDecimal(a0) <= AsDecimal(a1));
            case CedarFunction.GreaterThan:
                return BoolValue.Of(AsDecimal(a0) > AsDecimal(a1));
            case CedarFunction.GreaterThanOrEqual:
                return BoolValue.Of(AsDecimal(a0) >= AsDecimal(a1));
            case CedarFunction.Offset:
                {
                    long dt = AsDatetime(a0);
                    long du = AsDuration(a1);
                    long r = dt + du;
                    return ((dt ^ r) & (du ^ r)) < 0 ? throw new CedarEvaluationException("datetime overflow in offset") : new DatetimeValue(r);
                }

            case CedarFunction.DurationSince:
                {
                    long a = AsDatetime(a0);
                    long b = AsDatetime(a1);
                    long r = a - b;
                    return ((a ^ b) & (a ^ r)) < 0 ? throw new CedarEvaluationException("duration overflow in durationSince") : new DurationValue(r);
                }

            default:
                throw new CedarEvaluationException("unsupported function " + Info.Name);
        }
    }

    public override void Write(StringBuilder sb)
    {
        int start = 0;
        if (Info.IsMethod)
        {
            Args[0].Write(sb);
            sb.Append('.');
            start = 1;
        }

        sb.Append(Info.Name).Append('(');
        for (int i = start; i < Args.Count; i++)
        {
            if (i > start)
            {
                sb.Append(", ");
            }

            Args[i].Write(sb);
        }

        sb.Append(')');
    }

    private static IpValue AsIp(CedarValue v) => v as IpValue ?? throw TypeError("ipaddr", v);

    private static long AsDecimal(CedarValue v) => v is DecimalValue d ? d.Scaled : throw TypeError("decimal", v);

    private static long AsDatetime(CedarValue v) => v is DatetimeValue d ? d.Millis : throw TypeError("datetime", v);

    private static long AsDuration(CedarValue v) => v is DurationValue d ? d.Millis : throw TypeError("duration", v);

    private static DatetimeValue ToDate(long ms)
    {
        long rem = ms % DatetimeValue.MsPerDay;
        if (ms >= 0 || rem == 0)
        {
            return new DatetimeValue(ms - rem);
        }

        long r = ms - rem;
        return r < long.MinValue + DatetimeValue.MsPerDay
            ? throw new CedarEvaluationException("datetime overflow in toDate")
            : new DatetimeValue(r - DatetimeValue.MsPerDay);
    }

    private static DurationValue ToTime(long ms)
    {
        long rem = ms % DatetimeValue.MsPerDay;
        return new DurationValue(rem < 0 ? rem + DatetimeValue.MsPerDay : rem);
    }
}
