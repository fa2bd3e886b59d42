using GovernedExecution.Execution;
using GovernedExecution.Lineage;
using GovernedExecution.Testing;
using Microsoft.Extensions.Logging;

namespace GovernedExecution.Tests.FailClosed;

/// <summary>Faults outside the checks (the duration clock, the logger) never lose an outcome or its record.</summary>
public sealed class AfterTheRunTests
{
    [Fact]
    public async Task A_failing_duration_clock_still_returns_the_result_and_records_the_completion()
    {
        using var host = new GovernedTestHost(time: new TimestampFailingClock());
        var runs = 0;
        var outcome = await host.Executor.RunOutcomeAsync(GovernedTestHost.Intent("read"), (ctx, ct) => { runs++; return ValueTask.FromResult(7); });

        Assert.Equal(1, runs);
        Assert.Equal(7, outcome.Result);
        var completed = host.Lineage.Records[^1].Event;
        Assert.Equal(LineageEventKind.ExecutionCompleted, completed.Kind);
        Assert.Equal("-1", completed["duration_us"]);
    }

    [Fact]
    public async Task A_throwing_logger_does_not_change_a_denial_or_its_record()
    {
        using var host = new GovernedTestHost(b => b.UseLoggerFactory(new ThrowingLoggerFactory()));
        var ran = false;
        var outcome = await host.Executor.RunOutcomeAsync(GovernedTestHost.Intent("delete"), (ctx, ct) => { ran = true; return ValueTask.FromResult(0); });

        Assert.False(ran);
        Assert.Equal(DenialReason.PolicyDenied, outcome.Denial!.Reason);
        Assert.Equal(LineageEventKind.ExecutionDenied, host.Lineage.Records[^1].Event.Kind);
    }

    private sealed class TimestampFailingClock : TimeProvider
    {
        private readonly DateTimeOffset _now = DateTimeOffset.UtcNow;

        public override DateTimeOffset GetUtcNow() => _now;

        public override long GetTimestamp() => throw new InvalidOperationException("injected timestamp fault");
    }

    private sealed class ThrowingLoggerFactory : ILoggerFactory
    {
        public void AddProvider(ILoggerProvider provider)
        {
        }

        public ILogger CreateLogger(string categoryName) => new ThrowingLogger();

        public void Dispose()
        {
        }
    }

    private sealed class ThrowingLogger : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => throw new InvalidOperationException("logger down");

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            throw new InvalidOperationException("logger down");
    }
}
