using System.Globalization;
using System.Text.Json;

namespace GovernedExecution.Policies.Cedar;

/// <summary>
/// Reads Cedar's JSON policy format (EST) into the same model as the text parser. Members are checked as strictly
/// as the official engine checks them, and stricter where it ignores them (inside scope constraints and <c>has</c>):
/// an unknown member is refused with its name and JSON path, so a misspelt constraint cannot widen a policy.
/// </summary>
internal static class CedarJsonPolicyParser
{
    private static readonly string[] PolicyMembers = ["effect", "principal", "action", "resource", "conditions", "annotations"];

    public static List<CedarPolicy> ParsePolicySet(string json, string source)
    {
        try
        {
            using var doc = JsonDocument.Parse(json, CedarJsonValues.DocumentOptions);
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                throw new CedarSyntaxException(0, 0, "$: expected a JSON object (a policy set or a single policy)");
            }

            if (root.TryGetProperty("effect", out _))
            {
                return [ParsePolicy("policy0", root, "$")];
            }

            Members(root, "$", "staticPolicies", "templates", "templateLinks");
            var list = new List<CedarPolicy>();
            if (root.TryGetProperty("staticPolicies", out var statics))
            {
                foreach (var p in Object(statics, "$.staticPolicies").EnumerateObject())
                {
                    var path = Member("$.staticPolicies", p.Name);
                    var policy = ParsePolicy(p.Name, p.Value, path);
                    if (policy.IsTemplate)
                    {
                        throw Fail(path, "a static policy cannot have slots (put it under \"templates\")");
                    }

                    list.Add(policy);
                }
            }

            if (root.TryGetProperty("templates", out var templates))
            {
                foreach (var p in Object(templates, "$.templates").EnumerateObject())
                {
                    var path = Member("$.templates", p.Name);
                    var template = ParsePolicy(p.Name, p.Value, path);
                    if (!template.IsTemplate)
                    {
                        throw Fail(path, "expected a template, found a static policy without slots (put it under \"staticPolicies\")");
                    }

                    list.Add(template);
                }
            }

            if (root.TryGetProperty("templateLinks", out var links))
            {
                if (links.ValueKind != JsonValueKind.Array)
                {
                    throw Fail("$.templateLinks", "expected an array");
                }

                int i = 0;
                foreach (var link in links.EnumerateArray())
                {
                    var path = "$.templateLinks[" + i++.ToString(CultureInfo.InvariantCulture) + "]";
                    Members(Object(link, path), path, "templateId", "newId", "values");
                    var values = new Dictionary<string, EntityUid>(StringComparer.Ordinal);
                    foreach (var v in Object(Prop(link, "values", path), path + ".values").EnumerateObject())
                    {
                        values[v.Name] = Uid(v.Value, Member(path + ".values", v.Name));
                    }

                    try
                    {
                        list.Add(CedarPolicySet.LinkTemplate(list, Str(link, "templateId", path), Str(link, "newId", path), values));
                    }
                    catch (ArgumentException e)
                    {
                        throw Fail(path, e.Message);
                    }
                }
            }

            return list;
        }
        catch (JsonException e)
        {
            throw new CedarParseException([new CedarDiagnostic(source, (int)(e.LineNumber ?? 0) + 1, (int)(e.BytePositionInLine ?? 0) + 1, e.Message)]);
        }
        catch (CedarSyntaxException e)
        {
            throw new CedarParseException([new CedarDiagnostic(source, e.Line, e.Column, e.Message)]);
        }
        catch (CedarEvaluationException e)
        {
            throw new CedarParseException([new CedarDiagnostic(source, 0, 0, e.Message)]);
        }
    }

    private static CedarSyntaxException Fail(string path, string message) => new(0, 0, path + ": " + message);

    /// <summary>The JSON path of a member: <c>$.a.b</c>, or <c>$.a."&amp;&amp;"</c> when the name is not an identifier.</summary>
    private static string Member(string path, string name) =>
        path + "." + (CedarParser.IsAnyIdent(name) ? name : CedarText.Quote(name));

    private static void Members(JsonElement e, string path, params string[] allowed)
    {
        foreach (var p in e.EnumerateObject())
        {
            if (Array.IndexOf(allowed, p.Name) < 0)
            {
                throw Fail(path, "unknown member " + CedarText.Quote(p.Name) + " (expected " + string.Join(", ", allowed.Select(a => "\"" + a + "\"")) + ")");
            }
        }
    }

    private static JsonElement Object(JsonElement e, string path) =>
        e.ValueKind == JsonValueKind.Object ? e : throw Fail(path, "expected an object");

    private static JsonElement Prop(JsonElement e, string name, string path) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out var v) ? v : throw Fail(path, "missing member \"" + name + "\"");

    private static string Str(JsonElement e, string name, string path)
    {
        var v = Prop(e, name, path);
        return v.ValueKind == JsonValueKind.String ? v.GetString()! : throw Fail(Member(path, name), "expected a string");
    }

    private static EntityUid Uid(JsonElement e, string path)
    {
        try
        {
            if (e.ValueKind == JsonValueKind.Object && e.TryGetProperty("__entity", out var inner))
            {
                Members(e, path, "__entity");
                Members(Object(inner, path + ".__entity"), path + ".__entity", "type", "id");
            }
            else if (e.ValueKind == JsonValueKind.Object)
            {
                Members(e, path, "type", "id");
            }

            var uid = CedarJsonValues.ParseUid(e);
            return CedarParser.IsValidName(uid.Type) ? uid : throw Fail(path + ".type", "invalid entity type " + CedarText.Quote(uid.Type));
        }
        catch (CedarEvaluationException ex)
        {
            throw Fail(path, ex.Message);
        }
    }

    private static CedarPolicy ParsePolicy(string id, JsonElement e, string path)
    {
        Members(Object(e, path), path, PolicyMembers);
        var effect = Str(e, "effect", path) switch
        {
            "permit" => PolicyEffect.Permit,
            "forbid" => PolicyEffect.Forbid,
            _ => throw Fail(path + ".effect", "expected \"permit\" or \"forbid\""),
        };
        var annotations = new List<KeyValuePair<string, string>>();
        var valueless = new HashSet<string>(StringComparer.Ordinal);
        if (e.TryGetProperty("annotations", out var ann))
        {
            foreach (var a in Object(ann, path + ".annotations").EnumerateObject())
            {
                var apath = Member(path + ".annotations", a.Name);
                if (!CedarParser.IsAnyIdent(a.Name))
                {
                    throw Fail(path + ".annotations", "invalid annotation name " + CedarText.Quote(a.Name));
                }

                switch (a.Value.ValueKind)
                {
                    case JsonValueKind.Null:
                        annotations.Add(new(a.Name, string.Empty));
                        valueless.Add(a.Name);
                        break;
                    case JsonValueKind.String:
                        annotations.Add(new(a.Name, a.Value.GetString()!));
                        break;
                    default:
                        throw Fail(apath, "expected a string or null");
                }
            }
        }

        var principal = ParseScope(Prop(e, "principal", path), path + ".principal", "?principal");
        var action = ParseActionScope(Prop(e, "action", path), path + ".action");
        var resource = ParseScope(Prop(e, "resource", path), path + ".resource", "?resource");
        var conditions = new List<CedarCondition>();
        var conds = Prop(e, "conditions", path);
        if (conds.ValueKind != JsonValueKind.Array)
        {
            throw Fail(path + ".conditions", "expected an array");
        }

        int i = 0;
        foreach (var c in conds.EnumerateArray())
        {
            var cpath = path + ".conditions[" + i++.ToString(CultureInfo.InvariantCulture) + "]";
            Members(Object(c, cpath), cpath, "kind", "body");
            var kind = Str(c, "kind", cpath);
            if (kind is not ("when" or "unless"))
            {
                throw Fail(cpath + ".kind", "expected \"when\" or \"unless\"");
            }

            conditions.Add(new CedarCondition(kind == "when", ParseExpr(Prop(c, "body", cpath), cpath + ".body", 0)));
        }

        return new CedarPolicy(id, effect, annotations, principal, action, resource, conditions) { ValuelessAnnotations = valueless };
    }

    private static ScopeConstraint ParseScope(JsonElement e, string path, string slotName)
    {
        Object(e, path);
        var op = Str(e, "op", path);
        switch (op)
        {
            case "All" or "all":
                Members(e, path, "op");
                return ScopeConstraint.AnyScope;
            case "==":
            case "in":
                return Target(e, op == "==" ? ScopeKind.Eq : ScopeKind.In, null, path, slotName, "op");
            case "is":
                {
                    Members(e, path, "op", "entity_type", "in");
                    var type = Str(e, "entity_type", path);
                    if (!CedarParser.IsValidName(type))
                    {
                        throw Fail(path + ".entity_type", "invalid entity type " + CedarText.Quote(type));
                    }

                    return e.TryGetProperty("in", out var inner)
                        ? Target(Object(inner, path + ".in"), ScopeKind.IsIn, type, path + ".in", slotName)
                        : new ScopeConstraint(ScopeKind.Is, null, null, type, false);
                }

            default:
                throw Fail(path + ".op", "expected \"All\", \"==\", \"in\" or \"is\"");
        }
    }

    private static ScopeConstraint Target(JsonElement e, ScopeKind kind, string? type, string path, string slotName, params string[] others)
    {
        if (e.TryGetProperty("slot", out var slot))
        {
            Members(e, path, [.. others, "slot"]);
            return slot.ValueKind == JsonValueKind.String && slot.GetString() == slotName
                ? new ScopeConstraint(kind, null, null, type, true)
                : throw Fail(path + ".slot", "expected \"" + slotName + "\"");
        }

        Members(e, path, [.. others, "entity"]);
        return new ScopeConstraint(kind, Uid(Prop(e, "entity", path), path + ".entity"), null, type, false);
    }

    private static EntityUid ActionUid(JsonElement e, string path)
    {
        var uid = Uid(e, path);
        return CedarParser.IsActionType(uid.Type) ? uid : throw Fail(path, "expected an action entity (type Action or Namespace::Action), found type " + uid.Type);
    }

    private static ScopeConstraint ParseActionScope(JsonElement e, string path)
    {
        Object(e, path);
        var op = Str(e, "op", path);
        switch (op)
        {
            case "All" or "all":
                Members(e, path, "op");
                return ScopeConstraint.AnyScope;
            case "==":
                Members(e, path, "op", "entity");
                return new ScopeConstraint(ScopeKind.Eq, ActionUid(Prop(e, "entity", path), path + ".entity"), null, null, false);
            case "in":
                if (e.TryGetProperty("entities", out var list))
                {
                    Members(e, path, "op", "entities");
                    if (list.ValueKind != JsonValueKind.Array)
                    {
                        throw Fail(path + ".entities", "expected an array");
                    }

                    var uids = new List<EntityUid>();
                    int i = 0;
                    foreach (var item in list.EnumerateArray())
                    {
                        uids.Add(ActionUid(item, path + ".entities[" + i++.ToString(CultureInfo.InvariantCulture) + "]"));
                    }

                    return new ScopeConstraint(ScopeKind.In, null, uids, null, false);
                }

                Members(e, path, "op", "entity");
                return new ScopeConstraint(ScopeKind.In, ActionUid(Prop(e, "entity", path), path + ".entity"), null, null, false);
            default:
                throw Fail(path + ".op", "expected \"All\", \"==\" or \"in\"");
        }
    }

    private static CedarExpr ParseExpr(JsonElement e, string path, int depth)
    {
        if (depth > CedarParser.MaxDepth)
        {
            throw Fail(path, "expression nested too deeply");
        }

        if (e.ValueKind != JsonValueKind.Object)
        {
            throw Fail(path, "expected an expression object");
        }

        JsonProperty? single = null;
        foreach (var p in e.EnumerateObject())
        {
            if (single is not null)
            {
                throw Fail(path, "an expression object must have exactly one key, found " + CedarText.Quote(single.Value.Name) + " and " + CedarText.Quote(p.Name));
            }

            single = p;
        }

        if (single is null)
        {
            throw Fail(path, "an expression object must have exactly one key");
        }

        var key = single.Value.Name;
        var v = single.Value.Value;
        var sub = Member(path, key);
        int d = depth + 1;
        var expr = ParseKind(key, v, sub, d);
        return expr.Height > CedarParser.MaxHeight ? throw Fail(path, "expression nested too deeply") : expr;
    }

    private static CedarExpr ParseKind(string key, JsonElement v, string sub, int d)
    {
        switch (key)
        {
            case "Value":
                try
                {
                    return new LiteralExpr(CedarJsonValues.ParseValue(v, null));
                }
                catch (CedarEvaluationException ex)
                {
                    throw Fail(sub, ex.Message);
                }

            case "Var":
                return (v.ValueKind == JsonValueKind.String ? v.GetString() : null) switch
                {
                    "principal" => new VarExpr(VarKind.Principal),
                    "action" => new VarExpr(VarKind.Action),
                    "resource" => new VarExpr(VarKind.Resource),
                    "context" => new VarExpr(VarKind.Context),
                    _ => throw Fail(sub, "expected \"principal\", \"action\", \"resource\" or \"context\""),
                };
            case "Slot":
                throw Fail(sub, "template slots are only allowed in the policy scope");
            case "Unknown":
                throw Fail(sub, "\"Unknown\" (a residual of partial evaluation) is not supported in policies");
            case "!":
                return new NotExpr(Arg(v, sub, d));
            case "neg":
                return new NegExpr(Arg(v, sub, d));
            case "isEmpty":
                return new CallExpr(CedarFunctionInfo.Lookup("isEmpty")!, [Arg(v, sub, d)]);
            case "&&":
                Binary(v, sub);
                return new AndExpr(Left(v, sub, d), Right(v, sub, d));
            case "||":
                Binary(v, sub);
                return new OrExpr(Left(v, sub, d), Right(v, sub, d));
            case "==": return Bin(BinaryOp.Eq, v, sub, d);
            case "!=": return Bin(BinaryOp.NotEq, v, sub, d);
            case "<": return Bin(BinaryOp.Less, v, sub, d);
            case "<=": return Bin(BinaryOp.LessEq, v, sub, d);
            case ">": return Bin(BinaryOp.Greater, v, sub, d);
            case ">=": return Bin(BinaryOp.GreaterEq, v, sub, d);
            case "in": return Bin(BinaryOp.In, v, sub, d);
            case "+": return Bin(BinaryOp.Add, v, sub, d);
            case "-": return Bin(BinaryOp.Sub, v, sub, d);
            case "*": return Bin(BinaryOp.Mul, v, sub, d);
            case "contains":
            case "containsAll":
            case "containsAny":
            case "getTag":
            case "hasTag":
                if (v.ValueKind != JsonValueKind.Object)
                {
                    throw Fail(sub, "expected an object with \"left\" and \"right\" (" + CedarText.Quote(key) + " is a built-in method, not an extension function)");
                }

                Binary(v, sub);
                return new CallExpr(CedarFunctionInfo.Lookup(key)!, [Left(v, sub, d), Right(v, sub, d)]);
            case ".":
                Members(Object(v, sub), sub, "left", "attr");
                return new GetAttrExpr(Left(v, sub, d), Str(v, "attr", sub));
            case "has":
                Members(Object(v, sub), sub, "left", "attr");
                return new HasExpr(Left(v, sub, d), HasPath(Prop(v, "attr", sub), sub + ".attr"));
            case "is":
                {
                    Members(Object(v, sub), sub, "left", "entity_type", "in");
                    var type = Str(v, "entity_type", sub);
                    if (!CedarParser.IsValidName(type))
                    {
                        throw Fail(sub + ".entity_type", "invalid entity type " + CedarText.Quote(type));
                    }

                    CedarExpr? inExpr = v.TryGetProperty("in", out var inEl) ? ParseExpr(inEl, sub + ".in", d) : null;
                    return new IsExpr(Left(v, sub, d), type, inExpr);
                }

            case "like":
                Members(Object(v, sub), sub, "left", "pattern");
                return new LikeExpr(Left(v, sub, d), Pattern(Prop(v, "pattern", sub), sub + ".pattern"));
            case "if-then-else":
                Members(Object(v, sub), sub, "if", "then", "else");
                return new IfExpr(
                    ParseExpr(Prop(v, "if", sub), sub + ".if", d),
                    ParseExpr(Prop(v, "then", sub), sub + ".then", d),
                    ParseExpr(Prop(v, "else", sub), sub + ".else", d));
            case "Set":
                return new SetExpr(Items(v, sub, d));
            case "Record":
                {
                    var fields = new List<KeyValuePair<string, CedarExpr>>();
                    foreach (var f in Object(v, sub).EnumerateObject())
                    {
                        fields.Add(new(f.Name, ParseExpr(f.Value, Member(sub, f.Name), d)));
                    }

                    return new RecordExpr(fields);
                }

            default:
                {
                    var info = CedarFunctionInfo.Lookup(key);
                    if (info is null || !info.IsExtension)
                    {
                        throw Fail(sub, "unknown expression kind or extension function " + CedarText.Quote(key));
                    }

                    return new CallExpr(info, Items(v, sub, d));
                }
        }
    }

    private static List<CedarExpr> Items(JsonElement v, string path, int depth)
    {
        if (v.ValueKind != JsonValueKind.Array)
        {
            throw Fail(path, "expected an array of expressions");
        }

        var items = new List<CedarExpr>();
        int i = 0;
        foreach (var item in v.EnumerateArray())
        {
            items.Add(ParseExpr(item, path + "[" + i++.ToString(CultureInfo.InvariantCulture) + "]", depth));
        }

        return items;
    }

    private static List<string> HasPath(JsonElement attr, string path)
    {
        if (attr.ValueKind == JsonValueKind.String)
        {
            return [attr.GetString()!];
        }

        if (attr.ValueKind != JsonValueKind.Array)
        {
            throw Fail(path, "expected a string or a non-empty array of strings");
        }

        var list = new List<string>();
        int i = 0;
        foreach (var a in attr.EnumerateArray())
        {
            var apath = path + "[" + i++.ToString(CultureInfo.InvariantCulture) + "]";
            list.Add(a.ValueKind == JsonValueKind.String ? a.GetString()! : throw Fail(apath, "expected a string"));
        }

        return list.Count > 0 ? list : throw Fail(path, "expected a string or a non-empty array of strings");
    }

    private static List<string?> Pattern(JsonElement e, string path)
    {
        if (e.ValueKind != JsonValueKind.Array)
        {
            throw Fail(path, "expected an array of \"Wildcard\" and {\"Literal\": string}");
        }

        var pattern = new List<string?>();
        int i = 0;
        foreach (var el in e.EnumerateArray())
        {
            var epath = path + "[" + i++.ToString(CultureInfo.InvariantCulture) + "]";
            if (el.ValueKind == JsonValueKind.String && el.GetString() == "Wildcard")
            {
                pattern.Add(null);
            }
            else if (el.ValueKind == JsonValueKind.Object && el.TryGetProperty("Literal", out var lit) && lit.ValueKind == JsonValueKind.String)
            {
                Members(el, epath, "Literal");

                // Adjacent literals are merged so that both formats give the same pattern.
                var text = lit.GetString()!;
                if (pattern.Count > 0 && pattern[^1] is { } prev)
                {
                    pattern[^1] = prev + text;
                }
                else if (text.Length > 0)
                {
                    pattern.Add(text);
                }
            }
            else
            {
                throw Fail(epath, "expected \"Wildcard\" or {\"Literal\": string}");
            }
        }

        return pattern;
    }

    private static void Binary(JsonElement v, string path) => Members(Object(v, path), path, "left", "right");

    private static BinaryExpr Bin(BinaryOp op, JsonElement v, string path, int depth)
    {
        Binary(v, path);
        return new BinaryExpr(op, Left(v, path, depth), Right(v, path, depth));
    }

    private static CedarExpr Arg(JsonElement v, string path, int depth)
    {
        Members(Object(v, path), path, "arg");
        return ParseExpr(Prop(v, "arg", path), path + ".arg", depth);
    }

    private static CedarExpr Left(JsonElement v, string path, int depth) => ParseExpr(Prop(v, "left", path), path + ".left", depth);

    private static CedarExpr Right(JsonElement v, string path, int depth) => ParseExpr(Prop(v, "right", path), path + ".right", depth);
}
