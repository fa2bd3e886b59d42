using GovernedExecution.Artifacts;
using GovernedExecution.Execution;
using GovernedExecution.Intents;
using GovernedExecution.Testing;

namespace GovernedExecution.Tests.Execution;

/// <summary>A minted artifact presented altered, for another intent, too late, elsewhere or twice is denied.</summary>
public sealed class ArtifactTamperingTests : IDisposable
{
    private readonly GovernedTestHost _host = new();

    public void Dispose() => _host.Dispose();

    private async Task<AuthorizationArtifact> MintAsync(ExecutionIntent intent, string? audience = null)
    {
        var issuance = await _host.Executor.IssueAsync(intent, audience);
        Assert.True(issuance.IsIssued, issuance.Denial?.ToString());
        return issuance.Artifact!;
    }

    private async Task<(bool Ran, GovernedOutcome<int> Outcome)> PresentAsync(ExecutionIntent intent, AuthorizationArtifact? artifact)
    {
        var ran = false;
        var outcome = await _host.Executor.RunOutcomeAsync(intent, artifact, (ctx, ct) => { ran = true; return ValueTask.FromResult(1); });
        return (ran, outcome);
    }

    [Fact]
    public async Task An_untouched_artifact_runs_once()
    {
        var intent = GovernedTestHost.Intent("refund");
        var (ran, outcome) = await PresentAsync(intent, await MintAsync(intent));

        Assert.True(ran);
        Assert.True(outcome.IsSuccess);
    }

    [Fact]
    public async Task Flipping_any_byte_is_denied()
    {
        var intent = GovernedTestHost.Intent("refund");
        var original = (await MintAsync(intent)).Encoded.ToArray();
        for (var i = 0; i < original.Length; i++)
        {
            var copy = (byte[])original.Clone();
            copy[i] ^= 0x01;
            var (ran, outcome) = await PresentAsync(intent, AuthorizationArtifact.FromBytes(copy));

            Assert.False(ran, $"byte {i} flipped, yet the delegate ran");
            Assert.True(outcome.IsDenied);
            Assert.Contains(outcome.Denial!.Reason, new[] { DenialReason.SignatureInvalid, DenialReason.UntrustedKey });
        }
    }

    [Fact]
    public async Task Presented_for_another_intent_is_IntentMismatch()
    {
        var artifact = await MintAsync(GovernedTestHost.Intent("refund", "ticket-1"));
        var (ran, outcome) = await PresentAsync(GovernedTestHost.Intent("refund", "ticket-2"), artifact);

        Assert.False(ran);
        DenialDetails.AssertDenied(outcome.Denial, DenialReason.IntentMismatch);
    }

    [Fact]
    public async Task Changed_arguments_are_an_IntentMismatch()
    {
        var intent = GovernedTestHost.Intent("refund");
        var withArgs = new ExecutionIntent(intent.Principal, intent.Action, intent.Resource) { ArgumentsDigest = ArgumentsDigest.Compute([new("amount", 10L)]) };
        var artifact = await MintAsync(withArgs);
        var other = new ExecutionIntent(intent.Principal, intent.Action, intent.Resource) { ArgumentsDigest = ArgumentsDigest.Compute([new("amount", 10_000L)]) };
        var (ran, outcome) = await PresentAsync(other, artifact);

        Assert.False(ran);
        DenialDetails.AssertDenied(outcome.Denial, DenialReason.IntentMismatch);
    }

    [Fact]
    public async Task Presented_after_expiry_is_Expired()
    {
        var intent = GovernedTestHost.Intent("refund");
        var artifact = await MintAsync(intent);
        _host.FakeTime!.Advance(TimeSpan.FromMinutes(5));
        var (ran, outcome) = await PresentAsync(intent, artifact);

        Assert.False(ran);
        DenialDetails.AssertDenied(outcome.Denial, DenialReason.Expired);
    }

    [Fact]
    public async Task Presented_before_validity_is_NotYetValid()
    {
        // An issuer whose clock is five minutes ahead of this runtime's (beyond the 30 s skew).
        using var ahead = new GovernedTestHost(time: new Microsoft.Extensions.Time.Testing.FakeTimeProvider(_host.Time.GetUtcNow().AddMinutes(5)));
        _host.TrustStore.Add(ahead.SigningKey.ToTrustedKey());
        var intent = GovernedTestHost.Intent("refund");
        var artifact = (await ahead.Executor.IssueAsync(intent, GovernedTestHost.Audience)).Artifact!;
        var (ran, outcome) = await PresentAsync(intent, artifact);

        Assert.False(ran);
        DenialDetails.AssertDenied(outcome.Denial, DenialReason.NotYetValid);
    }

    [Fact]
    public async Task Minted_for_another_audience_is_AudienceMismatch()
    {
        var intent = GovernedTestHost.Intent("refund");
        var (ran, outcome) = await PresentAsync(intent, await MintAsync(intent, audience: "some-other-runtime"));

        Assert.False(ran);
        DenialDetails.AssertDenied(outcome.Denial, DenialReason.AudienceMismatch);
    }

    [Fact]
    public async Task Presented_a_second_time_is_Replayed()
    {
        var intent = GovernedTestHost.Intent("refund");
        var artifact = await MintAsync(intent);
        var first = await PresentAsync(intent, artifact);
        var second = await PresentAsync(intent, artifact);

        Assert.True(first.Ran);
        Assert.False(second.Ran);
        DenialDetails.AssertDenied(second.Outcome.Denial, DenialReason.Replayed);
    }

    [Fact]
    public async Task No_artifact_is_ArtifactMissing()
    {
        var (ran, outcome) = await PresentAsync(GovernedTestHost.Intent("refund"), null);

        Assert.False(ran);
        DenialDetails.AssertDenied(outcome.Denial, DenialReason.ArtifactMissing);
    }

    [Fact]
    public async Task Signed_by_an_untrusted_key_is_UntrustedKey()
    {
        using var other = new GovernedTestHost();
        var intent = GovernedTestHost.Intent("refund");
        var artifact = (await other.Executor.IssueAsync(intent, GovernedTestHost.Audience)).Artifact!;
        var (ran, outcome) = await PresentAsync(intent, artifact);

        Assert.False(ran);
        DenialDetails.AssertDenied(outcome.Denial, DenialReason.UntrustedKey);
    }

    [Fact]
    public async Task Signed_by_a_revoked_key_is_UntrustedKey()
    {
        var intent = GovernedTestHost.Intent("refund");
        var artifact = await MintAsync(intent);
        _host.TrustStore.Revoke(_host.SigningKey.KeyId);
        var (ran, outcome) = await PresentAsync(intent, artifact);

        Assert.False(ran);
        DenialDetails.AssertDenied(outcome.Denial, DenialReason.UntrustedKey);
    }

    [Fact]
    public async Task A_forbidden_intent_gets_no_artifact()
    {
        var issuance = await _host.Executor.IssueAsync(GovernedTestHost.Intent("delete"));

        Assert.False(issuance.IsIssued);
        DenialDetails.AssertDenied(issuance.Denial, DenialReason.PolicyDenied);
    }
}
