namespace GovernedExecution.Cli.Commands;

/// <summary>Process exit codes shared by all commands (documented in docs/cli.md).</summary>
internal static class ExitCodes
{
    internal const int Ok = 0;
    internal const int Error = 1;
    internal const int Usage = 2;
    internal const int Denied = 3;

    /// <summary><c>policy validate --schema</c>: every file was read, and the validator found errors in the policies.</summary>
    internal const int NotValid = 4;

    /// <summary><c>lineage verify</c>: the log is valid, and records that acknowledged records were lost (records_lost).</summary>
    internal const int RecordsLost = 5;

    /// <summary><c>replay</c>: at least one recorded decision came out differently when decided again.</summary>
    internal const int Diverged = 6;

    /// <summary><c>replay</c>: none diverged, and at least one recorded decision (or record) could not be replayed.</summary>
    internal const int NotReplayable = 7;

    /// <summary>govexec itself failed (a bug): nothing was judged, whatever the input (EX_SOFTWARE of sysexits.h).</summary>
    internal const int Internal = 70;

    /// <summary>Interrupted (Ctrl+C) before it finished: nothing was judged.</summary>
    internal const int Interrupted = 130;
}
