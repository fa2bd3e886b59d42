using GovernedExecution.Intents;
using GovernedExecution.Policies;

namespace GovernedExecution.Artifacts;

/// <summary>What to mint: a permit decision bound to the digest of one intent, for one audience.</summary>
public sealed class ArtifactRequest
{
    /// <summary>Creates a request.</summary>
    /// <param name="intentDigest">The SHA-256 digest of the intent.</param>
    /// <param name="subject">The principal, in Cedar form.</param>
    /// <param name="audience">The runtime that will verify and run it.</param>
    /// <param name="decision">The permit decision.</param>
    /// <exception cref="ArgumentNullException"><paramref name="decision"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">The digest is not 32 bytes, a string is empty, or the decision is not a permit.</exception>
    public ArtifactRequest(ReadOnlyMemory<byte> intentDigest, string subject, string audience, PolicyDecision decision)
    {
        if (intentDigest.Length != 32)
        {
            throw new ArgumentException("An intent digest is 32 bytes (SHA-256).", nameof(intentDigest));
        }

        ArgumentException.ThrowIfNullOrEmpty(subject);
        ArgumentException.ThrowIfNullOrEmpty(audience);
        ArgumentNullException.ThrowIfNull(decision);
        if (!decision.IsPermitted)
        {
            throw new ArgumentException("Only a permit decision can be minted into an artifact.", nameof(decision));
        }

        IntentDigest = intentDigest;
        Subject = subject;
        Audience = audience;
        Decision = decision;
    }

    /// <summary>The SHA-256 digest of the intent.</summary>
    public ReadOnlyMemory<byte> IntentDigest { get; }

    /// <summary>The principal.</summary>
    public string Subject { get; }

    /// <summary>The audience.</summary>
    public string Audience { get; }

    /// <summary>The permit decision.</summary>
    public PolicyDecision Decision { get; }

    /// <summary>
    /// The lifetime; <see langword="null"/> for the issuer's default. From 1 second to 1 hour, in whole seconds (rounded
    /// down); the issuer refuses anything else. Every <c>ttl</c> obligation of the decision shortens it.
    /// </summary>
    public TimeSpan? Lifetime { get; init; }

    /// <summary>The delegated scope to grant; <see langword="null"/> for none (the artifact cannot be delegated from).</summary>
    public DelegationScope? Scope { get; init; }

    /// <summary>The parent artifact, for a delegated artifact; its digest is written to the claims and its expiry caps the child's.</summary>
    public AuthorizationArtifact? Parent { get; init; }

    /// <summary>The latest expiry allowed (a delegated artifact cannot outlive its parent); <see langword="null"/> for no cap.</summary>
    public DateTimeOffset? ExpiresNoLaterThan { get; init; }

    /// <summary>The approvals obtained for <c>requires_approval</c> obligations; the artifact references them by digest.</summary>
    public IReadOnlyList<Approvals.ApprovalDecision> Approvals { get; init; } = [];

    /// <summary>Creates a request for an intent: its digest is computed here (docs/artifact-format.md, section 3).</summary>
    /// <param name="intent">The intent.</param>
    /// <param name="audience">The runtime that will verify and run it.</param>
    /// <param name="decision">The permit decision.</param>
    /// <returns>The request.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="intent"/> or <paramref name="decision"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">The audience is empty or the decision is not a permit.</exception>
    public static ArtifactRequest ForIntent(ExecutionIntent intent, string audience, PolicyDecision decision)
    {
        ArgumentNullException.ThrowIfNull(intent);
        return new ArtifactRequest(IntentEncoding.Digest(intent), intent.Principal.ToString(), audience, decision);
    }
}
