using System.Text.Json.Nodes;
using GovernedExecution.Policies.Cedar;
using Xunit.Abstractions;

namespace GovernedExecution.Tests.Policies.Cedar;

/// <summary>The JSON policy writer compared with the official Cedar engine (4.13) over the whole conformance material.</summary>
public sealed class CedarOfficialEngineInteropTests
{
    private readonly ITestOutputHelper _output;

    public CedarOfficialEngineInteropTests(ITestOutputHelper output) => _output = output;

    [SkippableFact]
    public async Task Json_policy_output_equals_the_official_policyToJson_on_every_corpus_policy()
    {
        var inputs = CedarCorpusPolicies.CedarTexts().ToList();
        var requests = new JsonArray(inputs.Select(i => (JsonNode)new JsonObject { ["op"] = "setToJson", ["text"] = i.Text }).ToArray());
        var answers = await OfficialCedarEngine.RunAsync(requests);

        int agree = 0, total = 0;
        var mismatches = new List<string>();
        for (int i = 0; i < inputs.Count; i++)
        {
            var answer = answers[i]!;
            Assert.True(answer["ok"]!.GetValue<bool>(), inputs[i].Name + ": the official engine refused it: " + answer["errors"]?.ToJsonString());
            var set = CedarPolicySet.Parse(inputs[i].Text, inputs[i].Name);
            var ours = set.Policies.Where(p => !p.IsTemplate).Concat(set.Policies.Where(p => p.IsTemplate))
                .Select(p => JsonNode.Parse(CedarJsonPolicyWriter.WritePolicy(p))).ToList();
            var theirs = answer["result"]!["policies"]!.AsArray().Concat(answer["result"]!["templates"]!.AsArray()).ToList();
            Assert.Equal(theirs.Count, ours.Count);
            for (int k = 0; k < ours.Count; k++)
            {
                total++;
                if (OfficialCedarEngine.SameJson(ours[k], theirs[k]))
                {
                    agree++;
                }
                else if (mismatches.Count < 10)
                {
                    mismatches.Add(inputs[i].Name + " #" + k + "\n  ours:   " + ours[k]!.ToJsonString() + "\n  theirs: " + theirs[k]!.ToJsonString());
                }
            }
        }

        _output.WriteLine($"JSON policy format: {agree} of {total} policies equal the official engine's");
        Assert.True(agree == total, string.Join("\n", mismatches));
    }
}
