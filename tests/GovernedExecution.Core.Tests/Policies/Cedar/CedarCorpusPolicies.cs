using System.Formats.Tar;
using System.IO.Compression;
using GovernedExecution.Testing;

namespace GovernedExecution.Tests.Policies.Cedar;

/// <summary>The Cedar policy texts of the conformance material: the corpus archive, the hand-written tests and the JSON policies.</summary>
internal static class CedarCorpusPolicies
{
    public static string CedarRoot => Path.Combine(TestPaths.ConformanceRoot, "cedar");

    /// <summary>Every <c>.cedar</c> file of the corpus archive and of the hand-written tests, by name.</summary>
    public static IEnumerable<(string Name, string Text)> CedarTexts()
    {
        using (var stream = File.OpenRead(Path.Combine(CedarRoot, "corpus-tests.tar.gz")))
        using (var gz = new GZipStream(stream, CompressionMode.Decompress))
        using (var tar = new TarReader(gz))
        {
            while (tar.GetNextEntry() is { } entry)
            {
                if (entry.DataStream is not null && entry.Name.EndsWith(".cedar", StringComparison.Ordinal))
                {
                    using var reader = new StreamReader(entry.DataStream);
                    yield return (entry.Name, reader.ReadToEnd());
                }
            }
        }

        foreach (var f in Directory.EnumerateFiles(Path.Combine(CedarRoot, "tests"), "*.cedar", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
        {
            yield return (Path.GetRelativePath(CedarRoot, f), File.ReadAllText(f));
        }
    }

    /// <summary>Every JSON policy file of json-policies/, by name.</summary>
    public static IEnumerable<(string Name, string Json)> JsonPolicyTexts()
    {
        var dir = Path.Combine(CedarRoot, "json-policies");
        foreach (var f in Directory.EnumerateFiles(dir, "*.json", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
        {
            yield return (Path.GetRelativePath(CedarRoot, f), File.ReadAllText(f));
        }
    }
}
