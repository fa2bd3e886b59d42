using System.Globalization;

namespace GovernedExecution.Tests.Policies.Cedar.Differential;

/// <summary>
/// Generates random, well-formed Cedar test cases (policies, entities, requests), deterministically for a seed. Attribute
/// names have a fixed kind most of the time, so that a good share of conditions type-check and hold; the rest make
/// errors (missing attributes, wrong types, overflow, bad extension literals) or simply do not apply.
/// </summary>
internal sealed class CedarCaseGenerator
{
    private const long JsSafe = 9_007_199_254_740_991;

    /// <summary>How often an extension value in entity or context data is invalid (the whole input is then refused).</summary>
    private const double Bad = 0.002;

    private static readonly (string Name, GenKind Kind)[] AttributePool =
    [
        ("flag", GenKind.Bool), ("level", GenKind.Long), ("name", GenKind.String), ("roles", GenKind.Set), ("owner", GenKind.Entity),
        ("meta", GenKind.Record), ("amount", GenKind.Decimal), ("addr", GenKind.Ip), ("at", GenKind.Datetime), ("ttl", GenKind.Duration),
        ("first name", GenKind.String), ("nums", GenKind.Set), ("friends", GenKind.Set), ("ref", GenKind.Record),
    ];

    private static readonly string[] TypeNames = ["User", "Group", "Doc", "Folder", "Team"];
    private static readonly string[] Namespaces = ["App", "A::B", "Ns1"];
    private static readonly string[] Ids = ["alice", "bob", "carol", "", "ü名", "a\"b", "x\\y", "sp ace", "0", "tab\there", "😀", "dave"];
    private static readonly string[] ActionIds = ["read", "write", "delete", "all", "admin ops", "list"];
    private static readonly string[] TagKeys = ["k", "env", "level", "a b"];

    private static readonly string[] Strings =
    [
        "", "a", "alice", "bob", "hello world", "a*b", "tab\tx", "quote\"q", "back\\slash", "ü", "名前", "emoji😀", "nul\0x", "*", "line\nbreak",
        "admin", "abc", "ab", "x'y", "\u007f", "10.0.0.1", "1.5", "2024-01-01", "1h30m", "::1", "-0.5",
    ];

    private static readonly long[] TextLongs = [long.MaxValue, long.MinValue, long.MaxValue - 1, 4_611_686_018_427_387_904, -4_611_686_018_427_387_904, 3_037_000_500];
    private static readonly long[] Longs = [0, 1, 2, 3, 5, -1, -7, 42, 100, JsSafe, -JsSafe, 1L << 40, -(1L << 40)];

    private static readonly string[] Decimals = ["0.0", "1.5", "-2.25", "123.4567", "922337203685477.5807", "-922337203685477.5808", "1.0", "00.000", "1.5000", "01.50", "-0.0", "0.0001", "-1.5"];
    private static readonly string[] BadDecimals = ["1.23456", "abc", "1", "1.", ".5", "922337203685477.5808", "1.0.0"];
    private static readonly string[] Ips =
    [
        "127.0.0.1", "10.0.0.1", "192.168.1.0/24", "10.0.0.0/8", "::1", "ff02::1", "2001:db8::/32", "224.0.0.1", "0.0.0.0", "::", "10.1.2.3/32",
        "127.0.0.0/8", "fe80::1/64", "192.168.1.7", "10.0.0.1/32", "10.0.0.1/24", "10.0.0.0/24", "::1/128", "0:0:0:0:0:0:0:1", "10.0.0.1/0", "255.255.255.255", "FF02::1", "2001:DB8::1/48", "::/0",
    ];

    private static readonly string[] BadIps = ["1.2.3", "10.0.0.1/33", "::1/129", "01.2.3.4", "1.2.3.4 ", "::1%eth0", "1.2.3.4/-1", "1.2.3.4/08", "::ffff:127.0.0.1"];
    private static readonly string[] Datetimes =
    [
        "2024-01-01", "2024-10-15T11:35:00Z", "2024-10-15T11:35:00.123Z", "2024-10-15T11:35:00+0100", "2024-10-15T11:35:00.000-2359", "1970-01-01",
        "0001-01-01", "9999-12-31T23:59:59Z", "2000-02-29", "1969-12-31T23:59:59.999Z", "2024-10-15T12:35:00+0100", "2024-10-15T11:35:00.000Z", "1969-12-31", "1969-12-31T12:00:00-2359", "0001-01-01T00:00:00+2359",
    ];

    private static readonly string[] BadDatetimes = ["2024-02-30", "2024-01-01T00:00:00", "2024-10-15Z", "2024-1-01", "2016-12-31T23:59:60.000Z", "2024-01-01T24:00:00Z", "2024-01-01T00:00:00+2400"];
    private static readonly string[] Durations = ["1h", "2h30m", "-1d12h", "1d2h3m4s5ms", "0ms", "90m", "-5s", "1d", "500ms", "9223372036854775807ms", "-9223372036854775808ms", "1h30m", "5400000ms", "-1ms", "106751991167d", "2562047788015215h", "0d0h0m0s0ms"];
    private static readonly string[] DataDurations = ["1h", "2h30m", "-1d12h", "1d2h3m4s5ms", "0ms", "90m", "-5s", "1d", "500ms", "1h30m", "-1ms", "5400000ms"];
    private static readonly string[] BadDurations = ["1s1d", "", "d", "1s1s", "1d9223372036854775807ms", "1.5h", "1h ", "-1d-1s", "9223372036854775808ms"];

