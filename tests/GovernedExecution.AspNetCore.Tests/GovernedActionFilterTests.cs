using System.Collections.Concurrent;
using System.Net;
using GovernedExecution.Execution;
using GovernedExecution.Lineage;
using GovernedExecution.Testing;
using GovernedExecution.Tests.Execution;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.DependencyInjection;

namespace GovernedExecution.AspNetCore.Tests;

/// <summary>Attacks on a governed MVC action: the same rules as on a minimal API endpoint.</summary>
public sealed class GovernedActionFilterTests
{
    private static Task<GovernedWebApp> StartAsync(ActionRuns runs, Action<GovernedExecution.DependencyInjection.GovernedExecutorBuilder>? executor = null, bool lineage = true) =>
        GovernedWebApp.StartAsync(
            (app, _) => app.MapControllers(),
            executor: executor,
            services: s =>
            {
                s.AddSingleton(runs);
                s.AddControllers().AddApplicationPart(typeof(RefundsController).Assembly);
            },
            lineage: lineage);

    [Fact]
    public async Task Forbidden_action_is_403_problem_json_and_the_action_does_not_run()
    {
        var runs = new ActionRuns();
        await using var web = await StartAsync(runs);

        var problem = await Problem.ReadAsync(await web.Client.SendAsync(GovernedWebApp.Post("/mvc/refunds", """{"orderId":"o-1","amount":500}""")));

        Assert.Equal(HttpStatusCode.Forbidden, problem.Status);
        Assert.Equal("application/problem+json", problem.ContentType);
        Assert.Equal("NotPermitted", problem.Reason);
        Assert.True(DenialDetails.IsDocumented(DenialReason.NotPermitted, problem.Detail), problem.Detail);
        Assert.Empty(runs.Received);
        Assert.Equal(problem.ExecutionId, Assert.Single(web.Events(LineageEventKind.ExecutionDenied)).ExecutionId);
    }

    [Fact]
    public async Task Permitted_action_runs_once_on_the_values_the_policies_saw()
    {
        var runs = new ActionRuns();
        await using var web = await StartAsync(runs);

        var response = await web.Client.SendAsync(GovernedWebApp.Post("/mvc/refunds", """{"orderId":"o-1","Amount":500,"amount":"50"}"""));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(50, Assert.Single(runs.Received).Amount);
        var intent = Assert.Single(web.Evaluator.Evaluated);
        Assert.Equal(50, intent.Context["refund"].AsRecord()["amount"].AsLong());
        Assert.Equal(["refund"], intent.Context.Keys); // [FromServices] and CancellationToken are not arguments
        Assert.Single(web.Events(LineageEventKind.ExecutionCompleted));
    }

    [Fact]
    public async Task Case_variant_duplicate_member_is_evaluated_as_bound()
    {
        var runs = new ActionRuns();
        await using var web = await StartAsync(runs);

        var response = await web.Client.SendAsync(GovernedWebApp.Post("/mvc/refunds", """{"orderId":"o-1","amount":50,"Amount":500}"""));

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal(500, Assert.Single(web.Evaluator.Evaluated).Context["refund"].AsRecord()["amount"].AsLong());
        Assert.Empty(runs.Received);
    }

    [Fact]
    public async Task Throwing_lineage_sink_is_503_and_the_action_does_not_run()
    {
        var runs = new ActionRuns();
        await using var web = await StartAsync(runs, executor: b => b.AddLineageSink(new FaultyLineageSink(FaultKind.Throws)), lineage: false);

        var problem = await Problem.ReadAsync(await web.Client.SendAsync(GovernedWebApp.Post("/mvc/refunds", """{"orderId":"o-1","amount":50}""")));

        Assert.Equal(HttpStatusCode.ServiceUnavailable, problem.Status);
        Assert.Equal("LineageUnavailable", problem.Reason);
        Assert.DoesNotContain("injected fault", problem.Body, StringComparison.Ordinal);
        Assert.Empty(runs.Received);
    }

    [Fact]
    public async Task Action_and_controller_attributes_govern_once_with_the_action_s()
    {
        var runs = new ActionRuns();
        await using var web = await StartAsync(runs);

        var response = await web.Client.SendAsync(GovernedWebApp.Post("/mvc/refunds", """{"orderId":"o-1","amount":50}"""));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("Action::\"refund\"", Assert.Single(web.Evaluator.Evaluated).Action.ToString());
    }

    [Fact]
    public async Task Controller_attribute_governs_its_other_actions()
    {
        var runs = new ActionRuns();
        await using var web = await StartAsync(runs);

        var response = await web.Client.SendAsync(GovernedWebApp.Post("/mvc/refunds/cancel", """{"orderId":"o-1","amount":50}"""));

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal("Action::\"manage_refunds\"", Assert.Single(web.Evaluator.Evaluated).Action.ToString());
        Assert.Empty(runs.Received);
    }

    [Fact]
    public async Task Action_exception_is_recorded_as_a_failure_and_never_leaks()
    {
        var runs = new ActionRuns();
        await using var web = await StartAsync(runs);

        var response = await web.Client.SendAsync(GovernedWebApp.Post("/mvc/refunds/fail", """{"orderId":"o-1","amount":50}"""));

        Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
        Assert.DoesNotContain("action secret", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Single(web.Events(LineageEventKind.ExecutionFailed));
    }
}

public sealed class ActionRuns
{
    public ConcurrentQueue<Refund> Received { get; } = new();
}

[ApiController]
[Route("mvc/refunds")]
[Governed("Action::\"manage_refunds\"")]
public sealed class RefundsController : ControllerBase
{
    [HttpPost]
    [Governed("Action::\"refund\"")]
    public IActionResult Refund(Refund refund, [FromServices] ActionRuns runs, CancellationToken cancellationToken)
    {
        runs.Received.Enqueue(refund);
        return Ok(new { executionId = GovernedContext.Current!.ExecutionId });
    }

    [HttpPost("cancel")]
    public IActionResult Cancel(Refund refund, [FromServices] ActionRuns runs)
    {
        runs.Received.Enqueue(refund);
        return Ok();
    }

    [HttpPost("fail")]
    [Governed("Action::\"refund\"")]
    public IActionResult Fail(Refund refund) => throw new InvalidOperationException("action secret");
}
