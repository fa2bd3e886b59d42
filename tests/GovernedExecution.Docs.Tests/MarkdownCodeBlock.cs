using System.Text.RegularExpressions;

namespace GovernedExecution.Docs.Tests;

/// <summary>
/// A fenced code block of a Markdown file, with the HTML comment (if any) on the line right above its fence: the
/// marker that says what the block is (<c>&lt;!-- context ... --&gt;</c>, <c>&lt;!-- file: PATH --&gt;</c>,
/// <c>&lt;!-- run --&gt;</c>, <c>&lt;!-- output --&gt;</c>; docs/architecture.md, "Documentation").
/// </summary>
internal sealed record MarkdownCodeBlock(string File, int Line, string Language, string Text, string? Marker)
{
    /// <summary>Where the block is, as a test case names it: the repository-relative file and the fence's line.</summary>
    public string Id => $"{File}:{Line}";

    /// <summary>The marker's keyword (<c>context</c>, <c>file</c>, <c>run</c>, <c>output</c>), or null.</summary>
    public string? MarkerKind => Marker is null ? null : Regex.Match(Marker, @"^[a-z]+").Value;

    /// <summary>What follows the marker's keyword (and its colon, if any), up to the end of the comment.</summary>
    public string MarkerArgument => Marker is null ? "" : Marker[MarkerKind!.Length..].TrimStart(':').Trim();

    /// <summary>Every fenced block of the Markdown file at <paramref name="relativePath"/> under <paramref name="root"/>.</summary>
    public static IReadOnlyList<MarkdownCodeBlock> Read(string root, string relativePath)
    {
        var lines = System.IO.File.ReadAllLines(Path.Combine(root, relativePath));
        var blocks = new List<MarkdownCodeBlock>();
        for (var i = 0; i < lines.Length; i++)
        {
            var fence = Regex.Match(lines[i], @"^(\s*)(```+)\s*([A-Za-z0-9#+-]*)\s*$");
            if (!fence.Success)
            {
                continue;
            }

            var indent = fence.Groups[1].Value.Length;
            var close = fence.Groups[2].Value;
            var start = i;
            var body = new List<string>();
            for (i++; i < lines.Length && lines[i].Trim() != close; i++)
            {
                body.Add(lines[i].Length >= indent && string.IsNullOrWhiteSpace(lines[i][..indent]) ? lines[i][indent..] : lines[i].TrimStart());
            }

            blocks.Add(new MarkdownCodeBlock(relativePath.Replace('\\', '/'), start + 1, fence.Groups[3].Value.ToLowerInvariant(), string.Join("\n", body) + "\n", MarkerAbove(lines, start)));
        }

        return blocks;
    }

    /// <summary>The text of an HTML comment that ends on the line right above <paramref name="fenceIndex"/>.</summary>
    private static string? MarkerAbove(string[] lines, int fenceIndex)
    {
        var end = fenceIndex - 1;
        if (end < 0 || !lines[end].TrimEnd().EndsWith("-->", StringComparison.Ordinal))
        {
            return null;
        }

        var start = end;
        while (start >= 0 && !lines[start].TrimStart().StartsWith("<!--", StringComparison.Ordinal))
        {
            start--;
        }

        if (start < 0)
        {
            return null;
        }

        var text = string.Join("\n", lines[start..(end + 1)]).Trim();
        return text[4..^3].Trim();
    }
}
