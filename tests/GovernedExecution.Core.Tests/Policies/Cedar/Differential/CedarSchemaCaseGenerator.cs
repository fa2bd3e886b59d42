using System.Globalization;
using System.Text;

namespace GovernedExecution.Tests.Policies.Cedar.Differential;

/// <summary>A type of the generated schema.</summary>
internal sealed record SType(string Tag, string? Entity = null, SType? Element = null, List<SAttr>? Fields = null)
{
    public static readonly SType Bool = new("Bool"), Long = new("Long"), String = new("String");
    public static readonly SType Decimal = new("decimal"), Ip = new("ipaddr"), Datetime = new("datetime"), Duration = new("duration");

    public string ToCedar() => Tag switch
    {
        "Set" => "Set<" + Element!.ToCedar() + ">",
        "Entity" => Entity!,
        "Record" => SAttr.RecordText(Fields!),
        _ => Tag,
    };
}

/// <summary>An attribute of a record or entity type.</summary>
internal sealed record SAttr(string Name, SType Type, bool Optional)
{
    public static string RecordText(IEnumerable<SAttr> fields) =>
        "{" + string.Join(", ", fields.Select(f => GenText.Key(f.Name) + (f.Optional ? "?" : string.Empty) + ": " + f.Type.ToCedar())) + "}";
}

/// <summary>An entity type of the generated schema (an enumerated type when <see cref="Enum"/> is set).</summary>
internal sealed class SEntityType
{
    public required string Name { get; init; }

    public string FullName { get; set; } = string.Empty;

    public List<SAttr> Attrs { get; } = [];

    public List<SEntityType> MemberOf { get; } = [];

    public SType? Tags { get; set; }

    public List<string>? Enum { get; set; }
}

/// <summary>An action of the generated schema (an action group when it applies to nothing).</summary>
internal sealed class SAction
{
    public required string Id { get; init; }

    public List<SAction> MemberOf { get; } = [];

    public List<SEntityType> Principals { get; } = [];

    public List<SEntityType> Resources { get; } = [];

    public List<SAttr> Context { get; } = [];

    public bool IsGroup => Principals.Count == 0;
}

/// <summary>
/// Generates random Cedar schemas (sometimes in a namespace; entity types with attributes, optional attributes, tags
/// and parents; enumerated types; actions with appliesTo and context; action groups), with policies drawn from the
/// schema's vocabulary (mostly well typed; some deliberately not: unknown attributes, unguarded optional attributes and
/// tags, wrong operand types, empty sets, bad extension calls, undeclared types and enumerated ids, scopes no action
/// applies to) and entities and requests that conform to the schema (a few do not). Deterministic for a seed.
/// </summary>
internal sealed class CedarSchemaCaseGenerator
{
    private static readonly string[] TypeNames = ["User", "Group", "Doc", "Folder", "Team"];
    private static readonly string[] AttrNames = ["name", "level", "active", "owner", "roles", "nums", "meta", "addr", "amount", "since", "ttl", "friends", "color", "first name"];
    private static readonly string[] Ids = ["alice", "bob", "carol", "x y", ""];
    private static readonly string[] ActionIds = ["read", "write", "delete", "list", "share"];
    private static readonly string[] GroupIds = ["readOps", "allOps"];
    private static readonly string[] Strings = ["", "a", "alice", "bob", "admin", "a*b", "ü"];
    private static readonly string[] Decimals = ["0.0", "1.5", "-2.25", "123.4567"];
    private static readonly string[] Ips = ["127.0.0.1", "10.0.0.1", "192.168.1.0/24", "::1", "10.0.0.0/8"];
    private static readonly string[] Datetimes = ["2024-01-01", "2024-10-15T11:35:00Z", "1970-01-01"];
    private static readonly string[] Durations = ["1h", "2h30m", "-5s", "0ms", "1d"];
    private static readonly string[] EnumIds = ["red", "green", "blue"];

    private readonly Random _r;
    private string _ns = string.Empty;
    private List<SEntityType> _types = [];
    private List<SAction> _actions = [];
    private List<GenUid> _uids = [];
    private SAction _focus = new() { Id = "none" };

