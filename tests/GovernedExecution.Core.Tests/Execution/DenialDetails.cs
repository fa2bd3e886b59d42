using System.Diagnostics.CodeAnalysis;
using System.Text.RegularExpressions;
using GovernedExecution.Execution;

namespace GovernedExecution.Tests.Execution;

/// <summary>
/// The detail texts a denial may carry, per reason (the table of docs/threat-model.md). Tests that observe a denial
/// check it here, so that a detail is always one of the documented sentences of its reason.
/// </summary>
public static class DenialDetails
{
    private const string Phase = "(clock|intent|policy|approval|issuer|verifier|lineage|revocation)";
    private const string Quoted = "'[^']+'";
    private const string Exception = @"[A-Za-z]+Exception";

    /// <summary>Every documented detail, as a pattern matched against the whole text.</summary>
    public static IReadOnlyDictionary<DenialReason, string[]> Patterns { get; } = new Dictionary<DenialReason, string[]>
    {
        [DenialReason.ArtifactMissing] = ["no artifact was presented"],
        [DenialReason.PolicyDenied] = ["a forbid policy applied", "the policies in force no longer permit the execution"],
        [DenialReason.NotPermitted] =
        [
            "no permit policy applied",
            "the policies in force no longer permit the execution",
            "the artifact does not carry a permit",
            "this executor has no policies: it only runs presented artifacts",
        ],
        [DenialReason.PolicyError] = ["a policy could not be evaluated", "the policies in force no longer permit the execution"],
        [DenialReason.RequestInvalid] = ["the request does not conform to the policy schema", "the entities do not conform to the policy schema"],
        [DenialReason.IntentMismatch] = ["the artifact authorizes another intent", "the artifact's subject is not the intent's principal"],
        [DenialReason.AudienceMismatch] = ["the artifact is for another audience"],
        [DenialReason.Expired] =
        [
            "the artifact has expired",
            "the artifact lives longer than this runtime accepts",
            "the artifact expired while the operation ran",
            "the operation ran longer than its max_duration obligation allows",
        ],
        [DenialReason.Revoked] =
        [
            "the execution was revoked",
            "the parent execution ended, was canceled or was revoked",
            "the execution has ended: its authorization no longer holds",
        ],
        [DenialReason.NotYetValid] = ["the artifact is not valid yet"],
        [DenialReason.Replayed] = ["the artifact was already used"],
        [DenialReason.PolicySetMismatch] = ["the artifact was decided by another policy set"],
        [DenialReason.ObligationUnsatisfied] =
        [
            $"obligation {Quoted} of policy {Quoted} is unknown or cannot be satisfied",
            $"obligation {Quoted} cannot be satisfied here",
            "a required approval is not referenced by the artifact",
            "the artifact lives longer than its ttl obligation allows",
        ],
        [DenialReason.ApprovalRequired] = [$"policy {Quoted} requires approval by {Quoted} and no approver is configured"],
        [DenialReason.ApprovalTimedOut] = [$@"no approval by {Quoted} within \d\d:\d\d:\d\d(\.\d+)?"],
        [DenialReason.ApprovalRefused] =
        [
            $"{Quoted} refused: .+",
            @"the approval is not valid for this intent \(another intent, group, or expired\)",
        ],
        [DenialReason.ScopeViolation] =
        [
            "the intent is outside the scope it asks for",
            "the parent artifact grants no delegation scope",
            "the requested scope is not within the parent's",
            "the parent artifact has expired: nothing can be delegated from it",
            "the parent execution has ended: nothing can be delegated from it",
            "the parent execution's authorization has ended: nothing can be delegated from it",
            "the child intent names another parent execution",
            "the artifact has a delegated scope and the intent is not known to check it",
            "the intent is outside the artifact's delegated scope",
            @"the delegation chain is longer than \d+",
            "the parent artifact was neither presented nor known here",
            "the parent artifact does not verify: .+",
            "the parent artifact does not carry a permit",
            "the parent artifact is outside its validity window",
            "the delegated scope is not within the parent's",
            "the artifact expires after its parent",
            "the parent artifact lives longer than this runtime accepts",
            "the parent artifact lives longer than its ttl obligation allows",
            "the principal is not one the parent delegates to",
        ],
        [DenialReason.SignatureInvalid] =
        [
            "not a tagged COSE_Sign1 message",
            "data after the COSE_Sign1 message",
            "malformed COSE_Sign1 message",
            "detached payload",
            "no algorithm in the protected header",
            @"algorithm -?\d+ is not supported",
            "the algorithm is not an integer",
            "alg, crit, kid or content type in the unprotected header",
            "crit names parameters this format does not define",
            "unknown protected header",
            "missing kid or content type in the protected header",
            "empty kid",
            "wrong content type",
            "malformed kid or content type",
            @"algorithm [A-Z]+\d+ is not allowed",
            @"the key is pinned to [A-Z]+\d+, the artifact says [A-Z]+\d+",
            "the signature does not verify",
            "malformed claims",
            "the verifiable data structure is not RFC9162_SHA256",
            "a batched artifact's unprotected header must hold its inclusion proof and nothing else",
            "Merkle proof parameters in the unprotected header of an artifact signed alone",
            "malformed inclusion proof",
            "the inclusion proof's tree size or leaf index is out of range",
            "the inclusion proof does not fit its tree size and leaf index",
        ],
        [DenialReason.UntrustedKey] =
        [
            "the key id is unknown or revoked",
            "the key is outside its validity period",
            "the artifact was issued outside its key's validity period",
            "the trusted-key store answered with another key",
            "the artifact's signing key was revoked",
        ],
        [DenialReason.KeyUnavailable] =
        [
            "the signing key is unavailable",
            "issuer timed out",
            $"the trusted-key store failed: {Exception}",
            "the trusted-key store timed out",
            "the trusted key was disposed",
            "this executor is verify-only: it holds no signing key and refuses to mint",
            "this executor has no signing key: it only runs presented artifacts",
        ],
        [DenialReason.LineageUnavailable] = [$"lineage failed: {Exception}", "lineage timed out"],
        [DenialReason.Canceled] =
        [
            $"cancellation was requested during {Phase}",
            "cancellation was requested before the operation started",
        ],
        [DenialReason.ArgumentsInvalid] =
        [
            "an argument is not a parameter of the tool",
            "a required parameter is missing",
            "an argument does not bind to its parameter unambiguously",
            "an argument does not bind to a value that reads back the same",
            "an omitted parameter has no default the tool describes",
            "the tool describes no parameters to bind its arguments by",
            "the tool's input schema uses a construct governance cannot bind by",
            "a parameter is a stream, form or file that governance cannot describe",
        ],
        [DenialReason.GovernanceFault] =
        [
            $"{Phase} failed: {Exception}",
            $"{Phase} timed out",
            $"the replay guard failed: {Exception}",
            "the replay guard timed out",
            $"the clock failed: {Exception}",
            "no verified context",
            "the policy evaluator has no policy-set digest",
            $"the (principal|resource|artifact) selector failed: {Exception}",
            "the (principal|resource) selector returned null",
            "no principal: none is configured and no agent is in scope",
            "the client declared no name",
            "the revocation source failed: revocations can no longer be received",
            "the policies could not be evaluated again after a reload",
        ],
    };

    /// <summary>Whether <paramref name="detail"/> is a documented detail of <paramref name="reason"/>.</summary>
    public static bool IsDocumented(DenialReason reason, string detail) =>
        Patterns.TryGetValue(reason, out var patterns)
        && patterns.Any(p => Regex.IsMatch(detail, "^(" + p + ")$", RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1)));

    /// <summary>Fails unless the denial's detail is one of the documented texts of its reason.</summary>
    public static void AssertDocumented([NotNull] ExecutionDenial? denial)
    {
        Assert.NotNull(denial);
        Assert.True(IsDocumented(denial.Reason, denial.Detail), $"undocumented detail for {denial.Reason}: \"{denial.Detail}\"");
    }

    /// <summary>Fails unless the denial has this reason and a documented detail of it.</summary>
    public static void AssertDenied([NotNull] ExecutionDenial? denial, DenialReason reason)
    {
        Assert.NotNull(denial);
        Assert.Equal(reason, denial.Reason);
        AssertDocumented(denial);
    }
}
