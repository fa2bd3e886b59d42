namespace GovernedExecution.Cli;

/// <summary>The entry point (an explicit class: the ASP.NET Core reference would otherwise make a top-level Program public).</summary>
internal static class Program
{
    private static Task<int> Main(string[] args) => GovexecApp.RunAsync(args);
}
