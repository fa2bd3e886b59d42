using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using GovernedExecution.Policies.Cedar;

namespace GovernedExecution.Testing.Cedar;

/// <summary>
/// The official Cedar engine's decisions for the <see cref="CedarHardWorkload"/>s, recorded in
/// tests/GovernedExecution.Testing/Cedar/hard-workload-decisions.json (embedded in this assembly) with
/// @cedar-policy/cedar-wasm through tests/interop/cedar-authorize-oracle.mjs, so that agreement is checked without
/// Node.js wherever the workload is used (the tests and the benchmark).
/// </summary>
public static class CedarHardWorkloadDecisions
{
    /// <summary>The sizes of the committed workloads.</summary>
    public static readonly int[] Sizes = [100, 1000];

    /// <summary>The file, relative to the repository root.</summary>
    public static readonly string RelativePath = Path.Combine("tests", "GovernedExecution.Testing", "Cedar", "hard-workload-decisions.json");

    /// <summary>Reads the recorded file.</summary>
    /// <returns>The parsed file.</returns>
    public static JsonObject Load()
    {
        using var stream = typeof(CedarHardWorkloadDecisions).Assembly.GetManifestResourceStream("GovernedExecution.Testing.Cedar.hard-workload-decisions.json")
            ?? throw new InvalidOperationException("hard-workload-decisions.json is not embedded");
        return JsonNode.Parse(stream)!.AsObject();
    }

    /// <summary>The recorded decisions of one workload; throws when its digest differs from the recording's (the generator changed).</summary>
    /// <param name="workload">The workload.</param>
    /// <returns>One outcome per request.</returns>
    public static IReadOnlyList<string> For(CedarHardWorkload workload)
    {
        var recorded = Load()["workloads"]!.AsArray().Select(w => w!.AsObject()).FirstOrDefault(w => (string?)w["name"] == workload.Name && (int?)w["seed"] == workload.Seed)
            ?? throw new InvalidOperationException("no recorded decisions for " + workload.Name + " seed " + workload.Seed);
        if ((string?)recorded["digest"] != workload.Digest)
        {
            throw new InvalidOperationException($"{workload.Name}: the generated workload (digest {workload.Digest}) is not the one recorded ({recorded["digest"]}); record again (see CedarHardWorkloadTests)");
        }

        return [.. recorded["decisions"]!.AsArray().Select(d => Key(d!.AsObject()))];
    }

    /// <summary>
    /// Checks every request of <paramref name="workload"/> with <paramref name="set"/> against the recorded decisions:
    /// decision, determining policies and erroring policies.
    /// </summary>
    /// <param name="workload">The workload.</param>
    /// <param name="set">The parsed policies.</param>
    /// <param name="entities">The parsed entities.</param>
    /// <returns>The disagreements, empty when every decision agrees.</returns>
    public static List<string> Disagreements(CedarHardWorkload workload, CedarPolicySet set, CedarEntities entities) =>
        Disagreements(workload, r => set.Evaluate(r, entities));

    /// <summary>Checks every request of <paramref name="workload"/> evaluated by <paramref name="evaluate"/> against the recorded decisions.</summary>
    /// <param name="workload">The workload.</param>
    /// <param name="evaluate">The evaluator.</param>
    /// <returns>The disagreements, empty when every decision agrees.</returns>
    public static List<string> Disagreements(CedarHardWorkload workload, Func<CedarRequest, CedarResponse> evaluate)
    {
        ArgumentNullException.ThrowIfNull(evaluate);
        var expected = For(workload);
        var problems = new List<string>();
        for (var i = 0; i < workload.Requests.Count; i++)
        {
            var r = workload.Requests[i];
            var response = evaluate(CedarRequest.Create(r.PrincipalText, r.ActionText, r.ResourceText, r.ContextJson));
            var ours = Key(response.IsAllowed ? "Allow" : "Deny", response.Reasons, response.Errors.Select(e => e.PolicyId));
            if (ours != expected[i])
            {
                problems.Add($"{workload.Name} request {i} ({r}): official {expected[i]}, ours {ours}");
            }
        }

        return problems;
    }

