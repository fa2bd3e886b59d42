using System.Text;
using System.Text.RegularExpressions;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace GovernedExecution.Docs.Tests;

/// <summary>
/// Compiles a documentation C# block as the <c>Program.cs</c> of a new project: top-level statements, nullable
/// reference types on, the SDK's implicit <c>using</c> lines (the Web SDK's with <c>&lt;!-- context web --&gt;</c>),
/// against this test's assemblies (every package of the repository and its dependencies) and the shared frameworks.
/// A block marked <c>&lt;!-- context ... --&gt;</c> is compiled inside the code the marker gives: the text before a
/// line <c>---</c> goes after the block's own <c>using</c> lines, the text after it after the block.
/// </summary>
internal static partial class DocSnippetCompiler
{
    private static readonly string[] ConsoleUsings =
        ["System", "System.Collections.Generic", "System.IO", "System.Linq", "System.Net.Http", "System.Threading", "System.Threading.Tasks"];

    private static readonly string[] WebUsings =
    [
        .. ConsoleUsings, "System.Net.Http.Json", "Microsoft.AspNetCore.Builder", "Microsoft.AspNetCore.Hosting", "Microsoft.AspNetCore.Http",
        "Microsoft.AspNetCore.Routing", "Microsoft.Extensions.Configuration", "Microsoft.Extensions.DependencyInjection",
        "Microsoft.Extensions.Hosting", "Microsoft.Extensions.Logging",
    ];

    private static readonly Lazy<IReadOnlyList<MetadataReference>> References = new(LoadReferences);

    /// <summary>The diagnostics (errors and warnings) of compiling <paramref name="block"/>, as <c>file(line,col): id message</c>.</summary>
    public static IReadOnlyList<string> Compile(MarkdownCodeBlock block)
    {
        var (web, before, after) = ParseContext(block);
        var parse = new CSharpParseOptions(LanguageVersion.Latest);

        var (usings, rest, restLine) = SplitLeadingUsings(block.Text);
        var source = new StringBuilder()
            .Append("#line ").Append(block.Line + 1).Append(" \"").Append(block.File).Append("\"\n")
            .Append(usings)
            .Append("#line 1 \"").Append(block.File).Append(" (context above line ").Append(block.Line).Append(")\"\n")
            .Append(before)
            .Append("#line ").Append(block.Line + 1 + restLine).Append(" \"").Append(block.File).Append("\"\n")
            .Append(rest)
            .Append("#line 1 \"").Append(block.File).Append(" (context below line ").Append(block.Line).Append(")\"\n")
            .Append(after)
            .ToString();

        var implicitUsings = string.Concat((web ? WebUsings : ConsoleUsings).Select(u => $"global using global::{u};\n"));
        var compilation = CSharpCompilation.Create(
            "DocSnippet",
            [CSharpSyntaxTree.ParseText(implicitUsings, parse, "GlobalUsings.g.cs"), CSharpSyntaxTree.ParseText(source, parse, block.File)],
            References.Value,
            new CSharpCompilationOptions(OutputKind.ConsoleApplication, nullableContextOptions: NullableContextOptions.Enable));

        return compilation.GetDiagnostics()
            .Where(d => d.Severity is DiagnosticSeverity.Error or DiagnosticSeverity.Warning)
            .Select(d =>
            {
                var span = d.Location.GetMappedLineSpan();
                return $"{span.Path}({span.StartLinePosition.Line + 1},{span.StartLinePosition.Character + 1}): {d.Severity} {d.Id}: {d.GetMessage(System.Globalization.CultureInfo.InvariantCulture)}";
            })
            .ToList();
    }

    private static (bool Web, string Before, string After) ParseContext(MarkdownCodeBlock block)
    {
        if (block.MarkerKind != "context")
        {
            return (false, "", "");
        }

        var lines = block.Marker!["context".Length..].Split('\n'); // options on the keyword's line, then code
        var options = lines[0].Trim();
        var web = options switch
        {
            "" => false,
            "web" => true,
            _ => throw new InvalidOperationException($"{block.Id}: unknown context option '{options}' (only 'web')"),
        };

        var code = lines.Skip(1).ToList();
        var separator = code.FindIndex(l => l.Trim() == "---");
        var before = separator < 0 ? code : code[..separator];
        var after = separator < 0 ? [] : code[(separator + 1)..];
        return (web, string.Concat(before.Select(l => l + "\n")), string.Concat(after.Select(l => l + "\n")));
    }

    /// <summary>The block's leading <c>using</c> directives (which must stay first), the rest, and the rest's first line in the block.</summary>
    private static (string Usings, string Body, int BodyLine) SplitLeadingUsings(string text)
    {
        var lines = text.Split('\n');
        var count = 0;
        while (count < lines.Length && (UsingDirective().IsMatch(lines[count]) || string.IsNullOrWhiteSpace(lines[count]) || lines[count].TrimStart().StartsWith("//", StringComparison.Ordinal)))
        {
            count++;
        }

        // Comments and blank lines after the last directive belong to the code that follows.
        while (count > 0 && !UsingDirective().IsMatch(lines[count - 1]))
        {
            count--;
        }

        return (string.Concat(lines[..count].Select(l => l + "\n")), string.Join("\n", lines[count..]), count);
    }

    private static List<MetadataReference> LoadReferences()
    {
        var paths = ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!).Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries);
        return paths
            .Where(p => p.EndsWith(".dll", StringComparison.OrdinalIgnoreCase))
            .GroupBy(Path.GetFileName, StringComparer.OrdinalIgnoreCase)
            .Select(g => (MetadataReference)MetadataReference.CreateFromFile(g.First()))
            .ToList();
    }

    [GeneratedRegex(@"^\s*(global\s+)?using\s+(static\s+)?[\w.]+(\s*=\s*[\w.<>, ]+)?\s*;\s*(//.*)?$")]
    private static partial Regex UsingDirective();
}
