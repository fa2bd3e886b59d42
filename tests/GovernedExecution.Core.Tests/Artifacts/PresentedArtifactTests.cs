using GovernedExecution.Artifacts;
using GovernedExecution.Artifacts.Keys;
using GovernedExecution.DependencyInjection;
using GovernedExecution.Execution;
using GovernedExecution.Lineage;
using GovernedExecution.Policies;
using GovernedExecution.Testing;
using Microsoft.Extensions.Time.Testing;

namespace GovernedExecution.Tests.Artifacts;

/// <summary>Artifacts minted by one party and run by another that holds only public keys.</summary>
public sealed class PresentedArtifactTests
{
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 11, 26, 12, 0, 0, TimeSpan.Zero));

    [Fact]
    public async Task Issuer_mints_for_a_verify_only_worker_that_runs_it_and_refuses_to_mint()
    {
        using var signingKey = SigningKey.Generate();
        var orchestrator = new GovernedExecutorBuilder()
            .Configure(o => o.Audience = "orchestrator")
            .UsePolicies(GovernedTestHost.DefaultPolicies())
            .UseSigningKey(signingKey)
            .UseTrustedKeys(signingKey.ToTrustedKey())
            .UseTimeProvider(_time)
            .AddLineageSink(new InMemoryLineageSink())
            .Build();
        using var publicOnly = TrustedKey.FromPem(signingKey.ToTrustedKey().ExportPublicKeyPem());
        var worker = new GovernedExecutorBuilder()
            .Configure(o => { o.Audience = "worker"; o.VerifyOnly = true; })
            .UseTrustedKeys(publicOnly)
            .UseTimeProvider(_time)
            .AddLineageSink(new InMemoryLineageSink())
            .Build();
        var intent = GovernedTestHost.Intent("refund");

        var issued = await orchestrator.IssueAsync(intent, audience: "worker");
        Assert.True(issued.IsIssued, issued.Denial?.ToString());
        var received = AuthorizationArtifact.FromBytes(issued.Artifact!.Encoded.Span); // as if sent over the wire
        var ran = 0;
        var outcome = await worker.RunOutcomeAsync(intent, received, 0, (s, ctx, ct) =>
        {
            ran++;
            Assert.Equal("worker", ctx.Claims.Audience);
            Assert.Equal(signingKey.KeyId, ctx.Claims.KeyId);
            return ValueTask.FromResult(ctx.Decision.DeterminingPolicies.Single());
        });

        Assert.True(outcome.IsSuccess);
        Assert.Equal("allow-refund", outcome.Result);
        Assert.Equal(1, ran);

        // The worker holds no signing key and no policies: it never mints, alone or for itself.
        var refused = await worker.IssueAsync(intent);
        Assert.False(refused.IsIssued);
        Assert.Equal(DenialReason.KeyUnavailable, refused.Denial!.Reason);
        var selfMinted = await worker.RunOutcomeAsync(intent, 0, (s, ctx, ct) => { ran++; return ValueTask.FromResult(s); });
        Assert.True(selfMinted.IsDenied);

        // Nor can the orchestrator run what it minted for the worker.
        var elsewhere = await orchestrator.RunOutcomeAsync(intent, received, 0, (s, ctx, ct) => { ran++; return ValueTask.FromResult(s); });
        Assert.Equal(DenialReason.AudienceMismatch, elsewhere.Denial!.Reason);
        Assert.Equal(1, ran);
    }

    [Fact]
    public async Task Standalone_issuer_and_verifier_work_without_an_executor()
    {
        using var key = SigningKey.Generate(ArtifactAlgorithm.ES384);
        var issuer = CoseArtifacts.CreateIssuer(new StaticSigningKeyProvider(key), _time, "auth-service");
        var verifier = CoseArtifacts.CreateVerifier(new InMemoryTrustedKeyStore(key.ToTrustedKey()), timeProvider: _time, allowedAlgorithms: [ArtifactAlgorithm.ES384]);
        var intent = GovernedTestHost.Intent("read");
        var decision = new PolicyDecision(PolicyDecisionKind.Permitted, ["allow-read"], [], [], new string('a', 64));

        var artifact = await issuer.IssueAsync(ArtifactRequest.ForIntent(intent, "worker", decision), default);
        var result = await verifier.VerifyAsync(artifact, new ArtifactVerificationContext(intent, "worker"), default);
        var again = await verifier.VerifyAsync(artifact, new ArtifactVerificationContext(intent, "worker"), default);

        Assert.Equal(ArtifactVerdict.Verified, result.Verdict);
        Assert.Equal("auth-service", result.Claims!.Issuer);
        Assert.Equal(ArtifactVerdict.Rejected, again.Verdict);
        Assert.Equal(DenialReason.Replayed, again.Reason);
        Assert.Throws<ArgumentException>(() => CoseArtifacts.CreateVerifier(new InMemoryTrustedKeyStore(), allowedAlgorithms: []));
    }

    [Fact]
    public void Default_verification_result_of_an_unrun_check_is_not_verified()
    {
        var context = new ArtifactVerificationContext(GovernedTestHost.Intent(), "worker");

        Assert.Equal(32, context.IntentDigest.Length);
        Assert.Empty(context.KnownArtifacts);
        Assert.Null(context.AcceptedPolicySetDigest);
    }
}
