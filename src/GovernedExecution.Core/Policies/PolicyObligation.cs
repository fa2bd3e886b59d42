namespace GovernedExecution.Policies;

/// <summary>
/// A condition that a determining policy attaches to its decision (a Cedar annotation such as <c>@ttl("30s")</c>).
/// The executor enforces the obligations it knows and denies on any other.
/// </summary>
/// <param name="Name">The obligation name (the annotation key).</param>
/// <param name="Value">The obligation value (the annotation value).</param>
/// <param name="PolicyId">The policy that carries it.</param>
public sealed record PolicyObligation(string Name, string Value, string PolicyId);
