using System.Diagnostics;
using System.Globalization;
using GovernedExecution.Policies.Cedar;
using GovernedExecution.Testing;
using Xunit.Abstractions;

namespace GovernedExecution.Tests.Policies.Cedar;

public sealed class CedarConformanceTests
{
    /// <summary>The corpus pass count reached so far; it may only go up.</summary>
    private const int CorpusPassFloor = 62_472;

    private const int CorpusRequests = 62_472;

    /// <summary>The corpus tests that name a schema and say whether their policies validate against it (all of them).</summary>
    private const int CorpusSchemaTests = 7_809;

    private readonly ITestOutputHelper _output;

    public CedarConformanceTests(ITestOutputHelper output) => _output = output;

    private static string CedarRoot => Path.Combine(TestPaths.ConformanceRoot, "cedar");

    [Fact]
    public void Hand_written_tests_all_pass()
    {
        var path = Path.Combine(CedarRoot, "tests");
        var result = CedarConformanceRunner.Run(CedarRoot);
        Report(result);
        Assert.Equal(22, result.TestFiles);
        Assert.Equal(74, result.Requests);
        Assert.Empty(result.Failures);
        Assert.Empty(result.ValidationDisagreements);
    }

    [Fact]
    public void Corpus_pass_count_does_not_regress()
    {
        var archive = Path.Combine(CedarRoot, "corpus-tests.tar.gz");
        var watch = Stopwatch.StartNew();
        var result = CedarConformanceRunner.Run(archive);
        watch.Stop();
        _output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"corpus run took {watch.Elapsed.TotalSeconds:F1} s"));
        Report(result);
        Assert.Equal(CorpusRequests, result.Requests);
        Assert.True(result.Passed >= CorpusPassFloor, $"corpus passes {result.Passed}, floor is {CorpusPassFloor}");
        Assert.True(watch.Elapsed < TimeSpan.FromMinutes(2), "the corpus must run in under two minutes");
    }

    [Fact]
    public void Validator_agrees_with_should_validate_on_every_corpus_test()
    {
        var archive = Path.Combine(CedarRoot, "corpus-tests.tar.gz");
        var result = CedarConformanceRunner.Run(archive);
        foreach (var d in result.ValidationDisagreements.Take(20))
        {
            _output.WriteLine($"{d.TestFile}: expected {d.Expected}, got {d.Actual}");
        }

        Assert.Equal((CorpusSchemaTests, 0), (result.ValidationAgree, result.ValidationDisagreements.Count));
        Assert.Contains($"cedar validation: {CorpusSchemaTests} agree, 0 disagree", result.ToReport(), StringComparison.Ordinal);
    }

    [Fact]
    public void Corpus_passes_after_formatting_and_reparsing_every_policy()
    {
        var archive = Path.Combine(CedarRoot, "corpus-tests.tar.gz");
        var result = CedarConformanceRunner.Run(archive, roundTripText: true);
        Report(result);
        Assert.Equal(CorpusRequests, result.Requests);
        Assert.True(result.Passed >= CorpusPassFloor, $"corpus passes {result.Passed} after formatting, floor is {CorpusPassFloor}");
    }

    [Fact]
    public void Every_schema_in_the_conformance_material_is_read()
    {
        var archive = Path.Combine(CedarRoot, "corpus-tests.tar.gz");
        var failed = new List<string>();
        int count = 0;
        foreach (var (name, text) in ReadArchive(archive).Concat(Directory.EnumerateFiles(Path.Combine(CedarRoot, "sample-data"), "*.cedarschema", SearchOption.AllDirectories).Select(f => (f, File.ReadAllText(f)))))
        {
            if (!name.EndsWith(".cedarschema", StringComparison.Ordinal))
            {
                continue;
            }

            count++;
            try
            {
                CedarSchema.Parse(text, name);
            }
            catch (CedarParseException e)
            {
                failed.Add(e.ToString());
            }
        }

        Assert.True(count > 7000, $"only {count} schemas found");
        Assert.Empty(failed);
    }

    [Fact]
    public void Runner_reports_mismatches_per_request()
    {
        var dir = Directory.CreateTempSubdirectory("cedar-runner-");
        try
        {
            File.WriteAllText(Path.Combine(dir.FullName, "p.cedar"), "permit(principal == User::\"a\", action, resource);");
            File.WriteAllText(Path.Combine(dir.FullName, "e.json"), "[]");
            File.WriteAllText(Path.Combine(dir.FullName, "t.json"), """
                { "policies": "p.cedar", "entities": "e.json", "shouldValidate": true, "requests": [
                  { "description": "right", "principal": {"type": "User", "id": "a"}, "action": {"type": "Action", "id": "x"},
                    "resource": {"type": "R", "id": "r"}, "context": {}, "decision": "allow", "reason": ["policy0"], "errors": [] },
                  { "description": "wrong", "principal": {"type": "User", "id": "b"}, "action": {"type": "Action", "id": "x"},
                    "resource": {"type": "R", "id": "r"}, "context": {}, "decision": "allow", "reason": ["policy0"], "errors": [] } ] }
                """);
            var result = CedarConformanceRunner.Run(dir.FullName);
            Assert.Equal((1, 2, 1), (result.TestFiles, result.Requests, result.Passed));
            var failure = Assert.Single(result.Failures);
            Assert.Equal(("t.json", "wrong"), (failure.TestFile, failure.Description));
            Assert.Equal("allow reasons=[policy0] errors=[]", failure.Expected);
            Assert.Equal("deny reasons=[] errors=[]", failure.Actual);
            Assert.Contains("failed: 1", result.ToReport(), StringComparison.Ordinal);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    private static IEnumerable<(string Name, string Text)> ReadArchive(string archive)
    {
        using var stream = File.OpenRead(archive);
        using var gz = new System.IO.Compression.GZipStream(stream, System.IO.Compression.CompressionMode.Decompress);
        using var tar = new System.Formats.Tar.TarReader(gz);
        while (tar.GetNextEntry() is { } entry)
        {
            if (entry.DataStream is not null)
            {
                using var reader = new StreamReader(entry.DataStream);
                yield return (entry.Name, reader.ReadToEnd());
            }
        }
    }

    private void Report(CedarConformanceResult result) => _output.WriteLine(result.ToReport(200));
}