    private readonly Random _r;
    private List<string> _types = [];
    private string _actionType = "Action";
    private List<GenUid> _uids = [];
    private List<GenUid> _actions = [];
    private List<GenUid> _related = [];

    private readonly bool _parserGaps;

    /// <summary>Creates a generator.</summary>
    /// <param name="seed">The seed: the same seed gives the same cases.</param>
    /// <param name="parserGaps">
    /// Also write syntax on which the parser once differed from Cedar's (kept in regressions.json): <c>\u{2a}</c> for
    /// a wildcard in <c>like</c>, reserved words as record keys, trailing commas. On unless GOVEXEC_DIFF_PARSER_GAPS=0.
    /// </param>
    public CedarCaseGenerator(int seed, bool parserGaps = false)
    {
        _r = new Random(seed);
        _parserGaps = parserGaps;
    }

    public GenCase Next(string name)
    {
        var ns = Chance(0.3) ? Pick(Namespaces) + "::" : string.Empty;
        _types = TypeNames.OrderBy(_ => _r.Next()).Take(_r.Next(2, 5)).Select(t => Chance(0.25) ? Pick(Namespaces) + "::" + t : ns + t).ToList();
        _actionType = Chance(0.2) ? Pick(Namespaces) + "::Action" : "Action";
        var entities = new List<GenEntity>();
        _uids = [];
        foreach (var t in _types)
        {
            foreach (var id in Ids.OrderBy(_ => _r.Next()).Take(_r.Next(1, 4)))
            {
                _uids.Add(new GenUid(t, id));
            }
        }

        _uids = _uids.OrderBy(_ => _r.Next()).ToList();
        _actions = ActionIds.OrderBy(_ => _r.Next()).Take(_r.Next(2, 5)).Select(a => new GenUid(_actionType, a)).ToList();

        // Parents only among earlier entities: no cycles; often the one just before, for deep chains.
        for (int i = 0; i < _uids.Count; i++)
        {
            var parents = new List<GenUid>();
            if (i > 0 && Chance(0.5))
            {
                parents.Add(_uids[i - 1]);
            }

            for (int n = _r.Next(0, 3); n > 0 && i > 0; n--)
            {
                var p = _uids[_r.Next(i)];
                if (!parents.Contains(p))
                {
                    parents.Add(p);
                }
            }

            if (Chance(0.1))
            {
                parents.Add(new GenUid(Pick(_types), "ghost"));
            }

            if (Chance(0.08))
            {
                continue; // referenced, but not in the store
            }

            entities.Add(new GenEntity { Uid = _uids[i], Attrs = Attributes(2), Parents = parents, Tags = Chance(0.3) ? Tags() : null });
        }

        for (int i = 0; i < _actions.Count; i++)
        {
            var parents = i > 0 && Chance(0.6) ? new List<GenUid> { _actions[_r.Next(i)] } : [];
            if (Chance(0.9))
            {
                entities.Add(new GenEntity { Uid = _actions[i], Parents = parents, Attrs = Chance(0.3) ? Attributes(1) : [] });
            }
        }

        var requests = new List<GenRequest>();
        for (int n = _r.Next(2, 6); n > 0; n--)
        {
            requests.Add(new GenRequest(RequestUid(), Chance(0.95) ? Pick(_actions) : new GenUid(_actionType, "unknown"), RequestUid(), Attributes(1)));
        }

        // Scopes and entity literals lean towards the requests' entities and their ancestors, so that policies apply.
        var parentsOf = entities.ToDictionary(e => e.Uid, e => e.Parents);
        _related = [];
        foreach (var uid in requests.SelectMany(r => new[] { r.Principal, r.Resource }))
        {
            var at = uid;
            for (int hop = 0; hop < 6; hop++)
            {
                _related.Add(at);
                if (!parentsOf.TryGetValue(at, out var ps) || ps.Count == 0)
                {
                    break;
                }

                at = Pick(ps);
            }
        }

        var policies = new List<GenPolicy>();
        for (int n = _r.Next(1, 6); n > 0; n--)
        {
            policies.Add(Policy());
        }

        return new GenCase(name, policies, entities, requests);
    }

    private GenUid SomeUid() => Chance(0.6) && _related.Count > 0 ? Pick(_related) : Pick(_uids);

    private GenUid RequestUid() => Chance(0.9) ? Pick(_uids) : new GenUid(Pick(_types), Pick(Ids) + "?");

    private bool Chance(double p) => _r.NextDouble() < p;

    private T Pick<T>(IReadOnlyList<T> items) => items[_r.Next(items.Count)];

