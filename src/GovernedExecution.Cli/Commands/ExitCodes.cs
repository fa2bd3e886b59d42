namespace GovernedExecution.Cli.Commands;

/// <summary>Process exit codes shared by all commands (documented in docs/cli.md).</summary>
internal static class ExitCodes
{
    internal const int Ok = 0;
    internal const int Error = 1;
    internal const int Usage = 2;
    internal const int Denied = 3;
}
