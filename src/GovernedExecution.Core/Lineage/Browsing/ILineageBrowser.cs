using GovernedExecution.Artifacts.Keys;

namespace GovernedExecution.Lineage.Browsing;

/// <summary>
/// The read side of lineage for people looking at it (the governance console): paged, filtered queries over the
/// executions of one or more logs, an execution's records and children, verification, inclusion proofs and health
/// figures. Nothing here loads a whole log into memory, and nothing read from a log is trusted: records that are not
/// good records are reported as <see cref="BrowseProblem"/>s, never thrown. Every string handed out is data, verbatim:
/// the caller escapes it for wherever it shows it.
/// </summary>
internal interface ILineageBrowser : IAsyncDisposable
{
    /// <summary>What the browser reads, for people (a list of files, a database schema).</summary>
    string Description { get; }

    /// <summary>One page of the executions that match, newest first (by start), with the cursor of the next page.</summary>
    /// <exception cref="ArgumentException">The page size is out of range, or the cursor is not one this browser handed out.</exception>
    ValueTask<ExecutionPage> ListExecutionsAsync(ExecutionQuery query, CancellationToken cancellationToken = default);

    /// <summary>One page of the executions whose policy decision names <paramref name="policyId"/> among its determining policies (and match <paramref name="query"/>), newest first.</summary>
    /// <exception cref="ArgumentException">As <see cref="ListExecutionsAsync"/>; or <paramref name="policyId"/> is empty.</exception>
    ValueTask<ExecutionPage> ExecutionsDecidedByAsync(string policyId, ExecutionQuery query, CancellationToken cancellationToken = default);

    /// <summary>An execution with its records in order, its children, its decision and approvals; <see langword="null"/> when no log holds it.</summary>
    ValueTask<ExecutionDetail?> GetExecutionAsync(Guid executionId, CancellationToken cancellationToken = default);

    /// <summary>
    /// Verifies every log with the project's one verifier (the checks and wording of <c>govexec lineage verify</c>).
    /// Reads every byte of every log: start it in the background and watch <paramref name="progress"/> for a big log.
    /// </summary>
    ValueTask<IReadOnlyList<LogVerification>> VerifyAsync(LineageVerifyRequest request, IProgress<LineageVerifyProgress>? progress = null, CancellationToken cancellationToken = default);

    /// <summary>
    /// The inclusion proof of record <paramref name="sequence"/> of <paramref name="log"/> (a <see cref="LogStats.Log"/>
    /// key) against the latest checkpoint covering it: the bytes <c>govexec lineage prove --sequence</c> writes, checkable
    /// offline with <c>govexec lineage check-proof</c>. The log is verified first; an error says why there is no proof.
    /// </summary>
    ValueTask<InclusionProofResult> GetInclusionProofAsync(string log, long sequence, IReadOnlyList<TrustedKey>? trustedKeys = null, CancellationToken cancellationToken = default);

    /// <summary>Figures for a health page: per log, records, last record time, last checkpoint; cheap (no full read).</summary>
    ValueTask<LineageStats> GetStatsAsync(CancellationToken cancellationToken = default);
}

/// <summary>A lineage sink that can be browsed: the console finds one among the sinks registered in DI.</summary>
internal interface ILineageBrowsable
{
    /// <summary>Opens a browser over what the sink has written (the caller disposes it).</summary>
    ILineageBrowser OpenBrowser();
}
