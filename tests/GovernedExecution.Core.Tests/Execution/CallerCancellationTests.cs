using GovernedExecution.Artifacts;
using GovernedExecution.Execution;
using GovernedExecution.Intents;
using GovernedExecution.Lineage;
using GovernedExecution.Testing;

namespace GovernedExecution.Tests.Execution;

/// <summary>
/// A caller's cancellation reaches the caller of <c>RunAsync</c> as <see cref="OperationCanceledException"/> carrying
/// its token (so hosts treat it as cancellation, not as a failure), while the lineage still records the denial.
/// </summary>
public sealed class CallerCancellationTests : IDisposable
{
    private readonly GovernedTestHost _host = new();

    public void Dispose() => _host.Dispose();

    /// <summary>Every throwing overload, called with an operation that records whether it ran.</summary>
    public static TheoryData<string> Overloads() =>
    [
        "context, ValueTask<T>",
        "state, ValueTask<T>",
        "context, ValueTask",
        "token, Task<T>",
        "token, Task",
        "artifact, ValueTask<T>",
        "context, Task<T>",
        "context, Task",
    ];

    [Theory]
    [MemberData(nameof(Overloads))]
    public async Task RunAsync_throws_OperationCanceledException_with_the_callers_token_when_canceled_before_start(string overload)
    {
        using var cts = new CancellationTokenSource();
        var intent = GovernedTestHost.Intent("read");
        var artifact = overload.StartsWith("artifact", StringComparison.Ordinal)
            ? (await _host.Executor.IssueAsync(intent)).Artifact
            : null;
        await cts.CancelAsync();
        var ran = false;

        var thrown = await Assert.ThrowsAsync<OperationCanceledException>(() => Run(_host.Executor, overload, intent, artifact, () => ran = true, cts.Token));

        Assert.False(ran);
        Assert.Equal(cts.Token, thrown.CancellationToken);
        var denied = Assert.IsType<ExecutionDeniedException>(thrown.InnerException);
        DenialDetails.AssertDenied(denied.Denial, DenialReason.Canceled);
        var last = _host.Lineage.Records[^1].Event;
        Assert.Equal(LineageEventKind.ExecutionDenied, last.Kind);
        Assert.Equal(denied.ExecutionId, last.ExecutionId);
        Assert.Contains(new KeyValuePair<string, string>("reason", nameof(DenialReason.Canceled)), last.Attributes);
        Assert.DoesNotContain(_host.Lineage.Records, r => r.Event.Kind == LineageEventKind.ExecutionStarted && r.Event.ExecutionId == denied.ExecutionId && ran);
    }

    [Fact]
    public async Task RunAsync_throws_OperationCanceledException_when_cancellation_arrives_while_the_lineage_is_written()
    {
        using var cts = new CancellationTokenSource();
        var sink = new CancelOnStartSink(cts);
        using var host = new GovernedTestHost(lineage: sink);
        var ran = false;

        var thrown = await Assert.ThrowsAsync<OperationCanceledException>(async () =>
            await host.Executor.RunAsync(GovernedTestHost.Intent("read"), (_, _) => { ran = true; return ValueTask.FromResult(1); }, cts.Token));

        Assert.False(ran);
        Assert.Equal(cts.Token, thrown.CancellationToken);
        Assert.Equal("cancellation was requested before the operation started", Assert.IsType<ExecutionDeniedException>(thrown.InnerException).Denial.Detail);
        Assert.Equal(LineageEventKind.ExecutionDenied, sink.Inner.Records[^1].Event.Kind);
    }

    [Fact]
    public async Task RunOutcomeAsync_still_returns_the_Canceled_denial()
    {
        using var cts = new CancellationTokenSource();
        await cts.CancelAsync();

        var outcome = await _host.Executor.RunOutcomeAsync(GovernedTestHost.Intent("read"), (_, _) => ValueTask.FromResult(1), cts.Token);

        DenialDetails.AssertDenied(outcome.Denial, DenialReason.Canceled);
    }

    [Fact]
    public async Task A_Canceled_denial_without_a_canceled_caller_token_stays_an_ExecutionDeniedException()
    {
        // An executor (here a stand-in) may report Canceled for a cancellation that is not the caller's.
        var executor = new DenyingExecutor(GovernedResults.Denial(DenialReason.Canceled, "cancellation was requested during policy"));
        using var other = new CancellationTokenSource();

        var thrown = await Assert.ThrowsAsync<ExecutionDeniedException>(async () =>
            await executor.RunAsync(GovernedTestHost.Intent("read"), (_, _) => ValueTask.FromResult(1), other.Token));

        Assert.Equal(DenialReason.Canceled, thrown.Reason);
    }

