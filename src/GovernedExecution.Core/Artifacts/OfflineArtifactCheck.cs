using GovernedExecution.Artifacts.Keys;
using GovernedExecution.Intents;

namespace GovernedExecution.Artifacts;

/// <summary>
/// An artifact verified as a runtime would, away from any runtime: the one verification behind <c>govexec artifact
/// verify</c> and the governance console's proof viewer, so that both give the same verdict, reason, detail and checks.
/// The replay check of a fresh replay guard proves nothing offline, and the policy-set check does not run without a
/// digest: both are reported as not checked rather than as passed.
/// </summary>
internal static class OfflineArtifactCheck
{
    internal const string ReplayNotChecked = "replay: single use is enforced by the runtime that holds the replay state, which this tool does not have";
    internal const string PolicySetNotChecked = "policy-set: --any-policy-set was given";

    /// <summary>The clock skew an offline check allows (as a runtime's default).</summary>
    internal static readonly TimeSpan ClockSkew = TimeSpan.FromSeconds(30);

    /// <summary>Verifies <paramref name="encoded"/> for <paramref name="intent"/>; <paramref name="parents"/> are the immediate parent first.</summary>
    internal static async Task<OfflineArtifactVerdict> VerifyAsync(
        byte[] encoded, IReadOnlyList<byte[]> parents, ITrustedKeyStore trusted, ExecutionIntent intent, string audience, string? acceptedPolicySet, TimeProvider time, CancellationToken cancellationToken)
    {
        var artifact = AuthorizationArtifact.FromBytes(encoded);
        if (parents.Count > 0)
        {
            var chain = AuthorizationArtifact.FromBytes(parents[^1]);
            for (var i = parents.Count - 2; i >= 0; i--)
            {
                chain = AuthorizationArtifact.FromBytes(parents[i]).WithParent(chain);
            }

            artifact = artifact.WithParent(chain);
        }

        var verifier = new CoseArtifactVerifier(trusted, new InMemoryReplayGuard(time), time, ClockSkew, Enum.GetValues<ArtifactAlgorithm>());
        var context = new ArtifactVerificationContext(IntentEncoding.Digest(intent), audience, intent) { AcceptedPolicySetDigest = acceptedPolicySet };
        var result = await verifier.VerifyAsync(artifact, context, cancellationToken).ConfigureAwait(false);
        var notChecked = new List<string> { ReplayNotChecked };
        if (acceptedPolicySet is null)
        {
            notChecked.Add(PolicySetNotChecked);
        }

        var checks = result.Checks.Where(check => !(check == "replay" || (check == "policy-set" && acceptedPolicySet is null))).ToList();
        return new OfflineArtifactVerdict(result, checks, notChecked, time.GetUtcNow());
    }
}

/// <summary>The verdict of <see cref="OfflineArtifactCheck"/>: the verifier's result and the checks that ran and did not.</summary>
internal sealed record OfflineArtifactVerdict(ArtifactVerificationResult Result, IReadOnlyList<string> Checks, IReadOnlyList<string> NotChecked, DateTimeOffset VerifiedAt);