    // ---- data ----
    private List<KeyValuePair<string, GenValue>> Attributes(int depth)
    {
        var list = new List<KeyValuePair<string, GenValue>>();
        foreach (var (name, kind) in AttributePool)
        {
            if (Chance(0.6))
            {
                list.Add(new(name, Value(Chance(0.05) ? RandomKind() : kind, depth, name)));
            }
        }

        int at = list.FindIndex(a => a.Key == "ref");
        if (at >= 0 && Chance(0.7))
        {
            list[at] = new("ref", GenValue.TypeIdRecord(Pick(_types), Pick(Ids)));
        }

        return list;
    }

    private List<KeyValuePair<string, GenValue>> Tags()
    {
        var list = new List<KeyValuePair<string, GenValue>>();
        foreach (var k in TagKeys)
        {
            if (Chance(0.5))
            {
                list.Add(new(k, Chance(0.6) ? GenValue.OfString(Pick(Strings)) : Chance(0.7) ? GenValue.OfLong(SmallLong()) : Value(RandomKind(), 1, k)));
            }
        }

        return list;
    }

    private GenKind RandomKind() => (GenKind)_r.Next(10);

    private long SmallLong() => Chance(0.7) ? _r.Next(-2, 8) : Pick(Longs);

    private GenValue Value(GenKind kind, int depth, string hint = "") => kind switch
    {
        GenKind.Bool => GenValue.OfBool(Chance(0.6)),
        GenKind.Long => GenValue.OfLong(SmallLong()),
        GenKind.String => GenValue.OfString(Pick(Strings)),
        GenKind.Entity => GenValue.OfEntity(Chance(0.85) ? Pick(_uids) : new GenUid(Pick(_types), "nobody")),
        GenKind.Set => GenValue.OfSet(Enumerable.Range(0, _r.Next(0, 4)).Select(_ => Value(SetElementKind(hint), depth - 1)).ToList()),
        GenKind.Record => depth <= 0 ? GenValue.OfRecord([]) : GenValue.OfRecord(RecordFields(depth)),
        GenKind.Decimal => GenValue.OfExtension(kind, Chance(Bad) ? Pick(BadDecimals) : Pick(Decimals)),
        GenKind.Ip => GenValue.OfExtension(kind, Chance(Bad) ? Pick(BadIps) : Pick(Ips)),
        GenKind.Datetime => GenValue.OfExtension(kind, Chance(Bad) ? Pick(BadDatetimes) : Pick(Datetimes)),
        _ => GenValue.OfExtension(kind, Chance(Bad) ? Pick(BadDurations) : PickJsonDuration()),
    };

    /// <summary>Durations for entity and context data: the extremes of <see cref="Durations"/> would refuse whole inputs.</summary>
    private string PickJsonDuration() => Chance(0.01) ? Pick(Durations) : Pick(DataDurations);

    private GenKind SetElementKind(string hint) => hint switch
    {
        "roles" => GenKind.String,
        "nums" => GenKind.Long,
        "friends" => GenKind.Entity,
        _ => Chance(0.8) ? Pick(new[] { GenKind.String, GenKind.Long, GenKind.Entity }) : RandomKind(),
    };

    private List<KeyValuePair<string, GenValue>> RecordFields(int depth)
    {
        var list = new List<KeyValuePair<string, GenValue>>();
        if (Chance(0.7))
        {
            list.Add(new("n", Value(GenKind.Long, depth - 1)));
        }

        if (Chance(0.7))
        {
            list.Add(new("on", Value(GenKind.Bool, depth - 1)));
        }

        if (Chance(0.5))
        {
            list.Add(new("s", Value(GenKind.String, depth - 1)));
        }

        if (Chance(0.5))
        {
            list.Add(new("deep", Value(GenKind.Record, depth - 1)));
        }

        if (Chance(0.2))
        {
            list.Add(new("x y", Value(RandomKind(), depth - 1)));
        }

        return list;
    }

    // ---- policies ----
    private GenPolicy Policy()
    {
        var clauses = new List<GenClause>();
        for (int n = _r.Next(0, 3); n > 0; n--)
        {
            clauses.Add(new GenClause(Chance(0.8), Bool(_r.Next(1, 4))));
        }

        var annotation = Chance(0.1) ? "@id(" + GenText.Quote(Pick(Strings)) + ")\n" : string.Empty;
        return new GenPolicy(Chance(0.7), Scope("principal"), ActionScope(), Scope("resource"), clauses, annotation);
    }

    private string Scope(string variable)
    {
        double x = _r.NextDouble();
        return x switch
        {
            < 0.4 => variable,
            < 0.55 => variable + " == " + SomeUid().ToCedar(),
            < 0.75 => variable + " in " + SomeUid().ToCedar(),
            < 0.9 => variable + " is " + SomeType(),
            _ => variable + " is " + SomeType() + " in " + SomeUid().ToCedar(),
        };
    }

    private string SomeType() => Chance(0.6) && _related.Count > 0 ? Pick(_related).Type : Pick(_types);

    private string ActionScope()
    {
        double x = _r.NextDouble();
        return x switch
        {
            < 0.4 => "action",
            < 0.6 => "action == " + Pick(_actions).ToCedar(),
            < 0.8 => "action in " + Pick(_actions).ToCedar(),
            _ => "action in [" + string.Join(", ", _actions.OrderBy(_ => _r.Next()).Take(_r.Next(0, 3)).Select(a => a.ToCedar())) + "]",
        };
    }

