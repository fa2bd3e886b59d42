using GovernedExecution.Artifacts;
using GovernedExecution.Execution;
using GovernedExecution.Policies;

namespace GovernedExecution.Testing;

/// <summary>
/// An issuer and verifier without cryptography: the issuer returns a fixed artifact, the verifier accepts it with
/// fixed claims. For measuring the pipeline's own overhead only; never for anything that must be secure.
/// </summary>
public sealed class NoCryptoArtifacts : IArtifactIssuer, IArtifactVerifier
{
    private static readonly AuthorizationArtifact Artifact = AuthorizationArtifact.FromBytes([0xD2, 0x84]);
    private readonly ArtifactVerificationResult _verified;

    public NoCryptoArtifacts(string policySetDigest)
    {
        var claims = new ArtifactClaims("test", "test", "test", DateTimeOffset.MaxValue, DateTimeOffset.MinValue, DateTimeOffset.MinValue, Guid.Empty, new byte[32], PolicyDecisionKind.Permitted, policySetDigest, [], [], "test", ArtifactAlgorithm.ES256);
        _verified = new ArtifactVerificationResult(ArtifactVerdict.Verified, DenialReason.Unspecified, "verified", ["test"], claims);
    }

    public ValueTask<AuthorizationArtifact> IssueAsync(ArtifactRequest request, CancellationToken cancellationToken) => ValueTask.FromResult(Artifact);

    public ValueTask<ArtifactVerificationResult> VerifyAsync(AuthorizationArtifact artifact, ArtifactVerificationContext context, CancellationToken cancellationToken) => ValueTask.FromResult(_verified);
}

/// <summary>An issuer or a verifier that answers null (the other part works, without cryptography).</summary>
public sealed class NullArtifactCodec(bool nullIssuer, string policySetDigest) : IArtifactIssuer, IArtifactVerifier
{
    private readonly NoCryptoArtifacts _inner = new(policySetDigest);

    public ValueTask<AuthorizationArtifact> IssueAsync(ArtifactRequest request, CancellationToken cancellationToken) =>
        nullIssuer ? ValueTask.FromResult<AuthorizationArtifact>(null!) : _inner.IssueAsync(request, cancellationToken);

    public ValueTask<ArtifactVerificationResult> VerifyAsync(AuthorizationArtifact artifact, ArtifactVerificationContext context, CancellationToken cancellationToken) =>
        nullIssuer ? _inner.VerifyAsync(artifact, context, cancellationToken) : ValueTask.FromResult<ArtifactVerificationResult>(null!);
}
