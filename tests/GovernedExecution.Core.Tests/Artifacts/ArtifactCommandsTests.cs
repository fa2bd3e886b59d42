using System.CommandLine;
using System.Text.Json;
using GovernedExecution.Artifacts;
using GovernedExecution.Artifacts.Keys;
using GovernedExecution.Cli.Commands;
using GovernedExecution.Intents;
using GovernedExecution.Policies.Rules;

namespace GovernedExecution.Tests.Artifacts;

/// <summary><c>govexec keys</c> and <c>govexec artifact</c>, in process, in a temporary folder.</summary>
public sealed class ArtifactCommandsTests : IDisposable
{
    private const string Request = """{"principal":{"type":"Agent","id":"bot"},"action":{"type":"Action","id":"read"},"resource":{"type":"Ticket","id":"t-1"},"context":{"amount":{"__extn":{"fn":"decimal","arg":"12.5"}}}}""";
    private readonly string _dir = Directory.CreateTempSubdirectory("govexec-tests-").FullName;
    private readonly StringWriter _out = new();
    private readonly StringWriter _err = new();

    public void Dispose()
    {
        Directory.Delete(_dir, recursive: true);
        _out.Dispose();
        _err.Dispose();
    }

    [Fact]
    public async Task Keys_generate_writes_a_private_and_a_public_PEM_and_prints_the_kid()
    {
        var (code, output) = await InvokeAsync("keys", "generate", "--alg", "ES384", "--out", Path.Combine(_dir, "issuer"));

        Assert.Equal(0, code);
        using var key = SigningKey.FromPem(File.ReadAllText(Path.Combine(_dir, "issuer.key.pem")));
        using var trusted = TrustedKey.FromPem(File.ReadAllText(Path.Combine(_dir, "issuer.pub.pem")));
        Assert.Equal(key.KeyId, output.Trim());
        Assert.Equal(key.KeyId, trusted.KeyId);
        Assert.Equal(ArtifactAlgorithm.ES384, trusted.Algorithm);
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(_dir, "issuer.key.pem")));
        }

        var (again, _) = await InvokeAsync("keys", "generate", "--out", Path.Combine(_dir, "issuer"));
        Assert.Equal(1, again); // never overwrites a key without --force
    }

    [Fact]
    public async Task Inspect_shows_the_principals_a_scope_delegates_to_and_omits_them_when_there_are_none()
    {
        using var key = SigningKey.Generate();
        var issuer = CoseArtifacts.CreateIssuer(new StaticSigningKeyProvider(key));
        var planner = new EntityReference("Agent", "planner");
        var intent = new ExecutionIntent(planner, new EntityReference("Action", "plan"), new EntityReference("Trip", "t-1"));
        var decision = new GovernedExecution.Policies.PolicyDecision(GovernedExecution.Policies.PolicyDecisionKind.Permitted, ["p"], [], [], "policy-set");
        async Task<JsonElement> ScopeOfAsync(DelegationScope scope)
        {
            var request = new ArtifactRequest(IntentEncoding.Digest(intent), planner.ToString(), "worker", decision) { Scope = scope };
            var artifact = await issuer.IssueAsync(request, default);
            Assert.Equal(0, ArtifactCommands.Inspect(artifact.Encoded.ToArray(), _out, _err));
            using var inspected = JsonDocument.Parse(Last(_out));
            return inspected.RootElement.GetProperty("claims").GetProperty("scope").Clone();
        }

        var listed = await ScopeOfAsync(new DelegationScope([intent.Action], [intent.Resource], [planner, new EntityReference("Agent", "booker")]));
        var own = await ScopeOfAsync(new DelegationScope([intent.Action], [intent.Resource]));

        Assert.Equal(["Agent::\"booker\"", "Agent::\"planner\""], listed.GetProperty("principals").EnumerateArray().Select(e => e.GetString()).Order(StringComparer.Ordinal));
        Assert.False(own.TryGetProperty("principals", out _));
    }

    [Fact]
    public async Task Mint_on_permit_writes_an_artifact_that_inspect_shows_and_verify_accepts()
    {
        var (key, pub) = GenerateKeys();
        var code = await MintAsync(key, "worker");

        Assert.Equal(0, code);
        var artifact = Path.Combine(_dir, "a.cose");
        Assert.Equal(0, ArtifactCommands.Inspect(File.ReadAllBytes(artifact), _out, _err));
        using var inspected = JsonDocument.Parse(Last(_out));
        Assert.Equal("ES256 (-7)", inspected.RootElement.GetProperty("protected").GetProperty("alg (1)").GetString());
        Assert.Equal(key.KeyId, inspected.RootElement.GetProperty("protected").GetProperty("kid (4)").GetString());
        Assert.Equal("worker", inspected.RootElement.GetProperty("claims").GetProperty("aud").GetString());
        Assert.Equal("Agent::\"bot\"", inspected.RootElement.GetProperty("claims").GetProperty("sub").GetString());

        var (verified, json) = await VerifyFileAsync(artifact, pub, Request, "worker");
        Assert.Equal(0, verified);
        Assert.Equal("Verified", json.GetProperty("verdict").GetString());
        Assert.Equal(JsonValueKind.Null, json.GetProperty("reason").ValueKind);
        Assert.Equal(13, json.GetProperty("checks").GetArrayLength()); // every check but replay, which a fresh guard cannot judge
    }

    [Fact]
    public async Task Mint_on_deny_prints_the_decision_exits_3_and_writes_nothing()
    {
        var (key, _) = GenerateKeys();
        var policies = new RulePolicyEvaluator([PolicyRule.Permit("allow-read", _ => true), PolicyRule.Forbid("no-bots", i => i.Principal.Type == "Agent")]);

        var code = await ArtifactCommands.MintAsync(key, policies, IntentJson.Parse(Request), "worker", TimeSpan.FromSeconds(60), Path.Combine(_dir, "a.cose"), TimeProvider.System, _out, _err, default);

        Assert.Equal(3, code);
        Assert.False(File.Exists(Path.Combine(_dir, "a.cose")));
        using var decision = JsonDocument.Parse(Last(_out));
        Assert.Equal("Forbidden", decision.RootElement.GetProperty("decision").GetString());
        Assert.Equal("no-bots", decision.RootElement.GetProperty("determiningPolicies")[0].GetString());
    }

    [Theory]
    [InlineData("flip", 10, "Invalid", "SignatureInvalid")]
    [InlineData("stranger", 11, "Untrusted", "UntrustedKey")]
    [InlineData("other-request", 12, "Rejected", "IntentMismatch")]
    [InlineData("other-audience", 12, "Rejected", "AudienceMismatch")]
    public async Task Verify_exits_with_a_distinct_code_per_verdict(string tamper, int expectedCode, string verdict, string reason)
    {
        var (key, pub) = GenerateKeys();
        Assert.Equal(0, await MintAsync(key, "worker"));
        var artifact = Path.Combine(_dir, "a.cose");
        var request = Request;
        var audience = "worker";
        switch (tamper)
        {
            case "flip":
                var bytes = File.ReadAllBytes(artifact);
                bytes[^3] ^= 0x40;
                File.WriteAllBytes(artifact, bytes);
                break;
            case "stranger":
                using (var other = SigningKey.Generate())
                {
                    pub = Path.Combine(_dir, "other.pub.pem");
                    File.WriteAllText(pub, other.ToTrustedKey().ExportPublicKeyPem());
                }

                break;
            case "other-request":
                request = Request.Replace("t-1", "t-2", StringComparison.Ordinal);
                break;
            default:
                audience = "billing";
                break;
        }

        var (code, json) = await VerifyFileAsync(artifact, pub, request, audience);

        Assert.Equal(expectedCode, code);
        Assert.Equal(verdict, json.GetProperty("verdict").GetString());
        Assert.Equal(reason, json.GetProperty("reason").GetString());
    }

    [Fact]
    public void Trusted_keys_load_from_PEM_certificate_JWK_and_JWK_Set()
    {
        using var key = SigningKey.Generate();
        var pem = Path.Combine(_dir, "k.pub.pem");
        File.WriteAllText(pem, key.ToTrustedKey().ExportPublicKeyPem());
        var jwk = Path.Combine(_dir, "k.jwk");
        File.WriteAllText(jwk, GovernedExecution.Tests.Artifacts.Keys.KeyLoadingTests.Jwk(key.Key, includePrivate: false));
        var set = Path.Combine(_dir, "k.jwks");
        File.WriteAllText(set, "{\"keys\":[" + File.ReadAllText(jwk) + "]}");

        foreach (var path in new[] { pem, jwk, set })
        {
            var loaded = ArtifactCommands.LoadTrusted(path);
            Assert.Equal(key.KeyId, Assert.Single(loaded).KeyId);
            loaded.ForEach(k => k.Dispose());
        }
    }

    [Fact]
    public async Task Mint_with_Cedar_policy_files_end_to_end_then_verify()
    {
        var (key, pub) = GenerateKeys();
        key.Dispose();
        var policies = Path.Combine(_dir, "policies");
        Directory.CreateDirectory(policies);
        File.WriteAllText(Path.Combine(policies, "agents.cedar"), """
            @id("bots-read")
            permit (principal is Agent, action == Action::"read", resource)
            when { context.amount.lessThan(decimal("100.0")) };
            """);
        File.WriteAllText(Path.Combine(policies, "no-delete.cedar"), "forbid (principal, action == Action::\"delete\", resource);\n");
        var request = Path.Combine(_dir, "r.json");
        File.WriteAllText(request, Request);
        var artifact = Path.Combine(_dir, "a.cose");

        var (minted, output) = await InvokeAsync("artifact", "mint", "--key", Path.Combine(_dir, "issuer.key.pem"), "--policies", policies,
            "--request", request, "--audience", "worker", "--ttl", "30s", "--out", artifact);

        Assert.True(minted == 0, output + _err);
        var (verified, json) = await VerifyFileAsync(artifact, pub, Request, "worker", GovernedExecution.Policies.Cedar.CedarPolicySet.FromDirectory(policies).Digest);
        Assert.Equal(0, verified);
        Assert.Equal("Verified", json.GetProperty("verdict").GetString());

        var denied = Path.Combine(_dir, "denied.json");
        File.WriteAllText(denied, Request.Replace("\"read\"", "\"delete\"", StringComparison.Ordinal));
        var (code, decision) = await InvokeAsync("artifact", "mint", "--key", Path.Combine(_dir, "issuer.key.pem"), "--policies", policies,
            "--request", denied, "--out", Path.Combine(_dir, "b.cose"));
        Assert.Equal(3, code);
        Assert.Contains("Forbidden", decision, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(_dir, "b.cose")));
    }

    [Theory]
    [InlineData("500ms")] // rounds down to no time at all
    [InlineData("0s")]
    [InlineData("61m")]
    [InlineData("999999999h")]
    public async Task Mint_refuses_a_ttl_outside_1_second_to_1_hour_as_a_usage_error(string ttl)
    {
        var (key, _) = GenerateKeys();
        key.Dispose();
        File.WriteAllText(Path.Combine(_dir, "p.cedar"), "permit (principal, action, resource);\n");
        File.WriteAllText(Path.Combine(_dir, "r.json"), Request);

        var (code, _) = await InvokeAsync("artifact", "mint", "--key", Path.Combine(_dir, "issuer.key.pem"), "--policies", Path.Combine(_dir, "p.cedar"),
            "--request", Path.Combine(_dir, "r.json"), "--ttl", ttl, "--out", Path.Combine(_dir, "a.cose"));

        Assert.Equal(2, code);
        Assert.Contains("--ttl", _err.ToString(), StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(_dir, "a.cose")));
    }

    [Fact]
    public async Task Mint_reports_a_policy_parse_error_and_writes_nothing()
    {
        var (key, _) = GenerateKeys();
        key.Dispose();
        File.WriteAllText(Path.Combine(_dir, "bad.cedar"), "permit (principal, action, resource) when { 1 + };");
        File.WriteAllText(Path.Combine(_dir, "r.json"), Request);

        var (code, _) = await InvokeAsync("artifact", "mint", "--key", Path.Combine(_dir, "issuer.key.pem"), "--policies", Path.Combine(_dir, "bad.cedar"),
            "--request", Path.Combine(_dir, "r.json"), "--out", Path.Combine(_dir, "a.cose"));

        Assert.Equal(1, code);
        Assert.Contains("bad.cedar", _err.ToString(), StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(_dir, "a.cose")));
    }

    private (SigningKey Key, string PublicPath) GenerateKeys()
    {
        Assert.Equal(0, KeyCommands.Generate(ArtifactAlgorithm.ES256, Path.Combine(_dir, "issuer"), false, _out, _err));
        return (SigningKey.FromPem(File.ReadAllText(Path.Combine(_dir, "issuer.key.pem"))), Path.Combine(_dir, "issuer.pub.pem"));
    }

    private readonly RulePolicyEvaluator _readPolicies = new([PolicyRule.Permit("allow-read", i => i.Action.Id == "read")]);

    private Task<int> MintAsync(SigningKey key, string audience) => ArtifactCommands.MintAsync(
        key, _readPolicies, IntentJson.Parse(Request), audience, TimeSpan.FromSeconds(60),
        Path.Combine(_dir, "a.cose"), TimeProvider.System, _out, _err, default);

    private async Task<(int Code, JsonElement Json)> VerifyFileAsync(string artifact, string trust, string request, string audience, string? policySet = null)
    {
        var requestPath = Path.Combine(_dir, "request.json");
        File.WriteAllText(requestPath, request);
        var (code, output) = await InvokeAsync("artifact", "verify", artifact, "--trust", trust, "--request", requestPath, "--audience", audience,
            "--policy-set", policySet ?? _readPolicies.PolicySetDigest);
        using var document = JsonDocument.Parse(output);
        return (code, document.RootElement.Clone());
    }

    private async Task<(int Code, string Output)> InvokeAsync(params string[] args)
    {
        var root = new RootCommand();
        KeyCommands.Register(root);
        ArtifactCommands.Register(root);
        using var output = new StringWriter();
        var code = await root.Parse(args).InvokeAsync(new InvocationConfiguration { Output = output, Error = _err });
        return (code, output.ToString());
    }

    private static string Last(StringWriter writer)
    {
        var text = writer.ToString();
        var start = text.LastIndexOf("\n{", StringComparison.Ordinal);
        return start < 0 ? text : text[(start + 1)..];
    }
}
