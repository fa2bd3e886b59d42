using GovernedExecution.Artifacts.Keys;
using GovernedExecution.Execution;
using GovernedExecution.Testing;
using GovernedExecution.Tests.Execution;

namespace GovernedExecution.Tests.Artifacts;

/// <summary>
/// The issuer's seam, the signing-key provider: a key that cannot sign is <c>KeyUnavailable</c> however it fails (a
/// cancellation nobody asked for, a disposed key), the same reason as a provider that throws, and nothing runs.
/// </summary>
public sealed class IssuerSeamTests
{
    [Fact]
    public async Task Provider_throwing_a_cancellation_nobody_asked_for_is_KeyUnavailable()
    {
        // What a provider backed by a remote key service throws when its own request times out.
        using var host = new GovernedTestHost(b => b.UseSigningKeyProvider(new ThrowingProvider(new TaskCanceledException())));
        var ran = false;

        var outcome = await host.Executor.RunOutcomeAsync(GovernedTestHost.Intent("read"), (ctx, ct) => { ran = true; return ValueTask.FromResult(0); });

        Assert.False(ran);
        DenialDetails.AssertDenied(outcome.Denial, DenialReason.KeyUnavailable);
        Assert.Equal("the signing key is unavailable", outcome.Denial.Detail);
    }

    [Fact]
    public async Task Disposed_signing_key_is_KeyUnavailable_before_and_after_it_has_signed()
    {
        var key = SigningKey.Generate();
        using var host = new GovernedTestHost(b => b.UseSigningKey(key).UseTrustedKeys(key.ToTrustedKey()));
        var first = await host.Executor.RunOutcomeAsync(GovernedTestHost.Intent("read"), (ctx, ct) => ValueTask.FromResult(0));
        Assert.True(first.IsSuccess, first.Denial?.ToString());
        key.Dispose();
        var ran = false;

        var outcome = await host.Executor.RunOutcomeAsync(GovernedTestHost.Intent("read"), (ctx, ct) => { ran = true; return ValueTask.FromResult(0); });

        Assert.False(ran);
        DenialDetails.AssertDenied(outcome.Denial, DenialReason.KeyUnavailable);
        Assert.Equal("the signing key is unavailable", outcome.Denial.Detail);
    }

    private sealed class ThrowingProvider(Exception exception) : ISigningKeyProvider
    {
        public ValueTask<SigningKey> GetSigningKeyAsync(CancellationToken cancellationToken) => ValueTask.FromException<SigningKey>(exception);
    }
}
