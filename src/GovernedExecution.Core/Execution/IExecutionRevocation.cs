namespace GovernedExecution.Execution;

/// <summary>
/// Revocations the host feeds to running executions (an operator's command, a message): an execution id, or the id of a
/// signing key. A running operation whose execution, parent execution or signing key is revoked sees its token canceled,
/// and its outcome is <see cref="GovernedOutcomeKind.Revoked"/>. Register one with the executor builder or in the
/// container; <see cref="InMemoryExecutionRevocation"/> is the built-in one.
/// </summary>
/// <remarks>
/// Contract: a revocation is recorded (so that <see cref="CheckAsync"/> reports it) before it is pushed to observers, so
/// that an execution starting meanwhile sees it one way or the other. Fail closed: anything <see cref="CheckAsync"/>
/// throws, and an answer slower than the dependency timeout, denies the execution (<see cref="DenialReason.GovernanceFault"/>);
/// an error or completion pushed to an observer, or a <see cref="IObservable{T}.Subscribe"/> that throws, cancels every
/// operation running under the executor (outcome <see cref="GovernedOutcomeKind.Revoked"/>, cause
/// <c>revocation_source_failed</c>) and the next execution subscribes again.
/// </remarks>
public interface IExecutionRevocation : IObservable<RevocationNotice>
{
    /// <summary>Finds a revocation that applies to an execution or to a signing key.</summary>
    /// <param name="executionId">The execution (or its parent).</param>
    /// <param name="keyId">The id of the key the execution's artifact is signed with.</param>
    /// <param name="cancellationToken">Cancels the lookup.</param>
    /// <returns>The revocation of <paramref name="executionId"/> or <paramref name="keyId"/>, or <see langword="null"/> when neither is revoked.</returns>
    ValueTask<RevocationNotice?> CheckAsync(Guid executionId, string keyId, CancellationToken cancellationToken);
}
