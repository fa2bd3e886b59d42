using GovernedExecution.Intents;

namespace GovernedExecution.Policies.Rules;

/// <summary>
/// A policy written in C#: a permit or forbid with a predicate over the intent. A predicate that throws is an
/// evaluation error: the rule is skipped and reported, never taken as a permit.
/// </summary>
public sealed class PolicyRule
{
    private PolicyRule(string id, PolicyEffect effect, Func<ExecutionIntent, bool> condition, IEnumerable<KeyValuePair<string, string>>? obligations)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(id);
        ArgumentNullException.ThrowIfNull(condition);
        Id = id;
        Effect = effect;
        Condition = condition;
        Obligations = obligations is null ? [] : [.. obligations];
    }

    /// <summary>The rule id, reported as a determining policy.</summary>
    public string Id { get; }

    /// <summary>Permit or forbid.</summary>
    public PolicyEffect Effect { get; }

    /// <summary>The obligations the rule attaches when it determines a decision (name and value).</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Obligations { get; }

    internal Func<ExecutionIntent, bool> Condition { get; }

    /// <summary>Creates a permit rule.</summary>
    /// <param name="id">The rule id.</param>
    /// <param name="when">When the rule applies.</param>
    /// <param name="obligations">Obligations attached when it determines a permit.</param>
    /// <returns>The rule.</returns>
    /// <exception cref="ArgumentException"><paramref name="id"/> is null, empty or white space.</exception>
    /// <exception cref="ArgumentNullException"><paramref name="when"/> is <see langword="null"/>.</exception>
    public static PolicyRule Permit(string id, Func<ExecutionIntent, bool> when, IEnumerable<KeyValuePair<string, string>>? obligations = null) =>
        new(id, PolicyEffect.Permit, when, obligations);

    /// <summary>Creates a forbid rule.</summary>
    /// <param name="id">The rule id.</param>
    /// <param name="when">When the rule applies.</param>
    /// <returns>The rule.</returns>
    /// <exception cref="ArgumentException"><paramref name="id"/> is null, empty or white space.</exception>
    /// <exception cref="ArgumentNullException"><paramref name="when"/> is <see langword="null"/>.</exception>
    public static PolicyRule Forbid(string id, Func<ExecutionIntent, bool> when) => new(id, PolicyEffect.Forbid, when, null);

    /// <inheritdoc />
    public override string ToString() => $"{Effect} {Id}";
}