    // ---- expressions ----
    private static GenExpr Node(GenKind kind, int precedence, string template, params (GenExpr, int)[] children) => new(kind, precedence, template, children);

    private static string M(int i) => GenExpr.Mark(i);

    private GenExpr Variable() => Pick(new[] { "principal", "resource", "context", "principal", "resource", "principal", "resource", "context", "action" }) switch
    {
        var v => GenExpr.Leaf(v == "context" ? GenKind.Record : GenKind.Entity, v),
    };

    /// <summary>An attribute holder: a variable, or sometimes an entity reached through an attribute.</summary>
    private GenExpr Holder(int depth)
    {
        if (depth > 0 && Chance(0.15))
        {
            return Access(Variable(), "owner", GenKind.Entity);
        }

        if (depth > 0 && Chance(0.1))
        {
            return Access(Variable(), "meta", GenKind.Record);
        }

        return Variable();
    }

    private GenExpr Access(GenExpr holder, string attr, GenKind kind) =>
        GenText.IsIdentifier(attr) && Chance(0.85)
            ? Node(kind, GenExpr.Primary, M(0) + "." + attr, (holder, GenExpr.Primary))
            : Node(kind, GenExpr.Primary, M(0) + "[" + GenText.Quote(attr) + "]", (holder, GenExpr.Primary));

    private (string Name, GenKind Kind) AttributeOf(GenKind kind)
    {
        var candidates = AttributePool.Where(a => a.Kind == kind).ToArray();
        return candidates.Length > 0 && Chance(0.9) ? Pick(candidates) : Pick(AttributePool);
    }

    private GenExpr Attribute(GenKind kind, int depth)
    {
        var holder = Holder(depth);
        if (holder.Kind == GenKind.Record && holder.Template != "context" && Chance(0.8))
        {
            // meta.n / meta.on / meta.s / meta.deep
            var field = kind switch { GenKind.Long => "n", GenKind.Bool => "on", GenKind.String => "s", GenKind.Record => "deep", _ => "x y" };
            return Access(holder, field, kind);
        }

        var (name, _) = AttributeOf(kind);
        return Access(holder, name, kind);
    }

    public GenExpr Expr(GenKind kind, int depth)
    {
        if (Chance(0.03))
        {
            kind = RandomKind(); // a type error, most of the time
        }

        if (depth <= 0 || Chance(0.2))
        {
            return Chance(0.5) ? Literal(kind) : Attribute(kind, depth);
        }

        if (Chance(0.06))
        {
            return Node(kind, GenExpr.If, "if " + M(0) + " then " + M(1) + " else " + M(2), (Bool(depth - 1), GenExpr.If), (Expr(kind, depth - 1), GenExpr.If), (Expr(kind, depth - 1), GenExpr.If));
        }

        if (Chance(0.03))
        {
            var inner = Expr(kind, depth - 1);
            return Node(kind, GenExpr.Primary, "{f: " + M(0) + ", g: " + M(1) + "}.f", (inner, GenExpr.If), (Expr(RandomKind(), depth - 1), GenExpr.If));
        }

        if (Chance(0.05) && kind is GenKind.String or GenKind.Long or GenKind.Set)
        {
            return Node(kind, GenExpr.Primary, M(0) + ".getTag(" + M(1) + ")", (Holder(0), GenExpr.Primary), (TagKey(depth - 1), GenExpr.If));
        }

        return kind switch
        {
            GenKind.Bool => Bool(depth),
            GenKind.Long => Long(depth),
            GenKind.String => Chance(0.5) ? Literal(kind) : Attribute(kind, depth),
            GenKind.Set => Set(depth),
            GenKind.Record => Record(depth),
            GenKind.Entity => Entity(depth),
            GenKind.Datetime => Datetime(depth),
            GenKind.Duration => Duration(depth),
            _ => Chance(0.5) ? Literal(kind) : Attribute(kind, depth),
        };
    }

    private GenExpr TagKey(int depth) => Chance(0.8) ? GenExpr.Leaf(GenKind.String, GenText.Quote(Pick(TagKeys))) : Expr(GenKind.String, depth);

    private GenExpr Literal(GenKind kind)
    {
        switch (kind)
        {
            case GenKind.Long:
                {
                    long v = Chance(0.15) ? Pick(TextLongs) : SmallLong();
                    return GenExpr.Leaf(kind, v.ToString(CultureInfo.InvariantCulture), v < 0 ? GenExpr.Unary : GenExpr.Primary);
                }

            case GenKind.Entity:
                return GenExpr.Leaf(kind, (Chance(0.2) ? Pick(_actions) : SomeUid()).ToCedar());
            case GenKind.Decimal:
                return GenExpr.Leaf(kind, "decimal(" + GenText.Quote(Chance(0.1) ? Pick(BadDecimals) : Pick(Decimals)) + ")");
            case GenKind.Ip:
                return GenExpr.Leaf(kind, "ip(" + GenText.Quote(Chance(0.1) ? Pick(BadIps) : Pick(Ips)) + ")");
            case GenKind.Datetime:
                return GenExpr.Leaf(kind, "datetime(" + GenText.Quote(Chance(0.1) ? Pick(BadDatetimes) : Pick(Datetimes)) + ")");
            case GenKind.Duration:
                return GenExpr.Leaf(kind, "duration(" + GenText.Quote(Chance(0.1) ? Pick(BadDurations) : Pick(Durations)) + ")");
            default:
                return GenExpr.Leaf(kind, Value(kind, 2).ToCedar());
        }
    }

