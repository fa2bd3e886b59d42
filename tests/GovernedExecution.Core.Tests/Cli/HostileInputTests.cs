using System.Text;
using GovernedExecution.Artifacts;
using GovernedExecution.Artifacts.Keys;
using GovernedExecution.Tests.Artifacts;
using GovernedExecution.Tests.Lineage;

namespace GovernedExecution.Tests.Cli;

/// <summary>
/// An auditor's input (a lineage log, an artifact, a key, a policy or test file) never crashes <c>govexec</c>: every bad
/// input ends in a one-line error on standard error and the documented exit code, never an unhandled exception.
/// </summary>
public sealed class HostileInputTests : IDisposable
{
    private readonly LineageTestLog _log = new();
    private readonly string _publicKey;

    public HostileInputTests()
    {
        _log.WriteAsync(6, o => o.CheckpointEveryRecords = 4).GetAwaiter().GetResult();
        _publicKey = Write("pub.pem", _log.Trusted[0].ExportPublicKeyPem());
    }

    public void Dispose() => _log.Dispose();

    private string Write(string name, string text)
    {
        var path = Path.Combine(_log.Directory, name);
        File.WriteAllText(path, text);
        return path;
    }

    private string Tampered()
    {
        var lines = File.ReadAllLines(_log.Path);
        lines[1] = lines[1].Replace("\"i\":\"", "\"i\":\"x", StringComparison.Ordinal);
        return Write("tampered.jsonl", string.Join('\n', lines) + "\n");
    }

    [Fact]
    public async Task Lineage_verify_reports_a_checkpoint_signature_with_a_label_beyond_32_bits_as_malformed_and_exits_1()
    {
        var (path, line) = CheckpointSignatureDecodingTests.WithHostileCheckpointSignature(_log, "protected label beyond 32 bits");

        var run = await Govexec.ProcessAsync("lineage", "verify", path, "--trust", _publicKey);

        Assert.Equal(1, run.Code);
        run.AssertNoCrash();
        var error = System.Text.Json.JsonDocument.Parse(run.Output).RootElement.GetProperty("firstError");
        Assert.Equal(line, error.GetProperty("line").GetInt64());
        Assert.Equal("checkpoint signature is not a COSE_Sign1 message", error.GetProperty("reason").GetString());
    }

