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
    // Holds the context installed on this flow. Timers, tasks and threads started inside the delegate capture the
    // flow and keep this value after the delegate returned: whether it is still current is the context's own state.
    private static readonly AsyncLocal<GovernedContext?> Ambient = new();

    private readonly GovernedExecutor _owner;
    private GovernedContext? _outer;
    private volatile bool _ended;

    internal GovernedContext(GovernedExecutor owner, Guid executionId, ExecutionIntent intent, PolicyDecision decision, AuthorizationArtifact artifact, ArtifactClaims claims)
    {
        _owner = owner;
        ExecutionId = executionId;
        Intent = intent;
        Decision = decision;
        Artifact = artifact;
        Claims = claims;
    }

    /// <summary>
    /// The governed execution whose operation is running on this asynchronous flow, if any. Only while it runs: work
    /// that outlives the operation (a timer, a task or a thread started inside it) sees the enclosing execution that is
    /// still running, or none, never a finished one.
    /// </summary>
    public static GovernedContext? Current
    {
        get
        {
            var context = Ambient.Value;
            while (context is not null && context._ended)
            {
                context = context._outer;
            }

            return context;
        }
    }

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

    /// <summary>
    /// Requests a child artifact for a sub-task of this execution (delegation, docs/artifact-format.md section 5). The
    /// child intent is evaluated by this executor's policies; the child carries this artifact's digest, its scope must be
    /// within this artifact's scope and cover the child intent, and it expires no later than this artifact. The returned
    /// artifact is presented along with this one (<see cref="AuthorizationArtifact.Parent"/>).
    /// </summary>
    /// <param name="childIntent">The sub-task's intent. Its parent execution is this one (set here when the intent names
    /// none; an intent that names another is refused); the artifact is bound to that exact intent, so whoever runs the
    /// child runs it with this parent id.</param>
    /// <param name="scope">The child's scope: what it, and anything delegated from it, may authorize.</param>
    /// <param name="audience">The runtime that will run the child; <see langword="null"/> for this executor's audience.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The child artifact, or the denial (<see cref="DenialReason.ScopeViolation"/> when the scope is wider than allowed).</returns>
    /// <exception cref="ArgumentNullException"><paramref name="childIntent"/> or <paramref name="scope"/> is <see langword="null"/>.</exception>
    /// <remarks>Only while this execution's operation runs: once it has ended, delegation is denied (<see cref="DenialReason.ScopeViolation"/>).</remarks>
    public ValueTask<ArtifactIssuance> DelegateAsync(ExecutionIntent childIntent, DelegationScope scope, string? audience = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(childIntent);
        ArgumentNullException.ThrowIfNull(scope);
        return _owner.DelegateAsync(this, childIntent, scope, audience, cancellationToken);
    }

    /// <summary>Whether this execution's operation has returned (or thrown).</summary>
    internal bool HasEnded => _ended;

    /// <summary>Makes this context current on this flow while its operation runs; returns what to restore after <see cref="End"/>.</summary>
    internal GovernedContext? Enter()
    {
        var previous = Ambient.Value;
        _outer = Current;
        Ambient.Value = this;
        return previous;
    }

    /// <summary>Ends the context everywhere (every flow that captured it) and restores this flow's previous value.</summary>
    internal void End(GovernedContext? previous)
    {
        _ended = true;
        Ambient.Value = previous;
    }
}
