using GovernedExecution.DependencyInjection;
using GovernedExecution.Execution;
using GovernedExecution.Lineage;
using GovernedExecution.Policies;
using GovernedExecution.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace GovernedExecution.Tests.DependencyInjection;

/// <summary>
/// An executor that runs operations with nothing recorded before they start is refused, unless its builder says so
/// in as many words.
/// </summary>
public sealed class RequiredLineageTests : IDisposable
{
    private readonly GovernedTestHost _keys = new();

    public void Dispose() => _keys.Dispose();

    public static TheoryData<string> SinksWithoutARequiredOne() => new("none", "best-effort only");

    [Theory]
    [MemberData(nameof(SinksWithoutARequiredOne))]
    public void A_builder_without_a_required_lineage_sink_refuses_to_build(string sinks)
    {
        foreach (var verifyOnly in new[] { false, true })
        {
            var builder = Builder(verifyOnly);
            if (sinks == "best-effort only")
            {
                builder.AddLineageSink(new InMemoryLineageSink(), LineageSinkMode.BestEffort);
            }

            var ex = Assert.Throws<OptionsValidationException>(() => builder.Build());
            Assert.Contains(ex.Failures, f => f.Contains("required lineage sink", StringComparison.Ordinal));
        }
    }

    [Theory]
    [MemberData(nameof(SinksWithoutARequiredOne))]
    public void A_host_without_a_required_lineage_sink_fails_at_start(string sinks)
    {
        var services = new ServiceCollection();
        services.AddSingleton<IPolicyEvaluator>(GovernedTestHost.DefaultPolicies());
        if (sinks == "best-effort only")
        {
            services.AddSingleton(new LineageSinkRegistration(new InMemoryLineageSink(), LineageSinkMode.BestEffort));
        }

        services.AddGovernedExecution(o => o.Audience = GovernedTestHost.Audience).UseSigningKey(_keys.SigningKey).UseTrustedKeyStore(_keys.TrustStore);
        using var provider = services.BuildServiceProvider();

        var ex = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IOptions<GovernedExecutionOptions>>().Value);
        Assert.Contains(ex.Failures, f => f.Contains("required lineage sink", StringComparison.Ordinal));
        Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IGovernedExecutor>());
    }

    [Fact]
    public async Task A_required_sink_from_the_container_or_the_builder_satisfies_the_check()
    {
        var fromContainer = new InMemoryLineageSink();
        var services = new ServiceCollection();
        services.AddSingleton<IPolicyEvaluator>(GovernedTestHost.DefaultPolicies());
        services.AddSingleton(new LineageSinkRegistration(fromContainer));
        services.AddGovernedExecution(o => o.Audience = GovernedTestHost.Audience).UseSigningKey(_keys.SigningKey).UseTrustedKeyStore(_keys.TrustStore);
        using var provider = services.BuildServiceProvider();
        var fromBuilder = new InMemoryLineageSink();
        var standalone = Builder(verifyOnly: false).AddLineageSink(fromBuilder).Build();

        var hosted = await provider.GetRequiredService<IGovernedExecutor>().RunOutcomeAsync(GovernedTestHost.Intent("read"), (ctx, ct) => ValueTask.FromResult(1));
        var built = await standalone.RunOutcomeAsync(GovernedTestHost.Intent("read"), (ctx, ct) => ValueTask.FromResult(1));

        Assert.True(hosted.IsSuccess);
        Assert.True(built.IsSuccess);
        Assert.Equal(6, fromContainer.Count);
        Assert.Equal(6, fromBuilder.Count);
    }

    [Fact]
    public async Task The_explicit_opt_out_builds_runs_and_is_logged_once_at_build_with_event_1005()
    {
        var logs = new CapturingLoggerFactory();
        var bestEffort = new InMemoryLineageSink();

        var executor = Builder(verifyOnly: false)
            .UseLoggerFactory(logs)
            .AddLineageSink(bestEffort, LineageSinkMode.BestEffort)
            .AllowExecutionsWithoutRequiredLineage()
            .Build();
        var logged = Assert.Single(logs.Entries);
        var outcome = await executor.RunOutcomeAsync(GovernedTestHost.Intent("read"), (ctx, ct) => ValueTask.FromResult(1));

        Assert.Equal(1005, logged.EventId);
        Assert.Equal(Microsoft.Extensions.Logging.LogLevel.Warning, logged.Level);
        Assert.Equal(1, logged.State["SinkCount"]);
        Assert.True(outcome.IsSuccess);
        Assert.Single(logs.Entries, e => e.EventId == 1005); // logged at build, not per execution
        Assert.Equal(6, bestEffort.Count);
    }

    [Fact]
    public void The_explicit_opt_out_works_in_a_host_and_is_logged_when_the_executor_is_built()
    {
        var logs = new CapturingLoggerFactory();
        var services = new ServiceCollection();
        services.AddSingleton<IPolicyEvaluator>(GovernedTestHost.DefaultPolicies());
        services.AddGovernedExecution(o => o.Audience = GovernedTestHost.Audience)
            .UseSigningKey(_keys.SigningKey)
            .UseTrustedKeyStore(_keys.TrustStore)
            .UseLoggerFactory(logs)
            .AllowExecutionsWithoutRequiredLineage();
        using var provider = services.BuildServiceProvider();

        Assert.NotNull(provider.GetRequiredService<IOptions<GovernedExecutionOptions>>().Value);
        Assert.NotNull(provider.GetRequiredService<IGovernedExecutor>());
        Assert.Equal(1005, Assert.Single(logs.Entries).EventId);
    }

    [Fact]
    public void With_a_required_sink_the_opt_out_changes_nothing_and_logs_nothing()
    {
        var logs = new CapturingLoggerFactory();

        Builder(verifyOnly: false).UseLoggerFactory(logs).AddLineageSink(new InMemoryLineageSink()).AllowExecutionsWithoutRequiredLineage().Build();

        Assert.Empty(logs.Entries);
    }

    [Fact]
    public async Task A_throwing_logger_does_not_stop_the_build_that_warns_through_it()
    {
        var executor = Builder(verifyOnly: false)
            .UseLoggerFactory(new ThrowingLoggerFactory())
            .AllowExecutionsWithoutRequiredLineage()
            .Build();

        var outcome = await executor.RunOutcomeAsync(GovernedTestHost.Intent("read"), (ctx, ct) => ValueTask.FromResult(1));

        Assert.True(outcome.IsSuccess);
    }

    [Fact]
    public void A_sink_mode_that_is_neither_required_nor_best_effort_is_refused()
    {
        var sink = new InMemoryLineageSink();

        Assert.Throws<ArgumentOutOfRangeException>(() => new LineageSinkRegistration(sink, (LineageSinkMode)2));
        Assert.Throws<ArgumentOutOfRangeException>(() => Builder(verifyOnly: false).AddLineageSink(sink, (LineageSinkMode)(-1)));
        Assert.Throws<ArgumentNullException>(() => Builder(verifyOnly: false).AddLineageSink((ILineageSink)null!));
        Assert.Throws<ArgumentNullException>(() => Builder(verifyOnly: false).AddLineageSink((Func<IServiceProvider, ILineageSink>)null!));
    }

    private sealed class ThrowingLoggerFactory : Microsoft.Extensions.Logging.ILoggerFactory
    {
        public void AddProvider(Microsoft.Extensions.Logging.ILoggerProvider provider)
        {
        }

        public Microsoft.Extensions.Logging.ILogger CreateLogger(string categoryName) => throw new InvalidOperationException("logging down");

        public void Dispose()
        {
        }
    }

    private GovernedExecutorBuilder Builder(bool verifyOnly) => new GovernedExecutorBuilder()
        .Configure(o => { o.Audience = GovernedTestHost.Audience; o.VerifyOnly = verifyOnly; })
        .UsePolicies(GovernedTestHost.DefaultPolicies())
        .UseSigningKey(_keys.SigningKey)
        .UseTrustedKeyStore(_keys.TrustStore)
        .UseTimeProvider(_keys.Time);
}
