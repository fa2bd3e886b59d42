namespace GovernedExecution.Approvals;

/// <summary>
/// Asks on a console (or any reader and writer) whether to approve, showing the intent and its digest; answers
/// <c>y</c> or <c>yes</c> approve, anything else refuses. One question at a time. For samples and operator tools.
/// </summary>
public sealed class ConsoleApprovalProvider : IApprovalProvider, IDisposable
{
    private readonly TextReader _input;
    private readonly TextWriter _output;
    private readonly string _approver;
    private readonly TimeSpan _validity;
    private readonly TimeProvider _time;
    private readonly SemaphoreSlim _one = new(1, 1);

    /// <summary>Creates the provider.</summary>
    /// <param name="approver">The identity recorded as approver.</param>
    /// <param name="input">Where answers are read; standard input by default.</param>
    /// <param name="output">Where questions are written; standard output by default.</param>
    /// <param name="validity">How long an approval is valid; 5 minutes by default.</param>
    /// <param name="timeProvider">The clock; the system clock by default.</param>
    /// <exception cref="ArgumentException"><paramref name="approver"/> is empty.</exception>
    public ConsoleApprovalProvider(string approver, TextReader? input = null, TextWriter? output = null, TimeSpan? validity = null, TimeProvider? timeProvider = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(approver);
        _approver = approver;
        _input = input ?? Console.In;
        _output = output ?? Console.Out;
        _validity = validity ?? TimeSpan.FromMinutes(5);
        _time = timeProvider ?? TimeProvider.System;
    }

    /// <inheritdoc />
    public void Dispose() => _one.Dispose();

    /// <inheritdoc />
    public async ValueTask<ApprovalDecision> RequestApprovalAsync(ApprovalRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        await _one.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await _output.WriteLineAsync($"Approval needed ({request.Group}, policy {request.PolicyId}): {request.Intent}").ConfigureAwait(false);
            await _output.WriteLineAsync($"  intent digest {Convert.ToHexStringLower(request.IntentDigest.Span)}").ConfigureAwait(false);
            await _output.WriteAsync("  approve? [y/N] ").ConfigureAwait(false);
            await _output.FlushAsync(cancellationToken).ConfigureAwait(false);
            var answer = (await _input.ReadLineAsync(cancellationToken).ConfigureAwait(false))?.Trim();
            var approved = string.Equals(answer, "y", StringComparison.OrdinalIgnoreCase) || string.Equals(answer, "yes", StringComparison.OrdinalIgnoreCase);
            return approved
                ? ApprovalDecision.Approve(request, _approver, _time.GetUtcNow() + _validity)
                : ApprovalDecision.Refuse(request, _approver, "refused at the console");
        }
        finally
        {
            _one.Release();
        }
    }
}
