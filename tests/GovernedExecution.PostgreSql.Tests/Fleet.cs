using GovernedExecution.Artifacts;
using GovernedExecution.Artifacts.Keys;
using GovernedExecution.DependencyInjection;
using System.Runtime.CompilerServices;
using GovernedExecution.Execution;
using GovernedExecution.Intents;
using GovernedExecution.Lineage;
using GovernedExecution.PostgreSql.Replay;
using GovernedExecution.Testing;
using Npgsql;

namespace GovernedExecution.PostgreSql.Tests;

/// <summary>An orchestrator that mints for verify-only workers, and the workers, each with a replay guard on a database.</summary>
internal sealed class Fleet : IDisposable
{
    private readonly IGovernedExecutor _orchestrator;

    internal Fleet(TimeProvider? time = null)
    {
        Time = time ?? TimeProvider.System;
        SigningKey = SigningKey.Generate();
        _orchestrator = new GovernedExecutorBuilder()
            .Configure(o => o.Audience = "orchestrator")
            .UsePolicies(GovernedTestHost.DefaultPolicies())
            .UseSigningKey(SigningKey)
            .UseTrustedKeys(SigningKey.ToTrustedKey())
            .UseTimeProvider(Time)
            .AddLineageSink(new InMemoryLineageSink())
            .Build();
    }

    internal TimeProvider Time { get; }

    internal SigningKey SigningKey { get; }

    internal static ExecutionIntent Intent => GovernedTestHost.Intent("refund");

    internal async Task<AuthorizationArtifact> MintAsync()
    {
        var issued = await _orchestrator.IssueAsync(Intent, audience: "worker");
        Assert.True(issued.IsIssued, issued.Denial?.ToString());
        return AuthorizationArtifact.FromBytes(issued.Artifact!.Encoded.Span);
    }

    internal IGovernedExecutor Worker(NpgsqlDataSource dataSource, Action<PostgreSqlReplayGuardOptions>? configure = null, TimeProvider? time = null, TimeSpan? dependencyTimeout = null) =>
        Worker(new PostgreSqlReplayGuard(dataSource, Options(configure)), time, dependencyTimeout);

    internal IGovernedExecutor Worker(IReplayGuard guard, TimeProvider? time = null, TimeSpan? dependencyTimeout = null) =>
        new GovernedExecutorBuilder()
            .Configure(o =>
            {
                o.Audience = "worker";
                o.VerifyOnly = true;
                if (dependencyTimeout is { } timeout)
                {
                    o.DependencyTimeout = timeout;
                }
            })
            .UseTrustedKeys(SigningKey.ToTrustedKey())
            .UseReplayGuard(guard)
            .UseTimeProvider(time ?? Time)
            .AddLineageSink(new InMemoryLineageSink())
            .Build();

    internal static PostgreSqlReplayGuardOptions Options(Action<PostgreSqlReplayGuardOptions>? configure)
    {
        var options = new PostgreSqlReplayGuardOptions();
        configure?.Invoke(options);
        return options;
    }

    /// <summary>Runs the artifact on a worker; the operation counts its runs.</summary>
    internal static Task<GovernedOutcome<int>> RunAsync(IGovernedExecutor worker, AuthorizationArtifact artifact, StrongBox<int> runs) =>
        worker.RunOutcomeAsync(Intent, artifact, runs, static (box, _, _) => ValueTask.FromResult(Interlocked.Increment(ref box.Value))).AsTask();

    public void Dispose() => SigningKey.Dispose();
}
