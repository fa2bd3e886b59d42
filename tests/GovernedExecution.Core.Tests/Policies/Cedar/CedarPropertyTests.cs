using FsCheck.Xunit;
using GovernedExecution.Policies.Cedar;

namespace GovernedExecution.Tests.Policies.Cedar;

public sealed class CedarPropertyTests
{
    private static readonly string[] Pool =
    [
        "permit(principal, action, resource);",
        "permit(principal == User::\"alice\", action, resource);",
        "permit(principal in Group::\"staff\", action == Action::\"read\", resource);",
        "permit(principal, action in [Action::\"write\", Action::\"read\"], resource is Doc) when { resource.public };",
        "permit(principal, action, resource) when { principal.level >= 3 && context.hour < 18 };",
        "permit(principal, action, resource) when { principal.missing };",
        "permit(principal is User, action, resource) unless { context.hour + 9223372036854775807 > 0 };",
        "forbid(principal == User::\"bob\", action, resource);",
        "forbid(principal, action == Action::\"write\", resource) unless { principal in Group::\"staff\" };",
        "forbid(principal, action, resource) when { resource has secret && resource.secret };",
        "forbid(principal, action, resource) when { 1 + \"x\" };",
        "permit(principal, action, resource in Folder::\"f\") when { [1, 2].contains(principal.level) };",
        "@id(\"x\") permit(principal, action, resource) when { context.tag like \"a*\" || ip(\"10.0.0.1\").isInRange(ip(\"10.0.0.0/8\")) };",
        "forbid(principal, action, resource) when { decimal(\"1.5\").greaterThan(decimal(context.score)) };",
    ];

    private static readonly CedarEntities Entities = CedarEntities.ParseJson("""
        [
          { "uid": {"type": "User", "id": "alice"}, "attrs": {"level": 2}, "parents": [{"type": "Group", "id": "staff"}] },
          { "uid": {"type": "User", "id": "bob"}, "attrs": {"level": 5}, "parents": [] },
          { "uid": {"type": "Doc", "id": "d1"}, "attrs": {"public": true, "secret": false}, "parents": [{"type": "Folder", "id": "f"}] },
          { "uid": {"type": "Doc", "id": "d2"}, "attrs": {"public": false, "secret": true}, "parents": [] },
          { "uid": {"type": "Group", "id": "staff"}, "attrs": {}, "parents": [] }
        ]
        """);

    private static readonly CedarRequest[] Requests = BuildRequests();

    [Property(MaxTest = 200)]
    public bool Permuting_policy_order_never_changes_the_response(int seed)
    {
        var random = new Random(seed);
        var chosen = Choose(random);
        var shuffled = chosen.OrderBy(_ => random.Next()).ToList();
        var a = Parse(chosen);
        var b = Parse(shuffled);
        foreach (var request in Requests)
        {
            // Ids are positional, so compare the policies behind the ids.
            if (Summary(a, request) != Summary(b, request))
            {
                return false;
            }
        }

        return a.Digest == b.Digest;
    }

    [Property(MaxTest = 200)]
    public bool Adding_a_forbid_can_only_turn_allow_into_deny(int seed, bool withCondition)
    {
        var random = new Random(seed);
        var chosen = Choose(random);
        var before = Parse(chosen);
        var forbid = withCondition
            ? "forbid(principal, action, resource) when { principal has level && principal.level > " + random.Next(0, 6) + " };"
            : Pool.Where(p => p.Contains("forbid", StringComparison.Ordinal)).ElementAt(random.Next(4));
        var after = Parse([.. chosen, forbid]);
        foreach (var request in Requests)
        {
            var b = before.Evaluate(request, Entities);
            var a = after.Evaluate(request, Entities);
            if (b.Decision == CedarDecision.Deny && a.Decision == CedarDecision.Allow)
            {
                return false;
            }
        }

        return true;
    }

    [Property(MaxTest = 200)]
    public bool Format_then_reparse_gives_the_same_evaluation(int seed)
    {
        var random = new Random(seed);
        var original = Parse(Choose(random));
        var reparsed = CedarPolicySet.Parse(original.ToCedarText());
        if (reparsed.Digest != original.Digest || reparsed.PolicyIds.Count != original.PolicyIds.Count)
        {
            return false;
        }

        foreach (var request in Requests)
        {
            if (Summary(original, request) != Summary(reparsed, request))
            {
                return false;
            }
        }

        return true;
    }

    [Property(MaxTest = 300)]
    public bool Random_expressions_evaluate_the_same_after_formatting(int seed)
    {
        var random = new Random(seed);
        var text = RandomExpr(random, 4);
        CedarExpr expr;
        try
        {
            expr = CedarParser.ParseExpression(text);
        }
        catch (CedarParseException)
        {
            return true;
        }

        var formatted = expr.ToString();
        var again = CedarParser.ParseExpression(formatted);
        return again.ToString() == formatted && Eval(expr) == Eval(again);
    }

