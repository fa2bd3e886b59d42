using System.Runtime.CompilerServices;
using GovernedExecution.Intents;

namespace GovernedExecution.Execution;

/// <summary>
/// The convenience overloads of <see cref="IGovernedExecutor"/>: <c>RunAsync</c> throws
/// <see cref="ExecutionDeniedException"/> for a denial and lets the operation's own exceptions through unchanged;
/// <c>RunOutcomeAsync</c> never throws for a denial. When the caller's own token cancels the execution before the
/// operation starts, <c>RunAsync</c> throws <see cref="OperationCanceledException"/> carrying that token instead (the
/// denial, <see cref="DenialReason.Canceled"/>, is still recorded in lineage and is the exception's inner
/// <see cref="ExecutionDeniedException"/>), so that hosts treat it as the cancellation it is.
/// An operation may return <see cref="ValueTask{TResult}"/> or <see cref="Task{TResult}"/> (a call such as
/// <c>(context, ct) =&gt; payments.RefundAsync(order, ct)</c>); an <see langword="async"/> lambda binds to the
/// <see cref="ValueTask{TResult}"/> form.
/// </summary>
public static class GovernedExecutorExtensions
{
    /// <summary>Runs an operation returning a value if authorized; throws <see cref="ExecutionDeniedException"/> otherwise.</summary>
    /// <typeparam name="TResult">The result type.</typeparam>
    /// <param name="executor">The executor.</param>
    /// <param name="intent">What is to run.</param>
    /// <param name="operation">The operation.</param>
    /// <param name="cancellationToken">Cancels the execution.</param>
    /// <returns>The operation's result.</returns>
    /// <exception cref="ArgumentNullException">A parameter is <see langword="null"/>.</exception>
    /// <exception cref="ExecutionDeniedException">The execution was denied; the operation did not run.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was canceled before the operation started; the operation did not run and the denial is recorded in lineage.</exception>
    [OverloadResolutionPriority(1)] // an async lambda fits this and the Task form: keep it here, as before the Task form existed
    public static async ValueTask<TResult> RunAsync<TResult>(
        this IGovernedExecutor executor, ExecutionIntent intent, Func<GovernedContext, CancellationToken, ValueTask<TResult>> operation, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(executor);
        ArgumentNullException.ThrowIfNull(operation);
        var outcome = await executor.RunOutcomeAsync(intent, operation, static (op, context, ct) => op(context, ct), cancellationToken).ConfigureAwait(false);
        return ResultOrThrow(outcome, cancellationToken);
    }

    /// <summary>Runs an operation with state (for <see langword="static"/> lambdas) if authorized; throws <see cref="ExecutionDeniedException"/> otherwise.</summary>
    /// <typeparam name="TState">The state type.</typeparam>
    /// <typeparam name="TResult">The result type.</typeparam>
    /// <param name="executor">The executor.</param>
    /// <param name="intent">What is to run.</param>
    /// <param name="state">The state.</param>
    /// <param name="operation">The operation.</param>
    /// <param name="cancellationToken">Cancels the execution.</param>
    /// <returns>The operation's result.</returns>
    /// <exception cref="ArgumentNullException">A parameter is <see langword="null"/>.</exception>
    /// <exception cref="ExecutionDeniedException">The execution was denied; the operation did not run.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was canceled before the operation started; the operation did not run and the denial is recorded in lineage.</exception>
    public static async ValueTask<TResult> RunAsync<TState, TResult>(
        this IGovernedExecutor executor, ExecutionIntent intent, TState state, Func<TState, GovernedContext, CancellationToken, ValueTask<TResult>> operation, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(executor);
        var outcome = await executor.RunOutcomeAsync(intent, state, operation, cancellationToken).ConfigureAwait(false);
        return ResultOrThrow(outcome, cancellationToken);
    }

    /// <summary>Runs an operation without a result if authorized; throws <see cref="ExecutionDeniedException"/> otherwise.</summary>
    /// <param name="executor">The executor.</param>
    /// <param name="intent">What is to run.</param>
    /// <param name="operation">The operation.</param>
    /// <param name="cancellationToken">Cancels the execution.</param>
    /// <returns>A task that completes when the operation has.</returns>
    /// <exception cref="ArgumentNullException">A parameter is <see langword="null"/>.</exception>
    /// <exception cref="ExecutionDeniedException">The execution was denied; the operation did not run.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was canceled before the operation started; the operation did not run and the denial is recorded in lineage.</exception>
    [OverloadResolutionPriority(1)] // an async lambda fits this and the Task form: keep it here, as before the Task form existed
    public static async ValueTask RunAsync(
        this IGovernedExecutor executor, ExecutionIntent intent, Func<GovernedContext, CancellationToken, ValueTask> operation, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(executor);
        ArgumentNullException.ThrowIfNull(operation);
        var outcome = await executor.RunOutcomeAsync(intent, operation, static async (op, context, ct) =>
        {
            await op(context, ct).ConfigureAwait(false);
            return true;
        }, cancellationToken).ConfigureAwait(false);
        ResultOrThrow(outcome, cancellationToken);
    }

