namespace GovernedExecution.Docs.Tests;

/// <summary>
/// Every C# block of the documentation compiles as written (docs/architecture.md, "Documentation"): as a complete
/// program, or, where it is marked <c>&lt;!-- context ... --&gt;</c>, inside the declarations the marker gives.
/// </summary>
public sealed class DocSnippetTests
{
    /// <summary>One case per block, named by its file (package READMEs without the leading <c>src/</c>) and line.</summary>
    public static TheoryData<string, int> CSharpBlocks()
    {
        var data = new TheoryData<string, int>();
        foreach (var block in Documentation.CSharpBlocks)
        {
            data.Add(ShortName(block.File), block.Line);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(CSharpBlocks))]
    public void Block_compiles(string file, int line)
    {
        var block = Documentation.CSharpBlocks.Single(b => ShortName(b.File) == file && b.Line == line);

        var diagnostics = DocSnippetCompiler.Compile(block);

        Assert.True(diagnostics.Count == 0, $"{block.Id} does not compile:\n" + string.Join("\n", diagnostics));
    }

    // Test runners cut arguments at 50 characters; the package READMEs' paths are longer.
    private static string ShortName(string file) => file.StartsWith("src/", StringComparison.Ordinal) ? file[4..] : file;

    [Fact]
    public void The_documentation_has_csharp_blocks_in_the_places_that_teach_the_api()
    {
        // A guard against the test finding nothing (a moved folder, a changed fence) and passing vacuously.
        var files = Documentation.CSharpBlocks.Select(b => b.File).ToHashSet();

        Assert.Contains("README.md", files);
        Assert.Contains("docs/getting-started.md", files);
        Assert.Contains("docs/aspnetcore.md", files);
    }

    [Fact]
    public void Markers_above_csharp_blocks_are_known()
    {
        // A misspelt marker would silently turn a fragment's context off, or a program into something else.
        var unknown = Documentation.CSharpBlocks
            .Where(b => b.Marker is not null && b.MarkerKind is not ("context" or "file"))
            .Select(b => $"{b.Id}: <!-- {b.Marker} -->")
            .ToList();

        Assert.Empty(unknown);
    }
}
