namespace GovernedExecution.Artifacts;

/// <summary>Mints signed authorization artifacts. Usable on its own, for example by an authorization service.</summary>
public interface IArtifactIssuer
{
    /// <summary>Mints an artifact for a permit decision.</summary>
    /// <param name="request">What to mint.</param>
    /// <param name="cancellationToken">Cancels the minting.</param>
    /// <returns>The signed artifact.</returns>
    /// <exception cref="ArgumentOutOfRangeException">The lifetime is shorter than 1 second or longer than 1 hour.</exception>
    /// <exception cref="ArgumentException">A <c>ttl</c> obligation of the decision cannot bound a lifetime, or the artifact would expire before it is issued.</exception>
    ValueTask<AuthorizationArtifact> IssueAsync(ArtifactRequest request, CancellationToken cancellationToken);
}
