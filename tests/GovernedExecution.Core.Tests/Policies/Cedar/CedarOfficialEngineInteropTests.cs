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

/// <summary>The formatter compared with the official <c>formatPolicies</c> over the whole conformance material.</summary>
public sealed class CedarFormatterInteropTests
{
    /// <summary>The agreement reached so far over the corpus policy files; it may only go up.</summary>
    private const int AgreementFloor = 6_504;

    private readonly ITestOutputHelper _output;

    public CedarFormatterInteropTests(ITestOutputHelper output) => _output = output;

    [SkippableFact]
    public async Task Formatter_output_equals_the_official_formatPolicies_where_it_is_known_to()
    {
        var inputs = CedarCorpusPolicies.CedarTexts().ToList();
        var requests = new JsonArray(inputs.Select(i => (JsonNode)new JsonObject { ["op"] = "format", ["text"] = i.Text }).ToArray());
        var answers = await OfficialCedarEngine.RunAsync(requests);

        int agree = 0, compared = 0;
        var mismatches = new List<string>();
        for (int i = 0; i < inputs.Count; i++)
        {
            var answer = answers[i]!;
            if (!answer["ok"]!.GetValue<bool>())
            {
                continue;
            }

            compared++;
            var ours = CedarPolicySet.Format(inputs[i].Text, inputs[i].Name);
            var theirs = answer["result"]!.GetValue<string>();
            if (ours == theirs)
            {
                agree++;
            }
            else if (mismatches.Count < 5)
            {
                mismatches.Add(inputs[i].Name + "\n--- ours\n" + ours + "--- theirs\n" + theirs);
            }
        }

        _output.WriteLine($"formatter: {agree} of {compared} policy files equal the official formatPolicies output ({inputs.Count - compared} it refused)");
        foreach (var m in mismatches)
        {
            _output.WriteLine(m);
        }

        Assert.True(agree >= AgreementFloor, $"formatter agreement {agree} is below the floor {AgreementFloor}");
    }
}
