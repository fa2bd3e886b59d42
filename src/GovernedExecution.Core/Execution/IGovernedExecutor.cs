using GovernedExecution.Artifacts;
using GovernedExecution.Intents;

namespace GovernedExecution.Execution;

/// <summary>
/// Runs operations only when they are authorized: policies permit the intent, a signed artifact bound to the intent
/// verifies, and the required lineage has accepted the pre-execution records. Otherwise the operation never runs.
/// The convenience overloads (<c>RunAsync</c>, and <c>RunOutcomeAsync</c> without state) are extension methods in
/// <see cref="GovernedExecutorExtensions"/>.
/// </summary>
public interface IGovernedExecutor
{
    /// <summary>
    /// Runs <paramref name="operation"/> if and only if the execution is authorized; never throws for a denial.
    /// </summary>
    /// <typeparam name="TState">State passed to the operation, so that a <see langword="static"/> lambda needs no closure.</typeparam>
    /// <typeparam name="TResult">The operation's result.</typeparam>
    /// <param name="intent">What is to run.</param>
    /// <param name="state">The state.</param>
    /// <param name="operation">The operation.</param>
    /// <param name="cancellationToken">Cancels the execution; before the operation starts, a cancellation is a denial.</param>
    /// <returns>The result, the operation's exception, or the denial.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="intent"/> or <paramref name="operation"/> is <see langword="null"/>.</exception>
    ValueTask<GovernedOutcome<TResult>> RunOutcomeAsync<TState, TResult>(
        ExecutionIntent intent,
        TState state,
        Func<TState, GovernedContext, CancellationToken, ValueTask<TResult>> operation,
        CancellationToken cancellationToken = default);

    /// <summary>
    /// Runs <paramref name="operation"/> on an artifact minted elsewhere (for example by an authorization service) if
    /// and only if it verifies against this intent and runtime; never throws for a denial. Policies are not evaluated
    /// here: the artifact carries the decision.
    /// </summary>
    /// <typeparam name="TState">State passed to the operation.</typeparam>
    /// <typeparam name="TResult">The operation's result.</typeparam>
    /// <param name="intent">What is to run.</param>
    /// <param name="artifact">The presented artifact; <see langword="null"/> is a denial (<see cref="DenialReason.ArtifactMissing"/>).</param>
    /// <param name="state">The state.</param>
    /// <param name="operation">The operation.</param>
    /// <param name="cancellationToken">Cancels the execution.</param>
    /// <returns>The result, the operation's exception, or the denial.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="intent"/> or <paramref name="operation"/> is <see langword="null"/>.</exception>
    ValueTask<GovernedOutcome<TResult>> RunOutcomeAsync<TState, TResult>(
        ExecutionIntent intent,
        AuthorizationArtifact? artifact,
        TState state,
        Func<TState, GovernedContext, CancellationToken, ValueTask<TResult>> operation,
        CancellationToken cancellationToken = default);

    /// <summary>
    /// Mints an artifact for an intent without running anything (an authorization service's call). The artifact is
    /// for <paramref name="audience"/>, or this executor's audience.
    /// </summary>
    /// <param name="intent">The intent.</param>
    /// <param name="audience">The runtime that will run it; <see langword="null"/> for this executor's audience.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The artifact, or the denial.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="intent"/> is <see langword="null"/>.</exception>
    ValueTask<ArtifactIssuance> IssueAsync(ExecutionIntent intent, string? audience = null, CancellationToken cancellationToken = default);

    /// <summary>
    /// Mints an artifact that also grants a delegated scope: the holder may obtain child artifacts for sub-tasks within
    /// it (<see cref="GovernedContext.DelegateAsync"/>). The intent itself must be inside the scope.
    /// </summary>
    /// <param name="intent">The intent.</param>
    /// <param name="audience">The runtime that will run it; <see langword="null"/> for this executor's audience.</param>
    /// <param name="scope">The delegated scope.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The artifact, or the denial.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="intent"/> or <paramref name="scope"/> is <see langword="null"/>.</exception>
    ValueTask<ArtifactIssuance> IssueAsync(ExecutionIntent intent, string? audience, DelegationScope scope, CancellationToken cancellationToken = default);

    /// <summary>
    /// Refuses a call before it is authorized, because it could not be described to the policies exactly (for example
    /// tool arguments that do not bind to the tool's parameters), and records the refusal: the lineage receives the
    /// intent (mode <c>refused</c>) and the denial, as for any denied execution, so that an auditor sees the attempt.
    /// Nothing is evaluated, minted or run. Recording is best effort: the refusal stands whatever the sinks do.
    /// </summary>
    /// <param name="intent">What the call would have been, as far as it is known (no argument values in the context).</param>
    /// <param name="reason">Why it is refused, for example <see cref="DenialReason.ArgumentsInvalid"/>.</param>
    /// <param name="detail">A fixed sentence from the caller's documented set, free of argument values and secrets.</param>
    /// <returns>The denial, with the execution id its lineage records carry.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="intent"/> or <paramref name="detail"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="detail"/> is empty.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="reason"/> is <see cref="DenialReason.Unspecified"/> or not a defined value.</exception>
    ValueTask<ExecutionDenial> RefuseAsync(ExecutionIntent intent, DenialReason reason, string detail);

    /// <summary>Dry run: would this intent be allowed, and why. Mints nothing, runs nothing; recorded in lineage as a dry run.</summary>
    /// <param name="intent">The intent.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The decision and, if denied, the denial.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="intent"/> is <see langword="null"/>.</exception>
    ValueTask<AuthorizationResult> AuthorizeAsync(ExecutionIntent intent, CancellationToken cancellationToken = default);
}
