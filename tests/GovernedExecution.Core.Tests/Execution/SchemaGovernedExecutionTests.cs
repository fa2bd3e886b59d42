using System.Security.Cryptography;
using System.Text;
using GovernedExecution.DependencyInjection;
using GovernedExecution.Execution;
using GovernedExecution.Intents;
using GovernedExecution.Lineage;
using GovernedExecution.Policies;
using GovernedExecution.Policies.Cedar;
using GovernedExecution.Testing;

namespace GovernedExecution.Tests.Execution;

/// <summary>
/// An executor deciding under a schema: an intent whose request or entities do not conform is denied before any
/// policy sees it, and artifacts are bound to the schema through the digest they carry.
/// </summary>
public sealed class SchemaGovernedExecutionTests
{
    private const string Schema = """
        entity Agent = { team: String };
        entity Ticket = { owner: Agent };
        entity Region enum ["eu", "us"];
        action read appliesTo { principal: Agent, resource: Ticket, context: { amount: Long, from?: ipaddr, region?: Region } };
        action archive appliesTo { principal: Agent, resource: Ticket };
        """;

    // Written for a context whose amount is a Long: "amount is not less than 100" is how the author forbids big reads.
    private const string Policies = """
        permit(principal, action, resource);
        forbid(principal, action == Action::"read", resource) unless { context.amount < 100 };
        """;

    private static readonly CedarSchema SchemaA = CedarSchema.Parse(Schema);

    public static TheoryData<string, ExecutionIntent> NonConformingIntents() => new()
    {
        { "context amount as a string", Read(("amount", IntentValue.String("5"))) },
        { "context amount missing", Read() },
        { "undeclared context attribute", Read(("amount", IntentValue.Long(5)), ("admin", IntentValue.Boolean(true))) },
        { "context ip that does not parse", Read(("amount", IntentValue.Long(5)), ("from", IntentValue.String("not-an-ip"))) },
        { "context entity outside the enumeration", Read(("amount", IntentValue.Long(5)), ("region", IntentValue.Entity(new EntityReference("Region", "mars")))) },
        { "action not in the schema", new ExecutionIntent(new EntityReference("Agent", "bot"), new EntityReference("Action", "delete"), new EntityReference("Ticket", "t")) },
        { "principal of an undeclared type", new ExecutionIntent(new EntityReference("Robot", "bot"), new EntityReference("Action", "archive"), new EntityReference("Ticket", "t")) },
        { "resource of a type the action does not apply to", new ExecutionIntent(new EntityReference("Agent", "bot"), new EntityReference("Action", "archive"), new EntityReference("Agent", "t")) },
    };

    [Theory]
    [MemberData(nameof(NonConformingIntents))]
    public async Task A_request_that_does_not_conform_to_the_schema_is_denied_before_evaluation(string why, ExecutionIntent intent)
    {
        var lineage = new InMemoryLineageSink();
        using var host = Host(SchemaA, lineage: lineage);

        var ran = false;
        var outcome = await host.Executor.RunOutcomeAsync(intent, (ctx, ct) => { ran = true; return ValueTask.FromResult(0); });

        Assert.False(ran, why);
        DenialDetails.AssertDenied(outcome.Denial, DenialReason.RequestInvalid);
        Assert.Equal("the request does not conform to the policy schema", outcome.Denial!.Detail);
        // No policy was evaluated: the lineage has no policy_evaluated record for the call.
        Assert.DoesNotContain(lineage.Records, r => r.Event.Kind == LineageEventKind.PolicyEvaluated);
        Assert.Equal(LineageEventKind.ExecutionDenied, lineage.Records[^1].Event.Kind);
    }

    [Fact]
    public async Task A_wrongly_typed_context_never_reaches_a_policy_that_did_not_anticipate_it()
    {
        // Without the schema, "amount": "5000" makes the forbid error (string < long), and the erroring forbid denies;
        // with the schema it must not even get there.
        using var host = Host(SchemaA);
        var dry = await host.Executor.AuthorizeAsync(Read(("amount", IntentValue.String("5000"))));
        Assert.Null(dry.Decision);
        DenialDetails.AssertDenied(dry.Denial, DenialReason.RequestInvalid);
    }

