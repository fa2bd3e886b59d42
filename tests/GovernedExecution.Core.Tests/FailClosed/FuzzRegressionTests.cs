using GovernedExecution.Fuzz;
using GovernedExecution.Testing;

namespace GovernedExecution.Tests.FailClosed;

/// <summary>
/// Replays every fuzz seed and every input the fuzzer ever found crashing or hanging (tests/fuzz/regressions) through
/// the same targets the fuzzer runs: each must be accepted or rejected as documented.
/// </summary>
public sealed class FuzzRegressionTests
{
    public static TheoryData<string, string> Inputs()
    {
        var data = new TheoryData<string, string>();
        var fuzz = Path.Combine(TestPaths.RepositoryRoot, "tests", "fuzz");
        foreach (var folder in new[] { "seeds", "regressions" })
        {
            foreach (var target in FuzzTargets.All.Keys)
            {
                var dir = Path.Combine(fuzz, folder, target);
                if (Directory.Exists(dir))
                {
                    foreach (var file in Directory.EnumerateFiles(dir).Order(StringComparer.Ordinal))
                    {
                        data.Add(target, Path.GetRelativePath(fuzz, file));
                    }
                }
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Inputs))]
    public async Task Input_is_handled(string target, string file)
    {
        var bytes = await File.ReadAllBytesAsync(Path.Combine(TestPaths.RepositoryRoot, "tests", "fuzz", file));
        await Task.Run(() => FuzzTargets.All[target](bytes)).WaitAsync(TimeSpan.FromSeconds(30));
    }

    [Fact]
    public void Generated_seeds_are_handled()
    {
        var folder = Directory.CreateTempSubdirectory("govexec-seeds-");
        try
        {
            FuzzTargets.WriteSeeds(folder.FullName);
            FuzzTargets.Artifact(File.ReadAllBytes(Path.Combine(folder.FullName, "artifact", "artifact.cose")));
            FuzzTargets.Lineage(File.ReadAllBytes(Path.Combine(folder.FullName, "lineage", "log.jsonl")));
            Assert.True(File.Exists(Path.Combine(folder.FullName, "artifact", "artifact.cose")));
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }
}
