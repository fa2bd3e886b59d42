using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace GovernedExecution.Policies.Cedar;

/// <summary>Writes policies in Cedar's JSON policy format (EST), in the shape the official engine writes.</summary>
internal static class CedarJsonPolicyWriter
{
    private static readonly JsonWriterOptions Options = new()
    {
        Indented = true,
        IndentSize = 2,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        MaxDepth = 0,
        SkipValidation = false,
    };

    public static string WritePolicySet(IReadOnlyList<CedarPolicy> policies)
    {
        var sorted = new List<CedarPolicy>(policies);
        sorted.Sort((a, b) => string.CompareOrdinal(a.Id, b.Id));
        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream, Options))
        {
            w.WriteStartObject();
            w.WriteStartObject("staticPolicies");
            foreach (var p in sorted)
            {
                if (!p.IsTemplate && p.TemplateId is null)
                {
                    w.WritePropertyName(p.Id);
                    WritePolicy(w, p);
                }
            }

            w.WriteEndObject();
            w.WriteStartObject("templates");
            foreach (var p in sorted)
            {
                if (p.IsTemplate)
                {
                    w.WritePropertyName(p.Id);
                    WritePolicy(w, p);
                }
            }

            w.WriteEndObject();
            w.WriteStartArray("templateLinks");
            foreach (var p in sorted)
            {
                if (p.TemplateId is not null)
                {
                    w.WriteStartObject();
                    w.WriteString("templateId", p.TemplateId);
                    w.WriteString("newId", p.Id);
                    w.WriteStartObject("values");
                    foreach (var kv in p.SlotValues!.OrderBy(kv => kv.Key, StringComparer.Ordinal))
                    {
                        w.WritePropertyName(kv.Key);
                        WriteUid(w, kv.Value);
                    }

                    w.WriteEndObject();
                    w.WriteEndObject();
                }
            }

            w.WriteEndArray();
            w.WriteEndObject();
        }

        return Encoding.UTF8.GetString(stream.ToArray());
    }

    public static string WritePolicy(CedarPolicy policy)
    {
        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream, Options))
        {
            WritePolicy(w, policy);
        }

        return Encoding.UTF8.GetString(stream.ToArray());
    }

    private static void WritePolicy(Utf8JsonWriter w, CedarPolicy p)
    {
        w.WriteStartObject();
        w.WriteString("effect", p.Effect == PolicyEffect.Permit ? "permit" : "forbid");
        w.WritePropertyName("principal");
        WriteScope(w, p.Principal, "?principal");
        w.WritePropertyName("action");
        WriteScope(w, p.Action, "?action");
        w.WritePropertyName("resource");
        WriteScope(w, p.Resource, "?resource");
        w.WriteStartArray("conditions");
        foreach (var c in p.Conditions)
        {
            w.WriteStartObject();
            w.WriteString("kind", c.IsWhen ? "when" : "unless");
            w.WritePropertyName("body");
            WriteExpr(w, c.Body);
            w.WriteEndObject();
        }

        w.WriteEndArray();
        if (p.Annotations.Count > 0)
        {
            w.WriteStartObject("annotations");
            foreach (var a in p.Annotations)
            {
                if (p.ValuelessAnnotations.Contains(a.Key))
                {
                    w.WriteNull(a.Key);
                }
                else
                {
                    w.WriteString(a.Key, a.Value);
                }
            }

            w.WriteEndObject();
        }

        w.WriteEndObject();
    }

    private static void WriteScope(Utf8JsonWriter w, ScopeConstraint s, string slotName)
    {
        w.WriteStartObject();
        switch (s.Kind)
        {
            case ScopeKind.Eq:
                w.WriteString("op", "==");
                WriteTarget(w, s, slotName);
                break;
            case ScopeKind.In:
                w.WriteString("op", "in");
                if (s.Entities is { Count: not 1 } list)
                {
                    w.WriteStartArray("entities");
                    foreach (var e in list)
                    {
                        WriteUid(w, e);
                    }

                    w.WriteEndArray();
                }
                else
                {
                    WriteTarget(w, s, slotName);
                }

                break;
            case ScopeKind.Is:
                w.WriteString("op", "is");
                w.WriteString("entity_type", s.EntityType);
                break;
            case ScopeKind.IsIn:
                w.WriteString("op", "is");
                w.WriteString("entity_type", s.EntityType);
                w.WriteStartObject("in");
                WriteTarget(w, s, slotName);
                w.WriteEndObject();
                break;
            default:
                w.WriteString("op", "All");
                break;
        }

        w.WriteEndObject();
    }

    private static void WriteTarget(Utf8JsonWriter w, ScopeConstraint s, string slotName)
    {
        if (s.IsSlot)
        {
            w.WriteString("slot", slotName);
            return;
        }

        w.WritePropertyName("entity");
        WriteUid(w, s.Entity ?? s.Entities![0]);
    }

    private static void WriteUid(Utf8JsonWriter w, EntityUid uid)
    {
        w.WriteStartObject();
        w.WriteString("type", uid.Type);
        w.WriteString("id", uid.Id);
        w.WriteEndObject();
    }

    private static void WriteExpr(Utf8JsonWriter w, CedarExpr e)
    {
        if (e is LiteralExpr extension && HasExtensionValue(extension.Value))
        {
            WriteExtensionLiteral(w, extension.Value);
            return;
        }

        w.WriteStartObject();
        switch (e)
        {
            case LiteralExpr lit:
                w.WritePropertyName("Value");
                WriteValue(w, lit.Value);
                break;
            case VarExpr v:
                w.WriteString("Var", VarExpr.Name(v.Var));
                break;
            case SlotExpr s:
                w.WriteString("Slot", s.IsPrincipal ? "?principal" : "?resource");
                break;
            case NotExpr n:
                Unary(w, "!", n.Operand);
                break;
            case NegExpr n:
                Unary(w, "neg", n.Operand);
                break;
            case AndExpr a:
                Binary(w, "&&", a.Left, a.Right);
                break;
            case OrExpr o:
                Binary(w, "||", o.Left, o.Right);
                break;
            case BinaryExpr b:
                Binary(w, BinaryExpr.Symbol(b.Op), b.Left, b.Right);
                break;
            case GetAttrExpr g:
                w.WriteStartObject(".");
                w.WritePropertyName("left");
                WriteExpr(w, g.Target);
                w.WriteString("attr", g.Attr);
                w.WriteEndObject();
                break;
            case HasExpr h:
                w.WriteStartObject("has");
                w.WritePropertyName("left");
                WriteExpr(w, h.Target);
                if (h.Path.Count == 1)
                {
                    w.WriteString("attr", h.Path[0]);
                }
                else
                {
                    w.WriteStartArray("attr");
                    foreach (var a in h.Path)
                    {
                        w.WriteStringValue(a);
                    }

                    w.WriteEndArray();
                }

                w.WriteEndObject();
                break;
            case IsExpr i:
                w.WriteStartObject("is");
                w.WritePropertyName("left");
                WriteExpr(w, i.Target);
                w.WriteString("entity_type", i.EntityType);
                if (i.InExpr is not null)
                {
                    w.WritePropertyName("in");
                    WriteExpr(w, i.InExpr);
                }

                w.WriteEndObject();
                break;
            case LikeExpr l:
                w.WriteStartObject("like");
                w.WritePropertyName("left");
                WriteExpr(w, l.Target);
                w.WriteStartArray("pattern");
                foreach (var piece in l.Pattern)
                {
                    if (piece is null)
                    {
                        w.WriteStringValue("Wildcard");
                        continue;
                    }

                    // The official engine writes one literal per character.
                    foreach (var rune in piece.EnumerateRunes())
                    {
                        w.WriteStartObject();
                        w.WriteString("Literal", rune.ToString());
                        w.WriteEndObject();
                    }
                }

                w.WriteEndArray();
                w.WriteEndObject();
                break;
            case IfExpr i:
                w.WriteStartObject("if-then-else");
                w.WritePropertyName("if");
                WriteExpr(w, i.Cond);
                w.WritePropertyName("then");
                WriteExpr(w, i.Then);
                w.WritePropertyName("else");
                WriteExpr(w, i.Else);
                w.WriteEndObject();
                break;
            case SetExpr s:
                w.WriteStartArray("Set");
                foreach (var item in s.Items)
                {
                    WriteExpr(w, item);
                }

                w.WriteEndArray();
                break;
            case RecordExpr r:
                w.WriteStartObject("Record");
                foreach (var f in r.Fields)
                {
                    w.WritePropertyName(f.Key);
                    WriteExpr(w, f.Value);
                }

                w.WriteEndObject();
                break;
            case CallExpr c when c.Info.IsExtension:
                w.WriteStartArray(c.Info.Name);
                foreach (var a in c.Args)
                {
                    WriteExpr(w, a);
                }

                w.WriteEndArray();
                break;
            case CallExpr c when c.Args.Count == 1:
                Unary(w, c.Info.Name, c.Args[0]);
                break;
            case CallExpr c:
                Binary(w, c.Info.Name, c.Args[0], c.Args[1]);
                break;
            default:
                throw new InvalidOperationException("no JSON form for " + e.GetType().Name);
        }

        w.WriteEndObject();
    }

    private static void Unary(Utf8JsonWriter w, string name, CedarExpr arg)
    {
        w.WriteStartObject(name);
        w.WritePropertyName("arg");
        WriteExpr(w, arg);
        w.WriteEndObject();
    }

    private static void Binary(Utf8JsonWriter w, string name, CedarExpr left, CedarExpr right)
    {
        w.WriteStartObject(name);
        w.WritePropertyName("left");
        WriteExpr(w, left);
        w.WritePropertyName("right");
        WriteExpr(w, right);
        w.WriteEndObject();
    }

    private static bool HasExtensionValue(CedarValue v) => v switch
    {
        DecimalValue or IpValue or DatetimeValue or DurationValue => true,
        SetValue s => s.Items.Any(HasExtensionValue),
        RecordValue r => r.Attrs.Values.Any(HasExtensionValue),
        _ => false,
    };

    // A literal holding extension values (read from a JSON "Value" with "__extn") is written as the expression
    // that constructs it, which needs no textual form of the value.
    private static void WriteExtensionLiteral(Utf8JsonWriter w, CedarValue v)
    {
        switch (v)
        {
            case SetValue s:
                WriteExpr(w, new SetExpr(s.Items.Select(i => (CedarExpr)new LiteralExpr(i)).ToList()));
                break;
            case RecordValue r:
                WriteExpr(w, new RecordExpr(r.Attrs.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => new KeyValuePair<string, CedarExpr>(kv.Key, new LiteralExpr(kv.Value))).ToList()));
                break;
            default:
                WriteExpr(w, CedarParser.ParseExpression(v.ToString()!));
                break;
        }
    }

    private static void WriteValue(Utf8JsonWriter w, CedarValue v)
    {
        switch (v)
        {
            case BoolValue b:
                w.WriteBooleanValue(b.Value);
                break;
            case LongValue l:
                w.WriteNumberValue(l.Value);
                break;
            case StringValue s:
                w.WriteStringValue(s.Value);
                break;
            case EntityUid uid:
                w.WriteStartObject();
                w.WritePropertyName("__entity");
                WriteUid(w, uid);
                w.WriteEndObject();
                break;
            case SetValue s:
                w.WriteStartArray();
                foreach (var item in s.Items)
                {
                    WriteValue(w, item);
                }

                w.WriteEndArray();
                break;
            case RecordValue r:
                w.WriteStartObject();
                foreach (var kv in r.Attrs.OrderBy(kv => kv.Key, StringComparer.Ordinal))
                {
                    w.WritePropertyName(kv.Key);
                    WriteValue(w, kv.Value);
                }

                w.WriteEndObject();
                break;
            default:
                throw new InvalidOperationException("no JSON value form for " + v.GetType().Name);
        }
    }
}
