namespace GovernedExecution.Policies;

/// <summary>A policy that could not be evaluated for a request (it is skipped, as Cedar specifies), with the reason.</summary>
/// <param name="PolicyId">The id of the policy.</param>
/// <param name="Effect">The effect of the policy; an erroring forbid denies in the executor (see <see cref="PolicyDecision"/>).</param>
/// <param name="Message">What went wrong.</param>
public sealed record PolicyEvaluationError(string PolicyId, PolicyEffect Effect, string Message);
