namespace GovernedExecution.Testing;

/// <summary>Locates the repository root and the third-party conformance data in it.</summary>
public static class TestPaths
{
    /// <summary>The repository root (the folder holding GovernedExecution.Core.sln).</summary>
    public static string RepositoryRoot { get; } = FindRoot();

    /// <summary>The third-party conformance data (Cedar, COSE, Merkle), kept in the repository: tests/conformance (see its README).</summary>
    public static string ConformanceRoot { get; } = Path.Combine(RepositoryRoot, "tests", "conformance");

    private static string FindRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "GovernedExecution.Core.sln")))
        {
            dir = dir.Parent;
        }

        return dir?.FullName ?? throw new InvalidOperationException("Repository root (GovernedExecution.Core.sln) not found above " + AppContext.BaseDirectory);
    }
}