    /// <summary>
    /// Runs a <see cref="Task{TResult}"/>-returning operation that needs no <see cref="GovernedContext"/> (a method
    /// group such as <c>client.SendAsync</c>) if authorized; throws <see cref="ExecutionDeniedException"/> otherwise.
    /// </summary>
    /// <typeparam name="TResult">The result type.</typeparam>
    /// <param name="executor">The executor.</param>
    /// <param name="intent">What is to run.</param>
    /// <param name="operation">The operation.</param>
    /// <param name="cancellationToken">Cancels the execution.</param>
    /// <returns>The operation's result.</returns>
    /// <exception cref="ArgumentNullException">A parameter is <see langword="null"/>.</exception>
    /// <exception cref="ExecutionDeniedException">The execution was denied; the operation did not run.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was canceled before the operation started; the operation did not run and the denial is recorded in lineage.</exception>
    public static Task<TResult> RunAsync<TResult>(
        this IGovernedExecutor executor, ExecutionIntent intent, Func<CancellationToken, Task<TResult>> operation, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(operation);
        return executor.RunAsync(intent, operation, static (op, context, ct) => new ValueTask<TResult>(op(ct)), cancellationToken).AsTask();
    }

    /// <summary>
    /// Runs a <see cref="Task"/>-returning operation that needs no <see cref="GovernedContext"/> if authorized; throws
    /// <see cref="ExecutionDeniedException"/> otherwise.
    /// </summary>
    /// <param name="executor">The executor.</param>
    /// <param name="intent">What is to run.</param>
    /// <param name="operation">The operation.</param>
    /// <param name="cancellationToken">Cancels the execution.</param>
    /// <returns>A task that completes when the operation has.</returns>
    /// <exception cref="ArgumentNullException">A parameter is <see langword="null"/>.</exception>
    /// <exception cref="ExecutionDeniedException">The execution was denied; the operation did not run.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was canceled before the operation started; the operation did not run and the denial is recorded in lineage.</exception>
    public static Task RunAsync(
        this IGovernedExecutor executor, ExecutionIntent intent, Func<CancellationToken, Task> operation, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(operation);
        return executor.RunAsync(intent, operation, static async (op, context, ct) =>
        {
            await op(ct).ConfigureAwait(false);
            return true;
        }, cancellationToken).AsTask();
    }

    /// <summary>
    /// Runs a <see cref="Task{TResult}"/>-returning operation (such as <c>(context, ct) =&gt; payments.RefundAsync(order, ct)</c>)
    /// if authorized; throws <see cref="ExecutionDeniedException"/> otherwise.
    /// </summary>
    /// <typeparam name="TResult">The result type.</typeparam>
    /// <param name="executor">The executor.</param>
    /// <param name="intent">What is to run.</param>
    /// <param name="operation">The operation.</param>
    /// <param name="cancellationToken">Cancels the execution.</param>
    /// <returns>The operation's result.</returns>
    /// <exception cref="ArgumentNullException">A parameter is <see langword="null"/>.</exception>
    /// <exception cref="ExecutionDeniedException">The execution was denied; the operation did not run.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was canceled before the operation started; the operation did not run and the denial is recorded in lineage.</exception>
    public static Task<TResult> RunAsync<TResult>(
        this IGovernedExecutor executor, ExecutionIntent intent, Func<GovernedContext, CancellationToken, Task<TResult>> operation, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(executor);
        ArgumentNullException.ThrowIfNull(operation);
        return executor.RunAsync(intent, operation, static (op, context, ct) => new ValueTask<TResult>(op(context, ct)), cancellationToken).AsTask();
    }

    /// <summary>Runs a <see cref="Task"/>-returning operation without a result if authorized; throws <see cref="ExecutionDeniedException"/> otherwise.</summary>
    /// <param name="executor">The executor.</param>
    /// <param name="intent">What is to run.</param>
    /// <param name="operation">The operation.</param>
    /// <param name="cancellationToken">Cancels the execution.</param>
    /// <returns>A task that completes when the operation has.</returns>
    /// <exception cref="ArgumentNullException">A parameter is <see langword="null"/>.</exception>
    /// <exception cref="ExecutionDeniedException">The execution was denied; the operation did not run.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was canceled before the operation started; the operation did not run and the denial is recorded in lineage.</exception>
    public static Task RunAsync(
        this IGovernedExecutor executor, ExecutionIntent intent, Func<GovernedContext, CancellationToken, Task> operation, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(executor);
        ArgumentNullException.ThrowIfNull(operation);
        return executor.RunAsync(intent, operation, static async (op, context, ct) =>
        {
            await op(context, ct).ConfigureAwait(false);
            return true;
        }, cancellationToken).AsTask();
    }