    public CedarSchemaCaseGenerator(int seed) => _r = new Random(seed ^ 0x5C4E3A);

    private bool Chance(double p) => _r.NextDouble() < p;

    private T Pick<T>(IReadOnlyList<T> items) => items[_r.Next(items.Count)];

    private string Q(string name) => _ns + name;

    private GenUid ActionUid(SAction a) => new(Q("Action"), a.Id);

    public GenCase Next(string name)
    {
        _ns = Chance(0.35) ? "App::" : string.Empty;
        BuildTypes();
        BuildActions();
        var entities = BuildEntities();
        var requests = new List<GenRequest>();
        for (int n = _r.Next(2, 5); n > 0; n--)
        {
            requests.Add(Request());
        }

        var policies = new List<GenPolicy>();
        for (int n = _r.Next(1, 5); n > 0; n--)
        {
            policies.Add(Policy());
        }

        return new GenCase(name, policies, entities, requests, SchemaText());
    }

    // ---- schema ----
    private void BuildTypes()
    {
        _types = [];
        foreach (var t in TypeNames.OrderBy(_ => _r.Next()).Take(_r.Next(2, 5)))
        {
            _types.Add(new SEntityType { Name = t, FullName = Q(t) });
        }

        if (Chance(0.4))
        {
            _types.Add(new SEntityType { Name = "Color", FullName = Q("Color"), Enum = EnumIds.Take(_r.Next(1, 4)).ToList() });
        }

        var plain = _types.Where(t => t.Enum is null).ToList();
        for (int i = 0; i < plain.Count; i++)
        {
            var t = plain[i];

            // Parents only among later types: the type hierarchy has no cycles.
            foreach (var p in plain.Skip(i + 1))
            {
                if (Chance(0.4))
                {
                    t.MemberOf.Add(p);
                }
            }

            foreach (var a in AttrNames.OrderBy(_ => _r.Next()).Take(_r.Next(0, 6)))
            {
                t.Attrs.Add(new SAttr(a, AttrType(a), Chance(0.3)));
            }

            if (Chance(0.3))
            {
                t.Tags = Chance(0.6) ? SType.String : SType.Long;
            }
        }
    }

    private SType AttrType(string name) => (Chance(0.1) ? Pick(AttrNames) : name) switch
    {
        "name" or "first name" => SType.String,
        "level" => SType.Long,
        "active" => SType.Bool,
        "owner" => new SType("Entity", Pick(_types.Where(t => t.Enum is null).ToList()).FullName),
        "color" => _types.FirstOrDefault(t => t.Enum is not null) is { } e ? new SType("Entity", e.FullName) : SType.String,
        "roles" => new SType("Set", Element: SType.String),
        "nums" => new SType("Set", Element: SType.Long),
        "friends" => new SType("Set", Element: new SType("Entity", Pick(_types).FullName)),
        "meta" => new SType("Record", Fields: [new SAttr("n", SType.Long, false), new SAttr("s", SType.String, Chance(0.5)), new SAttr("on", SType.Bool, Chance(0.3))]),
        "addr" => SType.Ip,
        "amount" => SType.Decimal,
        "since" => SType.Datetime,
        _ => SType.Duration,
    };

    private void BuildActions()
    {
        _actions = [];
        var groups = GroupIds.Take(_r.Next(0, 3)).Select(g => new SAction { Id = g }).ToList();
        if (groups.Count == 2 && Chance(0.5))
        {
            groups[0].MemberOf.Add(groups[1]);
        }

        foreach (var id in ActionIds.OrderBy(_ => _r.Next()).Take(_r.Next(1, 4)))
        {
            var a = new SAction { Id = id };
            a.Principals.AddRange(_types.Where(t => t.Enum is null).OrderBy(_ => _r.Next()).Take(_r.Next(1, 3)));
            a.Resources.AddRange(_types.OrderBy(_ => _r.Next()).Take(_r.Next(1, 3)));
            foreach (var c in new[] { "n", "ip", "s", "on", "when", "who" }.Where(_ => Chance(0.4)))
            {
                var type = c switch
                {
                    "n" => SType.Long,
                    "ip" => SType.Ip,
                    "s" => SType.String,
                    "on" => SType.Bool,
                    "when" => SType.Datetime,
                    _ => new SType("Entity", Pick(_types).FullName),
                };
                a.Context.Add(new SAttr(c, type, Chance(0.3)));
            }

            foreach (var g in groups.Where(_ => Chance(0.6)))
            {
                a.MemberOf.Add(g);
            }

            _actions.Add(a);
        }

        _actions.AddRange(groups);
    }

