using GovernedExecution.DependencyInjection;
using GovernedExecution.Execution;
using GovernedExecution.Intents;
using GovernedExecution.Lineage;
using GovernedExecution.Policies.Cedar;
using GovernedExecution.Testing;

namespace GovernedExecution.Tests.Policies;

/// <summary>
/// Policies reloaded from files: the swap is atomic, a reload that would leave a broken or empty set keeps the set in
/// force, each decision records the digest of the set that made it, and an artifact minted under the old set is not
/// accepted under the new one.
/// </summary>
public sealed class CedarPolicyDirectoryTests : IDisposable
{
    private const string PermitRead = "permit(principal, action == Action::\"read\", resource);";
    private const string ForbidRead = "forbid(principal, action == Action::\"read\", resource);\npermit(principal, action, resource);";
    private readonly string _directory = Directory.CreateTempSubdirectory("govexec-policies-").FullName;
    private readonly GovernedTestHost _keys = new();

    public void Dispose()
    {
        _keys.Dispose();
        Directory.Delete(_directory, recursive: true);
    }

    private static ExecutionIntent Read() => new(new("User", "alice"), new("Action", "read"), new("Doc", "d1"));

    [Fact]
    public async Task A_reload_swaps_the_set_and_each_decision_records_the_digest_that_made_it()
    {
        Write("main.cedar", PermitRead);
        using var policies = new CedarPolicyDirectory(_directory);
        var lineage = new InMemoryLineageSink();
        var executor = Executor(policies, lineage);
        var before = policies.PolicySetDigest;

        var permitted = await executor.RunOutcomeAsync(Read(), (ctx, ct) => ValueTask.FromResult(1));
        Write("main.cedar", ForbidRead);
        var reloaded = policies.Reload();
        var ran = false;
        var denied = await executor.RunOutcomeAsync(Read(), (ctx, ct) => { ran = true; return ValueTask.FromResult(1); });

        Assert.True(permitted.IsSuccess);
        Assert.NotEqual(before, policies.PolicySetDigest);
        Assert.Equal(reloaded.Digest, policies.PolicySetDigest);
        Assert.False(ran);
        Assert.Equal(DenialReason.PolicyDenied, denied.Denial!.Reason);
        var decisions = lineage.Records.Where(r => r.Event.Kind == LineageEventKind.PolicyEvaluated).Select(r => r.Event["policy_set"]).ToList();
        Assert.Equal([before, policies.PolicySetDigest], decisions);
    }

    [Theory]
    [InlineData("broken")]
    [InlineData("empty")]
    [InlineData("gone")]
    public async Task A_reload_that_would_break_or_empty_the_set_keeps_the_set_in_force(string damage)
    {
        Write("main.cedar", PermitRead);
        using var policies = new CedarPolicyDirectory(_directory);
        var executor = Executor(policies, new InMemoryLineageSink());
        var before = policies.PolicySetDigest;
        switch (damage)
        {
            case "broken":
                Write("main.cedar", "permit(principal, action == , resource);");
                break;
            case "empty":
                Write("main.cedar", "// nothing");
                break;
            default:
                File.Delete(Path.Combine(_directory, "main.cedar"));
                break;
        }

        Assert.ThrowsAny<Exception>(() => policies.Reload());
        var outcome = await executor.RunOutcomeAsync(Read(), (ctx, ct) => ValueTask.FromResult(1));

        Assert.Equal(before, policies.PolicySetDigest);
        Assert.True(outcome.IsSuccess);
    }

    [Fact]
    public async Task An_artifact_minted_under_the_old_set_is_not_accepted_under_the_new_one()
    {
        Write("main.cedar", PermitRead);
        using var policies = new CedarPolicyDirectory(_directory);
        var executor = Executor(policies, new InMemoryLineageSink());
        var issuance = await executor.IssueAsync(Read());

        Write("main.cedar", ForbidRead);
        policies.Reload();
        var ran = false;
        var outcome = await executor.RunOutcomeAsync(Read(), issuance.Artifact, 0, (s, ctx, ct) => { ran = true; return ValueTask.FromResult(1); });

        Assert.False(ran);
        Assert.Equal(DenialReason.PolicySetMismatch, outcome.Denial!.Reason);
    }

    [Fact]
    public void A_directory_without_policies_is_refused_at_construction()
    {
        Assert.Throws<InvalidDataException>(() => new CedarPolicyDirectory(_directory));
    }

    [Fact]
    public async Task Watching_reloads_after_the_files_change()
    {
        Write("main.cedar", PermitRead);
        using var policies = new CedarPolicyDirectory(_directory);
        var before = policies.PolicySetDigest;
        policies.WatchForChanges(TimeSpan.FromMilliseconds(50));

        Write("main.cedar", ForbidRead);
        var deadline = DateTime.UtcNow.AddSeconds(30); // a bound on waiting, not a timing assertion
        while (policies.PolicySetDigest == before && DateTime.UtcNow < deadline)
        {
            await Task.Delay(20);
        }

        Assert.NotEqual(before, policies.PolicySetDigest);
        Assert.Contains(policies.Policies.PolicyIds, id => id.Length > 0);
    }

    private IGovernedExecutor Executor(CedarPolicyDirectory policies, InMemoryLineageSink lineage) => new GovernedExecutorBuilder()
        .Configure(o => o.Audience = GovernedTestHost.Audience)
        .UsePolicies(policies)
        .UseSigningKey(_keys.SigningKey)
        .UseTrustedKeyStore(_keys.TrustStore)
        .AddLineageSink(lineage)
        .Build();

    private void Write(string name, string text)
    {
        var path = Path.Combine(_directory, name);
        var temp = path + ".tmp";
        File.WriteAllText(temp, text);
        File.Move(temp, path, overwrite: true);
    }
}
