using GovernedExecution.Artifacts;
using GovernedExecution.Artifacts.Keys;
using GovernedExecution.DependencyInjection;
using GovernedExecution.Execution;
using GovernedExecution.Lineage;
using GovernedExecution.Policies;
using GovernedExecution.Policies.Rules;
using System.Diagnostics;
using GovernedExecution.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace GovernedExecution.Tests.DependencyInjection;

/// <summary>
/// A host either starts with an executor that can run governed calls, or does not start: each misconfiguration that
/// would otherwise deny every call is a start-up error. The container owns what the builder was handed, so a clean
/// shutdown closes the lineage.
/// </summary>
public sealed class HostingTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("govexec-hosting-").FullName;
    private readonly GovernedTestHost _keys = new();

    public void Dispose()
    {
        _keys.Dispose();
        Directory.Delete(_directory, recursive: true);
    }

    [Fact]
    public void A_signing_key_loaded_from_a_public_pem_is_refused()
    {
        using var key = SigningKey.Generate();
        var publicPem = key.ToTrustedKey().ExportPublicKeyPem();

        var ex = Assert.Throws<ArgumentException>(() => SigningKey.FromPem(publicPem));
        Assert.Contains("public key", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_signing_key_that_is_not_among_the_trusted_keys_fails_at_start()
    {
        using var other = SigningKey.Generate();
        var services = Services();
        services.AddGovernedExecution(o => o.Audience = GovernedTestHost.Audience)
            .UseSigningKey(_keys.SigningKey)
            .UseTrustedKeys(other.ToTrustedKey());
        using var provider = services.BuildServiceProvider();

        var ex = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IOptions<GovernedExecutionOptions>>().Value);
        Assert.Contains(ex.Failures, f => f.Contains("not among the trusted keys", StringComparison.Ordinal));
    }

    [Fact]
    public void A_trusted_key_under_the_signing_key_id_but_with_other_key_material_fails_at_start()
    {
        using var other = SigningKey.Generate();
        var impostor = TrustedKey.FromPem(other.ToTrustedKey().ExportPublicKeyPem(), ArtifactAlgorithm.ES256, _keys.SigningKey.KeyId);
        var services = Services();
        services.AddGovernedExecution(o => o.Audience = GovernedTestHost.Audience)
            .AddLineageSink(new InMemoryLineageSink())
            .UseSigningKey(_keys.SigningKey)
            .UseTrustedKeys(impostor);
        using var provider = services.BuildServiceProvider();

        var ex = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IGovernedExecutor>());
        Assert.Contains(ex.Failures, f => f.Contains("not among the trusted keys", StringComparison.Ordinal));
    }

    [Fact]
    public void A_trusted_key_outside_its_validity_period_fails_at_start()
    {
        var expired = _keys.SigningKey.ToTrustedKey().WithValidity(DateTimeOffset.UtcNow.AddDays(-2), DateTimeOffset.UtcNow.AddDays(-1));
        var services = Services();
        services.AddGovernedExecution(o => o.Audience = GovernedTestHost.Audience)
            .AddLineageSink(new InMemoryLineageSink())
            .UseSigningKey(_keys.SigningKey)
            .UseTrustedKeys(expired);
        using var provider = services.BuildServiceProvider();

        var ex = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IGovernedExecutor>());
        Assert.Contains(ex.Failures, f => f.Contains("outside its validity period", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_signing_key_provider_that_hangs_at_start_is_an_outage_the_host_starts_and_calls_are_denied()
    {
        var logs = new ListLoggerProvider();
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Logging.AddProvider(logs);
        builder.Services.AddSingleton<IPolicyEvaluator>(GovernedTestHost.DefaultPolicies());
        builder.Services.AddGovernedExecution(o => { o.Audience = GovernedTestHost.Audience; o.DependencyTimeout = TimeSpan.FromMilliseconds(200); })
            .AddLineageSink(new InMemoryLineageSink())
            .UseSigningKeyProvider(new HangingSigningKeyProvider())
            .UseTrustedKeyStore(_keys.TrustStore);
        using var host = builder.Build();
        await host.StartAsync();
        var ran = false;

        var outcome = await host.Services.GetRequiredService<IGovernedExecutor>().RunOutcomeAsync(GovernedTestHost.Intent("read"), (ctx, ct) => { ran = true; return ValueTask.FromResult(1); });

        Assert.Contains(logs.EventIds, id => id == 1006);
        Assert.False(ran);
        Assert.Equal(DenialReason.KeyUnavailable, outcome.Denial!.Reason);
        await host.StopAsync();
    }

    [Fact]
    public async Task A_standalone_builder_may_mint_with_a_key_it_does_not_trust_and_then_denies_at_run_time()
    {
        using var other = SigningKey.Generate();
        var executor = new GovernedExecutorBuilder()
            .Configure(o => o.Audience = GovernedTestHost.Audience)
            .UsePolicies(GovernedTestHost.DefaultPolicies())
            .AddLineageSink(new InMemoryLineageSink())
            .UseSigningKey(_keys.SigningKey)
            .UseTrustedKeys(other.ToTrustedKey())
            .Build();
        var ran = false;

        var outcome = await executor.RunOutcomeAsync(GovernedTestHost.Intent("read"), (ctx, ct) => { ran = true; return ValueTask.FromResult(1); });

        Assert.False(ran);
        Assert.Equal(DenialReason.UntrustedKey, outcome.Denial!.Reason);
    }

    [Fact]
    public void An_empty_policy_set_fails_at_start()
    {
        var services = new ServiceCollection();
        services.AddSingleton<IPolicyEvaluator>(new RulePolicyEvaluator([]));
        services.AddSingleton(new LineageSinkRegistration(new InMemoryLineageSink()));
        services.AddGovernedExecution(o => o.Audience = GovernedTestHost.Audience).UseSigningKey(_keys.SigningKey).UseTrustedKeyStore(_keys.TrustStore);
        using var provider = services.BuildServiceProvider();

        var ex = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IOptions<GovernedExecutionOptions>>().Value);
        Assert.Contains(ex.Failures, f => f.Contains("no policies", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_host_builds_its_executors_when_it_starts_not_at_the_first_call()
    {
        var logs = new ListLoggerProvider();
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Logging.AddProvider(logs);
        builder.Services.AddSingleton<IPolicyEvaluator>(GovernedTestHost.DefaultPolicies());
        builder.Services.AddGovernedExecution(o => o.Audience = GovernedTestHost.Audience)
            .UseSigningKey(_keys.SigningKey)
            .UseTrustedKeyStore(_keys.TrustStore)
            .AddLineageSink(new InMemoryLineageSink(), LineageSinkMode.BestEffort)
            .AllowExecutionsWithoutRequiredLineage();
        using var host = builder.Build();

        Assert.DoesNotContain(logs.EventIds, id => id == 1005);
        await host.StartAsync();
        Assert.Contains(logs.EventIds, id => id == 1005); // the build-time warning, before any call
        await host.StopAsync();
    }

    [Fact]
    public async Task A_host_with_a_misconfigured_executor_does_not_start()
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Services.AddGovernedExecution(o => o.Audience = GovernedTestHost.Audience).UseSigningKey(_keys.SigningKey);
        using var host = builder.Build();

        await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());
    }

    [Fact]
    public async Task A_file_sink_handed_to_the_builder_is_closed_when_the_container_is_disposed()
    {
        var path = Path.Combine(_directory, "lineage.jsonl");
        var sink = FileLineageSink.Open(new FileLineageSinkOptions { Path = path, CheckpointKey = _keys.SigningKey });
        var services = Services();
        services.AddGovernedExecution(o => o.Audience = GovernedTestHost.Audience)
            .UseSigningKey(_keys.SigningKey)
            .UseTrustedKeyStore(_keys.TrustStore)
            .AddLineageSink(sink);
        await using (var provider = services.BuildServiceProvider())
        {
            var outcome = await provider.GetRequiredService<IGovernedExecutor>().RunOutcomeAsync(GovernedTestHost.Intent("read"), (ctx, ct) => ValueTask.FromResult(1));
            Assert.True(outcome.IsSuccess);
        }

        var verdict = LineageVerifier.VerifyFiles([path], [_keys.SigningKey.ToTrustedKey()]);
        Assert.True(verdict.IsValid, verdict.Error);
    }

    [Fact]
    public async Task A_synchronously_disposed_container_also_closes_the_file_sinks()
    {
        var path = Path.Combine(_directory, "sync.jsonl");
        var services = Services();
        services.AddGovernedExecution(o => o.Audience = GovernedTestHost.Audience)
            .UseSigningKey(_keys.SigningKey)
            .UseTrustedKeyStore(_keys.TrustStore)
            .AddLineageSink(_ => FileLineageSink.Open(new FileLineageSinkOptions { Path = path, CheckpointKey = _keys.SigningKey }));
        using (var provider = services.BuildServiceProvider())
        {
            var outcome = await provider.GetRequiredService<IGovernedExecutor>().RunOutcomeAsync(GovernedTestHost.Intent("read"), (ctx, ct) => ValueTask.FromResult(1));
            Assert.True(outcome.IsSuccess);
        }

        var verdict = LineageVerifier.VerifyFiles([path], [_keys.SigningKey.ToTrustedKey()]);
        Assert.True(verdict.IsValid, verdict.Error);
    }

    [Fact]
    public async Task A_sink_factory_runs_once_per_container_however_often_the_options_are_validated()
    {
        var created = 0;
        var services = Services();
        services.AddGovernedExecution(o => o.Audience = GovernedTestHost.Audience)
            .UseSigningKey(_keys.SigningKey)
            .UseTrustedKeyStore(_keys.TrustStore)
            .AddLineageSink(_ => { Interlocked.Increment(ref created); return new InMemoryLineageSink(); });
        await using var provider = services.BuildServiceProvider();

        _ = provider.GetRequiredService<IOptions<GovernedExecutionOptions>>().Value;
        _ = provider.GetRequiredService<IOptionsMonitor<GovernedExecutionOptions>>().Get(Options.DefaultName);
        var executor = provider.GetRequiredService<IGovernedExecutor>();
        var outcome = await executor.RunOutcomeAsync(GovernedTestHost.Intent("read"), (ctx, ct) => ValueTask.FromResult(1));

        Assert.True(outcome.IsSuccess);
        Assert.Equal(1, created);
    }

    [Fact]
    public async Task Named_executors_are_independent_keyed_services()
    {
        var payments = new InMemoryLineageSink();
        var reports = new InMemoryLineageSink();
        var services = new ServiceCollection();
        services.AddSingleton<IPolicyEvaluator>(GovernedTestHost.DefaultPolicies());
        services.AddSingleton<ITrustedKeyStore>(_keys.TrustStore);
        services.AddGovernedExecution("payments", o => o.Audience = "payments-api").UseSigningKey(_keys.SigningKey).AddLineageSink(payments);
        services.AddGovernedExecution("reports", o => o.Audience = "reports-job").UseSigningKey(_keys.SigningKey).AddLineageSink(reports);
        await using var provider = services.BuildServiceProvider();

        var first = await provider.GetRequiredKeyedService<IGovernedExecutor>("payments").RunAsync(GovernedTestHost.Intent("read"), (ctx, ct) => ValueTask.FromResult(ctx.Claims.Audience));
        var second = await provider.GetRequiredKeyedService<IGovernedExecutor>("reports").RunAsync(GovernedTestHost.Intent("read"), (ctx, ct) => ValueTask.FromResult(ctx.Claims.Audience));

        Assert.Equal("payments-api", first);
        Assert.Equal("reports-job", second);
        Assert.Equal(6, payments.Count);
        Assert.Equal(6, reports.Count);
        Assert.Null(provider.GetService<IGovernedExecutor>());
    }

    [Fact]
    public void A_misconfigured_named_executor_is_reported_by_its_name()
    {
        var services = Services();
        services.AddGovernedExecution("payments", o => o.Audience = "payments-api").UseSigningKey(_keys.SigningKey).UseTrustedKeyStore(_keys.TrustStore).AddLineageSink(new InMemoryLineageSink());
        services.AddGovernedExecution("broken");
        using var provider = services.BuildServiceProvider();

        Assert.NotNull(provider.GetRequiredKeyedService<IGovernedExecutor>("payments"));
        var ex = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredKeyedService<IGovernedExecutor>("broken"));
        Assert.Equal("broken", ex.OptionsName);
        Assert.Contains(ex.Failures, f => f.Contains("Audience", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Component_factories_are_resolved_from_the_container()
    {
        var sink = new InMemoryLineageSink();
        var services = new ServiceCollection();
        services.AddSingleton(_keys.SigningKey);
        services.AddGovernedExecution(o => o.Audience = GovernedTestHost.Audience)
            .UsePolicies(_ => GovernedTestHost.DefaultPolicies())
            .UseSigningKeyProvider(sp => new StaticSigningKeyProvider(sp.GetRequiredService<SigningKey>()))
            .UseTrustedKeyStore(sp => new InMemoryTrustedKeyStore(sp.GetRequiredService<SigningKey>().ToTrustedKey()))
            .AddLineageSink(_ => sink);
        await using var provider = services.BuildServiceProvider();

        var outcome = await provider.GetRequiredService<IGovernedExecutor>().RunOutcomeAsync(GovernedTestHost.Intent("read"), (ctx, ct) => ValueTask.FromResult(1));

        Assert.True(outcome.IsSuccess);
        Assert.Equal(6, sink.Count);
    }

    private sealed class HangingSigningKeyProvider : ISigningKeyProvider
    {
        public async ValueTask<SigningKey> GetSigningKeyAsync(CancellationToken cancellationToken)
        {
            await Task.Delay(Timeout.Infinite, CancellationToken.None);
            throw new UnreachableException();
        }
    }

    private static ServiceCollection Services()
    {
        var services = new ServiceCollection();
        services.AddSingleton<IPolicyEvaluator>(GovernedTestHost.DefaultPolicies());
        return services;
    }

    private sealed class ListLoggerProvider : ILoggerProvider
    {
        private readonly List<int> _events = [];

        public int[] EventIds
        {
            get
            {
                lock (_events)
                {
                    return [.. _events];
                }
            }
        }

        public ILogger CreateLogger(string categoryName) => new ListLogger(this);

        public void Dispose()
        {
        }

        private sealed class ListLogger(ListLoggerProvider owner) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state)
                where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => true;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
            {
                lock (owner._events)
                {
                    owner._events.Add(eventId.Id);
                }
            }
        }
    }
}
