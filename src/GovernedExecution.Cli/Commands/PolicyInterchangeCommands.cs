using System.CommandLine;
using GovernedExecution.Internal;
using GovernedExecution.Policies.Cedar;

namespace GovernedExecution.Cli.Commands;

/// <summary><c>govexec policy format</c>, <c>policy translate</c> and <c>policy link</c>.</summary>
internal static class PolicyInterchangeCommands
{
    /// <summary>The formats <c>translate --to</c> writes.</summary>
    private static readonly string[] Formats = ["json", "cedar"];

    internal static void Register(Command policy)
    {
        var file = new Argument<string>("file") { Description = "A Cedar policy file (.cedar)." };
        var check = new Option<bool>("--check") { Description = "Print nothing; exit 0 when the file is already formatted, 3 when it is not." };
        var format = new Command("format", "Print a Cedar policy file formatted as cedar format lays it out (width 80, indentation 2).") { file, check };
        format.SetAction(result => CliGuard.Run(result, () => Format(result.GetValue(file)!, result.GetValue(check), result.InvocationConfiguration.Output, result.InvocationConfiguration.Error)));
        policy.Subcommands.Add(format);

        var input = new Argument<string>("file") { Description = "Policies: a .cedar file, or a .json file in Cedar's JSON policy format." };
        var to = new Option<string>("--to") { Description = "The output format: json (Cedar's JSON policy format) or cedar (policy text).", Required = true };
        to.AcceptOnlyFromAmong(Formats);
        var translate = new Command("translate", "Print policies in the other format: Cedar text to the JSON policy format, or back.") { input, to };
        translate.SetAction(result => CliGuard.Run(result, () => Translate(result.GetValue(input)!, result.GetValue(to)!, result.InvocationConfiguration.Output)));
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

    private static int Translate(string path, string to, TextWriter output)
    {
        // Each input kind has its translator; schemas (.cedarschema and the JSON schema format) join here.
        if (path.EndsWith(".cedarschema", StringComparison.OrdinalIgnoreCase))
        {
            throw new NotSupportedException($"{path}: schema translation is not available; translate accepts policies (.cedar or .json)");
        }

        var set = ReadPolicies(path);
        output.Write(to == "json" ? set.ToJson() + "\n" : CedarPolicySet.Format(set.ToCedarText(), path));
        return ExitCodes.Ok;
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