    [Fact]
    public async Task Lineage_prove_of_a_log_with_a_hostile_checkpoint_signature_is_a_clear_error()
    {
        var (path, _) = CheckpointSignatureDecodingTests.WithHostileCheckpointSignature(_log, "crit naming a label beyond 32 bits");

        var run = await Govexec.InProcessAsync("lineage", "prove", path, "--sequence", "1", "--trust", _publicKey);

        Assert.Equal(1, run.Code);
        run.AssertNoCrash();
        Assert.Contains("checkpoint signature is not a COSE_Sign1 message", run.Error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("verify")]
    [InlineData("prove")]
    [InlineData("check-proof")]
    public async Task The_same_trusted_key_given_twice_is_accepted(string command)
    {
        var proof = Write("proof.json", (await Govexec.InProcessAsync("lineage", "prove", _log.Path, "--sequence", "2", "--trust", _publicKey)).Output);
        string[] target = command == "check-proof" ? [proof] : command == "prove" ? [_log.Path, "--sequence", "2"] : [_log.Path];

        var run = await Govexec.InProcessAsync(["lineage", command, .. target, "--trust", _publicKey, "--trust", _publicKey]);

        Assert.True(run.Code == 0, run.ToString());
    }

    [Fact]
    public async Task Two_different_trusted_keys_under_one_key_id_are_an_error_with_exit_1()
    {
        using var other = SigningKey.Generate();
        using var otherTrusted = other.ToTrustedKey();
        var otherPath = Write("other.pem", otherTrusted.ExportPublicKeyPem());

        var run = await Govexec.InProcessAsync("lineage", "verify", _log.Path, "--trust", "k=" + _publicKey, "--trust", "k=" + otherPath);

        Assert.Equal(1, run.Code);
        run.AssertNoCrash();
        Assert.StartsWith("govexec: ", run.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_malformed_trusted_key_is_an_error_with_exit_1()
    {
        var run = await Govexec.InProcessAsync("lineage", "verify", _log.Path, "--trust", Write("bad.pem", "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n"));

        Assert.Equal(1, run.Code);
        run.AssertNoCrash();
    }

    [Fact]
    public async Task Lineage_prove_of_a_record_no_checkpoint_covers_is_a_clear_error_with_exit_1()
    {
        var run = await Govexec.InProcessAsync("lineage", "prove", _log.Path, "--sequence", "999", "--trust", _publicKey);

        Assert.Equal(1, run.Code);
        run.AssertNoCrash();
        Assert.Contains("No checkpoint covers record 999", run.Error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("show")]
    [InlineData("prove")]
    public async Task A_tampered_log_is_a_clear_error_naming_the_line_with_exit_1(string command)
    {
        string[] options = command == "prove" ? ["--sequence", "1", "--trust", _publicKey] : [];

        var run = await Govexec.InProcessAsync(["lineage", command, Tampered(), .. options]);

        Assert.Equal(1, run.Code);
        run.AssertNoCrash();
        Assert.Contains("tampered.jsonl:2: ", run.Error, StringComparison.Ordinal);
    }

    public static TheoryData<string> Shapes() => HostileCose.Theory();

    [Theory]
    [MemberData(nameof(Shapes))]
    public async Task Artifact_inspect_of_header_integers_beyond_their_types_reports_instead_of_crashing(string shape)
    {
        using var key = SigningKey.Generate();
        var path = Path.Combine(_log.Directory, "hostile.cose");
        File.WriteAllBytes(path, HostileCose.Message(shape, ArtifactFormat.ContentType, key.KeyId, [0xA0]));

        var run = await Govexec.InProcessAsync("artifact", "inspect", path);

        run.AssertNoCrash();
        Assert.True(run.Code is 0 or 1, run.ToString());
        if (run.Code == 0)
        {
            using var json = System.Text.Json.JsonDocument.Parse(run.Output);
        }
        else
        {
            Assert.StartsWith("govexec: ", run.Error, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Artifact_inspect_names_only_the_algorithm_header_as_an_algorithm()
    {
        using var key = SigningKey.Generate();
        var path = Path.Combine(_log.Directory, "wide-alg.cose");
        File.WriteAllBytes(path, HostileCose.Message("algorithm beyond 32 bits", ArtifactFormat.ContentType, key.KeyId, [0xA0]));

        var run = await Govexec.InProcessAsync("artifact", "inspect", path);

        // 2^40 is not ES256 however it is truncated; nor is an unknown header's value an algorithm.
        Assert.Equal(0, run.Code);
        var headers = System.Text.Json.JsonDocument.Parse(run.Output).RootElement.GetProperty("protected");
        Assert.Equal("1099511627776", headers.GetProperty("alg (1)").GetString());
    }

    [Fact]
    public async Task Artifact_mint_with_a_malformed_private_key_is_an_error_with_exit_1()
    {
        var key = Write("bad.key.pem", "-----BEGIN RSA PRIVATE KEY-----\nAAAA\n-----END RSA PRIVATE KEY-----\n");
        var policies = Write("p.cedar", "permit (principal, action, resource);");
        var request = Write("r.json", """{"principal":{"type":"Agent","id":"bot"},"action":{"type":"Action","id":"read"},"resource":{"type":"Ticket","id":"t-1"}}""");

        var run = await Govexec.InProcessAsync("artifact", "mint", "--key", key, "--policies", policies, "--request", request, "--out", Path.Combine(_log.Directory, "a.cose"));

        Assert.Equal(1, run.Code);
        run.AssertNoCrash();
        Assert.False(File.Exists(Path.Combine(_log.Directory, "a.cose")));
    }

    [Fact]
    public async Task Artifact_verify_with_a_trusted_key_file_that_is_no_key_is_an_error_with_exit_1()
    {
        var artifact = Write("a.cose", "not an artifact");
        var request = Write("r.json", """{"principal":{"type":"Agent","id":"bot"},"action":{"type":"Action","id":"read"},"resource":{"type":"Ticket","id":"t-1"}}""");

        foreach (var trust in new[] { Write("garbage.der", "\u0001\u0002garbage"), Write("bad.jwk", "{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"AA\",\"y\":\"AA\"}") })
        {
            var run = await Govexec.InProcessAsync("artifact", "verify", artifact, "--trust", trust, "--request", request, "--audience", "w", "--any-policy-set");

            Assert.Equal(1, run.Code);
            run.AssertNoCrash();
        }
    }

    [Fact]
    public async Task A_conformance_test_file_with_a_malformed_request_is_an_error_with_exit_1()
    {
        var corpus = Directory.CreateDirectory(Path.Combine(_log.Directory, "corpus")).FullName;
        File.WriteAllText(Path.Combine(corpus, "p.cedar"), "permit (principal, action, resource);");
        File.WriteAllText(Path.Combine(corpus, "e.json"), "[]");
        File.WriteAllText(Path.Combine(corpus, "t.json"), """{"policies":"p.cedar","entities":"e.json","requests":[{"description":5}]}""");

        var run = await Govexec.InProcessAsync("conformance", "cedar", corpus);

        Assert.Equal(1, run.Code);
        run.AssertNoCrash();
    }

    [Fact]
    public async Task An_unknown_option_is_a_usage_error_with_exit_2()
    {
        var run = await Govexec.InProcessAsync("keys", "generate", "--out", Path.Combine(_log.Directory, "k"), "--no-such-option");

        Assert.Equal(2, run.Code);
        run.AssertNoCrash();
    }

    [Fact]
    public async Task A_request_file_that_is_not_UTF8_json_is_an_error_with_exit_1()
    {
        var path = Path.Combine(_log.Directory, "r.json");
        File.WriteAllBytes(path, [.. Encoding.UTF8.GetBytes("{\"principal\":\""), 0xFF, 0xFE, .. Encoding.UTF8.GetBytes("\"}")]);

        var run = await Govexec.InProcessAsync("authorize", "--policies", Write("p.cedar", "permit (principal, action, resource);"), "--request", path);

        Assert.Equal(1, run.Code);
        run.AssertNoCrash();
    }

    [Theory]
    [InlineData]
    [InlineData("no-such-command")]
    [InlineData("lineage")]
    [InlineData("lineage", "prove", "log.jsonl")]
    [InlineData("lineage", "prove", "log.jsonl", "--sequence", "three")]
    [InlineData("lineage", "prove", "log.jsonl", "--sequence", "1", "--from-checkpoint", "2")]
    [InlineData("artifact", "verify", "a.cose", "--trust", "k.pem", "--request", "r.json", "--audience", "w")]
    [InlineData("keys", "generate")]
    [InlineData("keys", "generate", "--out", "k", "--alg", "HS256")]
    public async Task A_command_line_that_does_not_parse_is_a_usage_error_with_exit_2(params string[] args)
    {
        var run = await Govexec.ProcessAsync(args);

        Assert.True(run.Code == 2, run.ToString());
        run.AssertNoCrash();
    }

    [Fact]
    public async Task Keys_generate_into_a_folder_that_does_not_exist_is_one_line_with_exit_1()
    {
        var run = await Govexec.ProcessAsync("keys", "generate", "--out", Path.Combine(_log.Directory, "no", "such", "folder", "key"));

        Assert.True(run.Code == 1, run.ToString());
        run.AssertNoCrash();
        Assert.Single(run.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains("does not exist", run.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Version_prints_the_informational_version()
    {
        var run = await Govexec.ProcessAsync("--version");

        Assert.Equal(0, run.Code);
        var expected = typeof(GovernedExecution.Cli.GovexecApp).Assembly
            .GetCustomAttributes(typeof(System.Reflection.AssemblyInformationalVersionAttribute), false)
            .Cast<System.Reflection.AssemblyInformationalVersionAttribute>().Single().InformationalVersion;
        Assert.Equal(expected, run.Output.Trim());
    }

    [Fact]
    public async Task A_log_file_without_an_extension_is_verified_like_any_other()
    {
        var path = Path.Combine(_log.Directory, "lineage");
        File.Copy(_log.Path, path);

        var run = await Govexec.InProcessAsync("lineage", "verify", path, "--trust", _publicKey);

        Assert.True(run.Code == 0, run.ToString());
        run.AssertNoCrash();
    }

    [Theory]
    [InlineData("lineage", "show")]
    [InlineData("lineage", "verify")]
    [InlineData("policy", "validate")]
    public async Task An_empty_file_is_an_error_with_exit_1(string group, string command)
    {
        var run = await Govexec.InProcessAsync(group, command, Write("empty", string.Empty));

        Assert.True(run.Code == 1, run.ToString());
        run.AssertNoCrash();
    }

    [Fact]
    public async Task Policy_validate_of_a_folder_without_policy_files_is_an_error_with_exit_1()
    {
        var run = await Govexec.InProcessAsync("policy", "validate", Directory.CreateDirectory(Path.Combine(_log.Directory, "no-policies")).FullName);

        Assert.True(run.Code == 1, run.ToString());
        run.AssertNoCrash();
        Assert.Contains("no .cedar files", run.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Every_JSON_output_uses_camel_case_member_names()
    {
        var policies = Write("p.cedar", "permit (principal, action, resource);");
        var request = Write("r.json", """{"principal":{"type":"Agent","id":"bot"},"action":{"type":"Action","id":"read"},"resource":{"type":"Ticket","id":"t-1"}}""");
        var artifact = Path.Combine(_log.Directory, "a.cose");
        using var key = SigningKey.Generate();
        using var trusted = key.ToTrustedKey();
        var keyPath = Path.Combine(_log.Directory, "signer.key.pem");
        key.ExportPrivateKeyPemToFile(keyPath);
        var trustPath = Write("signer.pub.pem", trusted.ExportPublicKeyPem());
        var mint = await Govexec.InProcessAsync("artifact", "mint", "--key", keyPath, "--policies", policies, "--request", request, "--audience", "w", "--out", artifact);
        var proof = await Govexec.InProcessAsync("lineage", "prove", _log.Path, "--sequence", "1", "--trust", _publicKey);
        var proofPath = Write("proof.json", proof.Output);
        var denied = await Govexec.InProcessAsync("artifact", "mint", "--key", keyPath, "--policies", Write("f.cedar", "forbid (principal, action, resource);"), "--request", request, "--out", artifact + ".x");
        Govexec.Run[] runs =
        [
            mint, denied, proof,
            await Govexec.InProcessAsync("artifact", "inspect", artifact),
            await Govexec.InProcessAsync("artifact", "verify", artifact, "--trust", trustPath, "--request", request, "--audience", "w", "--any-policy-set"),
            await Govexec.InProcessAsync("authorize", "--policies", policies, "--request", request),
            await Govexec.InProcessAsync("lineage", "verify", _log.Path, "--trust", _publicKey),
            await Govexec.InProcessAsync("lineage", "check-proof", proofPath, "--trust", _publicKey),
        ];

        foreach (var run in runs)
        {
            Assert.True(run.Code is 0 or 3, run.ToString());
            using var json = System.Text.Json.JsonDocument.Parse(run.Output);
            foreach (var name in MemberNames(json.RootElement))
            {
                Assert.Matches("^[a-z][a-zA-Z0-9]*$", name);
            }
        }
    }

    [Fact]
    public async Task Lineage_verify_against_a_witness_directory_that_does_not_exist_is_an_error_with_exit_1()
    {
        var run = await Govexec.InProcessAsync("lineage", "verify", _log.Path, "--trust", _publicKey, "--witness", Path.Combine(_log.Directory, "no-such-witness"));

        Assert.True(run.Code == 1, run.ToString());
        run.AssertNoCrash();
        Assert.Contains("witness", run.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Lineage_verify_against_a_witness_that_holds_nothing_for_the_log_is_an_error_with_exit_1()
    {
        var witness = Directory.CreateDirectory(Path.Combine(_log.Directory, "empty-witness")).FullName;

        var run = await Govexec.InProcessAsync("lineage", "verify", _log.Path, "--trust", _publicKey, "--witness", witness);

        Assert.True(run.Code == 1, run.ToString());
        run.AssertNoCrash();
        Assert.Contains("holds no checkpoint", run.Error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("")]
    [InlineData("keys/")]
    public async Task Keys_generate_with_an_out_that_names_no_file_is_a_usage_error_and_writes_nothing(string name)
    {
        var before = Directory.GetFileSystemEntries(_log.Directory).Length;
        var run = await Govexec.ProcessAsync("keys", "generate", "--out", name == string.Empty ? name : Path.Combine(_log.Directory, name));

        Assert.True(run.Code == 2, run.ToString());
        run.AssertNoCrash();
        Assert.Equal(before, Directory.GetFileSystemEntries(_log.Directory).Length);
    }

    /// <summary>The member names of a JSON value, but not those of COSE header maps, whose labels are shown as encoded.</summary>
    private static IEnumerable<string> MemberNames(System.Text.Json.JsonElement element) => element.ValueKind switch
    {
        System.Text.Json.JsonValueKind.Object => element.EnumerateObject().SelectMany(p => p.Name is "protected" or "unprotected"
            ? p.Value.EnumerateObject().Select(h => h.Name.Split(' ')[0]).Where(h => !h.StartsWith('"') && !char.IsDigit(h[0])).Append(p.Name)
            : MemberNames(p.Value).Append(p.Name)),
        System.Text.Json.JsonValueKind.Array => element.EnumerateArray().SelectMany(MemberNames),
        _ => [],
    };
}
