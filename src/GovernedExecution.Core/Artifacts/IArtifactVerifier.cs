namespace GovernedExecution.Artifacts;

/// <summary>Verifies authorization artifacts against the intent about to run and this runtime.</summary>
public interface IArtifactVerifier
{
    /// <summary>
    /// Verifies an artifact: structure, algorithm, trusted key, signature, validity window, audience, intent digest,
    /// policy set, obligations, and (last, so that a rejected artifact does not burn its id) single use.
    /// </summary>
    /// <param name="artifact">The artifact.</param>
    /// <param name="context">The intent digest and audience to verify against.</param>
    /// <param name="cancellationToken">Cancels the verification.</param>
    /// <returns>The result; only <see cref="ArtifactVerdict.Verified"/> lets an execution run.</returns>
    ValueTask<ArtifactVerificationResult> VerifyAsync(AuthorizationArtifact artifact, ArtifactVerificationContext context, CancellationToken cancellationToken);
}
