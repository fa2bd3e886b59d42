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

    private readonly ITestOutputHelper _output;

    public CedarConformanceTests(ITestOutputHelper output) => _output = output;

    private static string CedarRoot => Path.Combine(TestPaths.ConformanceRoot, "cedar");

    [SkippableFact]
    public void Hand_written_tests_all_pass()
    {
        var path = Path.Combine(CedarRoot, "tests");
        Skip.If(!Directory.Exists(path), $"Cedar hand-written tests not found at {path}");

        var result = CedarConformanceRunner.Run(CedarRoot);
        Report(result);
        Assert.Equal(22, result.TestFiles);
        Assert.Equal(74, result.Requests);
        Assert.Empty(result.Failures);
    }

    [SkippableFact]
    public void Corpus_pass_count_does_not_regress()
    {
        var archive = Path.Combine(CedarRoot, "corpus-tests.tar.gz");
        Skip.If(!File.Exists(archive), $"Cedar corpus not found at {archive}");

        var watch = Stopwatch.StartNew();
        var result = CedarConformanceRunner.Run(archive);
        watch.Stop();
        _output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"corpus run took {watch.Elapsed.TotalSeconds:F1} s"));
        Report(result);
        Assert.Equal(CorpusRequests, result.Requests);
        Assert.True(result.Passed >= CorpusPassFloor, $"corpus passes {result.Passed}, floor is {CorpusPassFloor}");
        Assert.True(watch.Elapsed < TimeSpan.FromMinutes(2), "the corpus must run in under two minutes");
    }

    [SkippableFact]
    public void Corpus_passes_after_formatting_and_reparsing_every_policy()
    {
        var archive = Path.Combine(CedarRoot, "corpus-tests.tar.gz");
        Skip.If(!File.Exists(archive), $"Cedar corpus not found at {archive}");

        var result = CedarConformanceRunner.Run(archive, roundTripText: true);
        Report(result);
        Assert.Equal(CorpusRequests, result.Requests);
        Assert.True(result.Passed >= CorpusPassFloor, $"corpus passes {result.Passed} after formatting, floor is {CorpusPassFloor}");
    }

    private void Report(CedarConformanceResult result)
    {
        _output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"files={result.TestFiles} requests={result.Requests} passed={result.Passed} failed={result.Failures.Count}"));
        int shown = 0;
        foreach (var f in result.Failures)
        {
            if (shown++ >= 200)
            {
                break;
            }

            _output.WriteLine($"{f.TestFile} [{f.Description}]\n  expected {f.Expected}\n  actual   {f.Actual}");
        }
    }
}