    private string SchemaText()
    {
        var sb = new StringBuilder();
        var indent = _ns.Length > 0 ? "  " : string.Empty;
        if (_ns.Length > 0)
        {
            sb.Append("namespace ").Append(_ns[..^2]).Append(" {\n");
        }

        foreach (var t in _types)
        {
            sb.Append(indent).Append("entity ").Append(t.Name);
            if (t.Enum is not null)
            {
                sb.Append(" enum [").Append(string.Join(", ", t.Enum.Select(GenText.Quote))).Append("];\n");
                continue;
            }

            if (t.MemberOf.Count > 0)
            {
                sb.Append(" in [").Append(string.Join(", ", t.MemberOf.Select(p => p.Name))).Append(']');
            }

            sb.Append(Chance(0.5) ? " = " : " ").Append(SAttr.RecordText(t.Attrs));
            if (t.Tags is not null)
            {
                sb.Append(" tags ").Append(t.Tags.ToCedar());
            }

            sb.Append(";\n");
        }

        foreach (var a in _actions)
        {
            sb.Append(indent).Append("action ").Append(GenText.Quote(a.Id));
            if (a.MemberOf.Count > 0)
            {
                sb.Append(" in [").Append(string.Join(", ", a.MemberOf.Select(g => GenText.Quote(g.Id)))).Append(']');
            }

            if (!a.IsGroup)
            {
                sb.Append(" appliesTo {\n").Append(indent).Append("  principal: [").Append(string.Join(", ", a.Principals.Select(p => p.Name))).Append("],\n")
                    .Append(indent).Append("  resource: [").Append(string.Join(", ", a.Resources.Select(p => p.Name))).Append("],\n")
                    .Append(indent).Append("  context: ").Append(SAttr.RecordText(a.Context)).Append('\n').Append(indent).Append('}');
            }

            sb.Append(";\n");
        }

        if (_ns.Length > 0)
        {
            sb.Append("}\n");
        }

        return sb.ToString();
    }

    // ---- data ----
    private List<GenEntity> BuildEntities()
    {
        _uids = [];
        var entities = new List<GenEntity>();

        // Types in reverse order: parents (of later types) are created first.
        var byType = new Dictionary<SEntityType, List<GenUid>>();
        foreach (var t in Enumerable.Reverse(_types))
        {
            if (t.Enum is not null)
            {
                byType[t] = t.Enum.Select(id => new GenUid(t.FullName, id)).ToList();
                _uids.AddRange(byType[t]);
                continue;
            }

            byType[t] = Ids.OrderBy(_ => _r.Next()).Take(_r.Next(1, 4)).Select(id => new GenUid(t.FullName, id)).ToList();
            _uids.AddRange(byType[t]);
        }

        foreach (var t in _types.Where(t => t.Enum is null))
        {
            foreach (var uid in byType[t])
            {
                if (Chance(0.05))
                {
                    continue; // referenced, but not in the store
                }

                var parents = t.MemberOf.SelectMany(p => byType[p]).Where(_ => Chance(0.4)).ToList();
                var attrs = new List<KeyValuePair<string, GenValue>>();
                foreach (var a in t.Attrs)
                {
                    if (!a.Optional || Chance(0.6))
                    {
                        attrs.Add(new(a.Name, Value(a.Type)));
                    }
                }

                if (Chance(0.005) && attrs.Count > 0)
                {
                    attrs.RemoveAt(0); // may miss a required attribute: the entities are refused
                }

                List<KeyValuePair<string, GenValue>>? tags = null;
                if (t.Tags is not null)
                {
                    tags = new[] { "k", "env", "a b" }.Where(_ => Chance(0.5)).Select(k => new KeyValuePair<string, GenValue>(k, Value(t.Tags))).ToList();
                }

                entities.Add(new GenEntity { Uid = uid, Attrs = attrs, Parents = parents, Tags = tags });
            }
        }

        return entities;
    }

