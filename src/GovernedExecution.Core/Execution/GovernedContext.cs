using GovernedExecution.Artifacts;
using GovernedExecution.Intents;
using GovernedExecution.Policies;

namespace GovernedExecution.Execution;

/// <summary>
/// What a governed delegate is given: its execution id, its parent, the intent, the permit decision and the
/// verified artifact. While the delegate runs it is also the ambient <see cref="Current"/>, so that a nested
/// <c>RunAsync</c> records its parent without being told.
/// </summary>
public sealed class GovernedContext
{
    private static readonly AsyncLocal<GovernedContext?> Ambient = new();

    internal GovernedContext(Guid executionId, ExecutionIntent intent, PolicyDecision decision, AuthorizationArtifact artifact, ArtifactClaims claims)
    {
        ExecutionId = executionId;
        Intent = intent;
        Decision = decision;
        Artifact = artifact;
        Claims = claims;
    }

    /// <summary>The governed execution running on this asynchronous flow, if any.</summary>
    public static GovernedContext? Current => Ambient.Value;

    /// <summary>This execution's id.</summary>
    public Guid ExecutionId { get; }

    /// <summary>The parent execution's id, if nested or delegated.</summary>
    public Guid? ParentExecutionId => Intent.ParentExecutionId;

    /// <summary>The intent being run (with its parent resolved).</summary>
    public ExecutionIntent Intent { get; }

    /// <summary>The permit decision.</summary>
    public PolicyDecision Decision { get; }

    /// <summary>The verified artifact that authorized this execution.</summary>
    public AuthorizationArtifact Artifact { get; }

    /// <summary>The artifact's verified claims.</summary>
    public ArtifactClaims Claims { get; }

    internal static GovernedContext? Swap(GovernedContext? context)
    {
        var previous = Ambient.Value;
        Ambient.Value = context;
        return previous;
    }
}
