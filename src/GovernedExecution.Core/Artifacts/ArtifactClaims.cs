using System.Collections.Immutable;
using GovernedExecution.Policies;

namespace GovernedExecution.Artifacts;

/// <summary>The claims of a decoded artifact (CWT claims and the project's private claims).</summary>
public sealed class ArtifactClaims
{
    internal ArtifactClaims(
        string issuer,
        string subject,
        string audience,
        DateTimeOffset expiresAt,
        DateTimeOffset notBefore,
        DateTimeOffset issuedAt,
        Guid tokenId,
        ReadOnlyMemory<byte> intentDigest,
        PolicyDecisionKind decision,
        string policySetDigest,
        ImmutableArray<string> determiningPolicies,
        ImmutableArray<PolicyObligation> obligations,
        string keyId,
        ArtifactAlgorithm algorithm,
        ReadOnlyMemory<byte> parentArtifactDigest = default,
        DelegationScope? scope = null)
    {
        // A second line behind the decoder: claims that name nobody, or no policy set, are never built.
        ArgumentNullException.ThrowIfNull(issuer);
        ArgumentNullException.ThrowIfNull(subject);
        ArgumentNullException.ThrowIfNull(audience);
        ArgumentNullException.ThrowIfNull(policySetDigest);
        ArgumentNullException.ThrowIfNull(keyId);
        if (determiningPolicies.IsDefault || obligations.IsDefault)
        {
            throw new ArgumentException("The determining policies and the obligations are lists, possibly empty.", determiningPolicies.IsDefault ? nameof(determiningPolicies) : nameof(obligations));
        }

        ParentArtifactDigest = parentArtifactDigest;
        Scope = scope;
        Issuer = issuer;
        Subject = subject;
        Audience = audience;
        ExpiresAt = expiresAt;
        NotBefore = notBefore;
        IssuedAt = issuedAt;
        TokenId = tokenId;
        IntentDigest = intentDigest;
        Decision = decision;
        PolicySetDigest = policySetDigest;
        DeterminingPolicies = determiningPolicies;
        Obligations = obligations;
        KeyId = keyId;
        Algorithm = algorithm;
    }

    /// <summary>The digests of the approvals this artifact was minted with (see docs/artifact-format.md).</summary>
    public IReadOnlyList<ReadOnlyMemory<byte>> Approvals { get; internal init; } = [];

    /// <summary>Who minted the artifact (CWT <c>iss</c>).</summary>
    public string Issuer { get; }

    /// <summary>The principal it was minted for (CWT <c>sub</c>).</summary>
    public string Subject { get; }

    /// <summary>The runtime it is meant for (CWT <c>aud</c>).</summary>
    public string Audience { get; }

    /// <summary>Expiry (CWT <c>exp</c>).</summary>
    public DateTimeOffset ExpiresAt { get; }

    /// <summary>Start of validity (CWT <c>nbf</c>).</summary>
    public DateTimeOffset NotBefore { get; }

    /// <summary>Issue time (CWT <c>iat</c>).</summary>
    public DateTimeOffset IssuedAt { get; }

    /// <summary>The unique token id (CWT <c>cti</c>), the key of replay protection.</summary>
    public Guid TokenId { get; }

    /// <summary>The SHA-256 digest of the intent the artifact authorizes.</summary>
    public ReadOnlyMemory<byte> IntentDigest { get; }

    /// <summary>The policy decision (always <see cref="PolicyDecisionKind.Permitted"/> in an artifact that verifies).</summary>
    public PolicyDecisionKind Decision { get; }

    /// <summary>The digest of the policy set that decided.</summary>
    public string PolicySetDigest { get; }

    /// <summary>The policies that determined the decision.</summary>
    public IReadOnlyList<string> DeterminingPolicies { get; }

    /// <summary>The obligations of the determining policies.</summary>
    public IReadOnlyList<PolicyObligation> Obligations { get; }

    /// <summary>The key id of the signing key (protected header).</summary>
    public string KeyId { get; }

    /// <summary>The signature algorithm (protected header).</summary>
    public ArtifactAlgorithm Algorithm { get; }

    /// <summary>The SHA-256 digest of the artifact this one was delegated from; empty for a root artifact.</summary>
    public ReadOnlyMemory<byte> ParentArtifactDigest { get; }

    /// <summary>The delegated scope; <see langword="null"/> when the artifact grants none (it cannot be delegated from).</summary>
    public DelegationScope? Scope { get; }
}