    /// <summary>Runs a <see cref="Task{TResult}"/>-returning operation if authorized and returns its outcome; never throws for a denial.</summary>
    /// <typeparam name="TResult">The result type.</typeparam>
    /// <param name="executor">The executor.</param>
    /// <param name="intent">What is to run.</param>
    /// <param name="operation">The operation.</param>
    /// <param name="cancellationToken">Cancels the execution.</param>
    /// <returns>The result, the operation's exception, or the denial.</returns>
    /// <exception cref="ArgumentNullException">A parameter is <see langword="null"/>.</exception>
    public static ValueTask<GovernedOutcome<TResult>> RunOutcomeAsync<TResult>(
        this IGovernedExecutor executor, ExecutionIntent intent, Func<GovernedContext, CancellationToken, Task<TResult>> operation, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(executor);
        ArgumentNullException.ThrowIfNull(operation);
        return executor.RunOutcomeAsync(intent, operation, static (op, context, ct) => new ValueTask<TResult>(op(context, ct)), cancellationToken);
    }

    /// <summary>Runs an operation if authorized and returns its outcome; never throws for a denial.</summary>
    /// <typeparam name="TResult">The result type.</typeparam>
    /// <param name="executor">The executor.</param>
    /// <param name="intent">What is to run.</param>
    /// <param name="operation">The operation.</param>
    /// <param name="cancellationToken">Cancels the execution.</param>
    /// <returns>The result, the operation's exception, or the denial.</returns>
    /// <exception cref="ArgumentNullException">A parameter is <see langword="null"/>.</exception>
    [OverloadResolutionPriority(1)] // an async lambda fits this and the Task form: keep it here, as before the Task form existed
    public static ValueTask<GovernedOutcome<TResult>> RunOutcomeAsync<TResult>(
        this IGovernedExecutor executor, ExecutionIntent intent, Func<GovernedContext, CancellationToken, ValueTask<TResult>> operation, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(executor);
        ArgumentNullException.ThrowIfNull(operation);
        return executor.RunOutcomeAsync(intent, operation, static (op, context, ct) => op(context, ct), cancellationToken);
    }

    /// <summary>Runs an operation on a presented artifact if it verifies, and returns its outcome; never throws for a denial.</summary>
    /// <typeparam name="TResult">The result type.</typeparam>
    /// <param name="executor">The executor.</param>
    /// <param name="intent">What is to run.</param>
    /// <param name="artifact">The artifact minted elsewhere.</param>
    /// <param name="operation">The operation.</param>
    /// <param name="cancellationToken">Cancels the execution.</param>
    /// <returns>The result, the operation's exception, or the denial.</returns>
    /// <exception cref="ArgumentNullException">A parameter is <see langword="null"/>.</exception>
    public static ValueTask<GovernedOutcome<TResult>> RunOutcomeAsync<TResult>(
        this IGovernedExecutor executor, ExecutionIntent intent, Artifacts.AuthorizationArtifact? artifact, Func<GovernedContext, CancellationToken, ValueTask<TResult>> operation, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(executor);
        ArgumentNullException.ThrowIfNull(operation);
        return executor.RunOutcomeAsync(intent, artifact, operation, static (op, context, ct) => op(context, ct), cancellationToken);
    }

    /// <summary>Runs an operation on a presented artifact if it verifies; throws <see cref="ExecutionDeniedException"/> otherwise.</summary>
    /// <typeparam name="TResult">The result type.</typeparam>
    /// <param name="executor">The executor.</param>
    /// <param name="intent">What is to run.</param>
    /// <param name="artifact">The artifact minted elsewhere.</param>
    /// <param name="operation">The operation.</param>
    /// <param name="cancellationToken">Cancels the execution.</param>
    /// <returns>The operation's result.</returns>
    /// <exception cref="ArgumentNullException">A parameter is <see langword="null"/>.</exception>
    /// <exception cref="ExecutionDeniedException">The execution was denied; the operation did not run.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was canceled before the operation started; the operation did not run and the denial is recorded in lineage.</exception>
    public static async ValueTask<TResult> RunAsync<TResult>(
        this IGovernedExecutor executor, ExecutionIntent intent, Artifacts.AuthorizationArtifact? artifact, Func<GovernedContext, CancellationToken, ValueTask<TResult>> operation, CancellationToken cancellationToken = default)
    {
        var outcome = await executor.RunOutcomeAsync(intent, artifact, operation, cancellationToken).ConfigureAwait(false);
        return ResultOrThrow(outcome, cancellationToken);
    }

    /// <summary>
    /// Returns the result or throws: the caller's own cancellation as <see cref="OperationCanceledException"/> carrying
    /// its token, any other denial as <see cref="ExecutionDeniedException"/>. A <see cref="DenialReason.Canceled"/>
    /// denial while the caller's token is not canceled came from elsewhere, and stays a denial.
    /// </summary>
    private static TResult ResultOrThrow<TResult>(GovernedOutcome<TResult> outcome, CancellationToken cancellationToken)
    {
        if (outcome.Denial is { Reason: DenialReason.Canceled } denial && cancellationToken.IsCancellationRequested)
        {
            throw new OperationCanceledException(
                "The caller canceled the execution before the operation ran; the denial is recorded in lineage.",
                new ExecutionDeniedException(denial),
                cancellationToken);
        }

        return outcome.GetResultOrThrow();
    }
}
