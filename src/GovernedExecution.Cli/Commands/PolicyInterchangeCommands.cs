using System.CommandLine;
using System.Text.Json;
using GovernedExecution.Internal;
using GovernedExecution.Policies.Cedar;

namespace GovernedExecution.Cli.Commands;

/// <summary><c>govexec policy format</c>, <c>policy translate</c> and <c>policy link</c>.</summary>
internal static class PolicyInterchangeCommands
{
    /// <summary>The formats <c>translate --to</c> writes.</summary>
    private static readonly string[] Formats = ["json", "cedar"];

    /// <summary>What <c>translate --kind</c> reads the input as.</summary>
    private static readonly string[] Kinds = ["policies", "schema"];

    /// <summary>The top-level members of Cedar's JSON policy format.</summary>
    private static readonly string[] PolicySetMembers = ["staticPolicies", "templates", "templateLinks"];

    /// <summary>The members of a namespace in Cedar's JSON schema format.</summary>
    private static readonly string[] NamespaceMembers = ["commonTypes", "entityTypes", "actions", "annotations"];

    internal static void Register(Command policy)
    {
        var file = new Argument<string>("file") { Description = "A Cedar policy file (.cedar)." };
        var check = new Option<bool>("--check") { Description = "Print nothing; exit 0 when the file is already formatted, 3 when it is not." };
        var format = new Command("format", "Print a Cedar policy file formatted as cedar format lays it out (width 80, indentation 2).") { file, check };
        format.SetAction(result => CliGuard.Run(result, () => Format(result.GetValue(file)!, result.GetValue(check), result.InvocationConfiguration.Output, result.InvocationConfiguration.Error)));
        policy.Subcommands.Add(format);

        var input = new Argument<string>("file") { Description = "Policies (a .cedar file, or Cedar's JSON policy format) or a schema (a .cedarschema file, or Cedar's JSON schema format)." };
        var to = new Option<string>("--to") { Description = "The output format: json (Cedar's JSON policy or schema format) or cedar (Cedar text).", Required = true };
        to.AcceptOnlyFromAmong(Formats);
        var kind = new Option<string?>("--kind") { Description = "Read FILE as policies or as a schema (default: by extension, .cedarschema is a schema, .json is told by its top-level members, anything else is policies)." };
        kind.AcceptOnlyFromAmong(Kinds);
        var translate = new Command("translate", "Print policies or a schema in the other format: Cedar text to Cedar's JSON format, or back.") { input, to, kind };
        translate.SetAction(result => CliGuard.Run(result, () => Translate(result.GetValue(input)!, result.GetValue(to)!, result.GetValue(kind), result.InvocationConfiguration.Output, result.InvocationConfiguration.Error)));
        policy.Subcommands.Add(translate);

        var templates = new Argument<string>("templates") { Description = "The policies holding the template: a .cedar file, a folder of them, or a JSON policy file." };
        var template = new Option<string>("--template") { Description = "The id of the template to link.", Required = true };
        var slot = new Option<string[]>("--slot") { Description = "A slot value, ?principal=Type::\"id\" or ?resource=Type::\"id\"; one per slot of the template.", Arity = ArgumentArity.OneOrMore, AllowMultipleArgumentsPerToken = false };
        var id = new Option<string?>("--id") { Description = "The id of the linked policy (default: the first free link0, link1, ...)." };
        var link = new Command("link", "Link a template with slot values; print the policy set with the link in Cedar's JSON policy format.") { templates, template, slot, id };
        link.Validators.Add(CliGuard.Validator(result =>
        {
            foreach (var value in result.GetValue(slot) ?? [])
            {
                if (!value.Contains('=', StringComparison.Ordinal))
                {
                    result.AddError($"--slot {value}: expected SLOT=ENTITY, for example ?principal=User::\"alice\"");
                }
            }
        }));
        link.SetAction(result => CliGuard.Run(result, () => Link(result.GetValue(templates)!, result.GetValue(template)!, result.GetValue(slot)!, result.GetValue(id), result.InvocationConfiguration.Output)));
        policy.Subcommands.Add(link);
    }

    /// <summary>Reads a policy file in either format (by extension) or a folder of .cedar files; templates alone are allowed.</summary>
    /// <exception cref="ArgumentException">There is neither a policy nor a template: nothing to work on.</exception>
    internal static CedarPolicySet ReadPolicies(string path)
    {
        CedarPolicySet set;
        if (Directory.Exists(path))
        {
            set = CedarPolicySet.FromDirectory(path);
        }
        else
        {
            var text = File.ReadAllText(path);
            set = path.EndsWith(".json", StringComparison.OrdinalIgnoreCase) ? CedarPolicySet.ParseJson(text, path) : CedarPolicySet.Parse(text, path);
        }

        return NotEmpty(set, path);
    }

