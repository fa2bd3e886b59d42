using System.Diagnostics;
using System.Text.Json;
using GovernedExecution.Policies.Cedar;
using GovernedExecution.Testing;

namespace GovernedExecution.Tests.Policies.Cedar;

/// <summary>
/// The official Cedar engine (@cedar-policy/cedar-wasm under Node.js, tests/interop, installed by .ci/setup-node-tools)
/// as oracle: it must accept and refuse the same schemas, its JSON conversion must mean what ours means, and it must
/// accept the JSON we write.
/// </summary>
public sealed class CedarSchemaOracleTests
{
    private static readonly string Modules = Path.Combine(TestPaths.RepositoryRoot, ".tools", "node", "node_modules");
    private static readonly string Script = Path.Combine(TestPaths.RepositoryRoot, "tests", "interop", "cedar-schema.mjs");

    [SkippableFact]
    public async Task Official_engine_agrees_on_every_schema()
    {
        var items = new List<(string Name, string Format, string Text)>();
        foreach (var (name, text) in CedarSchemaTests.ConformanceSchemas())
        {
            items.Add((name, "cedar", text));
        }

        int i = 0;
        foreach (var row in ((IEnumerable<object[]>)CedarSchemaTests.ValidCedarSchemas).Concat(CedarSchemaTests.InvalidCedarSchemas))
        {
            items.Add(($"cedar-list-{i++}", "cedar", (string)row[0]));
        }

        foreach (var row in ((IEnumerable<object[]>)CedarSchemaTests.ValidJsonSchemas).Concat(CedarSchemaTests.InvalidJsonSchemas))
        {
            items.Add(($"json-list-{i++}", "json", (string)row[0]));
        }

        // Ours, for each schema we accept, and the JSON we write for it (which the official engine must accept too).
        var ours = new Dictionary<string, CedarSchema?>(StringComparer.Ordinal);
        foreach (var (name, format, text) in items.ToList())
        {
            try
            {
                var schema = format == "json" ? CedarSchema.ParseJson(text, name) : CedarSchema.Parse(text, name);
                ours[name] = schema;
                items.Add((name + "#ours", "json", schema.ToJson()));
            }
            catch (CedarParseException)
            {
                ours[name] = null;
            }
        }

        // In batches: one Node.js process for thousands of schemas has been seen to crash inside V8.
        var verdicts = new Dictionary<string, JsonElement>(StringComparer.Ordinal);
        foreach (var batch in items.Chunk(500))
        {
            foreach (var (key, value) in await RunOracleAsync([.. batch]))
            {
                verdicts[key] = value;
            }
        }
        var disagreements = new List<string>();
        foreach (var (name, format, text) in items)
        {
            var verdict = verdicts[name];
            bool official = verdict.GetProperty("ok").GetBoolean();
            if (name.EndsWith("#ours", StringComparison.Ordinal))
            {
                if (!official)
                {
                    disagreements.Add($"{name}: the official engine refuses the JSON we wrote: {verdict.GetProperty("error").GetString()}");
                }

                continue;
            }

            var mine = ours[name];
            if ((mine is not null) != official)
            {
                disagreements.Add($"{name}: official {(official ? "accepts" : "refuses: " + verdict.GetProperty("error").GetString())}, ours {(mine is null ? "refuses" : "accepts")}\n{text}");
                continue;
            }

            if (mine is not null)
            {
                var theirs = CedarSchema.ParseJson(verdict.GetProperty("json").GetRawText(), name + " (official JSON)");
                if (theirs.Describe() != mine.Describe())
                {
                    disagreements.Add($"{name}: the official JSON means something else\n{text}");
                }
            }
        }

        Assert.True(disagreements.Count == 0, $"{disagreements.Count} disagreements:\n" + string.Join("\n\n", disagreements.Take(5)));
    }

    private static async Task<Dictionary<string, JsonElement>> RunOracleAsync(List<(string Name, string Format, string Text)> items)
    {
        var node = FindOnPath("node");
        Skip.If(node is null, "node is not on PATH: the official Cedar engine cannot run; install Node.js and npm, then run .ci/setup-node-tools");
        Skip.IfNot(Directory.Exists(Path.Combine(Modules, "@cedar-policy", "cedar-wasm")), $"@cedar-policy/cedar-wasm is not installed in {Modules}: run .ci/setup-node-tools");

        var dir = Directory.CreateTempSubdirectory("govexec-cedar-schema-");
        try
        {
            var input = Path.Combine(dir.FullName, "schemas.json");
            await File.WriteAllTextAsync(input, JsonSerializer.Serialize(items.Select(x => new { name = x.Name, format = x.Format, text = x.Text })));
            var start = new ProcessStartInfo(node!) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            foreach (var argument in new[] { Script, "--modules", Modules, input })
            {
                start.ArgumentList.Add(argument);
            }

            using var process = Process.Start(start)!;
            using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(5));
            var output = process.StandardOutput.ReadToEndAsync(timeout.Token);
            var error = process.StandardError.ReadToEndAsync(timeout.Token);
            await process.WaitForExitAsync(timeout.Token);
            var text = await output;
            Assert.True(process.ExitCode == 0 && text.StartsWith('['), "node failed: " + await error);
            using var document = JsonDocument.Parse(text, new JsonDocumentOptions { MaxDepth = 512 });
            return document.RootElement.EnumerateArray().ToDictionary(e => e.GetProperty("name").GetString()!, e => e.Clone(), StringComparer.Ordinal);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    private static string? FindOnPath(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(Path.PathSeparator)
            .Select(dir => Path.Combine(dir, name))
            .FirstOrDefault(File.Exists);
}