    [Property(MaxTest = 200)]
    public bool Digest_is_stable_under_reordering_whitespace_and_comments(int seed)
    {
        var random = new Random(seed);
        var chosen = Choose(random);
        var plain = Parse(chosen);
        var noisy = string.Concat(chosen.OrderBy(_ => random.Next()).Select(p => Noise(random) + Spread(p, random) + Noise(random)));
        return CedarPolicySet.Parse(noisy).Digest == plain.Digest;
    }

    private static CedarRequest[] BuildRequests()
    {
        var list = new List<CedarRequest>();
        foreach (var p in new[] { "User::\"alice\"", "User::\"bob\"", "User::\"ghost\"" })
        {
            foreach (var a in new[] { "Action::\"read\"", "Action::\"write\"" })
            {
                foreach (var r in new[] { "Doc::\"d1\"", "Doc::\"d2\"" })
                {
                    list.Add(CedarRequest.Create(p, a, r, """{"hour": 10, "tag": "abc", "score": "2.0"}"""));
                }
            }
        }

        return [.. list];
    }

    private static List<string> Choose(Random random)
    {
        int n = random.Next(0, Pool.Length + 1);
        return Pool.OrderBy(_ => random.Next()).Take(n).ToList();
    }

    private static CedarPolicySet Parse(IEnumerable<string> policies) => CedarPolicySet.Parse(string.Join("\n", policies));

    private static string Summary(CedarPolicySet set, CedarRequest request)
    {
        var r = set.Evaluate(request, Entities);
        var text = set.Policies.ToDictionary(p => p.Id, p => p.ToCedar(), StringComparer.Ordinal);
        var reasons = r.Reasons.Select(id => text[id]).Order(StringComparer.Ordinal);
        var errors = r.Errors.Select(e => text[e.PolicyId]).Order(StringComparer.Ordinal);
        return $"{r.Decision}|{r.IsForbidden}|{string.Join("#", reasons)}|{string.Join("#", errors)}";
    }

    private static string Noise(Random random) => random.Next(3) switch
    {
        0 => "\n",
        1 => "  // comment " + random.Next() + "\n",
        _ => "\t ",
    };

    private static string Spread(string policy, Random random) =>
        string.Concat(policy.Split(' ').Select(part => part + (random.Next(2) == 0 ? " " : "\n   ")));

    private static string Eval(CedarExpr expr)
    {
        var env = new EvalEnv(new EntityUid("User", "alice"), new EntityUid("Action", "read"), new EntityUid("Doc", "d1"), RecordValue.Empty, Entities.Store);
        try
        {
            return expr.Eval(env).ToString();
        }
        catch (CedarEvaluationException)
        {
            return "error";
        }
    }

    private static string RandomExpr(Random r, int depth)
    {
        if (depth == 0)
        {
            return r.Next(10) switch
            {
                0 => "true",
                1 => "false",
                2 => r.Next(-3, 4).ToString(System.Globalization.CultureInfo.InvariantCulture),
                3 => "\"s" + r.Next(3) + "\"",
                4 => "principal",
                5 => "resource",
                6 => "User::\"alice\"",
                7 => "Group::\"staff\"",
                8 => "9223372036854775807",
                _ => "\"a*b\\n\"",
            };
        }

        string Sub() => RandomExpr(r, r.Next(depth));
        return r.Next(22) switch
        {
            0 => Sub() + " && " + Sub(),
            1 => Sub() + " || " + Sub(),
            2 => "!" + Sub(),
            3 => "-" + Sub(),
            4 => Sub() + " == " + Sub(),
            5 => Sub() + " < " + Sub(),
            6 => Sub() + " + " + Sub(),
            7 => Sub() + " * " + Sub(),
            8 => Sub() + " in " + Sub(),
            9 => "(" + Sub() + ")",
            10 => "if " + Sub() + " then " + Sub() + " else " + Sub(),
            11 => "[" + Sub() + ", " + Sub() + "]",
            12 => "{a: " + Sub() + ", \"b c\": " + Sub() + "}",
            13 => Sub() + " has level",
            14 => Sub() + ".level",
            15 => Sub() + " like \"*a\\**\"",
            16 => Sub() + " is User",
            17 => "[" + Sub() + "].contains(" + Sub() + ")",
            18 => Sub() + " - " + Sub(),
            19 => Sub() + " != " + Sub(),
            20 => Sub() + " is User in " + Sub(),
            _ => Sub() + " >= " + Sub(),
        };
    }
}
