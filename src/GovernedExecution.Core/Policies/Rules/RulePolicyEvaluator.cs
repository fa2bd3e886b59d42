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
        // The first match of each effect is kept on its own: most requests match one rule, and need no list.
        Matches permits = default;
        Matches forbids = default;
        List<PolicyEvaluationError>? errors = null;
        foreach (var rule in _rules)
        {
            try
            {
                if (rule.Condition(intent))
                {
                    if (rule.Effect == PolicyEffect.Forbid)
                    {
                        forbids.Add(rule.Id);
                    }
                    else
                    {
                        permits.Add(rule.Id);
                    }
                }
            }
            catch (Exception ex)
            {
                (errors ??= []).Add(new PolicyEvaluationError(rule.Id, rule.Effect, ex.GetType().Name + ": " + ex.Message));
            }
        }

        IEnumerable<PolicyEvaluationError> failed = errors is null ? [] : errors;
        PolicyDecision decision;
        if (forbids.Any)
        {
            decision = new PolicyDecision(PolicyDecisionKind.Forbidden, forbids.ToArray(), failed, [], PolicySetDigest);
        }
        else if (permits.Any)
        {
            var ids = permits.ToArray();
            List<PolicyObligation>? obligations = null;
            foreach (var rule in _rules)
            {
                if (rule.Effect == PolicyEffect.Permit && rule.Obligations.Count > 0 && Array.IndexOf(ids, rule.Id) >= 0)
                {
                    foreach (var pair in rule.Obligations)
                    {
                        (obligations ??= []).Add(new PolicyObligation(pair.Key, pair.Value, rule.Id));
                    }
                }
            }

            decision = new PolicyDecision(PolicyDecisionKind.Permitted, ids, failed, obligations is null ? [] : obligations, PolicySetDigest);
        }
        else
        {
            decision = new PolicyDecision(PolicyDecisionKind.NotPermitted, [], failed, [], PolicySetDigest);
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

    /// <summary>The ids of the rules of one effect that matched, in rule order.</summary>
    private struct Matches
    {
        private string? _first;
        private List<string>? _more;

        internal readonly bool Any => _first is not null;

        internal void Add(string id)
        {
            if (_first is null)
            {
                _first = id;
            }
            else
            {
                (_more ??= []).Add(id);
            }
        }

        internal readonly string[] ToArray()
        {
            if (_more is null)
            {
                return [_first!];
            }

            return [_first!, .. _more];
        }
    }
}
