namespace GovernedExecution.Lineage.Browsing;

/// <summary>Opens browsers over lineage files (for <c>govexec console LOG...</c>).</summary>
internal static class LineageBrowsers
{
    /// <summary>
    /// A browser over file logs. Each path is a log: a file (its rotated segments <c>name.N.ext</c> next to it are
    /// included) or a directory (every log in it: each <c>*.jsonl</c> that is not a numbered segment of another).
    /// </summary>
    /// <exception cref="ArgumentException">No path given, or a path is neither a file nor a directory.</exception>
    internal static ILineageBrowser OpenFiles(IReadOnlyList<string> paths, TimeProvider? timeProvider = null) =>
        new FileLineageBrowser(FileLineageBrowser.ResolveLogs(paths), timeProvider ?? TimeProvider.System);

    /// <summary>
    /// Starts verifying in the background: <see cref="LineageVerificationJob.Progress"/> says how far it is, <see cref="LineageVerificationJob.Completion"/> ends with the result.
    /// </summary>
    internal static LineageVerificationJob StartVerification(ILineageBrowser browser, LineageVerifyRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(browser);
        ArgumentNullException.ThrowIfNull(request);
        return new LineageVerificationJob(browser, request, cancellationToken);
    }
}

/// <summary>A verification running in the background, with its latest progress.</summary>
internal sealed class LineageVerificationJob : IProgress<LineageVerifyProgress>
{
    private LineageVerifyProgress _progress;

    internal LineageVerificationJob(ILineageBrowser browser, LineageVerifyRequest request, CancellationToken cancellationToken)
    {
        Completion = Task.Run(async () => await browser.VerifyAsync(request, this, cancellationToken).ConfigureAwait(false), cancellationToken);
    }

    /// <summary>The latest progress reported.</summary>
    internal LineageVerifyProgress Progress => _progress;

    /// <summary>Ends with every log's verification.</summary>
    internal Task<IReadOnlyList<LogVerification>> Completion { get; }

    void IProgress<LineageVerifyProgress>.Report(LineageVerifyProgress value) => _progress = value;
}
