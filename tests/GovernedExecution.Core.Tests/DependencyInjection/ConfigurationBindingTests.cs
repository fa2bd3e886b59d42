using GovernedExecution.Artifacts;
using GovernedExecution.Execution;
using GovernedExecution.Lineage;
using GovernedExecution.Policies;
using GovernedExecution.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace GovernedExecution.Tests.DependencyInjection;

/// <summary>
/// Options read from a configuration section are read exactly: a key the options do not have (a typo) or a value that
/// does not convert stops the host at start, and a list replaces the default instead of adding to it.
/// </summary>
public sealed class ConfigurationBindingTests : IDisposable
{
    private readonly GovernedTestHost _keys = new();

    public void Dispose() => _keys.Dispose();

    [Fact]
    public async Task A_section_configures_the_executor()
    {
        using var provider = Provider(new()
        {
            ["GovernedExecution:Audience"] = "payments-api",
            ["GovernedExecution:Issuer"] = "payments",
            ["GovernedExecution:ArtifactLifetime"] = "00:00:20",
            ["GovernedExecution:DependencyTimeout"] = "00:00:02",
        });

        var options = provider.GetRequiredService<IOptions<GovernedExecutionOptions>>().Value;
        var outcome = await provider.GetRequiredService<IGovernedExecutor>().RunOutcomeAsync(GovernedTestHost.Intent("read"), (ctx, ct) => ValueTask.FromResult(ctx.Claims.Audience));

        Assert.Equal("payments-api", outcome.Result);
        Assert.Equal("payments", options.Issuer);
        Assert.Equal(TimeSpan.FromSeconds(20), options.ArtifactLifetime);
        Assert.Equal(TimeSpan.FromSeconds(2), options.DependencyTimeout);
    }

    [Fact]
    public void A_list_of_algorithms_replaces_the_default()
    {
        using var provider = Provider(new()
        {
            ["GovernedExecution:Audience"] = "svc",
            ["GovernedExecution:VerifyOnly"] = "true",
            ["GovernedExecution:AllowedAlgorithms:0"] = "ES384",
        });

        var options = provider.GetRequiredService<IOptions<GovernedExecutionOptions>>().Value;

        Assert.Equal([ArtifactAlgorithm.ES384], options.AllowedAlgorithms);
        Assert.True(options.VerifyOnly);
    }

    [Theory]
    [InlineData("GovernedExecution:Audiance", "svc", "GovernedExecution:Audiance")]
    [InlineData("GovernedExecution:ArtifactLifetime", "30 seconds", "GovernedExecution:ArtifactLifetime")]
    [InlineData("GovernedExecution:VerifyOnly", "yes", "GovernedExecution:VerifyOnly")]
    [InlineData("GovernedExecution:AllowedAlgorithms:0", "HS256", "GovernedExecution:AllowedAlgorithms:0")]
    [InlineData("GovernedExecution:AllowedAlgorithms:0", "es256", "GovernedExecution:AllowedAlgorithms:0")]
    [InlineData("GovernedExecution:ClockSkew:Seconds", "30", "GovernedExecution:ClockSkew")]
    [InlineData("GovernedExecution:Lineage:RecordEntitys", "true", "GovernedExecution:Lineage:RecordEntitys")]
    [InlineData("GovernedExecution:Lineage:RecordEntities", "yes", "GovernedExecution:Lineage:RecordEntities")]
    public void A_key_the_options_do_not_have_or_a_value_that_does_not_convert_fails_at_start(string key, string value, string named)
    {
        using var provider = Provider(new() { ["GovernedExecution:Audience"] = "svc", [key] = value });

        var ex = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IOptions<GovernedExecutionOptions>>().Value);
        Assert.Contains(ex.Failures, f => f.Contains(named, StringComparison.Ordinal));
        Assert.DoesNotContain(ex.Failures, f => f.Contains(value, StringComparison.Ordinal) && value.Length > 3);
    }

    [Fact]
    public void Recording_decision_inputs_is_off_unless_the_section_turns_it_on()
    {
        using var off = Provider(new() { ["GovernedExecution:Audience"] = "svc" });
        Assert.False(off.GetRequiredService<IOptions<GovernedExecutionOptions>>().Value.Lineage.RecordEntities);

        using var on = Provider(new() { ["GovernedExecution:Audience"] = "svc", ["GovernedExecution:Lineage:RecordEntities"] = "true" });
        Assert.True(on.GetRequiredService<IOptions<GovernedExecutionOptions>>().Value.Lineage.RecordEntities);
    }

    [Fact]
    public void A_named_executor_reads_its_own_section()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Executors:payments:Audience"] = "payments-api",
            ["Executors:reports:Audience"] = "reports-job",
        }).Build();
        var services = new ServiceCollection();
        services.AddSingleton<IPolicyEvaluator>(GovernedTestHost.DefaultPolicies());
        services.AddGovernedExecution("payments", configuration.GetSection("Executors:payments")).UseSigningKey(_keys.SigningKey).UseTrustedKeyStore(_keys.TrustStore).AddLineageSink(new InMemoryLineageSink());
        services.AddGovernedExecution("reports", configuration.GetSection("Executors:reports")).UseSigningKey(_keys.SigningKey).UseTrustedKeyStore(_keys.TrustStore).AddLineageSink(new InMemoryLineageSink());
        using var provider = services.BuildServiceProvider();

        var monitor = provider.GetRequiredService<IOptionsMonitor<GovernedExecutionOptions>>();

        Assert.Equal("payments-api", monitor.Get("payments").Audience);
        Assert.Equal("reports-job", monitor.Get("reports").Audience);
    }

    private ServiceProvider Provider(Dictionary<string, string?> values)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(values).Build();
        var services = new ServiceCollection();
        services.AddSingleton<IPolicyEvaluator>(GovernedTestHost.DefaultPolicies());
        services.AddGovernedExecution(configuration.GetSection("GovernedExecution"))
            .UseSigningKey(_keys.SigningKey)
            .UseTrustedKeyStore(_keys.TrustStore)
            .AddLineageSink(new InMemoryLineageSink());
        return services.BuildServiceProvider();
    }
}
