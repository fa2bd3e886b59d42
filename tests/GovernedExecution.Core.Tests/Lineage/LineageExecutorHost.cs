using GovernedExecution.Artifacts.Keys;
using GovernedExecution.DependencyInjection;
using GovernedExecution.Execution;
using GovernedExecution.Lineage;
using GovernedExecution.Testing;

namespace GovernedExecution.Tests.Lineage;

/// <summary>An executor whose only lineage sink is a file sink, required.</summary>
internal sealed class LineageExecutorHost : IAsyncDisposable
{
    private readonly TrustedKey _trusted;

    public LineageExecutorHost(LineageTestLog log, Action<FileLineageSinkOptions>? configure = null, TimeProvider? time = null, TimeSpan? timeout = null)
    {
        Sink = log.Open(configure);
        _trusted = log.Key.ToTrustedKey();
        var builder = new GovernedExecutorBuilder()
            .Configure(o =>
            {
                o.Audience = GovernedTestHost.Audience;
                o.ArtifactLifetime = TimeSpan.FromMinutes(10);
                if (timeout is { } t)
                {
                    o.DependencyTimeout = t;
                }
            })
            .UsePolicies(GovernedTestHost.DefaultPolicies())
            .UseSigningKey(log.Key)
            .UseTrustedKeys(_trusted)
            .AddLineageSink(Sink, LineageSinkMode.Required);
        if (time is not null)
        {
            builder.UseTimeProvider(time);
        }

        Executor = builder.Build();
    }

    public FileLineageSink Sink { get; }

    public IGovernedExecutor Executor { get; }

    public async ValueTask DisposeAsync()
    {
        await Sink.DisposeAsync();
        _trusted.Dispose();
    }
}
