using GovernedExecution.Intents;

namespace GovernedExecution.Policies;

/// <summary>
/// Decides whether an intent is permitted. Implementations must be deterministic: the same policies, entities,
/// intent and evaluation time give the same decision. Anything an implementation throws is a denial.
/// </summary>
public interface IPolicyEvaluator
{
    /// <summary>
    /// The content digest of the policy set this evaluator decides with (lowercase hex SHA-256). Never null or empty:
    /// an executor refuses to be built with such an evaluator, and denies (<c>GovernanceFault</c>) while the digest is
    /// missing, since without it an artifact decided by any other policy set would pass.
    /// </summary>
    string PolicySetDigest { get; }

    /// <summary>Evaluates the policies for an intent.</summary>
    /// <param name="intent">The intent to decide.</param>
    /// <param name="evaluationTime">The time of the evaluation (from the executor's <see cref="TimeProvider"/>).</param>
    /// <param name="cancellationToken">Cancels the evaluation.</param>
    /// <returns>The decision.</returns>
    ValueTask<PolicyDecision> EvaluateAsync(ExecutionIntent intent, DateTimeOffset evaluationTime, CancellationToken cancellationToken);
}
