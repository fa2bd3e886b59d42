using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using GovernedExecution.Testing;

namespace GovernedExecution.Tests.Policies.Cedar;

/// <summary>
/// The official Cedar engine (@cedar-policy/cedar-wasm, installed by .ci/setup-node-tools) run under Node.js through
/// tests/interop/cedar-policy-tool.mjs; tests skip with the reason when node or the package is missing.
/// </summary>
internal static class OfficialCedarEngine
{
    private static readonly string Modules = Path.Combine(TestPaths.RepositoryRoot, ".tools", "node", "node_modules");
    private static readonly string Script = Path.Combine(TestPaths.RepositoryRoot, "tests", "interop", "cedar-policy-tool.mjs");

    /// <summary>Runs a batch of requests (see the script) and returns one answer per request.</summary>
    public static async Task<JsonArray> RunAsync(JsonArray requests)
    {
        var node = (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(Path.PathSeparator)
            .Select(dir => Path.Combine(dir, "node"))
            .FirstOrDefault(File.Exists);
        Skip.If(node is null, "node is not on PATH: the official Cedar engine cannot run; install Node.js and npm, then run .ci/setup-node-tools");
        Skip.IfNot(Directory.Exists(Path.Combine(Modules, "@cedar-policy", "cedar-wasm")), $"@cedar-policy/cedar-wasm is not installed in {Modules}: run .ci/setup-node-tools");

        var start = new ProcessStartInfo(node!) { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(Script);
        start.ArgumentList.Add("--modules");
        start.ArgumentList.Add(Modules);
        using var process = Process.Start(start)!;
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(5));
        var output = process.StandardOutput.ReadToEndAsync(timeout.Token);
        var error = process.StandardError.ReadToEndAsync(timeout.Token);
        await process.StandardInput.WriteAsync(requests.ToJsonString());
        process.StandardInput.Close();
        await process.WaitForExitAsync(timeout.Token);
        var text = await output;
        Assert.True(process.ExitCode == 0 && text.StartsWith('['), "the official engine failed: " + await error);
        return JsonNode.Parse(text)!.AsArray();
    }

    /// <summary>Structural equality of JSON: members in any order, numbers by value (Node reads them as doubles).</summary>
    public static bool SameJson(JsonNode? a, JsonNode? b)
    {
        switch (a)
        {
            case null:
                return b is null;
            case JsonObject oa when b is JsonObject ob:
                return oa.Count == ob.Count && oa.All(kv => ob.TryGetPropertyValue(kv.Key, out var other) && SameJson(kv.Value, other));
            case JsonArray aa when b is JsonArray ab:
                return aa.Count == ab.Count && aa.Zip(ab).All(p => SameJson(p.First, p.Second));
            case JsonValue va when b is JsonValue vb:
                var ka = va.GetValueKind();
                if (ka != vb.GetValueKind())
                {
                    return false;
                }

                return ka == JsonValueKind.Number
                    ? va.GetValue<double>() == vb.GetValue<double>()
                    : JsonNode.DeepEquals(va, vb);
            default:
                return false;
        }
    }
}
