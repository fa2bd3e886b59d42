using GovernedExecution.Artifacts;
using GovernedExecution.DependencyInjection;
using GovernedExecution.Execution;
using GovernedExecution.Intents;
using GovernedExecution.Lineage;
using GovernedExecution.Policies;
using GovernedExecution.Policies.Rules;
using GovernedExecution.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace GovernedExecution.Tests.Execution;

/// <summary>
/// The policy-set check cannot be switched off by an evaluator that has no digest: an artifact decided by an old
/// allow-all policy set never runs where other policies are in force.
/// </summary>
public sealed class PolicySetDigestTests : IDisposable
{
    // The policies of an earlier release: everything was allowed. The same key signed their artifacts.
    private readonly GovernedTestHost _oldRelease = new(policies: new RulePolicyEvaluator([PolicyRule.Permit("allow-all", _ => true)]));

    public void Dispose() => _oldRelease.Dispose();

    public static TheoryData<string?> MissingDigests() => new(null, string.Empty, "   ");

    [Fact]
    public async Task A_verify_only_worker_with_policies_refuses_an_artifact_decided_by_another_policy_set()
    {
        var lineage = new InMemoryLineageSink();
        var worker = Worker(GovernedTestHost.DefaultPolicies(), lineage);
        var intent = GovernedTestHost.Intent("delete");
        var artifact = await MintByTheOldRelease(intent);

        var ran = false;
        var outcome = await worker.RunOutcomeAsync(intent, artifact, (ctx, ct) => { ran = true; return ValueTask.FromResult(0); });

        Assert.False(ran);
        DenialDetails.AssertDenied(outcome.Denial, DenialReason.PolicySetMismatch);
        Assert.Equal(LineageEventKind.ExecutionDenied, lineage.Records[^1].Event.Kind);
    }

    [Fact]
    public async Task A_verify_only_worker_with_policies_runs_an_artifact_decided_by_those_policies()
    {
        var policies = GovernedTestHost.DefaultPolicies();
        using var orchestrator = new GovernedTestHost(policies: policies);
        var worker = new GovernedExecutorBuilder()
            .Configure(o => { o.Audience = GovernedTestHost.Audience; o.VerifyOnly = true; })
            .UseTrustedKeyStore(orchestrator.TrustStore)
            .UseTimeProvider(orchestrator.Time)
            .UsePolicies(policies)
            .AddLineageSink(new InMemoryLineageSink())
            .Build();
        var intent = GovernedTestHost.Intent("read");
        var artifact = (await orchestrator.Executor.IssueAsync(intent)).Artifact!;

        var outcome = await worker.RunOutcomeAsync(intent, artifact, (ctx, ct) => ValueTask.FromResult(1));

        Assert.True(outcome.IsSuccess, outcome.ToString());
    }

    [Theory]
    [MemberData(nameof(MissingDigests))]
    public void An_evaluator_without_a_policy_set_digest_is_a_build_error(string? digest)
    {
        foreach (var verifyOnly in new[] { false, true })
        {
            var ex = Assert.Throws<OptionsValidationException>(() => new GovernedExecutorBuilder()
                .Configure(o => { o.Audience = GovernedTestHost.Audience; o.VerifyOnly = verifyOnly; })
                .UsePolicies(new SwitchableDigestEvaluator(digest))
                .UseSigningKey(_oldRelease.SigningKey)
                .UseTrustedKeyStore(_oldRelease.TrustStore)
                .AddLineageSink(new InMemoryLineageSink())
                .Build());
            Assert.Contains(ex.Failures, f => f.Contains("PolicySetDigest", StringComparison.Ordinal));
        }
    }

    [Fact]
    public void An_evaluator_whose_digest_throws_is_a_build_error_not_a_crash()
    {
        var ex = Assert.Throws<OptionsValidationException>(() => new GovernedExecutorBuilder()
            .Configure(o => o.Audience = GovernedTestHost.Audience)
            .UsePolicies(new SwitchableDigestEvaluator(throws: true))
            .UseSigningKey(_oldRelease.SigningKey)
            .UseTrustedKeyStore(_oldRelease.TrustStore)
            .AddLineageSink(new InMemoryLineageSink())
            .Build());

        Assert.Contains(ex.Failures, f => f.Contains("PolicySetDigest", StringComparison.Ordinal));
    }

