using GovernedExecution.Policies.Cedar;

namespace GovernedExecution.AspNetCore.ConsoleUi;

/// <summary>The policy view: the set in force, its digest, each policy with its annotations (obligations highlighted), the schema.</summary>
internal static class PolicyPage
{
    public static Task<ConsolePage> RenderAsync(ConsoleSources sources, string basePath, CancellationToken cancellationToken)
    {
        _ = cancellationToken;
        return Task.FromResult(ConsolePage.Ok("Policies", "policies", html =>
        {
            html.Element("h1", "Policies in force");
            if (sources.Policies is not { } evaluator)
            {
                html.Element("p", "No policy set is configured here.", ("class", "note"));
                return;
            }

            html.Open("dl", ("class", "facts"))
                .Element("dt", "Policy-set digest").Element("dd", evaluator.PolicySetDigest, ("class", "mono"), ("id", "policy-set-digest"))
                .Element("dt", "Loaded").Element("dd", sources.PoliciesLoadedAt?.ToString("u", System.Globalization.CultureInfo.InvariantCulture) ?? "unknown")
                .Close("dl");
            if (evaluator is not CedarPolicyEvaluator cedar)
            {
                html.Element("p", $"The evaluator ({evaluator.GetType().Name}) does not list its policies.", ("class", "note"));
                return;
            }

            var set = cedar.Policies;
            html.Open("ul", ("class", "policy-list"), ("id", "policies"));
            foreach (var policy in set.Policies)
            {
                // Decisions, artifacts and lineage name a policy by its @id annotation when it has one (as the evaluator does).
                var id = DecisionId(policy);
                html.Open("li", ("id", "policy-" + id), ("class", "policy"), ("data-policy", id));
                html.Open("h2").Element("span", id, ("class", "mono")).Text(" ").Element("span", policy.Effect.ToString().ToLowerInvariant(), ("class", "effect " + (policy.Effect == Policies.PolicyEffect.Permit ? "ok" : "bad"))).Close("h2");
                if (policy.Annotations.Count > 0)
                {
                    html.Open("dl", ("class", "annotations"));
                    foreach (var (name, value) in policy.Annotations)
                    {
                        var obligation = !CedarPolicyEvaluator.InformationalAnnotations.Contains(name);
                        html.Element("dt", "@" + name, ("class", obligation ? "obligation" : null)).Element("dd", value, ("class", obligation ? "obligation" : null));
                    }

                    html.Close("dl");
                    if (policy.Annotations.Any(a => !CedarPolicyEvaluator.InformationalAnnotations.Contains(a.Key)))
                    {
                        html.Element("p", "Highlighted annotations are obligations the executor must satisfy before the call runs.", ("class", "note"));
                    }
                }

                if (id != policy.Id)
                {
                    html.Element("p", "In the policy set as " + policy.Id, ("class", "note"));
                }

                html.Open("p").Link(ConsoleUrl.Under(basePath).WithQuery([KeyValuePair.Create("policy", (string?)id)]), "Executions this policy decided", ("class", "decided")).Close("p");
                html.Close("li");
            }

            html.Close("ul");
            html.Open("details").Element("summary", "The policy set as Cedar text").Element("pre", set.ToCedarText(), ("id", "policy-text")).Close("details");
            html.Element("h2", "Schema");
            html.Element(cedar.Schema is null ? "p" : "pre", cedar.Schema?.ToCedarText() ?? "No schema: policies are not validated against one.", ("id", "schema"));
        }));
    }

    private static string DecisionId(CedarPolicy policy) =>
        policy.Annotations.FirstOrDefault(a => a.Key == "id" && a.Value.Length > 0).Value ?? policy.Id;
}