    private GenValue Value(SType type, int depth = 2)
    {
        var v = type.Tag switch
        {
            "Bool" => GenValue.OfBool(Chance(0.5)),
            "Long" => GenValue.OfLong(_r.Next(-2, 8)),
            "String" => GenValue.OfString(Pick(Strings)),
            "Entity" => GenValue.OfEntity(EntityOf(type.Entity!)),
            "Set" => GenValue.OfSet(Enumerable.Range(0, _r.Next(0, 3)).Select(_ => Value(type.Element!, depth - 1)).ToList()),
            "Record" => GenValue.OfRecord(type.Fields!.Where(f => !f.Optional || Chance(0.6)).Select(f => new KeyValuePair<string, GenValue>(f.Name, Value(f.Type, depth - 1))).ToList()),
            "decimal" => GenValue.OfExtension(GenKind.Decimal, Pick(Decimals)),
            "ipaddr" => GenValue.OfExtension(GenKind.Ip, Pick(Ips)),
            "datetime" => GenValue.OfExtension(GenKind.Datetime, Pick(Datetimes)),
            _ => GenValue.OfExtension(GenKind.Duration, Pick(Durations)),
        };

        // With a schema, entity references and extension values may leave out __entity and __extn.
        return Chance(0.3) ? v.AsImplicit() : v;
    }

    private GenUid EntityOf(string fullType)
    {
        var candidates = _uids.Where(u => u.Type == fullType).ToList();
        return candidates.Count > 0 && Chance(0.97) ? Pick(candidates) : new GenUid(fullType, "nobody");
    }

    private GenRequest Request()
    {
        var concrete = _actions.Where(a => !a.IsGroup).ToList();
        var a = Pick(concrete);
        var context = new List<KeyValuePair<string, GenValue>>();
        foreach (var c in a.Context)
        {
            if (!c.Optional || Chance(0.6))
            {
                context.Add(new(c.Name, Value(c.Type)));
            }
        }

        if (Chance(0.02))
        {
            context.Add(new("extra", GenValue.OfLong(1))); // not declared: the request is refused
        }

        var principal = Chance(0.95) ? EntityOf(Pick(a.Principals).FullName) : EntityOf(Pick(_types).FullName);
        var resource = EntityOf(Pick(a.Resources).FullName);
        return new GenRequest(principal, ActionUid(a), resource, context);
    }

    // ---- policies ----
    private GenPolicy Policy()
    {
        // Most policies are about one action: their scope and conditions use the types it applies to.
        _focus = Pick(_actions.Where(a => !a.IsGroup).ToList());
        var clauses = new List<GenClause>();
        for (int n = _r.Next(0, 4); n > 0; n--)
        {
            clauses.Add(new GenClause(Chance(0.85), GenExpr.Leaf(GenKind.Bool, Condition(), GenExpr.If)));
        }

        return new GenPolicy(Chance(0.7), Scope("principal", Types("principal")), ActionScope(), Scope("resource", Types("resource")), clauses, string.Empty);
    }

    private List<SEntityType> Types(string variable) =>
        Chance(0.85) ? (variable == "principal" ? _focus.Principals : _focus.Resources) : variable == "principal" ? _types.Where(t => t.Enum is null).ToList() : _types;

    private string Scope(string variable, List<SEntityType> types)
    {
        var t = Pick(types);
        return _r.NextDouble() switch
        {
            < 0.4 => variable,
            < 0.55 => variable + " == " + EntityOf(t.FullName).ToCedar(),
            < 0.7 => variable + " in " + EntityOf(Chance(0.5) ? t.FullName : Pick(_types).FullName).ToCedar(),
            < 0.85 => variable + " is " + t.FullName,
            < 0.99 => variable + " is " + t.FullName + " in " + EntityOf(Chance(0.5) ? t.FullName : Pick(_types).FullName).ToCedar(),
            _ => variable + " is " + Q("Nope"), // an undeclared type
        };
    }

