using System.Globalization;
using System.Text;

namespace GovernedExecution.Benchmarks;

/// <summary>
/// A deterministic, realistic policy workload: agents in nested teams, tools (actions) on typed resources,
/// permits scoped by team, action and resource type with context conditions, and a few forbids. Exported as Cedar
/// text, entity JSON and request JSON so that other engines can evaluate exactly the same thing.
/// </summary>
internal sealed class PolicyWorkload
{
    private static readonly string[] ResourceTypes = ["Order", "Ticket", "Customer", "Invoice", "Report"];

    public PolicyWorkload(int policies, int entities, int depth, int seed = 42)
    {
        var random = new Random(seed);
        var actions = Math.Max(4, policies / 5);
        var teams = Math.Max(1, (entities - 1) / 2);

        // Teams form chains of `depth` levels: team i's parent is team i - 1 unless it starts a new chain.
        var entityJson = new StringBuilder("[\n");
        for (var t = 0; t < teams; t++)
        {
            var parent = t % depth == 0 ? string.Empty : $"{{\"type\":\"Team\",\"id\":\"t{t - 1}\"}}";
            entityJson.Append(CultureInfo.InvariantCulture, $"  {{\"uid\":{{\"type\":\"Team\",\"id\":\"t{t}\"}},\"attrs\":{{\"level\":{t % depth}}},\"parents\":[{parent}]}},\n");
        }

        var agents = Math.Max(1, entities - teams);
        for (var a = 0; a < agents; a++)
        {
            var team = Math.Min(teams - 1, ((a % Math.Max(1, teams / depth)) * depth) + depth - 1);
            entityJson.Append(CultureInfo.InvariantCulture, $"  {{\"uid\":{{\"type\":\"Agent\",\"id\":\"a{a}\"}},\"attrs\":{{\"clearance\":{a % 5},\"department\":\"d{a % 3}\"}},\"parents\":[{{\"type\":\"Team\",\"id\":\"t{team}\"}}]}}{(a == agents - 1 ? string.Empty : ",")}\n");
        }

        EntitiesJson = entityJson.Append(']').ToString();

        var text = new StringBuilder();
        var permits = new List<(int Team, int Action, string Type, int Limit)>();
        for (var p = 0; p < policies; p++)
        {
            var action = random.Next(actions);
            var type = ResourceTypes[random.Next(ResourceTypes.Length)];
            var team = random.Next(teams);
            var limit = 50 + random.Next(500);
            if (p % 10 == 9)
            {
                text.Append(CultureInfo.InvariantCulture, $"@id(\"p{p}\")\nforbid (principal, action == Action::\"tool{action}\", resource is {type})\nwhen {{ context.amount > {limit * 10} || principal.clearance < 1 }};\n\n");
            }
            else
            {
                permits.Add((team, action, type, limit));
                text.Append(CultureInfo.InvariantCulture, $"@id(\"p{p}\")\npermit (principal in Team::\"t{team}\", action == Action::\"tool{action}\", resource is {type})\nwhen {{ context.amount <= {limit} && principal.department like \"d*\" && [\"chat\", \"api\"].contains(context.channel) }};\n\n");
            }
        }

        PolicyText = text.ToString();

        // Requests: half aimed at a permit (an agent under its team, within its limit), half at random.
        var chains = Math.Max(1, teams / depth);
        for (var r = 0; r < 64; r++)
        {
            if (r % 2 == 0 && permits.Count > 0)
            {
                var target = permits[random.Next(permits.Count)];
                var chain = Math.Min(target.Team / depth, chains - 1);
                var candidates = Enumerable.Range(0, agents).Where(a => a % chains == chain).ToArray();
                var chosen = candidates.Length > 0 ? candidates[random.Next(candidates.Length)] : random.Next(agents);
                Requests.Add(new WorkloadRequest($"a{chosen}", $"tool{target.Action}", target.Type, $"r{r}", random.Next(target.Limit + 1), "chat"));
                continue;
            }

            var agent = random.Next(agents);
            Requests.Add(new WorkloadRequest(
                $"a{agent}",
                $"tool{random.Next(actions)}",
                ResourceTypes[random.Next(ResourceTypes.Length)],
                $"r{r}",
                random.Next(600),
                r % 3 == 0 ? "email" : "chat"));
        }
    }

    public string PolicyText { get; }

    public string EntitiesJson { get; }

    public List<WorkloadRequest> Requests { get; } = [];
}

internal sealed record WorkloadRequest(string Agent, string Action, string ResourceType, string ResourceId, long Amount, string Channel)
{
    public string ToJson() => string.Create(
        CultureInfo.InvariantCulture,
        $"{{\"principal\":{{\"type\":\"Agent\",\"id\":\"{Agent}\"}},\"action\":{{\"type\":\"Action\",\"id\":\"{Action}\"}},\"resource\":{{\"type\":\"{ResourceType}\",\"id\":\"{ResourceId}\"}},\"context\":{{\"amount\":{Amount},\"channel\":\"{Channel}\"}}}}");
}
