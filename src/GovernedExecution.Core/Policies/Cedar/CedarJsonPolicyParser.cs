using System.Text.Json;

namespace GovernedExecution.Policies.Cedar;

/// <summary>Reads Cedar's JSON policy format (EST) into the same model as the text parser.</summary>
internal static class CedarJsonPolicyParser
{
    public static List<CedarPolicy> ParsePolicySet(string json, string source)
    {
        try
        {
            using var doc = JsonDocument.Parse(json, CedarJsonValues.DocumentOptions);
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                throw new CedarSyntaxException(0, 0, "expected a JSON object");
            }

            if (root.TryGetProperty("effect", out _))
            {
                return [ParsePolicy("policy0", root, "$")];
            }

            var list = new List<CedarPolicy>();
            if (root.TryGetProperty("staticPolicies", out var statics))
            {
                foreach (var p in Object(statics, "$.staticPolicies").EnumerateObject())
                {
                    var policy = ParsePolicy(p.Name, p.Value, "$.staticPolicies." + p.Name);
                    if (policy.IsTemplate)
                    {
                        throw new CedarSyntaxException(0, 0, "$.staticPolicies." + p.Name + ": a static policy cannot have slots");
                    }

                    list.Add(policy);
                }
            }

            if (root.TryGetProperty("templates", out var templates))
            {
                foreach (var p in Object(templates, "$.templates").EnumerateObject())
                {
                    list.Add(ParsePolicy(p.Name, p.Value, "$.templates." + p.Name));
                }
            }

            if (root.TryGetProperty("templateLinks", out var links) && links.ValueKind == JsonValueKind.Array)
            {
                int i = 0;
                foreach (var link in links.EnumerateArray())
                {
                    var path = "$.templateLinks[" + i++.ToString(System.Globalization.CultureInfo.InvariantCulture) + "]";
                    var values = new Dictionary<string, EntityUid>(StringComparer.Ordinal);
                    if (link.TryGetProperty("values", out var vals))
                    {
                        foreach (var v in Object(vals, path + ".values").EnumerateObject())
                        {
                            values[v.Name] = Uid(v.Value, path + ".values." + v.Name);
                        }
                    }

                    try
                    {
                        list.Add(CedarPolicySet.LinkTemplate(list, Str(link, "templateId", path), Str(link, "newId", path), values));
                    }
                    catch (ArgumentException e)
                    {
                        throw new CedarSyntaxException(0, 0, path + ": " + e.Message);
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

    private static JsonElement Object(JsonElement e, string path) =>
        e.ValueKind == JsonValueKind.Object ? e : throw Fail(path, "expected an object");

    private static JsonElement Prop(JsonElement e, string name, string path) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out var v) ? v : throw Fail(path, "missing \"" + name + "\"");

    private static string Str(JsonElement e, string name, string path)
    {
        var v = Prop(e, name, path);
        return v.ValueKind == JsonValueKind.String ? v.GetString()! : throw Fail(path + "." + name, "expected a string");
    }

    private static EntityUid Uid(JsonElement e, string path)
    {
        try
        {
            return CedarJsonValues.ParseUid(e);
        }
        catch (CedarEvaluationException ex)
        {
            throw Fail(path, ex.Message);
        }
    }

    private static CedarPolicy ParsePolicy(string id, JsonElement e, string path)
    {
        Object(e, path);
        var effect = Str(e, "effect", path) switch
        {
            "permit" => PolicyEffect.Permit,
            "forbid" => PolicyEffect.Forbid,
            _ => throw Fail(path + ".effect", "expected \"permit\" or \"forbid\""),
        };
        var annotations = new List<KeyValuePair<string, string>>();
        if (e.TryGetProperty("annotations", out var ann) && ann.ValueKind != JsonValueKind.Null)
        {
            foreach (var a in Object(ann, path + ".annotations").EnumerateObject())
            {
                if (!CedarParser.IsAnyIdent(a.Name))
                {
                    throw Fail(path + ".annotations", "invalid annotation name " + CedarText.Quote(a.Name));
                }

                annotations.Add(new(a.Name, a.Value.ValueKind == JsonValueKind.Null ? string.Empty : a.Value.GetString() ?? string.Empty));
            }
        }

        var principal = ParseScope(Prop(e, "principal", path), path + ".principal", "?principal");
        var action = ParseActionScope(Prop(e, "action", path), path + ".action");
        var resource = ParseScope(Prop(e, "resource", path), path + ".resource", "?resource");
        var conditions = new List<CedarCondition>();
        if (e.TryGetProperty("conditions", out var conds))
        {
            int i = 0;
            foreach (var c in conds.EnumerateArray())
            {
                var cpath = path + ".conditions[" + i++.ToString(System.Globalization.CultureInfo.InvariantCulture) + "]";
                var kind = Str(c, "kind", cpath);
                if (kind is not ("when" or "unless"))
                {
                    throw Fail(cpath + ".kind", "expected \"when\" or \"unless\"");
                }

                conditions.Add(new CedarCondition(kind == "when", ParseExpr(Prop(c, "body", cpath), cpath + ".body", 0)));
            }
        }

        return new CedarPolicy(id, effect, annotations, principal, action, resource, conditions);
    }

    private static ScopeConstraint ParseScope(JsonElement e, string path, string slotName)
    {
        var op = Str(e, "op", path);
        switch (op)
        {
            case "All":
                return ScopeConstraint.AnyScope;
            case "==":
            case "in":
                return Target(e, op == "==" ? ScopeKind.Eq : ScopeKind.In, null, path, slotName);
            case "is":
                {
                    var type = Str(e, "entity_type", path);
                    if (!CedarParser.IsValidName(type))
                    {
                        throw Fail(path + ".entity_type", "invalid entity type " + CedarText.Quote(type));
                    }

                    return e.TryGetProperty("in", out var inner)
                        ? Target(inner, ScopeKind.IsIn, type, path + ".in", slotName)
                        : new ScopeConstraint(ScopeKind.Is, null, null, type, false);
                }

            default:
                throw Fail(path + ".op", "expected \"All\", \"==\", \"in\" or \"is\"");
        }
    }

    private static ScopeConstraint Target(JsonElement e, ScopeKind kind, string? type, string path, string slotName)
    {
        if (e.TryGetProperty("slot", out var slot))
        {
            return slot.ValueKind == JsonValueKind.String && slot.GetString() == slotName
                ? new ScopeConstraint(kind, null, null, type, true)
                : throw Fail(path + ".slot", "expected \"" + slotName + "\"");
        }

        return new ScopeConstraint(kind, Uid(Prop(e, "entity", path), path + ".entity"), null, type, false);
    }

    private static EntityUid ActionUid(JsonElement e, string path)
    {
        var uid = Uid(e, path);
        return CedarParser.IsActionType(uid.Type) ? uid : throw Fail(path, "expected an action entity (type Action or Namespace::Action), found type " + uid.Type);
    }

    private static ScopeConstraint ParseActionScope(JsonElement e, string path)
    {
        var op = Str(e, "op", path);
        switch (op)
        {
            case "All":
                return ScopeConstraint.AnyScope;
            case "==":
                return new ScopeConstraint(ScopeKind.Eq, ActionUid(Prop(e, "entity", path), path + ".entity"), null, null, false);
            case "in":
                if (e.TryGetProperty("entities", out var list))
                {
                    var uids = new List<EntityUid>();
                    foreach (var item in list.EnumerateArray())
                    {
                        uids.Add(ActionUid(item, path + ".entities"));
                    }

                    return new ScopeConstraint(ScopeKind.In, null, uids, null, false);
                }

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
                throw Fail(path, "an expression object must have exactly one key");
            }

            single = p;
        }

        if (single is null)
        {
            throw Fail(path, "an expression object must have exactly one key");
        }

        var key = single.Value.Name;
        var v = single.Value.Value;
        var sub = path + "." + key;
        int d = depth + 1;
        switch (key)
        {
            case "Value":
                return new LiteralExpr(CedarJsonValues.ParseValue(v, null));
            case "Var":
                return v.GetString() switch
                {
                    "principal" => new VarExpr(VarKind.Principal),
                    "action" => new VarExpr(VarKind.Action),
                    "resource" => new VarExpr(VarKind.Resource),
                    "context" => new VarExpr(VarKind.Context),
                    _ => throw Fail(sub, "unknown variable"),
                };
            case "Slot":
                throw Fail(sub, "template slots are only allowed in the policy scope");
            case "!":
                return new NotExpr(ParseExpr(Prop(v, "arg", sub), sub + ".arg", d));
            case "neg":
                {
                    var arg = ParseExpr(Prop(v, "arg", sub), sub + ".arg", d);
                    return new NegExpr(arg);
                }

            case "isEmpty":
                return new CallExpr(CedarFunctionInfo.Lookup("isEmpty")!, [ParseExpr(Prop(v, "arg", sub), sub + ".arg", d)]);
            case "&&":
                return new AndExpr(Left(v, sub, d), Right(v, sub, d));
            case "||":
                return new OrExpr(Left(v, sub, d), Right(v, sub, d));
            case "==": return new BinaryExpr(BinaryOp.Eq, Left(v, sub, d), Right(v, sub, d));
            case "!=": return new BinaryExpr(BinaryOp.NotEq, Left(v, sub, d), Right(v, sub, d));
            case "<": return new BinaryExpr(BinaryOp.Less, Left(v, sub, d), Right(v, sub, d));
            case "<=": return new BinaryExpr(BinaryOp.LessEq, Left(v, sub, d), Right(v, sub, d));
            case ">": return new BinaryExpr(BinaryOp.Greater, Left(v, sub, d), Right(v, sub, d));
            case ">=": return new BinaryExpr(BinaryOp.GreaterEq, Left(v, sub, d), Right(v, sub, d));
            case "in": return new BinaryExpr(BinaryOp.In, Left(v, sub, d), Right(v, sub, d));
            case "+": return new BinaryExpr(BinaryOp.Add, Left(v, sub, d), Right(v, sub, d));
            case "-": return new BinaryExpr(BinaryOp.Sub, Left(v, sub, d), Right(v, sub, d));
            case "*": return new BinaryExpr(BinaryOp.Mul, Left(v, sub, d), Right(v, sub, d));
            case "contains":
            case "containsAll":
            case "containsAny":
            case "getTag":
            case "hasTag":
                return new CallExpr(CedarFunctionInfo.Lookup(key)!, [Left(v, sub, d), Right(v, sub, d)]);
            case ".":
                return new GetAttrExpr(Left(v, sub, d), Str(v, "attr", sub));
            case "has":
                return new HasExpr(Left(v, sub, d), Str(v, "attr", sub));
            case "is":
                {
                    var type = Str(v, "entity_type", sub);
                    if (!CedarParser.IsValidName(type))
                    {
                        throw Fail(sub + ".entity_type", "invalid entity type " + CedarText.Quote(type));
                    }

                    CedarExpr? inExpr = v.TryGetProperty("in", out var inEl) ? ParseExpr(inEl, sub + ".in", d) : null;
                    return new IsExpr(Left(v, sub, d), type, inExpr);
                }

            case "like":
                {
                    var pattern = new List<string?>();
                    foreach (var el in Prop(v, "pattern", sub).EnumerateArray())
                    {
                        if (el.ValueKind == JsonValueKind.String && el.GetString() == "Wildcard")
                        {
                            pattern.Add(null);
                        }
                        else if (el.ValueKind == JsonValueKind.Object && el.TryGetProperty("Literal", out var lit) && lit.ValueKind == JsonValueKind.String)
                        {
                            // Adjacent literals are merged so that both formats give the same pattern.
                            var text = lit.GetString()!;
                            if (pattern.Count > 0 && pattern[^1] is { } prev)
                            {
                                pattern[^1] = prev + text;
                            }
                            else
                            {
                                pattern.Add(text);
                            }
                        }
                        else
                        {
                            throw Fail(sub + ".pattern", "expected \"Wildcard\" or {\"Literal\": string}");
                        }
                    }

                    return new LikeExpr(Left(v, sub, d), pattern);
                }

            case "if-then-else":
                return new IfExpr(
                    ParseExpr(Prop(v, "if", sub), sub + ".if", d),
                    ParseExpr(Prop(v, "then", sub), sub + ".then", d),
                    ParseExpr(Prop(v, "else", sub), sub + ".else", d));
            case "Set":
                {
                    var items = new List<CedarExpr>();
                    foreach (var item in v.EnumerateArray())
                    {
                        items.Add(ParseExpr(item, sub, d));
                    }

                    return new SetExpr(items);
                }

            case "Record":
                {
                    var fields = new List<KeyValuePair<string, CedarExpr>>();
                    foreach (var f in Object(v, sub).EnumerateObject())
                    {
                        fields.Add(new(f.Name, ParseExpr(f.Value, sub + "." + f.Name, d)));
                    }

                    return new RecordExpr(fields);
                }

            default:
                {
                    var info = CedarFunctionInfo.Lookup(key);
                    if (info is null || !info.IsExtension || v.ValueKind != JsonValueKind.Array)
                    {
                        throw Fail(sub, "unknown expression kind or function " + CedarText.Quote(key));
                    }

                    var args = new List<CedarExpr>();
                    foreach (var a in v.EnumerateArray())
                    {
                        args.Add(ParseExpr(a, sub, d));
                    }

                    return new CallExpr(info, args);
                }
        }
    }

    private static CedarExpr Left(JsonElement v, string path, int depth) => ParseExpr(Prop(v, "left", path), path + ".left", depth);

    private static CedarExpr Right(JsonElement v, string path, int depth) => ParseExpr(Prop(v, "right", path), path + ".right", depth);
}