    [Fact]
    public async Task A_conforming_request_runs_and_its_context_strings_become_the_declared_extension_values()
    {
        using var host = Host(SchemaA, policies: """permit(principal, action == Action::"read", resource) when { context.amount < 100 && context has from && context.from.isInRange(ip("10.0.0.0/8")) };""");

        var outcome = await host.Executor.RunOutcomeAsync(Read(("amount", IntentValue.Long(5)), ("from", IntentValue.String("10.1.2.3")), ("region", IntentValue.Entity(new EntityReference("Region", "eu")))), (ctx, ct) => ValueTask.FromResult(1));

        Assert.True(outcome.IsSuccess, outcome.ToString());
    }

    [Fact]
    public async Task Entities_from_a_provider_that_do_not_conform_deny()
    {
        var provider = new FixedEntities("""[{"uid": {"type": "Agent", "id": "bot"}, "attrs": {"team": 7}, "parents": []}]""");
        using var host = Host(SchemaA, provider: provider);

        var ran = false;
        var outcome = await host.Executor.RunOutcomeAsync(Read(("amount", IntentValue.Long(5))), (ctx, ct) => { ran = true; return ValueTask.FromResult(0); });

        Assert.False(ran);
        DenialDetails.AssertDenied(outcome.Denial, DenialReason.RequestInvalid);
        Assert.Equal("the entities do not conform to the policy schema", outcome.Denial!.Detail);
    }

    [Fact]
    public async Task Entities_from_a_provider_of_an_undeclared_type_deny_and_conforming_ones_run()
    {
        using var bad = Host(SchemaA, provider: new FixedEntities("""[{"uid": {"type": "Intruder", "id": "x"}, "attrs": {}, "parents": []}]"""));
        var denied = await bad.Executor.RunOutcomeAsync(Read(("amount", IntentValue.Long(5))), (ctx, ct) => ValueTask.FromResult(0));
        DenialDetails.AssertDenied(denied.Denial, DenialReason.RequestInvalid);

        using var good = Host(SchemaA, provider: new FixedEntities("""[{"uid": {"type": "Agent", "id": "bot"}, "attrs": {"team": "ops"}, "parents": []}]"""));
        var ran = await good.Executor.RunOutcomeAsync(Read(("amount", IntentValue.Long(5))), (ctx, ct) => ValueTask.FromResult(1));
        Assert.True(ran.IsSuccess, ran.ToString());
    }

    [Fact]
    public void Fixed_entities_that_do_not_conform_are_refused_when_the_executor_is_configured()
    {
        var entities = CedarEntities.ParseJson("""[{"uid": {"type": "Agent", "id": "bot"}, "attrs": {}, "parents": []}]""");
        var ex = Assert.Throws<ArgumentException>(() => new GovernedExecutorBuilder().UseCedarPolicies(CedarPolicySet.Parse(Policies), SchemaA, entities));
        Assert.Contains("required attribute", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_artifact_minted_under_one_schema_does_not_verify_where_another_schema_is_in_force()
    {
        using var orchestrator = Host(SchemaA);
        var intent = Read(("amount", IntentValue.Long(5)));
        var artifact = (await orchestrator.Executor.IssueAsync(intent)).Artifact!;
        Assert.NotNull(artifact);

        // The same policies; a schema that also lets the context carry an "admin" flag.
        var schemaB = CedarSchema.Parse(Schema.Replace("region?: Region }", "region?: Region, admin?: Bool }", StringComparison.Ordinal));
        var workerB = Worker(orchestrator, schemaB);
        var ran = false;
        var outcome = await workerB.RunOutcomeAsync(intent, artifact, (ctx, ct) => { ran = true; return ValueTask.FromResult(0); });
        Assert.False(ran);
        DenialDetails.AssertDenied(outcome.Denial, DenialReason.PolicySetMismatch);

        // Nor where the same policies are in force without a schema.
        var plain = new GovernedExecutorBuilder()
            .Configure(o => { o.Audience = GovernedTestHost.Audience; o.VerifyOnly = true; })
            .UseTrustedKeyStore(orchestrator.TrustStore).UseTimeProvider(orchestrator.Time)
            .UseCedarPolicies(CedarPolicySet.Parse(Policies)).AddLineageSink(new InMemoryLineageSink()).Build();
        DenialDetails.AssertDenied((await plain.RunOutcomeAsync(intent, artifact, (ctx, ct) => ValueTask.FromResult(0))).Denial, DenialReason.PolicySetMismatch);

        // The same schema in the other format verifies.
        var workerA = Worker(orchestrator, CedarSchema.ParseJson(SchemaA.ToJson()));
        var accepted = await workerA.RunOutcomeAsync(intent, artifact, (ctx, ct) => ValueTask.FromResult(1));
        Assert.True(accepted.IsSuccess, accepted.ToString());
    }

    [Fact]
    public async Task The_digest_in_decisions_and_lineage_is_the_documented_join_of_the_policy_set_and_schema_digests()
    {
        var lineage = new InMemoryLineageSink();
        using var host = Host(SchemaA, lineage: lineage);
        var policies = CedarPolicySet.Parse(Policies);
        var expected = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes($"governed-cedar-policies-schema/1\n{policies.Digest}\n{SchemaA.Digest}\n")));

        var result = await host.Executor.AuthorizeAsync(Read(("amount", IntentValue.Long(5))));

        Assert.Equal(expected, result.Decision!.PolicySetDigest);
        Assert.NotEqual(policies.Digest, expected);
        Assert.Contains(lineage.Records, r => r.Event.Kind == LineageEventKind.PolicyEvaluated && r.Event.Attributes.Any(a => a.Key == "policy_set" && a.Value == expected));
        Assert.Matches("^[0-9a-f]{64}$", SchemaA.Digest);
    }

