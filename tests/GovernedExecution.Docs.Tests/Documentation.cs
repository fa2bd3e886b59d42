namespace GovernedExecution.Docs.Tests;

/// <summary>The repository's documentation: README.md, docs/*.md and each package's README.</summary>
internal static class Documentation
{
    public static string RepositoryRoot { get; } = FindRoot();

    /// <summary>The documentation files, repository-relative, in a stable order.</summary>
    public static IReadOnlyList<string> Files { get; } =
    [
        "README.md",
        .. Directory.GetFiles(Path.Combine(RepositoryRoot, "docs"), "*.md").Select(Relative).Order(StringComparer.Ordinal),
        .. Directory.GetDirectories(Path.Combine(RepositoryRoot, "src"))
            .Select(d => Path.Combine(d, "README.md")).Where(File.Exists).Select(Relative).Order(StringComparer.Ordinal),
    ];

    /// <summary>Every fenced block of every documentation file.</summary>
    public static IReadOnlyList<MarkdownCodeBlock> Blocks { get; } = Files.SelectMany(f => MarkdownCodeBlock.Read(RepositoryRoot, f)).ToList();

    /// <summary>Every C# block (fences <c>csharp</c>, <c>cs</c> and <c>c#</c>).</summary>
    public static IReadOnlyList<MarkdownCodeBlock> CSharpBlocks { get; } = Blocks.Where(b => b.Language is "csharp" or "cs" or "c#").ToList();

    private static string Relative(string path) => Path.GetRelativePath(RepositoryRoot, path).Replace('\\', '/');

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "GovernedExecution.Core.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("The repository root (GovernedExecution.Core.sln) is not above " + AppContext.BaseDirectory);
    }
}
