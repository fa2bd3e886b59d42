using System.Diagnostics;
using GovernedExecution.Cli;
using GovernedExecution.Testing;

namespace GovernedExecution.Tests.Cli;

/// <summary>Runs <c>govexec</c>: in process through the same entry point as the tool, or as the built tool in a child process.</summary>
internal static class Govexec
{
    internal sealed record Run(int Code, string Output, string Error)
    {
        /// <summary>What an auditor sees when the tool crashed instead of reporting: a stack trace or an unhandled exception.</summary>
        internal void AssertNoCrash()
        {
            Assert.DoesNotContain("Unhandled exception", Error, StringComparison.Ordinal);
            Assert.DoesNotContain("internal error", Error, StringComparison.Ordinal);
            Assert.DoesNotContain("   at ", Error, StringComparison.Ordinal);
        }

        public override string ToString() => $"exit {Code}\nstdout: {Output}\nstderr: {Error}";
    }

    internal static async Task<Run> InProcessAsync(params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var code = await GovexecApp.RunAsync(args, output, error, CancellationToken.None);
        return new Run(code, output.ToString(), error.ToString());
    }

    internal static async Task<Run> ProcessAsync(params string[] args)
    {
        var configuration = new DirectoryInfo(AppContext.BaseDirectory).Parent!.Name;
        var dll = Path.Combine(TestPaths.RepositoryRoot, "src", "GovernedExecution.Cli", "bin", configuration, "net10.0", "govexec.dll");
        Assert.True(File.Exists(dll), "govexec not built: " + dll);
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true, UseShellExecute = false };
        start.ArgumentList.Add(dll);
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return new Run(process.ExitCode, await stdout, await stderr);
    }
}
