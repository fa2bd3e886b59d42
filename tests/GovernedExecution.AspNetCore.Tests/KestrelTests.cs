using System.Net;
using GovernedExecution.Execution;
using GovernedExecution.Intents;
using GovernedExecution.Lineage;
using GovernedExecution.Policies;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace GovernedExecution.AspNetCore.Tests;

/// <summary>Governed endpoints behind real Kestrel on a free loopback port, called with a real <see cref="HttpClient"/>.</summary>
public sealed class KestrelTests
{
    private static readonly TimeSpan HangGuard = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Forbidden_call_over_kestrel_is_403_problem_json_and_the_handler_does_not_run()
    {
        await using var web = await GovernedWebApp.StartAsync(
            (app, w) => app.MapPost("/refunds", (Refund refund) => w.Ran(refund)).Governed("Action::\"refund\""),
            kestrel: true);

        using var response = await web.Client.SendAsync(GovernedWebApp.Post("/refunds", """{"orderId":"o-1","amount":101}"""));
        var problem = await Problem.ReadAsync(response);

        Assert.Equal(HttpStatusCode.Forbidden, problem.Status);
        Assert.Equal("application/problem+json", problem.ContentType);
        Assert.Equal("NotPermitted", problem.Reason);
        Assert.Equal(0, web.HandlerRuns);
    }

    [Fact]
    public async Task Client_disconnect_during_governance_is_not_an_error_and_the_handler_does_not_run()
    {
        var evaluator = new BlockingEvaluator();
        var finished = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var web = await GovernedWebApp.StartAsync(
            (app, w) =>
            {
                app.Use(async (context, next) =>
                {
                    try
                    {
                        await next(context);
                    }
                    finally
                    {
                        finished.TrySetResult(context.Response.StatusCode);
                    }
                });
                app.MapPost("/refunds", (Refund refund) => w.Ran(refund)).Governed("Action::\"refund\"");
            },
            policies: inner => evaluator.Wrap(inner),
            kestrel: true);

        using var cancel = new CancellationTokenSource();
        var call = web.Client.SendAsync(GovernedWebApp.Post("/refunds", """{"orderId":"o-1","amount":50}"""), cancel.Token);
        await evaluator.Entered.WaitAsync(HangGuard);
        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => call);
        var status = await finished.Task.WaitAsync(HangGuard);

        Assert.Equal(StatusCodes.Status499ClientClosedRequest, status);
        Assert.Equal(0, web.HandlerRuns);
        var denied = Assert.Single(web.Events(LineageEventKind.ExecutionDenied));
        Assert.Equal(nameof(DenialReason.Canceled), denied["reason"]);
        Assert.DoesNotContain(web.Logs.Entries, e => e.Level >= LogLevel.Error);
        Assert.Contains(web.Logs.Entries, e => e.EventId == 1201);
    }

    [Fact]
    public async Task Client_disconnect_while_a_handler_runs_a_governed_call_itself_is_not_an_error()
    {
        var evaluator = new BlockingEvaluator();
        var finished = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var web = await GovernedWebApp.StartAsync(
            (app, w) =>
            {
                app.MapPost("/direct", async (IGovernedExecutor executor, CancellationToken ct) =>
                {
                    var intent = new ExecutionIntent(new("User", "alice"), new("Action", "refund"), new("Order", "o-1"));
                    return await executor.RunAsync(intent, _ => { w.Ran(null); return Task.FromResult(1); }, ct);
                });
            },
            policies: inner => evaluator.Wrap(inner),
            kestrel: true,
            outermost: app => app.Use(async (context, next) =>
            {
                try
                {
                    await next(context);
                }
                finally
                {
                    finished.TrySetResult(context.Response.StatusCode);
                }
            }));

        using var cancel = new CancellationTokenSource();
        var call = web.Client.SendAsync(GovernedWebApp.Post("/direct", "{}"), cancel.Token);
        await evaluator.Entered.WaitAsync(HangGuard);
        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => call);
        var status = await finished.Task.WaitAsync(HangGuard);

        Assert.Equal(StatusCodes.Status499ClientClosedRequest, status);
        Assert.Equal(0, web.HandlerRuns);
        Assert.DoesNotContain(web.Logs.Entries, e => e.Level >= LogLevel.Error);
    }

    /// <summary>An evaluator that waits, after saying so, until the execution is canceled.</summary>
    private sealed class BlockingEvaluator
    {
        private readonly TaskCompletionSource _entered = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Task Entered => _entered.Task;

        public IPolicyEvaluator Wrap(IPolicyEvaluator inner) => new Evaluator(inner, _entered);

        private sealed class Evaluator(IPolicyEvaluator inner, TaskCompletionSource entered) : IPolicyEvaluator
        {
            public string PolicySetDigest => inner.PolicySetDigest;

            public async ValueTask<PolicyDecision> EvaluateAsync(ExecutionIntent intent, DateTimeOffset evaluationTime, CancellationToken cancellationToken)
            {
                entered.TrySetResult();
                await Task.Delay(Timeout.Infinite, cancellationToken);
                return await inner.EvaluateAsync(intent, evaluationTime, cancellationToken);
            }
        }
    }
}