    private static CedarPolicySet NotEmpty(CedarPolicySet set, string path) =>
        set.PolicyIds.Count + set.TemplateIds.Count > 0 ? set : throw new ArgumentException($"{path}: no policies or templates; nothing was done");

    private static int Format(string path, bool check, TextWriter output, TextWriter error)
    {
        var text = File.ReadAllText(path);
        NotEmpty(CedarPolicySet.Parse(text, path), path);
        var formatted = CedarPolicySet.Format(text, path);
        if (!check)
        {
            output.Write(formatted);
            return ExitCodes.Ok;
        }

        if (string.Equals(formatted, text, StringComparison.Ordinal))
        {
            return ExitCodes.Ok;
        }

        error.WriteLine(TerminalText.Escape($"{path}: not formatted (run govexec policy format {path})"));
        return ExitCodes.Denied;
    }

    private static int Translate(string path, string to, string? kind, TextWriter output, TextWriter error)
    {
        // A file is read once: the text that decided the kind is the text translated.
        var text = Directory.Exists(path) ? null : File.ReadAllText(path);
        var json = path.EndsWith(".json", StringComparison.OrdinalIgnoreCase);
        if (kind is null && json && text is not null)
        {
            kind = KindOfJson(text);
            if (kind is null)
            {
                CliGuard.Report(error, $"{path}: cannot tell a JSON policy set (only {string.Join(", ", PolicySetMembers)}) from a JSON schema (namespaces holding entityTypes and actions, and only {string.Join(", ", NamespaceMembers)}); pass --kind policies or --kind schema");
                return ExitCodes.Usage;
            }
        }

        kind ??= path.EndsWith(".cedarschema", StringComparison.OrdinalIgnoreCase) ? "schema" : "policies";
        if (kind == "schema")
        {
            if (text is null)
            {
                throw new ArgumentException($"{path}: a folder; a schema is one file");
            }

            var schema = json ? CedarSchema.ParseJson(text, path) : CedarSchema.Parse(text, path);
            output.Write(to == "json" ? schema.ToJson() + "\n" : schema.ToCedarText());
            return ExitCodes.Ok;
        }

        var set = text is null ? ReadPolicies(path) : NotEmpty(json ? CedarPolicySet.ParseJson(text, path) : CedarPolicySet.Parse(text, path), path);
        output.Write(to == "json" ? set.ToJson() + "\n" : CedarPolicySet.Format(set.ToCedarText(), path));
        return ExitCodes.Ok;
    }

    /// <summary>
    /// Tells the two JSON formats apart by their top-level members: a policy set has only <c>staticPolicies</c>,
    /// <c>templates</c> and <c>templateLinks</c>; a schema is an object of namespaces, each an object holding
    /// <c>entityTypes</c> and <c>actions</c> and no other member than those, <c>commonTypes</c> and <c>annotations</c>. Null when the JSON fits both (<c>{}</c>, a namespace named <c>templates</c>) or neither.
    /// </summary>
    /// <exception cref="JsonException">The file is not JSON.</exception>
    private static string? KindOfJson(string text)
    {
        using var document = JsonDocument.Parse(text);
        var root = document.RootElement;
        if (root.ValueKind != JsonValueKind.Object)
        {
            return null;
        }

        var members = root.EnumerateObject().ToList();
        var policies = members.TrueForAll(m => PolicySetMembers.Contains(m.Name, StringComparer.Ordinal));
        var schema = members.TrueForAll(m => m.Value.ValueKind == JsonValueKind.Object
            && m.Value.TryGetProperty("entityTypes", out _) && m.Value.TryGetProperty("actions", out _)
            && m.Value.EnumerateObject().All(n => NamespaceMembers.Contains(n.Name, StringComparer.Ordinal)));
        return policies == schema ? null : policies ? "policies" : "schema";
    }

    private static int Link(string path, string templateId, string[] slots, string? newId, TextWriter output)
    {
        var set = ReadPolicies(path);
        if (!set.TemplateIds.Contains(templateId, StringComparer.Ordinal))
        {
            throw new ArgumentException($"{path}: no template with id {templateId} (templates: {(set.TemplateIds.Count == 0 ? "none" : string.Join(", ", set.TemplateIds))})");
        }

        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var slot in slots)
        {
            var at = slot.IndexOf('=', StringComparison.Ordinal);
            if (!values.TryAdd(slot[..at], slot[(at + 1)..]))
            {
                throw new ArgumentException($"--slot {slot[..at]} is given twice");
            }
        }

        if (newId is null)
        {
            int n = 0;
            while (set.PolicyIds.Contains("link" + n, StringComparer.Ordinal) || set.TemplateIds.Contains("link" + n, StringComparer.Ordinal))
            {
                n++;
            }

            newId = "link" + n;
        }

        output.Write(set.Link(templateId, newId, values).ToJson() + "\n");
        return ExitCodes.Ok;
    }
}
