using GovernedExecution.Execution;
using GovernedExecution.Testing;

namespace GovernedExecution.Tests.Execution;

/// <summary>
/// Which <c>RunAsync</c>/<c>RunOutcomeAsync</c> overload each form of operation binds to. The declared types of the
/// locals are the assertion: a form that bound to another overload (or to none) would not compile.
/// </summary>
public sealed class OperationOverloadTests : IDisposable
{
    private readonly GovernedTestHost _host = new();

    public void Dispose() => _host.Dispose();

    [Fact]
    public async Task A_lambda_returning_a_ValueTask_of_T_binds_to_the_ValueTask_overload()
    {
        ValueTask<int> run = _host.Executor.RunAsync(GovernedTestHost.Intent("read"), (_, _) => ValueTask.FromResult(1));

        Assert.Equal(1, await run);
    }

    [Fact]
    public async Task A_lambda_returning_a_Task_of_T_binds_to_the_Task_overload()
    {
        var payments = new Payments();

        Task<int> run = _host.Executor.RunAsync(GovernedTestHost.Intent("read"), (context, ct) => payments.RefundAsync(20, ct));

        Assert.Equal(20, await run);
    }

    [Fact]
    public async Task An_async_lambda_with_a_result_still_binds_to_the_ValueTask_overload()
    {
        var payments = new Payments();

        ValueTask<int> run = _host.Executor.RunAsync(GovernedTestHost.Intent("read"), async (context, ct) => await payments.RefundAsync(20, ct));

        Assert.Equal(20, await run);
    }

    [Fact]
    public async Task An_async_lambda_without_a_result_still_binds_to_the_ValueTask_overload()
    {
        var ran = false;

        ValueTask run = _host.Executor.RunAsync(GovernedTestHost.Intent("read"), async (context, ct) =>
        {
            await Task.Yield();
            ran = true;
        });
        await run;

        Assert.True(ran);
    }

    [Fact]
    public async Task A_lambda_returning_a_Task_binds_to_the_Task_overload()
    {
        var ran = false;

        Task run = _host.Executor.RunAsync(GovernedTestHost.Intent("read"), (context, ct) =>
        {
            ran = true;
            return Task.CompletedTask;
        });
        await run;

        Assert.True(ran);
    }

    [Fact]
    public async Task Method_groups_bind_by_their_return_type()
    {
        ValueTask<int> byValueTask = _host.Executor.RunAsync(GovernedTestHost.Intent("read"), ValueTaskOperation);
        Task<int> byTask = _host.Executor.RunAsync(GovernedTestHost.Intent("read"), TaskOperation);
        Task<int> byToken = _host.Executor.RunAsync(GovernedTestHost.Intent("read"), new Payments().TwentyAsync);

        Assert.Equal(1, await byValueTask);
        Assert.Equal(2, await byTask);
        Assert.Equal(20, await byToken);
    }

    [Fact]
    public async Task RunOutcomeAsync_takes_a_Task_of_T_operation_and_keeps_the_ValueTask_one()
    {
        var payments = new Payments();

        ValueTask<GovernedOutcome<int>> byTask = _host.Executor.RunOutcomeAsync(GovernedTestHost.Intent("read"), (context, ct) => payments.RefundAsync(20, ct));
        ValueTask<GovernedOutcome<int>> byAsync = _host.Executor.RunOutcomeAsync(GovernedTestHost.Intent("read"), async (context, ct) => await payments.RefundAsync(30, ct));
        var denied = await _host.Executor.RunOutcomeAsync(GovernedTestHost.Intent("delete"), (context, ct) => payments.RefundAsync(40, ct));

        Assert.Equal(20, (await byTask).Result);
        Assert.Equal(30, (await byAsync).Result);
        Assert.True(denied.IsDenied);
        Assert.Equal(2, payments.Calls);
    }

    [Fact]
    public async Task A_Task_operation_that_faults_comes_through_unchanged_and_a_denied_one_does_not_run()
    {
        var boom = new InvalidOperationException("the operation's own");
        var ran = false;

        var thrown = await Assert.ThrowsAsync<InvalidOperationException>(() => _host.Executor.RunAsync<int>(GovernedTestHost.Intent("read"), (_, _) => Task.FromException<int>(boom)));
        var denied = await Assert.ThrowsAsync<ExecutionDeniedException>(() => _host.Executor.RunAsync(GovernedTestHost.Intent("delete"), (_, _) =>
        {
            ran = true;
            return Task.FromResult(1);
        }));

        Assert.Same(boom, thrown);
        Assert.False(ran);
        DenialDetails.AssertDenied(denied.Denial, DenialReason.PolicyDenied);
    }

    private static ValueTask<int> ValueTaskOperation(GovernedContext context, CancellationToken cancellationToken) => ValueTask.FromResult(1);

    private static Task<int> TaskOperation(GovernedContext context, CancellationToken cancellationToken) => Task.FromResult(2);

    private sealed class Payments
    {
        public int Calls { get; private set; }

        public Task<int> RefundAsync(int amount, CancellationToken cancellationToken)
        {
            Calls++;
            return Task.FromResult(amount);
        }

        public Task<int> TwentyAsync(CancellationToken cancellationToken) => RefundAsync(20, cancellationToken);
    }
}