    [Fact]
    public async Task A_denial_for_another_reason_stays_an_ExecutionDeniedException_even_when_the_caller_canceled()
    {
        var executor = new DenyingExecutor(GovernedResults.Denial(DenialReason.NotPermitted, "no policy permits the intent"));
        using var cts = new CancellationTokenSource();
        await cts.CancelAsync();

        var thrown = await Assert.ThrowsAsync<ExecutionDeniedException>(async () =>
            await executor.RunAsync(GovernedTestHost.Intent("read"), (_, _) => ValueTask.FromResult(1), cts.Token));

        Assert.Equal(DenialReason.NotPermitted, thrown.Reason);
    }

    [Fact]
    public async Task An_operation_that_throws_OperationCanceledException_itself_is_rethrown_unchanged()
    {
        var own = new OperationCanceledException("the operation's own");

        var thrown = await Assert.ThrowsAsync<OperationCanceledException>(async () =>
            await _host.Executor.RunAsync<int>(GovernedTestHost.Intent("read"), (_, _) => throw own));

        Assert.Same(own, thrown);
    }

    private static async Task Run(IGovernedExecutor executor, string overload, ExecutionIntent intent, AuthorizationArtifact? artifact, Action ran, CancellationToken token)
    {
        switch (overload)
        {
            case "context, ValueTask<T>":
                await executor.RunAsync(intent, (_, _) => { ran(); return ValueTask.FromResult(1); }, token);
                break;
            case "state, ValueTask<T>":
                await executor.RunAsync(intent, ran, static (r, _, _) => { r(); return ValueTask.FromResult(1); }, token);
                break;
            case "context, ValueTask":
                await executor.RunAsync(intent, (_, _) => { ran(); return ValueTask.CompletedTask; }, token);
                break;
            case "token, Task<T>":
                await executor.RunAsync(intent, _ => { ran(); return Task.FromResult(1); }, token);
                break;
            case "token, Task":
                await executor.RunAsync(intent, _ => { ran(); return Task.CompletedTask; }, token);
                break;
            case "artifact, ValueTask<T>":
                await executor.RunAsync(intent, artifact, (_, _) => { ran(); return ValueTask.FromResult(1); }, token);
                break;
            case "context, Task<T>":
                await executor.RunAsync(intent, (_, _) => { ran(); return Task.FromResult(1); }, token);
                break;
            case "context, Task":
                await executor.RunAsync(intent, (_, _) => { ran(); return Task.CompletedTask; }, token);
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(overload), overload, "unknown overload");
        }
    }

    private sealed class CancelOnStartSink(CancellationTokenSource cts) : ILineageSink
    {
        public InMemoryLineageSink Inner { get; } = new();

        public ValueTask AppendAsync(IReadOnlyList<LineageEvent> events, CancellationToken cancellationToken)
        {
            if (events.Any(e => e.Kind == LineageEventKind.ExecutionStarted))
            {
                cts.Cancel();
            }

            return Inner.AppendAsync(events, CancellationToken.None);
        }
    }

    /// <summary>Denies every run with a fixed denial, whatever the token.</summary>
    private sealed class DenyingExecutor(ExecutionDenial denial) : IGovernedExecutor
    {
        public ValueTask<GovernedOutcome<TResult>> RunOutcomeAsync<TState, TResult>(ExecutionIntent intent, TState state, Func<TState, GovernedContext, CancellationToken, ValueTask<TResult>> operation, CancellationToken cancellationToken = default) =>
            ValueTask.FromResult(GovernedResults.Denied<TResult>(denial));

        public ValueTask<GovernedOutcome<TResult>> RunOutcomeAsync<TState, TResult>(ExecutionIntent intent, AuthorizationArtifact? artifact, TState state, Func<TState, GovernedContext, CancellationToken, ValueTask<TResult>> operation, CancellationToken cancellationToken = default) =>
            ValueTask.FromResult(GovernedResults.Denied<TResult>(denial));

        public ValueTask<ArtifactIssuance> IssueAsync(ExecutionIntent intent, string? audience = null, CancellationToken cancellationToken = default) => throw new NotSupportedException();

        public ValueTask<ArtifactIssuance> IssueAsync(ExecutionIntent intent, string? audience, DelegationScope scope, CancellationToken cancellationToken = default) => throw new NotSupportedException();

        public ValueTask<ExecutionDenial> RefuseAsync(ExecutionIntent intent, DenialReason reason, string detail) => throw new NotSupportedException();

        public ValueTask<AuthorizationResult> AuthorizeAsync(ExecutionIntent intent, CancellationToken cancellationToken = default) => throw new NotSupportedException();
    }
}
