using System.Text.Json;
using GovernedExecution.Artifacts.Keys;
using GovernedExecution.Lineage;
using GovernedExecution.Tests.Internal;
using GovernedExecution.Tests.Lineage;

namespace GovernedExecution.Tests.Cli;

/// <summary>
/// Text from untrusted input (lineage records, artifact claims, policy ids, request and test files) reaches the
/// auditor's terminal with control and format characters escaped, in text and in JSON output alike; JSON keeps
/// meaning exactly what it meant.
/// </summary>
public sealed class TerminalOutputTests : IDisposable
{
    private const string Hostile = TerminalSafety.Hostile;
    private readonly LineageTestLog _log = new();

    public void Dispose() => _log.Dispose();

    private string Write(string name, string text)
    {
        var path = Path.Combine(_log.Directory, name);
        File.WriteAllText(path, text);
        return path;
    }

    private static string Request(string principal = "bot", string action = "read") =>
        JsonSerializer.Serialize(new { principal = new { type = "Agent", id = principal }, action = new { type = "Action", id = action }, resource = new { type = "Ticket", id = "t-1" } });

    private async Task WriteHostileLogAsync(SigningKey? checkpointKey = null)
    {
        var execution = Guid.NewGuid();
        var time = new DateTimeOffset(2026, 11, 26, 12, 0, 0, TimeSpan.Zero);
        await using var sink = FileLineageSink.Open(_log.Options(o => { o.CheckpointEveryRecords = 3; o.CheckpointKey = checkpointKey ?? _log.Key; }));
        await sink.AppendAsync(
        [
            new(LineageEventKind.IntentSubmitted, execution, null, time, [new("principal", "Agent::\"" + Hostile + "\""), new("action", "Action::\"refund" + Hostile + "\""), new("resource", Hostile)]),
            new(LineageEventKind.PolicyEvaluated, execution, null, time, [new("decision", "Permitted" + Hostile), new("policies", "policy" + Hostile)]),
            new(LineageEventKind.ApprovalRecorded, execution, null, time, [new("approved", "true"), new("approver", "alice" + Hostile)]),
            new(LineageEventKind.ArtifactVerified, execution, null, time, [new("verdict", "Verified" + Hostile)]),
            new(LineageEventKind.ExecutionDenied, execution, null, time, [new("reason", "ScopeViolation" + Hostile), new("detail", Hostile)]),
        ], CancellationToken.None);
    }