    private GenExpr Long(int depth)
    {
        var d = depth - 1;
        return _r.Next(9) switch
        {
            0 => Node(GenKind.Long, GenExpr.Add, M(0) + " + " + M(1), (Expr(GenKind.Long, d), GenExpr.Add), (Expr(GenKind.Long, d), GenExpr.Mul)),
            1 => Node(GenKind.Long, GenExpr.Add, M(0) + " - " + M(1), (Expr(GenKind.Long, d), GenExpr.Add), (Expr(GenKind.Long, d), GenExpr.Mul)),
            2 => Node(GenKind.Long, GenExpr.Mul, M(0) + " * " + M(1), (Expr(GenKind.Long, d), GenExpr.Mul), (Expr(GenKind.Long, d), GenExpr.Unary)),
            3 => Node(GenKind.Long, GenExpr.Unary, "-" + M(0), (Expr(GenKind.Long, d), GenExpr.Primary)),
            4 => Node(GenKind.Long, GenExpr.Primary, M(0) + "." + Pick(new[] { "toMilliseconds", "toSeconds", "toMinutes", "toHours", "toDays" }) + "()", (Expr(GenKind.Duration, d), GenExpr.Primary)),
            5 => Literal(GenKind.Long),
            _ => Attribute(GenKind.Long, depth),
        };
    }

    private GenExpr Set(int depth)
    {
        if (Chance(0.5))
        {
            var holder = Holder(depth);
            return Access(holder, Pick(new[] { "roles", "nums", "friends" }), GenKind.Set);
        }

        var elementKind = Pick(new[] { GenKind.String, GenKind.Long, GenKind.Entity, GenKind.Entity });
        var items = Enumerable.Range(0, _r.Next(0, 4)).Select(_ => (Expr(elementKind, depth - 1), GenExpr.If)).ToArray();
        var trailing = _parserGaps && items.Length > 0 && Chance(0.2) ? "," : string.Empty;
        return Node(GenKind.Set, GenExpr.Primary, "[" + string.Join(", ", items.Select((_, i) => M(i))) + trailing + "]", items);
    }

    private GenExpr Record(int depth)
    {
        if (Chance(0.4))
        {
            return Chance(0.5) ? GenExpr.Leaf(GenKind.Record, "context") : Attribute(GenKind.Record, depth);
        }

        var keys = new[] { "n", "on", "s", "deep", "x y", "if" }.OrderBy(_ => _r.Next()).Take(_r.Next(0, 4)).ToArray();
        var kinds = keys.Select(k => k switch { "n" => GenKind.Long, "on" => GenKind.Bool, "s" => GenKind.String, "deep" => GenKind.Record, _ => RandomKind() }).ToArray();
        var items = keys.Select((k, i) => (Expr(kinds[i], depth - 1), GenExpr.If)).ToArray();
        var trailing = _parserGaps && keys.Length > 0 && Chance(0.2) ? "," : string.Empty;
        return Node(GenKind.Record, GenExpr.Primary, "{" + string.Join(", ", keys.Select((k, i) => (_parserGaps && k == "if" && Chance(0.5) ? k : GenText.Key(k)) + ": " + M(i))) + trailing + "}", items);
    }

    private GenExpr Entity(int depth) => _r.Next(5) switch
    {
        0 => GenExpr.Leaf(GenKind.Entity, Pick(new[] { "principal", "resource", "action" })),
        1 => Literal(GenKind.Entity),
        _ => Attribute(GenKind.Entity, depth),
    };

    private GenExpr Datetime(int depth) => _r.Next(5) switch
    {
        0 => Node(GenKind.Datetime, GenExpr.Primary, M(0) + ".offset(" + M(1) + ")", (Expr(GenKind.Datetime, depth - 1), GenExpr.Primary), (Expr(GenKind.Duration, depth - 1), GenExpr.If)),
        1 => Node(GenKind.Datetime, GenExpr.Primary, M(0) + ".toDate()", (Expr(GenKind.Datetime, depth - 1), GenExpr.Primary)),
        2 => Literal(GenKind.Datetime),
        3 => Node(GenKind.Datetime, GenExpr.Primary, "datetime(" + M(0) + ")", (Expr(GenKind.String, depth - 1), GenExpr.If)),
        _ => Attribute(GenKind.Datetime, depth),
    };

    private GenExpr Duration(int depth) => _r.Next(5) switch
    {
        0 => Node(GenKind.Duration, GenExpr.Primary, M(0) + ".durationSince(" + M(1) + ")", (Expr(GenKind.Datetime, depth - 1), GenExpr.Primary), (Expr(GenKind.Datetime, depth - 1), GenExpr.If)),
        1 => Node(GenKind.Duration, GenExpr.Primary, M(0) + ".toTime()", (Expr(GenKind.Datetime, depth - 1), GenExpr.Primary)),
        2 => Literal(GenKind.Duration),
        _ => Attribute(GenKind.Duration, depth),
    };