    private string ActionScope()
    {
        var inFocus = _actions.Where(a => a == _focus || _focus.MemberOf.Contains(a) || _focus.MemberOf.Any(g => g.MemberOf.Contains(a))).ToList();
        return _r.NextDouble() switch
        {
            < 0.3 => "action",
            < 0.6 => "action == " + ActionUid(_focus).ToCedar(),
            < 0.75 => "action in " + ActionUid(Chance(0.8) ? Pick(inFocus) : Pick(_actions)).ToCedar(),
            < 0.99 => "action in [" + string.Join(", ", _actions.OrderBy(_ => _r.Next()).Take(_r.Next(0, 3)).Append(_focus).Distinct().Select(a => ActionUid(a).ToCedar())) + "]",
            _ => "action == " + new GenUid(Q("Action"), "undeclared").ToCedar(),
        };
    }

    /// <summary>A condition: mostly well typed, sometimes deliberately not.</summary>
    private string Condition()
    {
        var variable = Chance(0.5) ? "principal" : "resource";
        var t = Pick(Types(variable));
        switch (_r.Next(12))
        {
            case 0:
            case 1:
            case 2:
                {
                    // variable is T && variable.a ... (guarded by has when optional, mostly)
                    if (t.Attrs.Count == 0)
                    {
                        return variable + " is " + t.FullName;
                    }

                    var a = Pick(t.Attrs);
                    var access = variable + Access(a.Name);
                    var guard = a.Optional && Chance(0.8) ? " && " + variable + " has " + Has(a.Name) : string.Empty;
                    return variable + " is " + t.FullName + guard + " && " + Predicate(access, a.Type, Chance(0.1));
                }

            case 3:
                {
                    // has-guarded access without is: valid only when every type of the variable declares it
                    var a = Pick(AttrNames);
                    var type = _types.SelectMany(x => x.Attrs).FirstOrDefault(x => x.Name == a)?.Type ?? SType.String;
                    return variable + " has " + Has(a) + " && " + Predicate(variable + Access(a), type, Chance(0.1));
                }

            case 4:
                {
                    // context, sometimes under action ==
                    var act = Chance(0.7) ? _focus : Pick(_actions.Where(x => !x.IsGroup).ToList());
                    if (act.Context.Count == 0)
                    {
                        return "context has " + Pick(new[] { "n", "s", "nope" });
                    }

                    var c = Pick(act.Context);
                    var guard = c.Optional && Chance(0.7) ? "context has " + c.Name + " && " : string.Empty;
                    var scope = Chance(0.6) ? "action == " + ActionUid(act).ToCedar() + " && " : string.Empty;
                    return scope + guard + Predicate("context." + c.Name, c.Type, Chance(0.1));
                }

            case 5:
                {
                    // tags
                    var key = GenText.Quote(Pick(new[] { "k", "env", "a b" }));
                    var tagType = t.Tags ?? SType.String;
                    var get = variable + ".getTag(" + key + ")";
                    return variable + " is " + t.FullName + (Chance(0.75) ? " && " + variable + ".hasTag(" + key + ")" : string.Empty) + " && " + Predicate(get, tagType, false);
                }

            case 6:
                {
                    // hierarchy
                    var other = Pick(_types);
                    return Chance(0.5)
                        ? variable + " in " + EntityOf(other.FullName).ToCedar()
                        : "principal in resource";
                }

            case 7 when Chance(0.4):
                {
                    // an attribute that no type declares, or an undeclared type or enumerated id
                    return _r.Next(4) switch
                    {
                        0 => variable + " is " + t.FullName + " && " + variable + ".nope == 1",
                        1 => variable + " == " + Q("Nope") + "::\"x\"",
                        2 when _types.FirstOrDefault(x => x.Enum is not null) is { } e => variable + (Chance(0.5) ? " == " : " in ") + new GenUid(e.FullName, Chance(0.5) ? "purple" : Pick(e.Enum!)).ToCedar(),
                        _ => variable + ".nope",
                    };
                }

            case 8 when Chance(0.5):
                {
                    // empty sets, extension calls, literals of mixed types
                    return _r.Next(6) switch
                    {
                        0 => "[].contains(1)",
                        1 => "ip(\"zz\").isLoopback()",
                        2 => "context has s && ip(context.s).isIpv4()",
                        3 => "1 == \"a\"",
                        4 => "[1, \"a\"].contains(1)",
                        _ => "decimal(\"1.5\").lessThan(decimal(\"2.0\"))",
                    };
                }

            case 9:
                {
                    // an entity attribute reached through another entity
                    var withOwner = _types.Where(x => x.Attrs.Any(a => a.Type.Tag == "Entity" && a.Name == "owner")).ToList();
                    if (withOwner.Count == 0)
                    {
                        return "true";
                    }

                    var h = Pick(withOwner);
                    var owner = h.Attrs.First(a => a.Name == "owner");
                    var target = _types.First(x => x.FullName == owner.Type.Entity);
                    var guard = owner.Optional ? " && " + variable + " has owner" : string.Empty;
                    var tail = target.Attrs.Count > 0 ? Pick(target.Attrs) : new SAttr("nope", SType.Long, false);
                    return variable + " is " + h.FullName + guard + " && " + Predicate(variable + ".owner" + Access(tail.Name), tail.Type, false);
                }

            case 10:
                return "if " + Condition() + " then " + Condition() + " else " + Condition();
            default:
                return Chance(0.5) ? "(" + Condition() + ") || (" + Condition() + ")" : "!(" + Condition() + ")";
        }
    }

