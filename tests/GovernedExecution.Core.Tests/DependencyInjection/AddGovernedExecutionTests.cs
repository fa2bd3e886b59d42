using GovernedExecution.Artifacts.Keys;
using GovernedExecution.DependencyInjection;
using GovernedExecution.Execution;
using GovernedExecution.Lineage;
using GovernedExecution.Policies;
using GovernedExecution.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace GovernedExecution.Tests.DependencyInjection;

public sealed class AddGovernedExecutionTests
{
    [Fact]
    public async Task Registered_executor_runs_with_components_from_the_container()
    {
        using var key = SigningKey.Generate();
        var services = new ServiceCollection();
        var sink = new InMemoryLineageSink();
        services.AddSingleton<IPolicyEvaluator>(GovernedTestHost.DefaultPolicies());
        services.AddSingleton<ITrustedKeyStore>(new InMemoryTrustedKeyStore(key.ToTrustedKey()));
        services.AddSingleton(new LineageSinkRegistration(sink));
        var builder = services.AddGovernedExecution(o => o.Audience = "svc").UseSigningKey(key);

        Assert.Same(services, builder.Services);
        using var provider = services.BuildServiceProvider();
        var executor = provider.GetRequiredService<IGovernedExecutor>();
        var result = await executor.RunAsync(GovernedTestHost.Intent("read"), (ctx, ct) => ValueTask.FromResult(ctx.Claims.Audience));

        Assert.Equal("svc", result);
        Assert.Equal(6, sink.Count);
    }

    [Fact]
    public void Missing_audience_signing_key_trust_store_and_policies_are_reported_together_at_start()
    {
        var services = new ServiceCollection();
        services.AddGovernedExecution();
        using var provider = services.BuildServiceProvider();

        var ex = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IOptions<GovernedExecutionOptions>>().Value);
        Assert.Contains(ex.Failures, f => f.Contains("Audience", StringComparison.Ordinal));
        Assert.Contains(ex.Failures, f => f.Contains("signing key", StringComparison.Ordinal));
        Assert.Contains(ex.Failures, f => f.Contains("trusted-key store", StringComparison.Ordinal));
        Assert.Contains(ex.Failures, f => f.Contains("policy evaluator", StringComparison.Ordinal));
        Assert.Contains(ex.Failures, f => f.Contains("required lineage sink", StringComparison.Ordinal));
        Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IGovernedExecutor>());
    }

    [Fact]
    public void Verify_only_needs_no_signing_key_or_policies()
    {
        using var key = SigningKey.Generate();
        var services = new ServiceCollection();
        services.AddSingleton(new LineageSinkRegistration(new InMemoryLineageSink()));
        services.AddGovernedExecution(o => { o.Audience = "worker"; o.VerifyOnly = true; }).UseTrustedKeys(key.ToTrustedKey());
        using var provider = services.BuildServiceProvider();

        Assert.NotNull(provider.GetRequiredService<IGovernedExecutor>());
    }

    [Fact]
    public void Calling_twice_registers_one_executor_and_merges_configuration()
    {
        var services = new ServiceCollection();
        var first = services.AddGovernedExecution(o => o.Audience = "a");
        var second = services.AddGovernedExecution(o => o.Issuer = "iss");

        Assert.Same(first, second);
        Assert.Single(services, d => d.ServiceType == typeof(IGovernedExecutor));
        using var provider = services.BuildServiceProvider();
        var options = provider.GetRequiredService<IOptionsMonitor<GovernedExecutionOptions>>();
        Assert.Throws<OptionsValidationException>(() => options.CurrentValue); // still no keys or policies
    }

    [Fact]
    public void Bad_option_values_are_rejected_by_the_standalone_builder()
    {
        using var key = SigningKey.Generate();
        var ex = Assert.Throws<OptionsValidationException>(() => new GovernedExecutorBuilder()
            .Configure(o => { o.Audience = "x"; o.ClockSkew = TimeSpan.FromHours(1); o.ArtifactLifetime = TimeSpan.Zero; o.AllowedAlgorithms.Clear(); })
            .UsePolicies(GovernedTestHost.DefaultPolicies())
            .UseSigningKey(key)
            .UseTrustedKeys(key.ToTrustedKey())
            .AddLineageSink(new InMemoryLineageSink())
            .Build());

        Assert.Equal(3, ex.Failures.Count());
    }

    [Fact]
    public void Verify_only_worker_may_accept_a_maximum_below_the_default_lifetime_it_never_mints_with()
    {
        using var key = SigningKey.Generate();

        var worker = new GovernedExecutorBuilder()
            .Configure(o => { o.Audience = "x"; o.VerifyOnly = true; o.MaxArtifactLifetime = TimeSpan.FromSeconds(30); })
            .UseTrustedKeys(key.ToTrustedKey())
            .AddLineageSink(new InMemoryLineageSink())
            .Build();

        Assert.NotNull(worker);
    }

    [Theory]
    [InlineData(60_000, 3_600_000, null)]
    [InlineData(60_000, 60_000, null)]
    [InlineData(120_000, 60_000, "ArtifactLifetime cannot exceed MaxArtifactLifetime: this runtime would refuse the artifacts it mints.")]
    [InlineData(999, 3_600_000, "ArtifactLifetime must be between 1 second and 1 hour.")]
    [InlineData(60_000, 3_600_001, "MaxArtifactLifetime must be between 1 second and 1 hour.")]
    [InlineData(500, 999, "MaxArtifactLifetime must be between 1 second and 1 hour.")]
    public void Artifact_lifetimes_are_whole_seconds_up_to_the_maximum_this_runtime_accepts(int lifetimeMs, int maximumMs, string? failure)
    {
        using var key = SigningKey.Generate();
        var builder = new GovernedExecutorBuilder()
            .Configure(o =>
            {
                o.Audience = "x";
                o.ArtifactLifetime = TimeSpan.FromMilliseconds(lifetimeMs);
                o.MaxArtifactLifetime = TimeSpan.FromMilliseconds(maximumMs);
            })
            .UsePolicies(GovernedTestHost.DefaultPolicies())
            .UseSigningKey(key)
            .UseTrustedKeys(key.ToTrustedKey())
            .AddLineageSink(new InMemoryLineageSink());

        if (failure is null)
        {
            Assert.NotNull(builder.Build());
        }
        else
        {
            Assert.Contains(failure, Assert.Throws<OptionsValidationException>(() => builder.Build()).Failures);
        }
    }
}
