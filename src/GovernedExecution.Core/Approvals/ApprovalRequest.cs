using GovernedExecution.Intents;

namespace GovernedExecution.Approvals;

/// <summary>What an approver is asked: may this exact intent run? Bound to the intent's digest.</summary>
public sealed class ApprovalRequest
{
    internal ApprovalRequest(Guid executionId, ExecutionIntent intent, ReadOnlyMemory<byte> intentDigest, string group, string policyId, DateTimeOffset requestedAt)
    {
        ExecutionId = executionId;
        Intent = intent;
        IntentDigest = intentDigest;
        Group = group;
        PolicyId = policyId;
        RequestedAt = requestedAt;
    }

    /// <summary>The execution waiting for the approval.</summary>
    public Guid ExecutionId { get; }

    /// <summary>The intent to approve (arguments are represented by their digest only).</summary>
    public ExecutionIntent Intent { get; }

    /// <summary>The SHA-256 digest of the intent; an approval is valid for this digest only.</summary>
    public ReadOnlyMemory<byte> IntentDigest { get; }

    /// <summary>Who must approve: the obligation's value, for example <c>finance</c> in <c>@requires_approval("finance")</c>.</summary>
    public string Group { get; }

    /// <summary>The policy that requires the approval.</summary>
    public string PolicyId { get; }

    /// <summary>When the approval was requested.</summary>
    public DateTimeOffset RequestedAt { get; }

    /// <inheritdoc />
    public override string ToString() => $"approval by '{Group}' for {Intent} (policy {PolicyId})";
}