    [Theory]
    [MemberData(nameof(MissingDigests))]
    public void An_evaluator_without_a_policy_set_digest_in_the_container_stops_the_host(string? digest)
    {
        var services = new ServiceCollection();
        services.AddSingleton<IPolicyEvaluator>(new SwitchableDigestEvaluator(digest));
        services.AddGovernedExecution(o => o.Audience = GovernedTestHost.Audience)
            .UseSigningKey(_oldRelease.SigningKey)
            .UseTrustedKeyStore(_oldRelease.TrustStore)
            .AddLineageSink(new InMemoryLineageSink());
        using var provider = services.BuildServiceProvider();

        var ex = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IOptions<GovernedExecutionOptions>>().Value);
        Assert.Contains(ex.Failures, f => f.Contains("PolicySetDigest", StringComparison.Ordinal));
    }

    [Theory]
    [MemberData(nameof(MissingDigests))]
    public async Task A_digest_that_goes_missing_at_run_time_denies_a_presented_artifact_of_another_policy_set(string? digest)
    {
        foreach (var verifyOnly in new[] { false, true })
        {
            var evaluator = new SwitchableDigestEvaluator(GovernedTestHost.DefaultPolicies().PolicySetDigest);
            var lineage = new InMemoryLineageSink();
            using var full = new GovernedTestHost(b => b.UseTrustedKeyStore(_oldRelease.TrustStore), evaluator, _oldRelease.Time, lineage);
            var executor = verifyOnly ? Worker(evaluator, lineage) : full.Executor;
            var intent = GovernedTestHost.Intent("delete");
            var artifact = await MintByTheOldRelease(intent);
            evaluator.Digest = digest;

            var ran = false;
            var outcome = await executor.RunOutcomeAsync(intent, artifact, (ctx, ct) => { ran = true; return ValueTask.FromResult(0); });

            Assert.False(ran);
            DenialDetails.AssertDenied(outcome.Denial, DenialReason.GovernanceFault);
            Assert.Equal("the policy evaluator has no policy-set digest", outcome.Denial.Detail);
            Assert.Equal(LineageEventKind.ExecutionDenied, lineage.Records[^1].Event.Kind);
        }
    }

    [Theory]
    [MemberData(nameof(MissingDigests))]
    public async Task A_digest_that_goes_missing_at_run_time_denies_the_executors_own_artifact(string? digest)
    {
        var evaluator = new SwitchableDigestEvaluator(GovernedTestHost.DefaultPolicies().PolicySetDigest);
        using var host = new GovernedTestHost(policies: evaluator);
        evaluator.Digest = digest;

        var ran = false;
        var outcome = await host.Executor.RunOutcomeAsync(GovernedTestHost.Intent("read"), (ctx, ct) => { ran = true; return ValueTask.FromResult(0); });

        Assert.False(ran);
        DenialDetails.AssertDenied(outcome.Denial, DenialReason.GovernanceFault);
        Assert.Equal("the policy evaluator has no policy-set digest", outcome.Denial.Detail);
    }

    [Fact]
    public async Task A_digest_that_throws_at_run_time_denies_and_burns_no_artifact()
    {
        var evaluator = new SwitchableDigestEvaluator(GovernedTestHost.DefaultPolicies().PolicySetDigest);
        using var orchestrator = new GovernedTestHost(policies: GovernedTestHost.DefaultPolicies());
        var worker = Worker(evaluator, new InMemoryLineageSink(), orchestrator);
        var intent = GovernedTestHost.Intent("read");
        var artifact = (await orchestrator.Executor.IssueAsync(intent)).Artifact!;
        evaluator.Throws = true;

        var ran = 0;
        var outcome = await worker.RunOutcomeAsync(intent, artifact, (ctx, ct) => { ran++; return ValueTask.FromResult(0); });
        evaluator.Throws = false;
        var retried = await worker.RunOutcomeAsync(intent, artifact, (ctx, ct) => { ran++; return ValueTask.FromResult(0); });

        DenialDetails.AssertDenied(outcome.Denial, DenialReason.GovernanceFault);
        // Denied before the verifier ran: the artifact's single use was not spent on a check that could not be made.
        Assert.True(retried.IsSuccess, retried.ToString());
        Assert.Equal(1, ran);
    }

    [Theory]
    [MemberData(nameof(MissingDigests))]
    public void A_verification_context_refuses_an_empty_accepted_digest(string? digest)
    {
        var intent = GovernedTestHost.Intent();
        if (digest is null)
        {
            Assert.Null(new ArtifactVerificationContext(intent, "worker") { AcceptedPolicySetDigest = null }.AcceptedPolicySetDigest);
            return;
        }

        Assert.Throws<ArgumentException>(() => new ArtifactVerificationContext(intent, "worker") { AcceptedPolicySetDigest = digest });
    }

    private IGovernedExecutor Worker(IPolicyEvaluator policies, InMemoryLineageSink lineage, GovernedTestHost? trust = null) => new GovernedExecutorBuilder()
        .Configure(o => { o.Audience = GovernedTestHost.Audience; o.VerifyOnly = true; })
        .UseTrustedKeyStore((trust ?? _oldRelease).TrustStore)
        .UseTimeProvider((trust ?? _oldRelease).Time)
        .UsePolicies(policies)
        .AddLineageSink(lineage)
        .Build();

    private async Task<AuthorizationArtifact> MintByTheOldRelease(ExecutionIntent intent)
    {
        var issued = await _oldRelease.Executor.IssueAsync(intent);
        Assert.True(issued.IsIssued, issued.Denial?.ToString());
        return issued.Artifact!;
    }

    /// <summary>The default policies behind a digest the test sets (a custom evaluator that forgot or lost its digest).</summary>
    private sealed class SwitchableDigestEvaluator(string? digest = null, bool throws = false) : IPolicyEvaluator
    {
        private readonly RulePolicyEvaluator _inner = GovernedTestHost.DefaultPolicies();

        public string? Digest { get; set; } = digest;

        public bool Throws { get; set; } = throws;

        public string PolicySetDigest => Throws ? throw new InvalidOperationException("digest unavailable") : Digest!;

        public ValueTask<PolicyDecision> EvaluateAsync(ExecutionIntent intent, DateTimeOffset evaluationTime, CancellationToken cancellationToken) =>
            _inner.EvaluateAsync(intent, evaluationTime, cancellationToken);
    }
}