    private static readonly GenKind[] Comparable = [GenKind.Long, GenKind.Long, GenKind.Long, GenKind.Datetime, GenKind.Duration, GenKind.Decimal];

    public GenExpr Bool(int depth)
    {
        if (depth <= 0)
        {
            return Chance(0.4) ? GenExpr.Leaf(GenKind.Bool, Chance(0.75) ? "true" : "false") : Attribute(GenKind.Bool, 0);
        }

        var d = depth - 1;
        const GenKind B = GenKind.Bool;
        switch (_r.Next(33))
        {
            case 0:
                return GenExpr.Leaf(B, Chance(0.6) ? "true" : "false");
            case 1:
                return Node(B, GenExpr.Unary, "!" + M(0), (Expr(B, d), GenExpr.Primary));
            case 2:
            case 3:
                return Node(B, GenExpr.And, M(0) + " && " + M(1), (Expr(B, d), GenExpr.And), (Expr(B, d), GenExpr.Rel));
            case 4:
            case 5:
                return Node(B, GenExpr.Or, M(0) + " || " + M(1), (Expr(B, d), GenExpr.Or), (Expr(B, d), GenExpr.And));
            case 6:
            case 7:
                {
                    var k = Pick(Comparable);
                    var op = Pick(new[] { "<", "<=", ">", ">=" });
                    return Node(B, GenExpr.Rel, M(0) + " " + op + " " + M(1), (Expr(k, d), GenExpr.Add), (Expr(k, d), GenExpr.Add));
                }

            case 8:
            case 9:
                {
                    var k = Chance(0.9) ? RandomKind() : GenKind.Long;
                    var right = Chance(0.85) ? Expr(k, d) : Expr(RandomKind(), d);
                    return Node(B, GenExpr.Rel, M(0) + (Chance(0.7) ? " == " : " != ") + M(1), (Expr(k, d), GenExpr.Add), (right, GenExpr.Add));
                }

            case 10:
            case 11:
                {
                    var right = Chance(0.7) ? Expr(GenKind.Entity, d) : Set(d);
                    return Node(B, GenExpr.Rel, M(0) + " in " + M(1), (Expr(GenKind.Entity, d), GenExpr.Add), (right, GenExpr.Add));
                }

            case 12:
            case 13:
                return Has(d);
            case 14:
                {
                    var pattern = LikePattern();
                    return Node(B, GenExpr.Rel, M(0) + " like " + pattern, (Expr(GenKind.String, d), GenExpr.Add));
                }

            case 15:
                return Chance(0.6)
                    ? Node(B, GenExpr.Rel, M(0) + " is " + Pick(_types), (Expr(GenKind.Entity, d), GenExpr.Add))
                    : Node(B, GenExpr.Rel, M(0) + " is " + Pick(_types) + " in " + M(1), (Expr(GenKind.Entity, d), GenExpr.Add), (Chance(0.8) ? Expr(GenKind.Entity, d) : Set(d), GenExpr.Add));
            case 16:
            case 17:
                {
                    var method = Pick(new[] { "contains", "containsAll", "containsAny", "isEmpty" });
                    if (method == "isEmpty")
                    {
                        return Node(B, GenExpr.Primary, M(0) + ".isEmpty()", (Expr(GenKind.Set, d), GenExpr.Primary));
                    }

                    var arg = method == "contains" ? Expr(Pick(new[] { GenKind.String, GenKind.Long, GenKind.Entity }), d) : Expr(GenKind.Set, d);
                    return Node(B, GenExpr.Primary, M(0) + "." + method + "(" + M(1) + ")", (Expr(GenKind.Set, d), GenExpr.Primary), (arg, GenExpr.If));
                }

            case 18:
                return Node(B, GenExpr.Primary, M(0) + ".hasTag(" + M(1) + ")", (Expr(GenKind.Entity, d), GenExpr.Primary), (TagKey(d), GenExpr.If));
            case 19:
                {
                    var method = Pick(new[] { "isIpv4", "isIpv6", "isLoopback", "isMulticast", "isInRange" });
                    return method == "isInRange"
                        ? Node(B, GenExpr.Primary, M(0) + ".isInRange(" + M(1) + ")", (Expr(GenKind.Ip, d), GenExpr.Primary), (Expr(GenKind.Ip, d), GenExpr.If))
                        : Node(B, GenExpr.Primary, M(0) + "." + method + "()", (Expr(GenKind.Ip, d), GenExpr.Primary));
                }

            case 20:
                {
                    var method = Pick(new[] { "lessThan", "lessThanOrEqual", "greaterThan", "greaterThanOrEqual" });
                    return Node(B, GenExpr.Primary, M(0) + "." + method + "(" + M(1) + ")", (Expr(GenKind.Decimal, d), GenExpr.Primary), (Expr(GenKind.Decimal, d), GenExpr.If));
                }

            case 21:
            case 22:
            case 23:
                return Guarded(d);
            case 24:
                return Node(B, GenExpr.If, "if " + M(0) + " then " + M(1) + " else " + M(2), (Expr(B, d), GenExpr.If), (Expr(B, d), GenExpr.If), (Expr(B, d), GenExpr.If));
            case 26:
                {
                    var holder = Holder(d);
                    var reference = Access(holder, "ref", GenKind.Record);
                    return _r.Next(4) switch
                    {
                        0 => Node(B, GenExpr.Rel, M(0) + " == " + M(1), (reference, GenExpr.Add), (Literal(GenKind.Entity), GenExpr.Add)),
                        1 => Node(B, GenExpr.Rel, M(0) + " has " + Pick(new[] { "ref.type", "ref.id", "ref", "ref.__entity" }), (holder, GenExpr.Add)),
                        2 => Node(B, GenExpr.Rel, M(0) + ".id == " + M(1), (reference, GenExpr.Primary), (Literal(GenKind.String), GenExpr.Add)),
                        _ => Node(B, GenExpr.Rel, M(0) + " in " + M(1), (Expr(GenKind.Entity, d), GenExpr.Add), (reference, GenExpr.Add)),
                    };
                }

            case 27:
                {
                    var kind = Pick(new[] { GenKind.Decimal, GenKind.Ip, GenKind.Datetime, GenKind.Duration });
                    var made = Node(kind, GenExpr.Primary, GenValue.ExtensionName(kind) + "(" + M(0) + ")", (Expr(GenKind.String, d), GenExpr.If));
                    return Node(B, GenExpr.Rel, M(0) + " == " + M(1), (made, GenExpr.Add), (Literal(kind), GenExpr.Add));
                }

            case 28:
                {
                    var kind = Pick(new[] { GenKind.Decimal, GenKind.Ip, GenKind.Datetime, GenKind.Duration, GenKind.Set, GenKind.Record });
                    return Node(B, GenExpr.Rel, M(0) + (Chance(0.7) ? " == " : " != ") + M(1), (Literal(kind), GenExpr.Add), (Literal(kind), GenExpr.Add));
                }

            case 29:
                {
                    // A value against an equal one written differently: sets reordered with duplicates, record fields
                    // reordered, extension values in another spelling.
                    var v = Value(Pick(new[] { GenKind.Set, GenKind.Record, GenKind.Set, GenKind.Decimal, GenKind.Ip, GenKind.Datetime, GenKind.Duration }), 2);
                    var w = Chance(0.8) ? Variant(v) : Value(v.Kind, 2);
                    return Node(B, GenExpr.Rel, M(0) + (Chance(0.8) ? " == " : " != ") + M(1), (GenExpr.Leaf(v.Kind, v.ToCedar()), GenExpr.Add), (GenExpr.Leaf(w.Kind, w.ToCedar()), GenExpr.Add));
                }

            case 25:
                return Node(B, GenExpr.Rel, M(0) + " in " + M(1), (GenExpr.Leaf(GenKind.Entity, "action"), GenExpr.Add), (GenExpr.Leaf(GenKind.Set, "[" + string.Join(", ", _actions.Take(_r.Next(1, 3)).Select(a => a.ToCedar())) + "]"), GenExpr.Add));
            default:
                return Attribute(B, depth);
        }
    }

