using System.Runtime.ExceptionServices;

namespace GovernedExecution.Execution;

/// <summary>
/// The outcome of <c>RunOutcomeAsync</c>: the result, the delegate's exception, or a denial. A default value is a
/// denial with no details: it never reads as a success.
/// </summary>
/// <typeparam name="TResult">The delegate's result type.</typeparam>
public readonly struct GovernedOutcome<TResult>
{
    private readonly TResult _result;
    private readonly ExceptionDispatchInfo? _exception;
    private readonly ExecutionDenial? _denial;

    private GovernedOutcome(GovernedOutcomeKind kind, TResult result, ExceptionDispatchInfo? exception, ExecutionDenial? denial, Guid executionId)
    {
        Kind = kind;
        _result = result;
        _exception = exception;
        _denial = denial;
        ExecutionId = executionId;
    }

    /// <summary>What became of the execution.</summary>
    public GovernedOutcomeKind Kind { get; }

    /// <summary>The execution id (also in the lineage).</summary>
    public Guid ExecutionId { get; }

    /// <summary>Whether the delegate ran and returned.</summary>
    public bool IsSuccess => Kind == GovernedOutcomeKind.Succeeded;

    /// <summary>Whether the execution was denied.</summary>
    public bool IsDenied => Kind == GovernedOutcomeKind.Denied;

    /// <summary>The result; throws unless <see cref="IsSuccess"/>.</summary>
    /// <exception cref="InvalidOperationException">The outcome is not a success.</exception>
    public TResult Result => IsSuccess ? _result : throw new InvalidOperationException($"The outcome is {Kind}, not a result.");

    /// <summary>The delegate's exception, when it threw (also when it threw after its authorization ended).</summary>
    public Exception? Exception => _exception?.SourceException;

    /// <summary>
    /// The denial, when denied (a default outcome has a generic one), or why the authorization ended when
    /// <see cref="GovernedOutcomeKind.Revoked"/>.
    /// </summary>
    public ExecutionDenial? Denial => Kind switch
    {
        GovernedOutcomeKind.Denied => _denial ?? new ExecutionDenial(DenialReason.Unspecified, "no execution took place", Guid.Empty, null),
        GovernedOutcomeKind.Revoked => _denial,
        _ => null,
    };

    /// <summary>Returns the result, rethrows the delegate's exception, or throws <see cref="ExecutionDeniedException"/>.</summary>
    /// <returns>The result.</returns>
    /// <exception cref="ExecutionDeniedException">The execution was denied, or revoked while it ran (with why).</exception>
    public TResult GetResultOrThrow()
    {
        switch (Kind)
        {
            case GovernedOutcomeKind.Succeeded:
                return _result;
            case GovernedOutcomeKind.Faulted:
                _exception!.Throw();
                return default!; // unreachable
            default:
                throw new ExecutionDeniedException(Denial!);
        }
    }

    /// <inheritdoc />
    public override string ToString() => Kind switch
    {
        GovernedOutcomeKind.Succeeded => $"Succeeded: {_result}",
        GovernedOutcomeKind.Faulted => $"Faulted: {Exception!.GetType().Name}",
        GovernedOutcomeKind.Revoked => $"Revoked: {Denial}",
        _ => $"Denied: {Denial}",
    };

    internal static GovernedOutcome<TResult> Success(TResult result, Guid executionId) => new(GovernedOutcomeKind.Succeeded, result, null, null, executionId);

    internal static GovernedOutcome<TResult> Faulted(Exception exception, Guid executionId) =>
        new(GovernedOutcomeKind.Faulted, default!, ExceptionDispatchInfo.Capture(exception), null, executionId);

    internal static GovernedOutcome<TResult> Revoked(ExecutionDenial denial, Exception? exception) =>
        new(GovernedOutcomeKind.Revoked, default!, exception is null ? null : ExceptionDispatchInfo.Capture(exception), denial, denial.ExecutionId);

    internal static GovernedOutcome<TResult> Denied(ExecutionDenial denial) => new(GovernedOutcomeKind.Denied, default!, null, denial, denial.ExecutionId);
}
