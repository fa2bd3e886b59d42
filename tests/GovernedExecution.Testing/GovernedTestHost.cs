using GovernedExecution.Artifacts.Keys;
using GovernedExecution.DependencyInjection;
using GovernedExecution.Execution;
using GovernedExecution.Intents;
using GovernedExecution.Lineage;
using GovernedExecution.Policies;
using GovernedExecution.Policies.Rules;
using Microsoft.Extensions.Time.Testing;

namespace GovernedExecution.Testing;

/// <summary>A ready executor with real keys, real COSE artifacts and an in-memory lineage, for tests and benchmarks.</summary>
public sealed class GovernedTestHost : IDisposable
{
    public const string Audience = "tests";

    public GovernedTestHost(Action<GovernedExecutorBuilder>? customize = null, IPolicyEvaluator? policies = null, TimeProvider? time = null, ILineageSink? lineage = null)
    {
        LineageSink = lineage ?? Lineage;
        Time = time ?? new FakeTimeProvider(new DateTimeOffset(2026, 11, 26, 12, 0, 0, TimeSpan.Zero));
        Policies = policies ?? DefaultPolicies();
        var builder = new GovernedExecutorBuilder()
            .Configure(o => o.Audience = Audience)
            .UsePolicies(Policies)
            .UseSigningKey(SigningKey)
            .UseTrustedKeyStore(TrustStore)
            .UseTimeProvider(Time)
            .AddLineageSink(LineageSink);
        customize?.Invoke(builder);
        Executor = builder.Build();
    }

    public SigningKey SigningKey { get; } = SigningKey.Generate();

    public InMemoryTrustedKeyStore TrustStore => _trustStore ??= new InMemoryTrustedKeyStore(SigningKey.ToTrustedKey());

    public InMemoryLineageSink Lineage { get; } = new();

    public ILineageSink LineageSink { get; }

    public IPolicyEvaluator Policies { get; }

    public TimeProvider Time { get; }

    public FakeTimeProvider? FakeTime => Time as FakeTimeProvider;

    public IGovernedExecutor Executor { get; }

    private InMemoryTrustedKeyStore? _trustStore;

    public static EntityReference Agent(string id = "support-bot") => new("Agent", id);

    public static ExecutionIntent Intent(string action = "read", string resource = "ticket-1", string principal = "support-bot") =>
        new(Agent(principal), new EntityReference("Action", action), new EntityReference("Ticket", resource));

    /// <summary>permit read, refund; forbid delete; nothing else.</summary>
    public static RulePolicyEvaluator DefaultPolicies() => new(
    [
        PolicyRule.Permit("allow-read", i => i.Action.Id == "read"),
        PolicyRule.Permit("allow-refund", i => i.Action.Id == "refund"),
        PolicyRule.Permit("allow-delete", i => i.Action.Id == "delete"),
        PolicyRule.Forbid("no-delete", i => i.Action.Id == "delete"),
    ]);

    public void Dispose() => SigningKey.Dispose();
}
