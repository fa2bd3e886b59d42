namespace GovernedExecution.Approvals;

/// <summary>An approval provider backed by a function: for tests, and for approvals decided by code.</summary>
public sealed class DelegateApprovalProvider : IApprovalProvider
{
    private readonly Func<ApprovalRequest, CancellationToken, ValueTask<ApprovalDecision>> _decide;

    /// <summary>Creates the provider.</summary>
    /// <param name="decide">Decides a request.</param>
    /// <exception cref="ArgumentNullException"><paramref name="decide"/> is <see langword="null"/>.</exception>
    public DelegateApprovalProvider(Func<ApprovalRequest, CancellationToken, ValueTask<ApprovalDecision>> decide)
    {
        ArgumentNullException.ThrowIfNull(decide);
        _decide = decide;
    }

    /// <inheritdoc />
    public ValueTask<ApprovalDecision> RequestApprovalAsync(ApprovalRequest request, CancellationToken cancellationToken) => _decide(request, cancellationToken);
}
