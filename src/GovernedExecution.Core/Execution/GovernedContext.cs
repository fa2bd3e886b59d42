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

    /// <summary>
    /// Checks again, at the operation's own step, that this execution is still authorized: the artifact (signature,
    /// validity window, key still trusted; its single use is not spent again and its policy-set digest is not compared
    /// again), the host's revocations (<see cref="IExecutionRevocation"/>) of this execution, its parent and its key, and,
    /// unless <see cref="GovernedExecutionOptions.EnsureAuthorizedEvaluatesPolicy"/> is off, the policies in force,
    /// which decide the intent again. A denial also ends the authorization: the operation's token is canceled and its
    /// outcome is <see cref="GovernedOutcomeKind.Revoked"/>.
    /// </summary>
    /// <param name="cancellationToken">Cancels the check (the operation's token, typically).</param>
    /// <returns>A task that completes when the execution is still authorized.</returns>
    /// <exception cref="ExecutionDeniedException">
    /// The execution is no longer authorized, with the reasons of the check before the start: <see cref="DenialReason.Expired"/>,
    /// <see cref="DenialReason.UntrustedKey"/>, <see cref="DenialReason.SignatureInvalid"/>, <see cref="DenialReason.NotPermitted"/>,
    /// <see cref="DenialReason.PolicyDenied"/>, <see cref="DenialReason.PolicyError"/>, <see cref="DenialReason.Revoked"/> (the
    /// execution or its parent was revoked, or it has ended), <see cref="DenialReason.GovernanceFault"/> (a seam threw or timed out).
    /// </exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was canceled.</exception>
    public ValueTask EnsureAuthorizedAsync(CancellationToken cancellationToken = default) => _owner.EnsureAuthorizedAsync(this, cancellationToken);

    /// <summary>The bound of the running operation (set before it starts).</summary>
    internal AuthorizationBound? Bound { get; set; }

    /// <summary>What nested and delegated executions inherit: this operation's token.</summary>
    internal CancellationToken AuthorizationToken => Bound?.Token ?? default;

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
