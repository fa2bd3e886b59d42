using GovernedExecution.Artifacts.Keys;
using GovernedExecution.Execution;
using GovernedExecution.Lineage;
using GovernedExecution.Policies;
using GovernedExecution.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace GovernedExecution.Tests.DependencyInjection;

/// <summary>
/// The health check reports what would make governed calls fail (or soon fail) before a call does: a faulted required
/// sink, a signing key that is unavailable, untrusted or expiring, no policies.
/// </summary>
public sealed class HealthCheckTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("govexec-health-").FullName;
    private readonly GovernedTestHost _keys = new();

    public void Dispose()
    {
        _keys.Dispose();
        Directory.Delete(_directory, recursive: true);
    }

    [Fact]
    public async Task A_working_executor_is_healthy_and_says_what_it_checked()
    {
        await using var provider = Provider(b => b.UseTrustedKeyStore(_keys.TrustStore).AddLineageSink(new InMemoryLineageSink()));

        var report = await provider.GetRequiredService<HealthCheckService>().CheckHealthAsync();

        var entry = Assert.Single(report.Entries).Value;
        Assert.Equal(HealthStatus.Healthy, entry.Status);
        Assert.Equal(GovernedTestHost.DefaultPolicies().PolicySetDigest, entry.Data["policySetDigest"]);
        Assert.Equal(_keys.SigningKey.KeyId, entry.Data["signingKeyId"]);
    }

    [Fact]
    public async Task A_faulted_required_file_sink_is_unhealthy()
    {
        var path = Path.Combine(_directory, "lineage.jsonl");
        await using var provider = Provider(b => b.UseTrustedKeyStore(_keys.TrustStore)
            .AddLineageSink(_ => FileLineageSink.Open(new FileLineageSinkOptions { Path = path, CheckpointKey = _keys.SigningKey })));
        var executor = provider.GetRequiredService<IGovernedExecutor>();
        Assert.True((await executor.RunOutcomeAsync(GovernedTestHost.Intent("read"), (ctx, ct) => ValueTask.FromResult(1))).IsSuccess);
        File.Delete(path); // the sink notices at its next write that the path no longer names its file, and faults
        Assert.False((await executor.RunOutcomeAsync(GovernedTestHost.Intent("read"), (ctx, ct) => ValueTask.FromResult(1))).IsSuccess);

        var report = await provider.GetRequiredService<HealthCheckService>().CheckHealthAsync();

        var entry = Assert.Single(report.Entries).Value;
        Assert.Equal(HealthStatus.Unhealthy, entry.Status);
        Assert.Contains("lineage sink", entry.Description, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_signing_key_that_expires_soon_is_degraded_and_an_expired_one_unhealthy()
    {
        var soon = _keys.SigningKey.ToTrustedKey().WithValidity(null, DateTimeOffset.UtcNow.AddDays(3));
        await using var expiring = Provider(b => b.UseTrustedKeys(soon).AddLineageSink(new InMemoryLineageSink()));
        var expiringReport = await expiring.GetRequiredService<HealthCheckService>().CheckHealthAsync();

        var entry = Assert.Single(expiringReport.Entries).Value;
        Assert.Equal(HealthStatus.Degraded, entry.Status);
        Assert.Contains("expires", entry.Description, StringComparison.Ordinal);

        var timeout = TimeSpan.FromMilliseconds(200);
        await using var hanging = Provider(
            b => b.UseTrustedKeyStore(_keys.TrustStore).UseSigningKeyProvider(new HangingSigningKeyProvider()).AddLineageSink(new InMemoryLineageSink()),
            o => o.DependencyTimeout = timeout);
        var hangingReport = await hanging.GetRequiredService<HealthCheckService>().CheckHealthAsync();
        Assert.Equal(HealthStatus.Unhealthy, Assert.Single(hangingReport.Entries).Value.Status);
        Assert.Contains("signing key", Assert.Single(hangingReport.Entries).Value.Description, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_trusted_key_under_the_signing_key_id_but_with_other_key_material_is_unhealthy()
    {
        using var other = SigningKey.Generate();
        using var impostor = TrustedKey.FromPem(other.ToTrustedKey().ExportPublicKeyPem(), keyId: _keys.SigningKey.KeyId);
        using var genuine = _keys.SigningKey.ToTrustedKey();
        var store = new SwitchableTrustedKeyStore { Current = genuine };
        await using var provider = Provider(b => b.UseTrustedKeyStore(store).AddLineageSink(new InMemoryLineageSink()));
        _ = provider.GetRequiredService<IGovernedExecutor>(); // started with the right key
        store.Current = impostor; // then the store answers with another key under the same id

        var report = await provider.GetRequiredService<HealthCheckService>().CheckHealthAsync();

        var entry = Assert.Single(report.Entries).Value;
        Assert.Equal(HealthStatus.Unhealthy, entry.Status);
        Assert.Contains("not among the trusted keys", entry.Description, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Named_executors_each_have_a_check()
    {
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddSingleton<IPolicyEvaluator>(GovernedTestHost.DefaultPolicies());
        services.AddGovernedExecution("payments", o => o.Audience = "payments").UseSigningKey(_keys.SigningKey).UseTrustedKeyStore(_keys.TrustStore).AddLineageSink(new InMemoryLineageSink());
        services.AddHealthChecks().AddGovernedExecution("payments");
        await using var provider = services.BuildServiceProvider();

        var report = await provider.GetRequiredService<HealthCheckService>().CheckHealthAsync();

        Assert.Equal("governed-execution-payments", Assert.Single(report.Entries).Key);
        Assert.Equal(HealthStatus.Healthy, report.Status);
    }

    private ServiceProvider Provider(Action<GovernedExecution.DependencyInjection.GovernedExecutorBuilder> configure, Action<GovernedExecutionOptions>? options = null)
    {
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddSingleton<IPolicyEvaluator>(GovernedTestHost.DefaultPolicies());
        var builder = services.AddGovernedExecution(o => { o.Audience = GovernedTestHost.Audience; options?.Invoke(o); }).UseSigningKey(_keys.SigningKey);
        configure(builder);
        services.AddHealthChecks().AddGovernedExecution();
        return services.BuildServiceProvider();
    }

    private sealed class SwitchableTrustedKeyStore : ITrustedKeyStore
    {
        public TrustedKey? Current { get; set; }

        public ValueTask<TrustedKey?> FindAsync(string keyId, CancellationToken cancellationToken) => ValueTask.FromResult(Current);
    }

    private sealed class HangingSigningKeyProvider : ISigningKeyProvider
    {
        public async ValueTask<SigningKey> GetSigningKeyAsync(CancellationToken cancellationToken)
        {
            await Task.Delay(Timeout.Infinite, CancellationToken.None);
            throw new InvalidOperationException("unreachable");
        }
    }
}
