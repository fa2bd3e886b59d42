namespace GovernedExecution.Approvals;

/// <summary>
/// Asks a human (or a process) to approve an intent whose determining policy requires it
/// (<c>@requires_approval("group")</c>). Asked before an artifact is minted. Anything it throws, a timeout, or an
/// answer bound to another intent denies the execution.
/// </summary>
public interface IApprovalProvider
{
    /// <summary>Requests an approval.</summary>
    /// <param name="request">What to approve.</param>
    /// <param name="cancellationToken">Cancels the request (the approval timeout, or the caller).</param>
    /// <returns>The approver's decision.</returns>
    ValueTask<ApprovalDecision> RequestApprovalAsync(ApprovalRequest request, CancellationToken cancellationToken);
}
