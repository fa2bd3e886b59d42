using System.Diagnostics;
using System.Text;
using System.Text.Json;
using GovernedExecution.Artifacts.Keys;
using GovernedExecution.DependencyInjection;
using GovernedExecution.Execution;
using GovernedExecution.Intents;
using GovernedExecution.Lineage;
using GovernedExecution.Policies.Cedar;
using GovernedExecution.Testing;

namespace GovernedExecution.Tests.Cli;

/// <summary>
/// <c>govexec replay</c>: the AgentToolGuard sample's lineage replays all <c>same</c>; an edited copy of its policies
/// is refused by default and, with <c>--allow-other-policies</c>, diverges for exactly the executions the edit
/// changes (computed here independently, with the public evaluation API); foreign digests, tampered or hostile
/// records are reported, never used.
/// </summary>
public sealed class ReplayCommandTests : IDisposable
{
    private static readonly Lazy<string> SampleLog = new(RunSample, LazyThreadSafetyMode.ExecutionAndPublication);

    private readonly string _dir = Directory.CreateTempSubdirectory("govexec-replay-").FullName;

    private static string SamplePolicies => Path.Combine(TestPaths.RepositoryRoot, "samples", "AgentToolGuard", "policies");

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task The_sample_s_lineage_replays_all_same()
    {
        var decisions = Decisions(SampleLog.Value);
        Assert.True(decisions.Count >= 6, $"the sample made {decisions.Count} decisions");
        var run = await Govexec.InProcessAsync("replay", SampleLog.Value, "--policies", SamplePolicies);
        run.AssertNoCrash();
        Assert.Equal(0, run.Code);
        foreach (var decision in decisions)
        {
            Assert.Contains($"{decision.Execution} same: ", run.Output, StringComparison.Ordinal);
        }

        Assert.Contains($"{decisions.Count} same, 0 diverged, 0 not replayable", run.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Edited_policies_are_refused_by_default_and_named_with_both_digests()
    {
        var edited = EditedPolicies();
        var run = await Govexec.InProcessAsync("replay", SampleLog.Value, "--policies", edited);
        run.AssertNoCrash();
        Assert.Equal(7, run.Code);
        var digest = CedarPolicySet.FromDirectory(edited).Digest;
        foreach (var decision in Decisions(SampleLog.Value))
        {
            Assert.Contains($"{decision.Execution} not replayable: decided by policy set {decision.PolicySet}, the policies given have digest {digest}", run.Output, StringComparison.Ordinal);
        }

        Assert.DoesNotContain(" same: ", run.Output, StringComparison.Ordinal);
        Assert.DoesNotContain(" diverged: ", run.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task With_allow_other_policies_exactly_the_executions_the_edit_changes_diverge()
    {
        var edited = EditedPolicies();
        var policies = CedarPolicySet.FromDirectory(edited);
        var decisions = Decisions(SampleLog.Value);
        // Independently of replay: decide each recorded request with the edited set through the public API.
        var expected = new HashSet<string>(StringComparer.Ordinal);
        foreach (var d in decisions)
        {
            var response = policies.Evaluate(CedarRequest.Create(d.Principal, d.Action, d.Resource, d.Context), CedarEntities.Empty);
            var names = response.Reasons.Select(r => policies.GetAnnotations(r).First(a => a.Key == "id").Value).Order(StringComparer.Ordinal);
            var kind = response.IsAllowed ? "Permitted" : response.Reasons.Count > 0 ? "Forbidden" : "NotPermitted";
            if (kind != d.Decision || string.Join(",", names) != d.Policies)
            {
                expected.Add(d.Execution);
            }
        }

        Assert.NotEmpty(expected);
        Assert.True(expected.Count < decisions.Count, "the edit changes every decision: the test could not tell exactly which");

        var run = await Govexec.InProcessAsync("replay", SampleLog.Value, "--policies", edited, "--allow-other-policies");
        run.AssertNoCrash();
        Assert.Equal(6, run.Code);
        var diverged = Lines(run.Output, " diverged: ");
        var same = Lines(run.Output, " same: ");
        Assert.Equal(expected.Order(StringComparer.Ordinal), diverged.Order(StringComparer.Ordinal));
        Assert.Equal(decisions.Select(d => d.Execution).Where(e => !expected.Contains(e)).Order(StringComparer.Ordinal), same.Order(StringComparer.Ordinal));
        Assert.Contains("recorded Permitted by [support-can-refund-small], replayed NotPermitted by []", run.Output, StringComparison.Ordinal);
        Assert.Contains("the policies given have digest " + policies.Digest, run.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_log_whose_decisions_did_not_record_their_inputs_is_not_replayable_and_says_how_to_fix_it()
    {
        var log = await WriteLogAsync(recordEntities: false, contextAmount: 20);
        var run = await Govexec.InProcessAsync("replay", log, "--policies", SamplePolicies);
        run.AssertNoCrash();
        Assert.Equal(7, run.Code);
        Assert.Contains("not replayable: the request context was not recorded (LineageOptions.RecordEntities is off)", run.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_entities_file_is_checked_against_the_recorded_digest()
    {
        var policies = Path.Combine(_dir, "p.cedar");
        File.WriteAllText(policies, "permit (principal, action, resource) when { principal.level > 2 };");
        var entities = Path.Combine(_dir, "entities.json");
        File.WriteAllText(entities, """[{"uid":{"type":"User","id":"a"},"attrs":{"level":3},"parents":[]},{"uid":{"type":"User","id":"b"},"attrs":{"level":1},"parents":[]}]""");
        var log = await WriteLogAsync(recordEntities: false, contextAmount: null, policiesPath: policies, entitiesPath: entities);

        var good = await Govexec.InProcessAsync("replay", log, "--policies", policies, "--entities", entities);
        good.AssertNoCrash();
        Assert.Equal(0, good.Code);
        Assert.Contains(" same: Permitted by [", good.Output, StringComparison.Ordinal);

        // The same user with other data: the decision would change, and the check says the file is not what was consulted.
        File.WriteAllText(entities, """[{"uid":{"type":"User","id":"a"},"attrs":{"level":1},"parents":[]}]""");
        var bad = await Govexec.InProcessAsync("replay", log, "--policies", policies, "--entities", entities);
        bad.AssertNoCrash();
        Assert.Equal(7, bad.Code);
        Assert.Contains("not replayable: --entities holds other data for the entities this decision consulted", bad.Output, StringComparison.Ordinal);

        // Entities the decision did not consult may change freely.
        File.WriteAllText(entities, """[{"uid":{"type":"User","id":"a"},"attrs":{"level":3},"parents":[]},{"uid":{"type":"User","id":"c"},"attrs":{"level":0},"parents":[]}]""");
        var unrelated = await Govexec.InProcessAsync("replay", log, "--policies", policies, "--entities", entities);
        Assert.Equal(0, unrelated.Code);
    }

    [Fact]
    public async Task Decisions_made_under_a_schema_replay_with_that_schema_and_only_with_it()
    {
        var policies = Path.Combine(_dir, "p.cedar");
        File.WriteAllText(policies, "permit (principal, action == Action::\"read\", resource) when { principal.level > 2 && context.amount < 10 };");
        var schemaPath = Path.Combine(_dir, "s.cedarschema");
        File.WriteAllText(schemaPath, "entity User { level: Long }; entity Doc; action read appliesTo { principal: [User], resource: [Doc], context: { amount: Long } };");
        var entities = """[{"uid":{"type":"User","id":"a"},"attrs":{"level":3},"parents":[]}]""";
        var schema = CedarSchema.Parse(File.ReadAllText(schemaPath));
        var log = Path.Combine(_dir, "schema.jsonl");
        using (var key = SigningKey.Generate())
        {
            await using var sink = FileLineageSink.Open(new FileLineageSinkOptions { Path = log });
            var executor = new GovernedExecutorBuilder()
                .Configure(o =>
                {
                    o.Audience = "replay-test";
                    o.Lineage.RecordEntities = true;
                })
                .UseCedarPolicies(CedarPolicySet.FromFiles([policies]), schema, CedarEntities.ParseJson(entities, schema))
                .UseSigningKey(key)
                .UseTrustedKeys(key.ToTrustedKey())
                .AddLineageSink(sink)
                .Build();
            var intent = new ExecutionIntent(new EntityReference("User", "a"), new EntityReference("Action", "read"), new EntityReference("Doc", "d"))
            {
                Context = new Dictionary<string, IntentValue> { ["amount"] = IntentValue.Long(5) },
            };
            var outcome = await executor.RunOutcomeAsync(intent, (_, _) => Task.FromResult(1));
            Assert.False(outcome.IsDenied, outcome.Denial?.ToString());
        }

        var without = await Govexec.InProcessAsync("replay", log, "--policies", policies);
        without.AssertNoCrash();
        Assert.Equal(7, without.Code);
        Assert.Contains("not replayable: decided by policy set ", without.Output, StringComparison.Ordinal);

        var with = await Govexec.InProcessAsync("replay", log, "--policies", policies, "--schema", schemaPath);
        with.AssertNoCrash();
        Assert.Equal(0, with.Code);
        Assert.Contains(" same: Permitted by [", with.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Recorded_entities_altered_after_the_fact_are_reported_not_used()
    {
        var log = await WriteLogAsync(recordEntities: true, contextAmount: 20);
        // Rewrite the recorded context to a larger amount and re-hash the line so that it still parses: the context
        // digest (and the chain, which replay leaves to lineage verify) still names the original.
        var lines = File.ReadAllLines(log).Select(l => l.Contains("\"policy_evaluated\"", StringComparison.Ordinal) ? Rehash(l.Replace("{\\\"amount\\\":20}", "{\\\"amount\\\":5}", StringComparison.Ordinal)) : l).ToArray();
        File.WriteAllLines(log, lines);
        var run = await Govexec.InProcessAsync("replay", log, "--policies", SamplePolicies);
        run.AssertNoCrash();
        Assert.Equal(7, run.Code);
        Assert.Contains("not replayable: the recorded context does not match its recorded digest", run.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Hostile_lines_are_reported_as_malformed_and_the_rest_replayed()
    {
        var log = await WriteLogAsync(recordEntities: true, contextAmount: 20);
        using (var stream = new FileStream(log, FileMode.Append))
        {
            stream.Write("not json\n{\"v\":1}\n\u001b[31m\n"u8);
            stream.Write(Encoding.UTF8.GetBytes(new string('x', (5 * 1024 * 1024) + 3)));
            stream.Write("\n"u8);
        }

        var run = await Govexec.InProcessAsync("replay", log, "--policies", SamplePolicies);
        run.AssertNoCrash();
        Assert.Equal(7, run.Code);
        Assert.Contains(" same: Permitted by [support-can-refund-small]", run.Output, StringComparison.Ordinal);
        Assert.Contains("not replayable: malformed record: longer than", run.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("\u001b", run.Output, StringComparison.Ordinal);
        Assert.Contains("1 same, 0 diverged, 4 not replayable", run.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_log_without_decisions_is_an_error_not_a_success()
    {
        var log = Path.Combine(_dir, "empty.jsonl");
        File.WriteAllText(log, string.Empty);
        var run = await Govexec.InProcessAsync("replay", log, "--policies", SamplePolicies);
        run.AssertNoCrash();
        Assert.Equal(1, run.Code);
    }

    private static List<string> Lines(string output, string marker) =>
        [.. output.Split('\n').Where(l => l.Contains(marker, StringComparison.Ordinal)).Select(l => l[..l.IndexOf(' ', StringComparison.Ordinal)])];

    private static string Rehash(string line)
    {
        var cut = line.LastIndexOf(",\"hash\":", StringComparison.Ordinal);
        var body = line[..cut] + "}";
        var hash = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(Encoding.UTF8.GetBytes(body)));
        return line[..cut] + ",\"hash\":\"" + hash + "\"}";
    }

    private string EditedPolicies()
    {
        var edited = Path.Combine(_dir, "edited");
        Directory.CreateDirectory(edited);
        var text = File.ReadAllText(Path.Combine(SamplePolicies, "agent-tools.cedar"));
        Assert.Contains("context.amount <= 100 }", text, StringComparison.Ordinal);
        File.WriteAllText(Path.Combine(edited, "agent-tools.cedar"), text.Replace("context.amount <= 100 }", "context.amount <= 10 }", StringComparison.Ordinal));
        return edited;
    }

    /// <summary>Writes a small log through a real executor and file sink: one refund intent (or one read by User::"a").</summary>
    private async Task<string> WriteLogAsync(bool recordEntities, long? contextAmount, string? policiesPath = null, string? entitiesPath = null)
    {
        var path = Path.Combine(_dir, Guid.NewGuid().ToString("N") + ".jsonl");
        using var key = SigningKey.Generate();
        await using (var sink = FileLineageSink.Open(new FileLineageSinkOptions { Path = path }))
        {
            var builder = new GovernedExecutorBuilder()
                .Configure(o =>
                {
                    o.Audience = "replay-test";
                    o.Lineage.RecordEntities = recordEntities;
                })
                .UseSigningKey(key)
                .UseTrustedKeys(key.ToTrustedKey())
                .AddLineageSink(sink);
            builder = policiesPath is null
                ? builder.UseCedarPolicies(CedarPolicySet.FromDirectory(SamplePolicies))
                : builder.UseCedarPolicies(CedarPolicySet.FromFiles([policiesPath]), CedarEntities.ParseJson(File.ReadAllText(entitiesPath!)));
            var executor = builder.Build();
            var intent = contextAmount is { } amount
                ? new ExecutionIntent(new EntityReference("Agent", "support-bot"), new EntityReference("Action", "refund"), new EntityReference("Order", "A-1"))
                {
                    Context = new Dictionary<string, IntentValue> { ["amount"] = IntentValue.Long(amount) },
                }
                : new ExecutionIntent(new EntityReference("User", "a"), new EntityReference("Action", "read"), new EntityReference("Doc", "d"));
            var outcome = await executor.RunOutcomeAsync(intent, (_, _) => Task.FromResult(1));
            Assert.False(outcome.IsDenied, outcome.Denial?.ToString());
        }

        return path;
    }

    /// <summary>The decisions a log records, read here with a JSON parser of its own (not replay's reader).</summary>
    private static List<Recorded> Decisions(string log)
    {
        var intents = new Dictionary<string, JsonElement>(StringComparer.Ordinal);
        var decisions = new List<Recorded>();
        foreach (var line in File.ReadLines(log))
        {
            using var doc = JsonDocument.Parse(line);
            var root = doc.RootElement;
            var data = root.GetProperty("data");
            var exec = root.GetProperty("exec").GetString()!;
            switch (root.GetProperty("kind").GetString())
            {
                case "intent_submitted":
                    intents[exec] = data.Clone();
                    break;
                case "policy_evaluated":
                    var intent = intents[exec];
                    decisions.Add(new Recorded(
                        exec,
                        intent.GetProperty("principal").GetString()!,
                        intent.GetProperty("action").GetString()!,
                        intent.GetProperty("resource").GetString()!,
                        data.GetProperty("context").GetString()!,
                        data.GetProperty("decision").GetString()!,
                        data.GetProperty("policies").GetString()!,
                        data.GetProperty("policy_set").GetString()!));
                    break;
            }
        }

        return decisions;
    }

    /// <summary>Runs the sample as its README says (its built output), writing its lineage to a fresh file.</summary>
    private static string RunSample()
    {
        var configuration = new DirectoryInfo(AppContext.BaseDirectory).Parent!.Name;
        var sample = Path.Combine(TestPaths.RepositoryRoot, "samples", "AgentToolGuard", "bin", configuration, "net10.0", "AgentToolGuard.dll");
        Assert.True(File.Exists(sample), "sample not built: " + sample);
        var log = Path.Combine(Directory.CreateTempSubdirectory("govexec-replay-sample-").FullName, "lineage.jsonl");
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in new[] { sample, "--lineage", log })
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, $"the sample failed ({process.ExitCode}): {output.Result}\n{error}");
        return log;
    }

    private sealed record Recorded(string Execution, string Principal, string Action, string Resource, string Context, string Decision, string Policies, string PolicySet);
}
