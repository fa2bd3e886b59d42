namespace GovernedExecution.Artifacts;

/// <summary>Mints signed authorization artifacts. Usable on its own, for example by an authorization service.</summary>
public interface IArtifactIssuer
{
    /// <summary>Mints an artifact for a permit decision.</summary>
    /// <param name="request">What to mint.</param>
    /// <param name="cancellationToken">Cancels the minting.</param>
    /// <returns>The signed artifact.</returns>
    ValueTask<AuthorizationArtifact> IssueAsync(ArtifactRequest request, CancellationToken cancellationToken);
}
