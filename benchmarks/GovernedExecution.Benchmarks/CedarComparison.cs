using System.Diagnostics;
using System.Globalization;
using System.Text;
using GovernedExecution.Policies.Cedar;

namespace GovernedExecution.Benchmarks;

/// <summary>
/// Exports the policy workloads for the side-by-side run with the official Cedar engine (benchmarks/cedar-compare)
/// and measures this engine on them: per workload, policies.cedar, entities.json, requests.json, and
/// ours.json with each request's decision and the mean time per decision.
/// </summary>
internal static class CedarComparison
{
    internal static readonly (int Policies, int Entities, int Depth)[] Workloads = [(10, 5, 1), (100, 50, 5), (1000, 50, 5)];

    internal static int Run(string outputFolder)
    {
        foreach (var (policies, entities, depth) in Workloads)
        {
            var workload = new PolicyWorkload(policies, entities, depth);
            var folder = Path.Combine(outputFolder, string.Create(CultureInfo.InvariantCulture, $"p{policies}-e{entities}-d{depth}"));
            Directory.CreateDirectory(folder);
            File.WriteAllText(Path.Combine(folder, "policies.cedar"), workload.PolicyText);
            File.WriteAllText(Path.Combine(folder, "entities.json"), workload.EntitiesJson);
            File.WriteAllText(Path.Combine(folder, "requests.json"), "[\n" + string.Join(",\n", workload.Requests.Select(r => r.ToJson())) + "\n]\n");

            var set = CedarPolicySet.Parse(workload.PolicyText);
            var store = CedarEntities.ParseJson(workload.EntitiesJson);
            var requests = workload.Requests.Select(r => (
                CedarPolicyEvaluator.ToUid(new("Agent", r.Agent)),
                CedarPolicyEvaluator.ToUid(new("Action", r.Action)),
                CedarPolicyEvaluator.ToUid(new(r.ResourceType, r.ResourceId)),
                CedarPolicyEvaluator.ToRecord(new Dictionary<string, Intents.IntentValue> { ["amount"] = r.Amount, ["channel"] = r.Channel }))).ToArray();

            var decisions = requests.Select(r => set.Authorize(r.Item1, r.Item2, r.Item3, r.Item4, store.Store)).ToArray();
            const int Rounds = 200_000;
            for (var i = 0; i < Rounds / 2; i++)
            {
                var r = requests[i % requests.Length];
                set.Authorize(r.Item1, r.Item2, r.Item3, r.Item4, store.Store);
            }

            var watch = Stopwatch.StartNew();
            for (var i = 0; i < Rounds; i++)
            {
                var r = requests[i % requests.Length];
                set.Authorize(r.Item1, r.Item2, r.Item3, r.Item4, store.Store);
            }

            var nanos = watch.Elapsed.TotalNanoseconds / Rounds;
            var json = new StringBuilder("{\n  \"nanosecondsPerDecision\": ").Append(nanos.ToString("F1", CultureInfo.InvariantCulture)).Append(",\n  \"decisions\": [\n");
            json.AppendJoin(",\n", decisions.Select(d => "    {\"decision\":\"" + (d.Allowed ? "allow" : "deny") + "\",\"reasons\":[" + string.Join(",", d.Reasons.Select(id => "\"" + id + "\"")) + "],\"errors\":" + d.Errors.Count.ToString(CultureInfo.InvariantCulture) + "}"));
            File.WriteAllText(Path.Combine(folder, "ours.json"), json.Append("\n  ]\n}\n").ToString());
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{Path.GetFileName(folder)}: {nanos:F0} ns per decision ({decisions.Count(d => d.Allowed)} of {decisions.Length} allowed)"));
        }

        return 0;
    }
}