    [Fact]
    public void The_schema_digest_ignores_format_order_and_comments_and_follows_meaning()
    {
        var reordered = CedarSchema.Parse("""
            // the same declarations in another order
            action archive appliesTo { resource: Ticket, principal: Agent };
            entity Region enum ["eu", "us"];
            action read appliesTo { principal: Agent, resource: Ticket, context: { region?: Region, from?: ipaddr, amount: Long } };
            entity Ticket = { owner: Agent };
            entity Agent = { team: String };
            """);
        Assert.Equal(SchemaA.Digest, reordered.Digest);
        Assert.Equal(SchemaA.Digest, CedarSchema.ParseJson(SchemaA.ToJson()).Digest);
        Assert.NotEqual(SchemaA.Digest, CedarSchema.Parse(Schema.Replace("amount: Long", "amount?: Long", StringComparison.Ordinal)).Digest);
    }

    private static ExecutionIntent Read(params (string Key, IntentValue Value)[] context) =>
        new(new EntityReference("Agent", "bot"), new EntityReference("Action", "read"), new EntityReference("Ticket", "t"))
        {
            Context = context.ToDictionary(c => c.Key, c => c.Value),
        };

    private static GovernedTestHost Host(CedarSchema schema, string policies = Policies, IEntityProvider? provider = null, InMemoryLineageSink? lineage = null)
    {
        var set = CedarPolicySet.Parse(policies);
        return new GovernedTestHost(b => _ = provider is null ? b.UseCedarPolicies(set, schema) : b.UseCedarPolicies(set, schema, provider), lineage: lineage);
    }

    private static IGovernedExecutor Worker(GovernedTestHost trust, CedarSchema schema) => new GovernedExecutorBuilder()
        .Configure(o => { o.Audience = GovernedTestHost.Audience; o.VerifyOnly = true; })
        .UseTrustedKeyStore(trust.TrustStore)
        .UseTimeProvider(trust.Time)
        .UseCedarPolicies(CedarPolicySet.Parse(Policies), schema)
        .AddLineageSink(new InMemoryLineageSink())
        .Build();

    private sealed class FixedEntities(string json) : IEntityProvider
    {
        // Read without the schema, as a provider that knows nothing of it would: the evaluator validates them.
        public ValueTask<CedarEntities> GetEntitiesAsync(ExecutionIntent intent, CancellationToken cancellationToken) =>
            ValueTask.FromResult(CedarEntities.ParseJson(json));
    }
}