    private static readonly Dictionary<string, string[]> Spellings = new(StringComparer.Ordinal)
    {
        ["1.5"] = ["1.5000", "01.50", "1.50"], ["0.0"] = ["-0.0", "00.000", "0.0000"], ["1.0"] = ["1.0000", "001.0"], ["-2.25"] = ["-2.250", "-02.25"],
        ["10.0.0.1"] = ["10.0.0.1/32", "10.0.0.1/24"], ["::1"] = ["0:0:0:0:0:0:0:1", "::1/128", "::0:1"], ["ff02::1"] = ["FF02::1", "ff02:0::1"],
        ["10.0.0.0/8"] = ["10.1.2.3/8", "10.0.0.0/08"], ["192.168.1.0/24"] = ["192.168.1.7/24"],
        ["2024-10-15T11:35:00Z"] = ["2024-10-15T12:35:00+0100", "2024-10-15T11:35:00.000Z", "2024-10-15T10:35:00-0100"], ["2024-01-01"] = ["2024-01-01T00:00:00Z", "2024-01-01T00:00:00.000+0000"],
        ["1970-01-01"] = ["1969-12-31T23:00:00-0100", "1970-01-01T00:00:00.000Z"],
        ["1h"] = ["60m", "3600s", "3600000ms", "0d1h"], ["2h30m"] = ["150m", "1h90m", "9000s"], ["1d"] = ["24h", "86400000ms"], ["0ms"] = ["0s", "0d", "-0ms"], ["90m"] = ["1h30m", "5400s"],
    };

    private GenValue Variant(GenValue v)
    {
        switch (v.Kind)
        {
            case GenKind.Set:
                {
                    var items = v.Items.Select(Variant).ToList();
                    if (items.Count > 0 && Chance(0.5))
                    {
                        items.Add(Variant(Pick(v.Items)));
                    }

                    return GenValue.OfSet(items.OrderBy(_ => _r.Next()).ToList());
                }

            case GenKind.Record:
                return GenValue.OfRecord(v.Fields.Select(f => new KeyValuePair<string, GenValue>(f.Key, Variant(f.Value))).OrderBy(_ => _r.Next()).ToList());
            case GenKind.Decimal or GenKind.Ip or GenKind.Datetime or GenKind.Duration:
                return Spellings.TryGetValue(v.Text, out var other) ? GenValue.OfExtension(v.Kind, Pick(other)) : v;
            default:
                return v;
        }
    }

