using System.Diagnostics;
using System.Reflection;
using System.Text.RegularExpressions;
using GovernedExecution.Artifacts.Keys;
using GovernedExecution.Lineage;
using Xunit.Abstractions;

namespace GovernedExecution.Docs.Tests;

/// <summary>
/// docs/getting-started.md followed literally: its files (<c>&lt;!-- file: PATH --&gt;</c> blocks) written into a new
/// folder, its commands (<c>&lt;!-- run --&gt;</c> blocks) run there in order, the program's output compared with the
/// <c>&lt;!-- output --&gt;</c> block, and the lineage it wrote verified. The only liberty taken: the package
/// references to this repository's packages become project references (the packages are not published from here).
/// </summary>
public sealed class GettingStartedTests(ITestOutputHelper log)
{
    private const string Doc = "docs/getting-started.md";
    private static readonly TimeSpan CommandLimit = TimeSpan.FromMinutes(8);

    private static readonly string Configuration =
        typeof(GettingStartedTests).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration ?? "Debug";

    [Fact]
    public async Task Getting_started_followed_literally_runs_prints_what_it_says_and_leaves_a_verifiable_lineage()
    {
        var blocks = MarkdownCodeBlock.Read(Documentation.RepositoryRoot, Doc);
        var files = blocks.Where(b => b.MarkerKind == "file").ToList();
        var runs = blocks.Where(b => b.MarkerKind == "run").ToList();
        var expected = Assert.Single(blocks, b => b.MarkerKind == "output");
        Assert.Contains(files, f => f.MarkerArgument.EndsWith(".csproj", StringComparison.Ordinal));
        Assert.Contains(files, f => f.MarkerArgument == "Program.cs");
        Assert.Contains(files, f => f.MarkerArgument.EndsWith(".cedar", StringComparison.Ordinal));

        var folder = Directory.CreateTempSubdirectory("getting-started-").FullName;
        try
        {
            foreach (var file in files)
            {
                var path = Path.Combine(folder, file.MarkerArgument);
                Directory.CreateDirectory(Path.GetDirectoryName(path)!);
                var text = file.MarkerArgument.EndsWith(".csproj", StringComparison.Ordinal) ? ToProjectReferences(file.Text) : file.Text;
                await File.WriteAllTextAsync(path, text);
            }

            string? programOutput = null;
            foreach (var command in runs.SelectMany(r => r.Text.Split('\n')).Select(l => Regex.Replace(l, @"\s+#.*$", "").Trim()).Where(l => l.Length > 0))
            {
                var run = await RunAsync(folder, command);
                Assert.True(run.Code == 0, $"'{command}' in {Doc} failed: {run}");
                if (command.StartsWith("dotnet run", StringComparison.Ordinal))
                {
                    programOutput = run.Output;
                }
            }

            Assert.NotNull(programOutput);
            AssertInOrder(expected.Text.Split('\n', StringSplitOptions.RemoveEmptyEntries), programOutput);

            // The host closed its lineage on shutdown: a complete, signed, closed log an auditor accepts.
            var lineage = Directory.GetFiles(Path.Combine(folder, "lineage"), "*.jsonl");
            using var trusted = TrustedKey.FromPem(await File.ReadAllTextAsync(Path.Combine(folder, "keys", "signing.pub.pem")));
            var verdict = LineageVerifier.VerifyFiles(lineage, [trusted]);
            Assert.True(verdict.IsValid, verdict.ToString());
            Assert.True(verdict.Records > 0 && verdict.Checkpoints > 0, $"{verdict.Records} records, {verdict.Checkpoints} checkpoints");
            Assert.Empty(verdict.Notices);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    /// <summary>A <c>&lt;PackageReference Include="GovernedExecution.X" ... /&gt;</c> becomes a reference to src/GovernedExecution.X.</summary>
    private static string ToProjectReferences(string project) => Regex.Replace(
        project,
        @"<PackageReference\s+Include=""(GovernedExecution\.[\w.]+)""[^>]*/>",
        m =>
        {
            var csproj = Path.Combine(Documentation.RepositoryRoot, "src", m.Groups[1].Value, m.Groups[1].Value + ".csproj");
            Assert.True(File.Exists(csproj), "no project for the package " + m.Groups[1].Value);
            return $"<ProjectReference Include=\"{csproj}\" />";
        });

    private static void AssertInOrder(IEnumerable<string> expectedLines, string output)
    {
        var actual = output.Replace("\r", "").Split('\n').Select(l => l.TrimEnd()).ToList();
        var at = 0;
        foreach (var line in expectedLines.Select(l => l.TrimEnd()))
        {
            var found = actual.FindIndex(at, a => a == line);
            Assert.True(found >= 0, $"The program did not print '{line}' (in this order) as {Doc} says. It printed:\n{output}");
            at = found + 1;
        }
    }

    /// <summary>One line of a run block: <c>govexec ...</c>, <c>dotnet run</c> or <c>mkdir DIR</c>; nothing else is followed.</summary>
    private async Task<Run> RunAsync(string folder, string command)
    {
        var words = command.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        var start = new ProcessStartInfo("dotnet") { WorkingDirectory = folder, RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true };
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        start.Environment["DOTNET_NOLOGO"] = "1";
        start.Environment["MSBUILDDISABLENODEREUSE"] = "1"; // leave no build nodes running after the test
        switch (words)
        {
            case ["mkdir", var directory]:
                Directory.CreateDirectory(Path.Combine(folder, directory));
                return new Run(0, "", "");
            case ["govexec", .. var args]:
                var govexec = Path.Combine(Documentation.RepositoryRoot, "src", "GovernedExecution.Cli", "bin", Configuration, "net10.0", "govexec.dll");
                Assert.True(File.Exists(govexec), "govexec is not built: " + govexec);
                start.ArgumentList.Add(govexec);
                args.ToList().ForEach(start.ArgumentList.Add);
                break;
            case ["dotnet", "run", .. var args]:
                // The configuration this test was built in: the referenced projects are then already built.
                start.ArgumentList.Add("run");
                start.ArgumentList.Add("-c");
                start.ArgumentList.Add(Configuration);
                args.ToList().ForEach(start.ArgumentList.Add);
                break;
            default:
                Assert.Fail($"{Doc} asks to run '{command}', which this test does not know how to follow.");
                break;
        }

        using var process = Process.Start(start)!;
        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using (var limit = new CancellationTokenSource(CommandLimit))
        {
            try
            {
                await process.WaitForExitAsync(limit.Token);
            }
            catch (OperationCanceledException)
            {
                process.Kill(entireProcessTree: true);
                throw new TimeoutException($"'{command}' did not end within {CommandLimit}.");
            }
        }

        var run = new Run(process.ExitCode, await stdout, await stderr);
        log.WriteLine($"$ {command}\n{run}");
        return run;
    }

    private sealed record Run(int Code, string Output, string Error)
    {
        public override string ToString() => $"exit {Code}\nstdout:\n{Output}\nstderr:\n{Error}";
    }
}
