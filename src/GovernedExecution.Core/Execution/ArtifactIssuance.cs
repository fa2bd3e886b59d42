using GovernedExecution.Artifacts;

namespace GovernedExecution.Execution;

/// <summary>The result of <c>IGovernedExecutor.IssueAsync</c> and <see cref="GovernedContext.DelegateAsync"/>: an artifact, or why none was minted.</summary>
public sealed class ArtifactIssuance
{
    internal ArtifactIssuance(AuthorizationArtifact? artifact, ExecutionDenial? denial)
    {
        Artifact = artifact;
        Denial = denial;
    }

    /// <summary>The artifact, when minted.</summary>
    public AuthorizationArtifact? Artifact { get; }

    /// <summary>Why none was minted.</summary>
    public ExecutionDenial? Denial { get; }

    /// <summary>Whether an artifact was minted.</summary>
    public bool IsIssued => Artifact is not null;
}