    /// <summary><c>v has a</c>, <c>v has "a b"</c>, or the nested form <c>v has a.b</c>.</summary>
    private GenExpr Has(int depth)
    {
        var holder = Holder(depth);
        string path;
        if (Chance(0.25))
        {
            path = Pick(new[] { "meta.n", "meta.deep", "meta.deep.n", "meta.on", "owner.level", "meta.s" });
        }
        else
        {
            var name = Chance(0.1) ? Pick(new[] { "nope", "n", "deep", "x y" }) : Pick(AttributePool).Name;
            path = GenText.IsIdentifier(name) ? name : GenText.Quote(name);
        }

        return Node(GenKind.Bool, GenExpr.Rel, M(0) + " has " + path, (holder, GenExpr.Add));
    }

    /// <summary><c>v has a &amp;&amp; P(v.a)</c>: a condition that is guarded against the missing attribute.</summary>
    private GenExpr Guarded(int depth)
    {
        var holder = Holder(depth);
        var (name, kind) = Pick(AttributePool);
        var access = Access(holder, name, kind);
        var path = GenText.IsIdentifier(name) ? name : GenText.Quote(name);
        var predicate = Predicate(access, kind, depth);
        return Node(GenKind.Bool, GenExpr.And, M(0) + " has " + path + " && " + M(1), (holder, GenExpr.Add), (predicate, GenExpr.Rel));
    }

    private GenExpr Predicate(GenExpr value, GenKind kind, int depth)
    {
        var d = Math.Max(0, depth - 1);
        return kind switch
        {
            GenKind.Bool => value,
            GenKind.Long => Node(GenKind.Bool, GenExpr.Rel, M(0) + " " + Pick(new[] { "<", "<=", ">", ">=", "==", "!=" }) + " " + M(1), (value, GenExpr.Add), (Expr(GenKind.Long, d), GenExpr.Add)),
            GenKind.String => Chance(0.5)
                ? Node(GenKind.Bool, GenExpr.Rel, M(0) + " like " + LikePattern(), (value, GenExpr.Add))
                : Node(GenKind.Bool, GenExpr.Rel, M(0) + " == " + M(1), (value, GenExpr.Add), (Literal(GenKind.String), GenExpr.Add)),
            GenKind.Set => Node(GenKind.Bool, GenExpr.Primary, M(0) + ".contains(" + M(1) + ")", (value, GenExpr.Primary), (Expr(Pick(new[] { GenKind.String, GenKind.Long, GenKind.Entity }), d), GenExpr.If)),
            GenKind.Entity => Node(GenKind.Bool, GenExpr.Rel, M(0) + " in " + M(1), (value, GenExpr.Add), (Expr(GenKind.Entity, d), GenExpr.Add)),
            GenKind.Record => Chance(0.5) ? Node(GenKind.Bool, GenExpr.Rel, M(0) + " has n", (value, GenExpr.Add)) : Node(GenKind.Bool, GenExpr.Rel, M(0) + " == " + M(1), (value, GenExpr.Add), (Record(d), GenExpr.Add)),
            GenKind.Decimal => Node(GenKind.Bool, GenExpr.Primary, M(0) + ".greaterThan(" + M(1) + ")", (value, GenExpr.Primary), (Literal(GenKind.Decimal), GenExpr.If)),
            GenKind.Ip => Node(GenKind.Bool, GenExpr.Primary, M(0) + ".isInRange(" + M(1) + ")", (value, GenExpr.Primary), (Literal(GenKind.Ip), GenExpr.If)),
            GenKind.Datetime => Node(GenKind.Bool, GenExpr.Rel, M(0) + " < " + M(1), (value, GenExpr.Add), (Literal(GenKind.Datetime), GenExpr.Add)),
            _ => Node(GenKind.Bool, GenExpr.Rel, M(0) + " >= " + M(1), (value, GenExpr.Add), (Literal(GenKind.Duration), GenExpr.Add)),
        };
    }

    /// <summary>A <c>like</c> pattern literal: pieces of the string pool, wildcards and escaped stars.</summary>
    private string LikePattern()
    {
        var s = Pick(Strings);
        var sb = new System.Text.StringBuilder("\"");
        foreach (var rune in s.EnumerateRunes())
        {
            if (Chance(0.15))
            {
                sb.Append(_parserGaps && Chance(0.3) ? "\\u{2a}" : "*");
                continue;
            }

            var one = GenText.Quote(rune.ToString());
            sb.Append(rune.Value == '*' ? (Chance(0.7) ? "\\*" : "*") : one[1..^1]);
        }

        if (Chance(0.3))
        {
            sb.Insert(Chance(0.5) ? 1 : sb.Length, '*');
        }

        return sb.Append('"').ToString();
    }
}
