using GovernedExecution.Execution;
using GovernedExecution.Lineage;
using GovernedExecution.Testing;
using Microsoft.Extensions.Logging;

namespace GovernedExecution.Tests.Lineage;

public sealed class LoggerLineageSinkTests
{
    [Fact]
    public async Task Each_event_is_one_structured_entry_with_its_data_in_a_scope()
    {
        var logger = new RecordingLogger();
        var sink = new LoggerLineageSink(logger);
        var execution = Guid.NewGuid();
        await sink.AppendAsync([new LineageEvent(LineageEventKind.PolicyEvaluated, execution, null, DateTimeOffset.UnixEpoch, [new("decision", "Permitted")])], CancellationToken.None);

        var entry = Assert.Single(logger.Entries);
        Assert.Equal(1102, entry.EventId.Id);
        Assert.Contains(entry.State, p => p.Key == "Kind" && (string?)p.Value == "policy_evaluated");
        Assert.Contains(entry.State, p => p.Key == "ExecutionId" && p.Value is Guid g && g == execution);
        Assert.Contains(entry.Scope, p => p.Key == "lineage.decision" && (string?)p.Value == "Permitted");
    }

    [Fact]
    public async Task As_a_best_effort_sink_beside_the_executor_it_sees_every_phase()
    {
        var logger = new RecordingLogger();
        using var host = new GovernedTestHost(b => b.AddLineageSink(new LoggerLineageSink(logger), LineageSinkMode.BestEffort));
        await host.Executor.RunAsync(GovernedTestHost.Intent(), (ctx, ct) => ValueTask.FromResult(1));
        Assert.Equal(host.Lineage.Count, logger.Entries.Count);
    }

    [Fact]
    public async Task Recorded_decision_inputs_never_reach_the_log_only_their_digests()
    {
        // With RecordEntities the decision record carries entity data and the context (call arguments): a durable log
        // is meant to hold them, an application's ordinary log is not.
        var logger = new RecordingLogger();
        using var host = new GovernedTestHost(b => b
            .Configure(o => o.Lineage.RecordEntities = true)
            .AddLineageSink(new LoggerLineageSink(logger), LineageSinkMode.BestEffort),
            policies: new GovernedExecution.Policies.Cedar.CedarPolicyEvaluator(GovernedExecution.Policies.Cedar.CedarPolicySet.Parse("permit (principal, action, resource);")));
        var intent = new GovernedExecution.Intents.ExecutionIntent(GovernedTestHost.Intent().Principal, GovernedTestHost.Intent().Action, GovernedTestHost.Intent().Resource)
        {
            Context = new Dictionary<string, GovernedExecution.Intents.IntentValue> { ["card"] = GovernedExecution.Intents.IntentValue.String("4111-secret") },
        };
        await host.Executor.AuthorizeAsync(intent);
        var decided = Assert.Single(host.Lineage.Records, r => r.Event.Kind == LineageEventKind.PolicyEvaluated);
        Assert.Contains("4111-secret", decided.Event["context"], StringComparison.Ordinal); // the durable record has it

        var entry = Assert.Single(logger.Entries, e => e.State.Any(p => p.Key == "Kind" && (string?)p.Value == "policy_evaluated"));
        Assert.DoesNotContain(entry.Scope, p => p.Key is "lineage.context" or "lineage.entities");
        Assert.DoesNotContain(entry.State.Concat(entry.Scope), p => p.Value?.ToString()?.Contains("4111-secret", StringComparison.Ordinal) == true);
        Assert.Contains(entry.Scope, p => p.Key == "lineage.context_digest");
    }

    private sealed class RecordingLogger : ILogger
    {
        private IReadOnlyList<KeyValuePair<string, object?>> _scope = [];

        public List<(EventId EventId, IReadOnlyList<KeyValuePair<string, object?>> State, IReadOnlyList<KeyValuePair<string, object?>> Scope)> Entries { get; } = [];

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull
        {
            _scope = state as IReadOnlyList<KeyValuePair<string, object?>> ?? [];
            return null;
        }

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            lock (Entries)
            {
                Entries.Add((eventId, state as IReadOnlyList<KeyValuePair<string, object?>> ?? [], _scope));
            }
        }
    }
}
