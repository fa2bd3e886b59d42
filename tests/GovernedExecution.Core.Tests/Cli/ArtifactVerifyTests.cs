using System.Text.Json;
using GovernedExecution.Policies.Cedar;

namespace GovernedExecution.Tests.Cli;

/// <summary>
/// <c>govexec artifact verify</c> checks the audience and the policy set it is told to, refuses to run without them,
/// and lists as checks only the ones that ran.
/// </summary>
public sealed class ArtifactVerifyTests : IDisposable
{
    private const string Request = """{"principal":{"type":"Agent","id":"bot"},"action":{"type":"Action","id":"read"},"resource":{"type":"Ticket","id":"t-1"}}""";
    private const string Policy = "@id(\"bots-read\")\npermit (principal is Agent, action == Action::\"read\", resource);\n";
    private readonly string _dir = Directory.CreateTempSubdirectory("govexec-verify-").FullName;
    private readonly string _artifact;
    private readonly string _request;
    private readonly string _policies;
    private readonly string _public;

    public ArtifactVerifyTests()
    {
        _policies = Write("policies.cedar", Policy);
        _request = Write("request.json", Request);
        _artifact = Path.Combine(_dir, "a.cose");
        var generated = Govexec.InProcessAsync("keys", "generate", "--out", Path.Combine(_dir, "issuer")).GetAwaiter().GetResult();
        Assert.True(generated.Code == 0, generated.ToString());
        _public = Path.Combine(_dir, "issuer.pub.pem");
        var minted = Govexec.InProcessAsync("artifact", "mint", "--key", Path.Combine(_dir, "issuer.key.pem"), "--policies", _policies,
            "--request", _request, "--audience", "worker", "--out", _artifact).GetAwaiter().GetResult();
        Assert.True(minted.Code == 0, minted.ToString());
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static string Digest(string policyText) => CedarPolicySet.Parse(policyText).Digest;

    private string Write(string name, string text)
    {
        var path = Path.Combine(_dir, name);
        File.WriteAllText(path, text);
        return path;
    }

    private Task<Govexec.Run> VerifyAsync(params string[] options) =>
        Govexec.InProcessAsync(["artifact", "verify", _artifact, "--trust", _public, "--request", _request, .. options]);

    private static JsonElement Json(Govexec.Run run) => JsonDocument.Parse(run.Output).RootElement.Clone();

    private static string[] Checks(Govexec.Run run) => [.. Json(run).GetProperty("checks").EnumerateArray().Select(e => e.GetString()!)];

    [Fact]
    public async Task Without_audience_nothing_is_verified_and_the_exit_code_is_2()
    {
        var run = await VerifyAsync("--policy-set", Digest(Policy));

        Assert.Equal(2, run.Code);
        Assert.DoesNotContain("Verified", run.Output, StringComparison.Ordinal);
        Assert.Contains("--audience", run.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task With_audience_and_policy_set_it_verifies_and_lists_both_checks_and_no_replay_check()
    {
        var run = await VerifyAsync("--audience", "worker", "--policy-set", Digest(Policy));

        Assert.True(run.Code == 0, run.ToString());
        Assert.Equal("Verified", Json(run).GetProperty("verdict").GetString());
        Assert.Equal(["structure", "headers", "algorithm", "key", "signature", "claims", "decision", "validity", "audience", "intent", "policy-set", "scope", "obligations"], Checks(run));
        Assert.Contains(Json(run).GetProperty("notChecked").EnumerateArray(), e => e.GetString()!.StartsWith("replay: ", StringComparison.Ordinal));
    }

    [Fact]
    public async Task The_time_verified_at_is_stated()
    {
        var at = new DateTimeOffset(2030, 1, 2, 3, 4, 5, TimeSpan.Zero);

        var run = await VerifyAsync("--audience", "worker", "--policy-set", Digest(Policy), "--at", at.ToString("O"));

        Assert.Equal(12, run.Code); // minted now, so expired by then: judged at that time, not now
        Assert.Equal(at, Json(run).GetProperty("verifiedAt").GetDateTimeOffset());
    }

    [Fact]
    public async Task Another_audience_is_Rejected_with_exit_12()
    {
        var run = await VerifyAsync("--audience", "billing", "--policy-set", Digest(Policy));

        Assert.Equal(12, run.Code);
        Assert.Equal("AudienceMismatch", Json(run).GetProperty("reason").GetString());
    }

    [Fact]
    public async Task Another_policy_set_digest_is_Rejected_with_exit_12()
    {
        var run = await VerifyAsync("--audience", "worker", "--policy-set", Digest("permit (principal, action, resource);"));

        Assert.Equal(12, run.Code);
        Assert.Equal("PolicySetMismatch", Json(run).GetProperty("reason").GetString());
    }

    [Fact]
    public async Task Policies_given_as_files_are_digested_as_mint_digests_them()
    {
        var same = await VerifyAsync("--audience", "worker", "--policies", _policies);
        var other = await VerifyAsync("--audience", "worker", "--policies", Write("other.cedar", Policy + "forbid (principal, action == Action::\"delete\", resource);\n"));

        Assert.True(same.Code == 0, same.ToString());
        Assert.Contains("policy-set", Checks(same));
        Assert.Equal(12, other.Code);
        Assert.Equal("PolicySetMismatch", Json(other).GetProperty("reason").GetString());
    }

    [Fact]
    public async Task Without_a_policy_set_it_exits_2_unless_told_to_accept_any_and_then_does_not_list_the_check()
    {
        var refused = await VerifyAsync("--audience", "worker");
        var accepted = await VerifyAsync("--audience", "worker", "--any-policy-set");

        Assert.Equal(2, refused.Code);
        Assert.DoesNotContain("Verified", refused.Output, StringComparison.Ordinal);
        Assert.Contains("--policy-set", refused.Error, StringComparison.Ordinal);
        Assert.True(accepted.Code == 0, accepted.ToString());
        Assert.DoesNotContain("policy-set", Checks(accepted));
        Assert.Contains(Json(accepted).GetProperty("notChecked").EnumerateArray(), e => e.GetString()!.StartsWith("policy-set: ", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_policy_set_given_twice_over_is_a_usage_error()
    {
        var run = await VerifyAsync("--audience", "worker", "--policy-set", Digest(Policy), "--policies", _policies);

        Assert.Equal(2, run.Code);
        Assert.DoesNotContain("Verified", run.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Mint_prints_the_policy_set_digest_that_verify_takes()
    {
        var minted = await Govexec.InProcessAsync("artifact", "mint", "--key", Path.Combine(_dir, "issuer.key.pem"), "--policies", _policies,
            "--request", _request, "--audience", "worker", "--out", Path.Combine(_dir, "b.cose"));

        Assert.Equal(Digest(Policy), Json(minted).GetProperty("policySetDigest").GetString());
    }
}
