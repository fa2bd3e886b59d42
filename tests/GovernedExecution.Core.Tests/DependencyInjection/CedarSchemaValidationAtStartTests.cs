using GovernedExecution.Artifacts.Keys;
using GovernedExecution.DependencyInjection;
using GovernedExecution.Execution;
using GovernedExecution.Lineage;
using GovernedExecution.Policies.Cedar;
using GovernedExecution.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace GovernedExecution.Tests.DependencyInjection;

/// <summary>
/// Policies given with their schema are validated when the executor is built: a mistyped forbid, which Cedar would
/// skip at run time (an error is not a match), stops the executor and the host from starting.
/// </summary>
public sealed class CedarSchemaValidationAtStartTests : IDisposable
{
    private const string Schema = """
        entity Agent { clearance?: Long };
        entity Ticket { locked: Bool };
        action read appliesTo { principal: Agent, resource: Ticket };
        """;

    private const string MistypedForbid = """
        permit(principal, action == Action::"read", resource);
        forbid(principal, action == Action::"read", resource) when { resource.lockd };
        """;

    private readonly SigningKey _key = SigningKey.Generate();

    public void Dispose() => _key.Dispose();

    private GovernedExecutorBuilder Builder(GovernedExecutorBuilder builder) => builder
        .UseSigningKey(_key)
        .UseTrustedKeyStore(new InMemoryTrustedKeyStore(_key.ToTrustedKey()))
        .AddLineageSink(new InMemoryLineageSink());

    [Fact]
    public void Policies_that_do_not_validate_against_their_schema_are_a_build_error_with_the_diagnostics()
    {
        var policies = CedarPolicySet.Parse(MistypedForbid, "rules.cedar");
        var ex = Assert.Throws<OptionsValidationException>(() => Builder(new GovernedExecutorBuilder().Configure(o => o.Audience = GovernedTestHost.Audience))
            .UseCedarPolicies(policies, CedarSchema.Parse(Schema))
            .Build());

        var failure = Assert.Single(ex.Failures, f => f.Contains("do not validate against the schema", StringComparison.Ordinal));
        Assert.Contains("rules.cedar:2:62: error[unsafe attribute access] policy policy1: ", failure, StringComparison.Ordinal);
    }

    [Fact]
    public void Policies_that_do_not_validate_against_their_schema_stop_the_host()
    {
        var services = new ServiceCollection();
        Builder(services.AddGovernedExecution(o => o.Audience = GovernedTestHost.Audience))
            .UseCedarPolicies(CedarPolicySet.Parse(MistypedForbid), CedarSchema.Parse(Schema));
        using var provider = services.BuildServiceProvider();

        var ex = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IOptions<GovernedExecutionOptions>>().Value);
        Assert.Contains(ex.Failures, f => f.Contains("unsafe attribute access", StringComparison.Ordinal));
    }

    [Fact]
    public void Valid_policies_build_and_an_impossible_policy_is_only_a_warning()
    {
        var policies = CedarPolicySet.Parse("""
            permit(principal, action == Action::"read", resource) when { principal has clearance && principal.clearance > 2 };
            forbid(principal, action == Action::"read", resource) when { resource.locked };
            permit(principal, action, resource) when { false };
            """);
        var executor = Builder(new GovernedExecutorBuilder().Configure(o => o.Audience = GovernedTestHost.Audience))
            .UseCedarPolicies(policies, CedarSchema.Parse(Schema))
            .Build();
        Assert.NotNull(executor);
    }

    [Fact]
    public void The_schema_check_goes_with_its_policies_only()
    {
        // A later UsePolicies replaces the evaluator; the schema given with the earlier policies no longer applies.
        var executor = Builder(new GovernedExecutorBuilder().Configure(o => o.Audience = GovernedTestHost.Audience))
            .UseCedarPolicies(CedarPolicySet.Parse(MistypedForbid), CedarSchema.Parse(Schema))
            .UseCedarPolicies(CedarPolicySet.Parse("permit(principal, action, resource);"))
            .Build();
        Assert.NotNull(executor);
        Assert.Throws<ArgumentNullException>(() => new GovernedExecutorBuilder().UseCedarPolicies(CedarPolicySet.Parse(MistypedForbid), (CedarSchema)null!));
    }
}
