using System.Collections.Concurrent;
using GovernedExecution.Intents;
using GovernedExecution.Policies;

namespace GovernedExecution.Testing;

/// <summary>
/// A real evaluator with a window on it: every intent it is asked to decide is kept, in order, so that a test can
/// compare what the policies saw with what the operation received.
/// </summary>
public sealed class RecordingPolicyEvaluator(IPolicyEvaluator inner) : IPolicyEvaluator
{
    private readonly ConcurrentQueue<ExecutionIntent> _evaluated = new();

    public string PolicySetDigest => inner.PolicySetDigest;

    /// <summary>The intents evaluated so far, oldest first.</summary>
    public IReadOnlyList<ExecutionIntent> Evaluated => [.. _evaluated];

    public void Clear() => _evaluated.Clear();

    public ValueTask<PolicyDecision> EvaluateAsync(ExecutionIntent intent, DateTimeOffset evaluationTime, CancellationToken cancellationToken)
    {
        _evaluated.Enqueue(intent);
        return inner.EvaluateAsync(intent, evaluationTime, cancellationToken);
    }
}
