namespace GovernedExecution.Execution;

/// <summary>
/// Why an authorization ended while its operation ran: the code lineage records as <c>cause</c>
/// (docs/lineage-format.md) and the denial it amounts to (the same reasons as the check before the start).
/// </summary>
internal sealed class RevocationCause
{
    internal static readonly RevocationCause Expired = new("expired", DenialReason.Expired, "the artifact expired while the operation ran");
    internal static readonly RevocationCause MaxDuration = new("max_duration", DenialReason.Expired, "the operation ran longer than its max_duration obligation allows");
    internal static readonly RevocationCause ExecutionRevoked = new("execution_revoked", DenialReason.Revoked, "the execution was revoked");
    internal static readonly RevocationCause KeyRevoked = new("key_revoked", DenialReason.UntrustedKey, "the artifact's signing key was revoked");
    internal static readonly RevocationCause ParentEnded = new("parent_ended", DenialReason.Revoked, "the parent execution ended, was canceled or was revoked");
    internal static readonly RevocationCause SourceFailed = new("revocation_source_failed", DenialReason.GovernanceFault, "the revocation source failed: revocations can no longer be received");
    internal static readonly RevocationCause PolicyFailed = new("policy_withdrawn", DenialReason.GovernanceFault, "the policies could not be evaluated again after a reload");

    private RevocationCause(string code, DenialReason reason, string detail)
    {
        Code = code;
        Reason = reason;
        Detail = detail;
    }

    /// <summary>The cause as lineage names it.</summary>
    internal string Code { get; }

    internal DenialReason Reason { get; }

    internal string Detail { get; }

    /// <summary>A reload after which the policies no longer permit the intent.</summary>
    internal static RevocationCause PolicyWithdrawn(DenialReason reason) => new("policy_withdrawn", reason, "the policies in force no longer permit the execution");

    /// <summary>A check at the operation's own step (<see cref="GovernedContext.EnsureAuthorizedAsync"/>) that denied.</summary>
    internal static RevocationCause FromCheck(ExecutionDenial denial) => new(denial.Reason switch
    {
        DenialReason.Expired => "expired",
        DenialReason.UntrustedKey => "key_revoked",
        DenialReason.Revoked => "execution_revoked",
        DenialReason.NotPermitted or DenialReason.PolicyDenied or DenialReason.PolicyError => "policy_withdrawn",
        _ => "authorization_failed",
    }, denial.Reason, denial.Detail);

    internal ExecutionDenial ToDenial(Guid executionId, Policies.PolicyDecision? decision) => new(Reason, Detail, executionId, decision);
}