    private static string Access(string attr) => GenText.IsIdentifier(attr) ? "." + attr : "[" + GenText.Quote(attr) + "]";

    private static string Has(string attr) => GenText.IsIdentifier(attr) ? attr : GenText.Quote(attr);

    /// <summary>A Boolean condition on <paramref name="value"/> of <paramref name="type"/>; with <paramref name="wrong"/>, one made for another type.</summary>
    private string Predicate(string value, SType type, bool wrong)
    {
        var tag = type.Tag;
        if (wrong)
        {
            tag = Pick(new[] { "Bool", "Long", "String", "Set", "ipaddr", "decimal", "datetime" }.Where(x => x != tag).ToList());
        }

        return tag switch
        {
            "Bool" => Chance(0.5) ? value : value + " == " + (Chance(0.5) ? "true" : "false"),
            "Long" => value + " " + Pick(new[] { "<", "<=", ">", ">=", "==", "!=" }) + " " + _r.Next(-1, 6).ToString(CultureInfo.InvariantCulture) + (Chance(0.2) ? " + 1" : string.Empty),
            "String" => Chance(0.5) ? value + " like \"a*\"" : value + " == " + GenText.Quote(Pick(Strings)),
            "Set" => type.Element?.Tag switch
            {
                "Long" => value + ".contains(" + _r.Next(0, 4).ToString(CultureInfo.InvariantCulture) + ")",
                "Entity" => Chance(0.5) ? "principal in " + value : value + ".contains(" + EntityOf(type.Element.Entity!).ToCedar() + ")",
                _ => Pick(new[] { value + ".contains(\"a\")", value + ".containsAny([\"a\", \"b\"])", value + ".isEmpty()", value + ".containsAll([\"alice\"])" }),
            },
            "Entity" => Chance(0.5) ? value + " == " + EntityOf(type.Entity!).ToCedar() : value + " in " + EntityOf(type.Entity!).ToCedar(),
            "Record" => Chance(0.5) ? value + ".n > 1" : Chance(0.5) ? value + " has s && " + value + ".s == \"a\"" : value + ".s == \"a\"",
            "ipaddr" => Chance(0.5) ? value + ".isInRange(ip(\"10.0.0.0/8\"))" : value + ".isLoopback()",
            "decimal" => value + ".lessThan(decimal(\"1.5\"))",
            "datetime" => Chance(0.5) ? value + " < datetime(\"2024-06-01\")" : value + ".offset(duration(\"1h\")) > datetime(\"2024-01-01\")",
            _ => Chance(0.5) ? value + ".toMilliseconds() > 1000" : value + " < duration(\"1h\")",
        };
    }
}