    /// <summary>Runs the official engine on the workloads (Node.js and the modules of .ci/setup-node-tools) and returns the file to record.</summary>
    /// <param name="node">The node executable.</param>
    /// <param name="modules">The node_modules folder holding @cedar-policy/cedar-wasm.</param>
    /// <param name="workloads">The workloads.</param>
    /// <returns>The file's content.</returns>
    public static JsonObject RunOfficialEngine(string node, string modules, IReadOnlyList<CedarHardWorkload> workloads)
    {
        var dir = Directory.CreateTempSubdirectory("govexec-cedar-hard-").FullName;
        try
        {
            var batch = Path.Combine(dir, "batch.json");
            var output = Path.Combine(dir, "out.json");
            File.WriteAllText(batch, new JsonObject { ["tests"] = new JsonArray([.. workloads.Select(w => (JsonNode)w.ToOracleTest())]) }.ToJsonString());
            var start = new ProcessStartInfo(node) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            foreach (var a in new[] { Path.Combine(TestPaths.RepositoryRoot, "tests", "interop", "cedar-authorize-oracle.mjs"), "--modules", modules, "--batch", batch, "--out", output })
            {
                start.ArgumentList.Add(a);
            }

            using var process = Process.Start(start)!;
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            if (!process.WaitForExit(TimeSpan.FromMinutes(10)))
            {
                process.Kill(entireProcessTree: true);
                throw new InvalidOperationException("the Cedar oracle did not finish");
            }

            if (process.ExitCode != 0)
            {
                throw new InvalidOperationException("the Cedar oracle failed: " + stdout.Result + stderr.Result);
            }

            var result = JsonNode.Parse(File.ReadAllText(output))!.AsObject();
            var recorded = new JsonArray();
            var results = result["results"]!.AsArray();
            for (var i = 0; i < workloads.Count; i++)
            {
                var decisions = new JsonArray();
                foreach (var r in results[i]!["requests"]!.AsArray())
                {
                    if (r!["failure"] is { } failure)
                    {
                        throw new InvalidOperationException(workloads[i].Name + ": the official engine refused the input: " + failure);
                    }

                    decisions.Add(new JsonObject
                    {
                        ["decision"] = (string?)r["decision"] == "allow" ? "Allow" : "Deny",
                        ["reason"] = new JsonArray([.. r["reason"]!.AsArray().Select(x => (JsonNode)(string)x!)]),
                        ["errors"] = new JsonArray([.. r["errors"]!.AsArray().Select(x => (JsonNode)(string)x!)]),
                    });
                }

                recorded.Add(new JsonObject
                {
                    ["name"] = workloads[i].Name,
                    ["seed"] = workloads[i].Seed,
                    ["digest"] = workloads[i].Digest,
                    ["decisions"] = decisions,
                });
            }

            return new JsonObject { ["engine"] = (string?)result["engine"], ["workloads"] = recorded };
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    /// <summary>Compares two recordings by their decisions.</summary>
    /// <param name="a">One recording.</param>
    /// <param name="b">The other.</param>
    /// <returns>True when every workload's digest and decisions are the same.</returns>
    public static bool SameDecisions(JsonObject a, JsonObject b) =>
        JsonNode.DeepEquals(a["workloads"], b["workloads"]);

    /// <summary>Writes a recording as it is committed.</summary>
    /// <param name="recording">The recording.</param>
    /// <returns>The text.</returns>
    public static string Format(JsonObject recording) => recording.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n";

    private static string Key(JsonObject d) => Key(
        (string)d["decision"]!,
        d["reason"]!.AsArray().Select(x => (string)x!),
        d["errors"]!.AsArray().Select(x => (string)x!));

    private static string Key(string decision, IEnumerable<string> reasons, IEnumerable<string> errors) =>
        decision + " reasons=[" + string.Join(",", reasons.Order(StringComparer.Ordinal)) + "] errors=[" + string.Join(",", errors.Order(StringComparer.Ordinal)) + "]";
}
