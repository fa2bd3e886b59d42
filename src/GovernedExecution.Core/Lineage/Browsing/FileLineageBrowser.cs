using GovernedExecution.Artifacts.Keys;

namespace GovernedExecution.Lineage.Browsing;

/// <summary>Browses file logs: reads newest first from the end, and finds executions through a lazily built offset index.</summary>
internal sealed partial class FileLineageBrowser : ILineageBrowser
{
    private readonly IReadOnlyList<FileLog> _logs;
    private readonly TimeProvider _time;

    internal FileLineageBrowser(IReadOnlyList<FileLog> logs, TimeProvider time)
    {
        _logs = logs;
        _time = time;
    }

    public string Description => string.Join(", ", _logs.Select(l => l.Key));

    /// <summary>The logs the paths name.</summary>
    /// <exception cref="ArgumentException">No path, or a path is neither a file nor a directory.</exception>
    internal static IReadOnlyList<FileLog> ResolveLogs(IReadOnlyList<string> paths)
    {
        ArgumentNullException.ThrowIfNull(paths);
        throw new NotImplementedException();
    }

    public ValueTask<ExecutionPage> ListExecutionsAsync(ExecutionQuery query, CancellationToken cancellationToken = default) => throw new NotImplementedException();

    public ValueTask<ExecutionPage> ExecutionsDecidedByAsync(string policyId, ExecutionQuery query, CancellationToken cancellationToken = default) => throw new NotImplementedException();

    public ValueTask<ExecutionDetail?> GetExecutionAsync(Guid executionId, CancellationToken cancellationToken = default) => throw new NotImplementedException();

    public ValueTask<IReadOnlyList<LogVerification>> VerifyAsync(LineageVerifyRequest request, IProgress<LineageVerifyProgress>? progress = null, CancellationToken cancellationToken = default) => throw new NotImplementedException();

    public ValueTask<InclusionProofResult> GetInclusionProofAsync(string log, long sequence, IReadOnlyList<TrustedKey>? trustedKeys = null, CancellationToken cancellationToken = default) => throw new NotImplementedException();

    public ValueTask<LineageStats> GetStatsAsync(CancellationToken cancellationToken = default) => throw new NotImplementedException();

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    /// <summary>One log: its key (the path given) and the path its segments are numbered from.</summary>
    internal sealed record FileLog(string Key, string BasePath);
}
