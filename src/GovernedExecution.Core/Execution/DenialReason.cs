namespace GovernedExecution.Execution;

/// <summary>
/// Why an execution was denied. The numeric values are stable and documented: they are written to lineage and may
/// be stored by callers. <see cref="Unspecified"/> is never produced by the executor.
/// </summary>
public enum DenialReason
{
    /// <summary>No reason recorded; a default value, never produced by the executor.</summary>
    Unspecified = 0,

    /// <summary>No permit policy applied.</summary>
    NotPermitted = 1,

    /// <summary>A forbid policy applied.</summary>
    PolicyDenied = 2,

    /// <summary>A policy could not be evaluated and the decision could not be a permit (an erroring forbid, or no permit and an erroring policy).</summary>
    PolicyError = 3,

    /// <summary>A determining policy attached an obligation that the executor does not know or cannot satisfy.</summary>
    ObligationUnsatisfied = 4,

    /// <summary>A determining policy requires a human approval and no approver is configured.</summary>
    ApprovalRequired = 5,

    /// <summary>The approver refused, or the approval is not valid for this intent (another digest, expired).</summary>
    ApprovalRefused = 6,

    /// <summary>No approval arrived within <c>ApprovalTimeout</c>.</summary>
    ApprovalTimedOut = 7,

    /// <summary>
    /// The request built from the intent (principal, action, resource, context), or the entities it is decided with,
    /// do not conform to the schema the policies are evaluated under; no policy was evaluated.
    /// </summary>
    RequestInvalid = 8,

    /// <summary>No authorization artifact was available for the execution.</summary>
    ArtifactMissing = 10,

    /// <summary>The artifact is malformed, its algorithm is not allowed or not pinned for its key, or its signature does not verify.</summary>
    SignatureInvalid = 11,

    /// <summary>The artifact's key is unknown, revoked, or outside its validity period.</summary>
    UntrustedKey = 12,

    /// <summary>The artifact has expired.</summary>
    Expired = 13,

    /// <summary>The artifact is not valid yet.</summary>
    NotYetValid = 14,

    /// <summary>The artifact was issued for another audience (runtime).</summary>
    AudienceMismatch = 15,

    /// <summary>The artifact was issued for another intent: its intent digest differs from the digest of the intent being run.</summary>
    IntentMismatch = 16,

    /// <summary>The artifact has already been used.</summary>
    Replayed = 17,

    /// <summary>The artifact is outside its delegated scope, or its policy set is not the one accepted here.</summary>
    ScopeViolation = 18,

    /// <summary>The artifact was decided by a policy set other than the one in force here.</summary>
    PolicySetMismatch = 19,

    /// <summary>
    /// The call's arguments cannot be bound to the operation's parameters unambiguously (an unknown, repeated or
    /// colliding member, a value that does not convert, a missing required parameter), so the policies could not be
    /// shown the values the operation would receive. Produced by the integrations, through
    /// <see cref="IGovernedExecutor.RefuseAsync"/>.
    /// </summary>
    ArgumentsInvalid = 20,

    /// <summary>A required lineage sink did not accept the pre-execution records.</summary>
    LineageUnavailable = 30,

    /// <summary>The signing key or the trusted-key store could not be reached.</summary>
    KeyUnavailable = 31,

    /// <summary>Something inside the governance machinery threw, timed out or returned an unusable value.</summary>
    GovernanceFault = 32,

    /// <summary>Cancellation was requested before the operation started.</summary>
    Canceled = 40,

    /// <summary>
    /// The execution, or the execution it is nested in or delegated from, was revoked by the host
    /// (<see cref="IExecutionRevocation"/>), or has ended; also the reason of a <see cref="GovernedOutcomeKind.Revoked"/>
    /// outcome for those causes.
    /// </summary>
    Revoked = 41,
}
