using System.Security.Cryptography;
using System.Text;
using GovernedExecution.Intents;

namespace GovernedExecution.Policies.Rules;

/// <summary>
/// Evaluates <see cref="PolicyRule"/>s with Cedar's semantics: default deny, any applying forbid denies, otherwise any
/// applying permit permits; order does not matter; a rule whose predicate throws is skipped and reported as an error.
/// </summary>
/// <remarks>
/// The policy-set digest covers the rule ids, effects and obligations, not the predicates (they are code): deploy
/// rule changes with new ids when the digest must change.
/// </remarks>
public sealed class RulePolicyEvaluator : IPolicyEvaluator
{
    private readonly PolicyRule[] _rules;

    /// <summary>Creates an evaluator over the given rules.</summary>
    /// <param name="rules">The rules; ids must be unique.</param>
    /// <exception cref="ArgumentNullException"><paramref name="rules"/> or a rule is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">Two rules share an id.</exception>
    public RulePolicyEvaluator(IEnumerable<PolicyRule> rules)
    {
        ArgumentNullException.ThrowIfNull(rules);
        _rules = [.. rules];
        var ids = new HashSet<string>(StringComparer.Ordinal);
        foreach (var rule in _rules)
        {
            ArgumentNullException.ThrowIfNull(rule, nameof(rules));
            if (!ids.Add(rule.Id))
            {
                throw new ArgumentException($"Two rules have the id '{rule.Id}'.", nameof(rules));
            }
        }

        Array.Sort(_rules, static (a, b) => string.CompareOrdinal(a.Id, b.Id));
        PolicySetDigest = ComputeDigest(_rules);
    }

    /// <inheritdoc />
    public string PolicySetDigest { get; }

    /// <summary>The number of rules.</summary>
    public int Count => _rules.Length;

    /// <inheritdoc />
    public ValueTask<PolicyDecision> EvaluateAsync(ExecutionIntent intent, DateTimeOffset evaluationTime, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(intent);
        List<string>? permits = null;
        List<string>? forbids = null;
        List<PolicyEvaluationError>? errors = null;
        foreach (var rule in _rules)
        {
            try
            {
                if (rule.Condition(intent))
                {
                    (rule.Effect == PolicyEffect.Forbid ? forbids ??= [] : permits ??= []).Add(rule.Id);
                }
            }
            catch (Exception ex)
            {
                (errors ??= []).Add(new PolicyEvaluationError(rule.Id, rule.Effect, ex.GetType().Name + ": " + ex.Message));
            }
        }

        PolicyDecision decision;
        if (forbids is not null)
        {
            decision = new PolicyDecision(PolicyDecisionKind.Forbidden, forbids, errors ?? [], [], PolicySetDigest);
        }
        else if (permits is not null)
        {
            var obligations = new List<PolicyObligation>();
            foreach (var rule in _rules)
            {
                if (rule.Effect == PolicyEffect.Permit && permits.Contains(rule.Id))
                {
                    foreach (var pair in rule.Obligations)
                    {
                        obligations.Add(new PolicyObligation(pair.Key, pair.Value, rule.Id));
                    }
                }
            }

            decision = new PolicyDecision(PolicyDecisionKind.Permitted, permits, errors ?? [], obligations, PolicySetDigest);
        }
        else
        {
            decision = new PolicyDecision(PolicyDecisionKind.NotPermitted, [], errors ?? [], [], PolicySetDigest);
        }

        return ValueTask.FromResult(decision);
    }

    private static string ComputeDigest(PolicyRule[] rules)
    {
        var text = new StringBuilder();
        foreach (var rule in rules)
        {
            text.Append(rule.Effect == PolicyEffect.Permit ? "permit " : "forbid ").Append(rule.Id.Length).Append(':').Append(rule.Id);
            foreach (var pair in rule.Obligations.OrderBy(p => p.Key, StringComparer.Ordinal))
            {
                text.Append(" @").Append(pair.Key.Length).Append(':').Append(pair.Key).Append('=').Append(pair.Value.Length).Append(':').Append(pair.Value);
            }

            text.Append('\n');
        }

        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString())));
    }
}