    [Fact]
    public async Task Lineage_show_escapes_every_value_it_prints_from_the_records()
    {
        await WriteHostileLogAsync();

        var run = await Govexec.InProcessAsync("lineage", "show", _log.Path);

        Assert.True(run.Code == 0, run.ToString());
        TerminalSafety.AssertSafe(run.Output);
        TerminalSafety.AssertSafe(run.Error);
        Assert.Contains("\\u{202e}", run.Output, StringComparison.Ordinal);
        Assert.Contains("alice", run.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Lineage_show_says_that_it_does_not_verify_the_log()
    {
        await _log.WriteAsync(2);

        var run = await Govexec.InProcessAsync("lineage", "show", _log.Path);

        Assert.Equal(0, run.Code);
        Assert.Contains("not verified", run.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Lineage_prove_writes_hostile_records_escaped_and_the_proof_still_checks()
    {
        await WriteHostileLogAsync();
        var publicKey = Write("pub.pem", _log.Trusted[0].ExportPublicKeyPem());

        var proof = await Govexec.InProcessAsync("lineage", "prove", _log.Path, "--sequence", "1", "--trust", publicKey);
        var path = Write("proof.json", proof.Output);
        var check = await Govexec.InProcessAsync("lineage", "check-proof", path, "--trust", publicKey);

        Assert.True(proof.Code == 0, proof.ToString());
        TerminalSafety.AssertSafe(proof.Output);
        Assert.True(check.Code == 0, check.ToString());
    }

    [Fact]
    public async Task Lineage_errors_naming_a_hostile_key_id_are_escaped()
    {
        using var ec = System.Security.Cryptography.ECDsa.Create(System.Security.Cryptography.ECCurve.NamedCurves.nistP256);
        using var hostileKey = SigningKey.FromECDsa(ec, keyId: "kid" + Hostile);
        await WriteHostileLogAsync(hostileKey);
        var publicKey = Write("pub.pem", _log.Trusted[0].ExportPublicKeyPem());

        var verify = await Govexec.InProcessAsync("lineage", "verify", _log.Path, "--trust", publicKey);
        var prove = await Govexec.InProcessAsync("lineage", "prove", _log.Path, "--sequence", "1", "--trust", publicKey);

        Assert.Equal(1, verify.Code);
        Assert.Equal(1, prove.Code);
        foreach (var text in new[] { verify.Output, verify.Error, prove.Output, prove.Error })
        {
            TerminalSafety.AssertSafe(text);
        }

        Assert.Contains("untrusted key", prove.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Artifact_inspect_and_mint_escape_claims_and_policy_ids_and_the_json_means_the_same()
    {
        Assert.Equal(0, (await Govexec.InProcessAsync("keys", "generate", "--out", Path.Combine(_log.Directory, "issuer"))).Code);
        var policies = Write("p.cedar", "@id(\"read" + Hostile.Replace("\u001B", string.Empty, StringComparison.Ordinal).Replace("\u0007", string.Empty, StringComparison.Ordinal).Replace("\r", string.Empty, StringComparison.Ordinal) + "\")\n@ttl(\"30s\")\npermit (principal, action == Action::\"read\", resource);\n");
        var request = Write("r.json", Request(principal: "bot" + Hostile));
        var artifact = Path.Combine(_log.Directory, "a.cose");

        var mint = await Govexec.InProcessAsync("artifact", "mint", "--key", Path.Combine(_log.Directory, "issuer.key.pem"), "--policies", policies,
            "--request", request, "--audience", "worker" + Hostile, "--out", artifact);
        var inspect = await Govexec.InProcessAsync("artifact", "inspect", artifact);

        Assert.True(mint.Code == 0, mint.ToString());
        Assert.True(inspect.Code == 0, inspect.ToString());
        TerminalSafety.AssertSafe(mint.Output);
        TerminalSafety.AssertSafe(inspect.Output);
        var claims = JsonDocument.Parse(inspect.Output).RootElement.GetProperty("claims");
        Assert.Equal("Agent::\"bot" + Hostile.Replace("\r", "\\r", StringComparison.Ordinal).Replace("\u001B", "\\u{1b}", StringComparison.Ordinal).Replace("\u0007", "\\u{7}", StringComparison.Ordinal).Replace("\u009B", "\\u{9b}", StringComparison.Ordinal) + "\"", claims.GetProperty("sub").GetString());
        Assert.Equal("worker" + Hostile, claims.GetProperty("aud").GetString());
    }

    [Fact]
    public async Task Authorize_and_mint_deny_output_escape_policy_ids()
    {
        var policies = Write("p.cedar", "@id(\"no" + "\u202E" + "\u200B" + "\")\nforbid (principal, action, resource);\n");
        var request = Write("r.json", Request());
        var authorize = await Govexec.InProcessAsync("authorize", "--policies", policies, "--request", request);

        Assert.Equal(3, authorize.Code);
        TerminalSafety.AssertSafe(authorize.Output);
        Assert.Equal("no\u202E\u200B", JsonDocument.Parse(authorize.Output).RootElement.GetProperty("reasons")[0].GetString());
    }

    [Fact]
    public async Task Policy_validate_escapes_file_names_and_diagnostics()
    {
        var folder = Directory.CreateDirectory(Path.Combine(_log.Directory, "policies")).FullName;
        File.WriteAllText(Path.Combine(folder, "good\u202Eexe.cedar"), "permit (principal, action, resource);");
        File.WriteAllText(Path.Combine(folder, "bad.cedar"), "permit (principal, action, resource) when { \u202E \u001B[2J };");

        var run = await Govexec.InProcessAsync("policy", "validate", folder);

        Assert.Equal(1, run.Code);
        TerminalSafety.AssertSafe(run.Output);
        TerminalSafety.AssertSafe(run.Error);
        Assert.Contains("good\\u{202e}exe.cedar: ok", run.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Error_messages_quoting_a_request_escape_it()
    {
        var request = Write("r.json", "{\"principal\":{\"type\":\"Agent\",\"id\":\"b\"},\"action\":{\"type\":\"Action\",\"id\":\"a\"},\"resource\":{\"type\":\"T\",\"id\":\"r\"},\"x\u202E\\u001b[2J\":1}");
        var run = await Govexec.InProcessAsync("artifact", "verify", Write("a.cose", "x"), "--trust", Write("k.pem", _log.Trusted[0].ExportPublicKeyPem()),
            "--request", request, "--audience", "w", "--any-policy-set");

        Assert.Equal(1, run.Code);
        TerminalSafety.AssertSafe(run.Error);
        Assert.Contains("x\\u{202e}\\u{1b}[2J", run.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Conformance_failures_escape_what_the_test_file_says()
    {
        var corpus = Directory.CreateDirectory(Path.Combine(_log.Directory, "corpus")).FullName;
        File.WriteAllText(Path.Combine(corpus, "p.cedar"), "permit (principal, action, resource);");
        File.WriteAllText(Path.Combine(corpus, "e.json"), "[]");
        File.WriteAllText(Path.Combine(corpus, "t.json"), JsonSerializer.Serialize(new
        {
            policies = "p.cedar",
            entities = "e.json",
            requests = new[]
            {
                new
                {
                    description = "d" + Hostile,
                    principal = new { type = "User", id = "u" },
                    action = new { type = "Action", id = "a" },
                    resource = new { type = "R", id = "r" },
                    decision = "deny" + Hostile,
                    reason = Array.Empty<string>(),
                    errors = Array.Empty<string>(),
                },
            },
        }));

        var run = await Govexec.InProcessAsync("conformance", "cedar", corpus);

        Assert.Equal(1, run.Code);
        TerminalSafety.AssertSafe(run.Output);
        Assert.Contains("FAIL", run.Output, StringComparison.Ordinal);
    }
}
