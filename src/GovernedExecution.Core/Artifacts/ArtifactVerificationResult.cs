using System.Collections.Immutable;
using GovernedExecution.Execution;

namespace GovernedExecution.Artifacts;

/// <summary>
/// The result of verifying an artifact: the verdict, the denial reason when not verified, the checks that ran, and the
/// claims when the artifact could be decoded. The default value is not verified.
/// </summary>
public sealed class ArtifactVerificationResult
{
    internal ArtifactVerificationResult(ArtifactVerdict verdict, DenialReason reason, string detail, ImmutableArray<string> checks, ArtifactClaims? claims)
    {
        Verdict = verdict;
        Reason = reason;
        Detail = detail;
        Checks = checks;
        Claims = claims;
    }

    /// <summary>The verdict.</summary>
    public ArtifactVerdict Verdict { get; }

    /// <summary>Whether the artifact verified; only then may the delegate run.</summary>
    public bool IsVerified => Verdict == ArtifactVerdict.Verified;

    /// <summary>Why the artifact did not verify (<see cref="DenialReason.Unspecified"/> when it did).</summary>
    public DenialReason Reason { get; }

    /// <summary>A human-readable detail, free of secrets.</summary>
    public string Detail { get; }

    /// <summary>The names of the checks that ran, in order (the last one failed when not verified).</summary>
    public IReadOnlyList<string> Checks { get; }

    /// <summary>The claims, when the payload could be decoded.</summary>
    public ArtifactClaims? Claims { get; }

    /// <inheritdoc />
    public override string ToString() => IsVerified ? "Verified" : $"{Verdict} ({Reason}): {Detail}";
}
