using System.Net;
using System.Text.Json;
using System.Text.Json.Serialization;
using GovernedExecution.Execution;
using GovernedExecution.Lineage;
using GovernedExecution.Testing;
using GovernedExecution.Tests.Execution;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.DependencyInjection;

namespace GovernedExecution.AspNetCore.Tests;

/// <summary>Attacks on a governed minimal API endpoint: what is denied never reaches the handler, and the answer says why without leaking anything.</summary>
public sealed class GovernedEndpointFilterTests
{
    private static void MapRefunds(WebApplication app, GovernedWebApp web) =>
        app.MapPost("/refunds", (Refund refund) =>
        {
            web.Ran(refund);
            return TypedResults.Ok(new { executionId = GovernedContext.Current!.ExecutionId });
        }).Governed("Action::\"refund\"");

    [Fact]
    public async Task Forbidden_call_is_403_problem_json_and_the_handler_does_not_run()
    {
        await using var web = await GovernedWebApp.StartAsync(MapRefunds);

        var response = await web.Client.SendAsync(GovernedWebApp.Post("/refunds", """{"orderId":"o-1","amount":500}"""));
        var problem = await Problem.ReadAsync(response);

        Assert.Equal(HttpStatusCode.Forbidden, problem.Status);
        Assert.Equal("application/problem+json", problem.ContentType);
        Assert.Equal("NotPermitted", problem.Reason);
        Assert.Equal((int)DenialReason.NotPermitted, problem.ReasonCode);
        Assert.True(DenialDetails.IsDocumented(DenialReason.NotPermitted, problem.Detail), problem.Detail);
        Assert.Equal(403, problem.Json.GetProperty("status").GetInt32());
        Assert.Equal(0, web.HandlerRuns);
        Assert.Equal(problem.ExecutionId, Assert.Single(web.Events(LineageEventKind.ExecutionDenied)).ExecutionId);
    }

    [Fact]
    public async Task Forbid_policy_is_403_PolicyDenied_without_naming_the_policy()
    {
        await using var web = await GovernedWebApp.StartAsync(MapRefunds);

        var problem = await Problem.ReadAsync(await web.Client.SendAsync(GovernedWebApp.Post("/refunds", """{"orderId":"blocked","amount":5}""")));

        Assert.Equal(HttpStatusCode.Forbidden, problem.Status);
        Assert.Equal("PolicyDenied", problem.Reason);
        Assert.DoesNotContain("no-refunds-of-blocked-orders", problem.Body, StringComparison.Ordinal);
        Assert.Equal(0, web.HandlerRuns);
    }

    [Fact]
    public async Task Permitted_call_runs_the_handler_once_inside_the_governed_execution()
    {
        await using var web = await GovernedWebApp.StartAsync(MapRefunds);

        var response = await web.Client.SendAsync(GovernedWebApp.Post("/refunds", """{"orderId":"o-1","amount":50}"""));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var executionId = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("executionId").GetGuid();
        Assert.Equal(1, web.HandlerRuns);
        Assert.Equal(executionId, Assert.Single(web.Events(LineageEventKind.ExecutionCompleted)).ExecutionId);
        var intent = Assert.Single(web.Evaluator.Evaluated);
        Assert.Equal("User::\"alice\"", intent.Principal.ToString());
        Assert.Equal("Action::\"refund\"", intent.Action.ToString());
        Assert.Equal("Endpoint::\"/refunds\"", intent.Resource.ToString());
    }

    [Theory]
    [InlineData("""{"orderId":"o-1","amount":50,"Amount":500}""", 500)] // a case-variant duplicate: the last one binds
    [InlineData("""{"orderId":"o-1","Amount":500,"amount":50}""", 50)]
    [InlineData("""{"orderId":"o-1","amount":"500"}""", 500)] // a string for a number binds as the number
    [InlineData("""{"orderId":"o-1","amount":"50"}""", 50)]
    [InlineData("""{"orderId":"o-1","amount":50,"amount":500}""", 500)]
    public async Task Policies_evaluate_the_bound_values_not_the_raw_json(string body, long bound)
    {
        await using var web = await GovernedWebApp.StartAsync(MapRefunds);

        var response = await web.Client.SendAsync(GovernedWebApp.Post("/refunds", body));

        var seen = Assert.Single(web.Evaluator.Evaluated).Context["refund"].AsRecord()["amount"].AsLong();
        Assert.Equal(bound, seen);
        if (bound <= 100)
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal(bound, Assert.IsType<Refund>(Assert.Single(web.Received)).Amount);
        }
        else
        {
            Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
            Assert.Equal(0, web.HandlerRuns);
        }
    }

    [Fact]
    public async Task Arguments_digest_binds_the_bound_values()
    {
        await using var web = await GovernedWebApp.StartAsync(MapRefunds);

        await web.Client.SendAsync(GovernedWebApp.Post("/refunds", """{"amount":"50","orderId":"o-1"}"""));
        await web.Client.SendAsync(GovernedWebApp.Post("/refunds", """{"orderId":"o-1","amount":50}"""));

        var intents = web.Evaluator.Evaluated;
        Assert.Equal(2, intents.Count);
        Assert.True(intents[0].ArgumentsDigest.Span.SequenceEqual(intents[1].ArgumentsDigest.Span));
        Assert.Equal(32, intents[0].ArgumentsDigest.Length);
    }

    [Fact]
    public async Task Throwing_lineage_sink_is_503_LineageUnavailable_and_the_handler_does_not_run()
    {
        var sink = new FaultyLineageSink(FaultKind.Throws);
        await using var web = await GovernedWebApp.StartAsync(MapRefunds, executor: b => b.AddLineageSink(sink), lineage: false);

        var problem = await Problem.ReadAsync(await web.Client.SendAsync(GovernedWebApp.Post("/refunds", """{"orderId":"o-1","amount":50}""")));

        Assert.Equal(HttpStatusCode.ServiceUnavailable, problem.Status);
        Assert.Equal("application/problem+json", problem.ContentType);
        Assert.Equal("LineageUnavailable", problem.Reason);
        Assert.True(DenialDetails.IsDocumented(DenialReason.LineageUnavailable, problem.Detail), problem.Detail);
        Assert.DoesNotContain("injected fault", problem.Body, StringComparison.Ordinal);
        Assert.Equal(0, web.HandlerRuns);
    }

    [Fact]
    public async Task Throwing_signing_key_provider_is_503_KeyUnavailable_and_the_handler_does_not_run()
    {
        await using var web = await GovernedWebApp.StartAsync(MapRefunds, executor: b => b.UseSigningKeyProvider(new FaultySigningKeyProvider(null!, FaultKind.Throws)));

        var problem = await Problem.ReadAsync(await web.Client.SendAsync(GovernedWebApp.Post("/refunds", """{"orderId":"o-1","amount":50}""")));

        Assert.Equal(HttpStatusCode.ServiceUnavailable, problem.Status);
        Assert.Equal("KeyUnavailable", problem.Reason);
        Assert.DoesNotContain("injected fault", problem.Body, StringComparison.Ordinal);
        Assert.Equal(0, web.HandlerRuns);
    }

    [Fact]
    public async Task Hanging_policy_evaluator_is_503_GovernanceFault_and_the_handler_does_not_run()
    {
        await using var web = await GovernedWebApp.StartAsync(
            MapRefunds,
            executor: b => b.Configure(o => o.DependencyTimeout = TimeSpan.FromMilliseconds(200)),
            policies: inner => new FaultyPolicyEvaluator(inner, FaultKind.Hangs));

        var problem = await Problem.ReadAsync(await web.Client.SendAsync(GovernedWebApp.Post("/refunds", """{"orderId":"o-1","amount":50}""")));

        Assert.Equal(HttpStatusCode.ServiceUnavailable, problem.Status);
        Assert.Equal("GovernanceFault", problem.Reason);
        Assert.True(DenialDetails.IsDocumented(DenialReason.GovernanceFault, problem.Detail), problem.Detail);
        Assert.Equal(0, web.HandlerRuns);
    }

    [Fact]
    public async Task Throwing_principal_selector_is_503_and_its_message_never_reaches_the_client()
    {
        await using var web = await GovernedWebApp.StartAsync(
            MapRefunds,
            services: s => s.AddGovernedHttp(o => o.PrincipalSelector = _ => throw new InvalidOperationException("secret-connection-string")));

        var problem = await Problem.ReadAsync(await web.Client.SendAsync(GovernedWebApp.Post("/refunds", """{"orderId":"o-1","amount":50}""")));

        Assert.Equal(HttpStatusCode.ServiceUnavailable, problem.Status);
        Assert.Equal("GovernanceFault", problem.Reason);
        Assert.Equal("the principal selector failed: InvalidOperationException", problem.Detail);
        Assert.DoesNotContain("secret-connection-string", problem.Body, StringComparison.Ordinal);
        Assert.Equal(0, web.HandlerRuns);
        Assert.Equal(problem.ExecutionId, Assert.Single(web.Events(LineageEventKind.ExecutionDenied)).ExecutionId);
    }

    [Fact]
    public async Task Throwing_resource_selector_is_503_and_the_handler_does_not_run()
    {
        await using var web = await GovernedWebApp.StartAsync((app, w) =>
            app.MapPost("/refunds", (Refund refund) => w.Ran(refund))
                .Governed("Action::\"refund\"", call => throw new KeyNotFoundException("orderId of " + call.JsonArguments["refund"])));

        var problem = await Problem.ReadAsync(await web.Client.SendAsync(GovernedWebApp.Post("/refunds", """{"orderId":"o-1","amount":50}""")));

        Assert.Equal(HttpStatusCode.ServiceUnavailable, problem.Status);
        Assert.Equal("the resource selector failed: KeyNotFoundException", problem.Detail);
        Assert.DoesNotContain("o-1", problem.Body, StringComparison.Ordinal);
        Assert.Equal(0, web.HandlerRuns);
    }

    [Fact]
    public async Task Resource_selector_sees_the_bound_arguments()
    {
        await using var web = await GovernedWebApp.StartAsync((app, w) =>
            app.MapPost("/refunds", (Refund refund) => w.Ran(refund))
                .Governed("Action::\"refund\"", call => new("Order", call.JsonArguments["refund"].GetProperty("orderId").GetString()!)));

        await web.Client.SendAsync(GovernedWebApp.Post("/refunds", """{"ORDERID":"o-7","amount":50}"""));

        Assert.Equal("Order::\"o-7\"", Assert.Single(web.Evaluator.Evaluated).Resource.ToString());
        Assert.Equal(1, web.HandlerRuns);
    }

    [Fact]
    public async Task Request_without_a_principal_is_401_and_nothing_runs_or_is_decided()
    {
        await using var web = await GovernedWebApp.StartAsync(MapRefunds);

        var response = await web.Client.SendAsync(GovernedWebApp.Post("/refunds", """{"orderId":"o-1","amount":50}""", user: null));

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal(0, web.HandlerRuns);
        Assert.Empty(web.Evaluator.Evaluated);
    }

    [Fact]
    public async Task Stream_parameter_is_400_ArgumentsInvalid_recorded_and_the_handler_does_not_run()
    {
        await using var web = await GovernedWebApp.StartAsync((app, w) =>
            app.MapPost("/upload", (Stream body) => w.Ran(body)).Governed("Action::\"refund\""));

        var problem = await Problem.ReadAsync(await web.Client.SendAsync(GovernedWebApp.Post("/upload", """{"orderId":"o-1","amount":50}""")));

        Assert.Equal(HttpStatusCode.BadRequest, problem.Status);
        Assert.Equal("ArgumentsInvalid", problem.Reason);
        Assert.True(DenialDetails.IsDocumented(DenialReason.ArgumentsInvalid, problem.Detail), problem.Detail);
        Assert.Equal(0, web.HandlerRuns);
        Assert.Empty(web.Evaluator.Evaluated);
        Assert.Equal("refused", Assert.Single(web.Events(LineageEventKind.IntentSubmitted))["mode"]);
    }

    [Fact]
    public async Task Argument_the_json_options_cannot_write_is_400_and_the_handler_does_not_run()
    {
        await using var web = await GovernedWebApp.StartAsync((app, w) =>
            app.MapGet("/orders/{id}", (Unwritable id) => w.Ran(id)).Governed("Action::\"refund\""));

        var request = new HttpRequestMessage(HttpMethod.Get, "/orders/o-1");
        request.Headers.Add("X-User", "alice");
        var problem = await Problem.ReadAsync(await web.Client.SendAsync(request));

        Assert.Equal(HttpStatusCode.BadRequest, problem.Status);
        Assert.Equal("an argument does not bind to its parameter unambiguously", problem.Detail);
        Assert.DoesNotContain("converter secret", problem.Body, StringComparison.Ordinal);
        Assert.Equal(0, web.HandlerRuns);
    }

    [Fact]
    public async Task Argument_that_does_not_read_back_the_same_is_400_and_the_handler_does_not_run()
    {
        await using var web = await GovernedWebApp.StartAsync((app, w) =>
            app.MapGet("/orders/{id}", (Drifting id) => w.Ran(id)).Governed("Action::\"refund\""));

        var request = new HttpRequestMessage(HttpMethod.Get, "/orders/o-1");
        request.Headers.Add("X-User", "alice");
        var problem = await Problem.ReadAsync(await web.Client.SendAsync(request));

        Assert.Equal(HttpStatusCode.BadRequest, problem.Status);
        Assert.Equal("an argument does not bind to a value that reads back the same", problem.Detail);
        Assert.Equal(0, web.HandlerRuns);
    }

    [Fact]
    public async Task Json_element_body_with_a_repeated_member_is_400_and_the_handler_does_not_run()
    {
        await using var web = await GovernedWebApp.StartAsync((app, w) =>
            app.MapPost("/raw", (JsonElement refund) => w.Ran(refund)).Governed("Action::\"refund\""));

        var problem = await Problem.ReadAsync(await web.Client.SendAsync(GovernedWebApp.Post("/raw", """{"amount":5,"amount":500}""")));

        Assert.Equal(HttpStatusCode.BadRequest, problem.Status);
        Assert.Equal("ArgumentsInvalid", problem.Reason);
        Assert.Equal(0, web.HandlerRuns);
    }

    [Fact]
    public async Task Services_and_request_plumbing_are_not_arguments()
    {
        await using var web = await GovernedWebApp.StartAsync((app, w) =>
            app.MapPost("/refunds", (Refund refund, HttpContext http, CancellationToken ct, TimeProvider time, [FromServices] IGovernedExecutor executor) => w.Ran(refund))
                .Governed("Action::\"refund\""),
            services: s => s.AddSingleton(TimeProvider.System));

        var response = await web.Client.SendAsync(GovernedWebApp.Post("/refunds", """{"orderId":"o-1","amount":50}"""));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(["refund"], Assert.Single(web.Evaluator.Evaluated).Context.Keys);
    }

    [Fact]
    public async Task Route_and_query_values_are_arguments_as_bound()
    {
        await using var web = await GovernedWebApp.StartAsync((app, w) =>
            app.MapPost("/orders/{orderId}/refunds", (string orderId, long amount) => w.Ran(amount)).Governed("Action::\"refund\""));

        await web.Client.SendAsync(GovernedWebApp.Post("/orders/o-9/refunds?amount=0050", "{}"));

        var context = Assert.Single(web.Evaluator.Evaluated).Context;
        Assert.Equal("o-9", context["orderId"].AsString());
        Assert.Equal(50, context["amount"].AsLong());
    }

    [Fact]
    public async Task Handler_exception_passes_through_and_is_recorded_as_a_failure()
    {
        await using var web = await GovernedWebApp.StartAsync((app, w) =>
            app.MapPost("/refunds", (Refund refund) => { w.Ran(refund); throw new InvalidOperationException("handler secret"); }).Governed("Action::\"refund\""));

        var response = await web.Client.SendAsync(GovernedWebApp.Post("/refunds", """{"orderId":"o-1","amount":50}"""));

        Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
        Assert.DoesNotContain("handler secret", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(1, web.HandlerRuns);
        Assert.Single(web.Events(LineageEventKind.ExecutionFailed));
    }

    [Fact]
    public async Task Denied_execution_escaping_a_handler_is_problem_details_and_not_logged_as_an_error()
    {
        await using var web = await GovernedWebApp.StartAsync((app, w) =>
            app.MapPost("/direct", async (IGovernedExecutor executor, CancellationToken ct) =>
            {
                var intent = new Intents.ExecutionIntent(new("User", "mallory"), new("Action", "refund"), new("Order", "o-1"));
                return await executor.RunAsync(intent, _ => { w.Ran(null); return Task.FromResult(1); }, ct);
            }));

        var problem = await Problem.ReadAsync(await web.Client.SendAsync(GovernedWebApp.Post("/direct", "{}")));

        Assert.Equal(HttpStatusCode.Forbidden, problem.Status);
        Assert.Equal("application/problem+json", problem.ContentType);
        Assert.Equal("PolicyError", problem.Reason); // the permit reads context.refund, which this intent has not
        Assert.Equal(0, web.HandlerRuns);
        Assert.DoesNotContain(web.Logs.Entries, e => e.Level >= Microsoft.Extensions.Logging.LogLevel.Error);
    }

    [Fact]
    public async Task Attribute_on_a_minimal_api_handler_without_Governed_refuses_to_start()
    {
        var start = GovernedWebApp.StartAsync((app, w) =>
            app.MapPost("/refunds", [Governed("Action::\"refund\"")] (Refund refund) => w.Ran(refund)));

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => start);
        Assert.Contains("not governed", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Invalid_principal_entity_type_fails_at_start()
    {
        var start = GovernedWebApp.StartAsync(MapRefunds, services: s => s.AddGovernedHttp(o => o.PrincipalEntityType = "not a type"));

        await Assert.ThrowsAsync<Microsoft.Extensions.Options.OptionsValidationException>(() => start);
    }

    [Fact]
    public void Governed_refuses_an_action_that_is_not_an_entity_uid()
    {
        var builder = WebApplication.CreateSlimBuilder();
        var app = builder.Build();
        var endpoint = app.MapPost("/refunds", () => 1);

        Assert.Throws<ArgumentException>(() => endpoint.Governed("refund"));
    }

    /// <summary>A route value whose JSON converter throws when writing.</summary>
    [JsonConverter(typeof(UnwritableConverter))]
    public sealed record Unwritable(string Value)
    {
        public static bool TryParse(string text, out Unwritable result)
        {
            result = new Unwritable(text);
            return true;
        }
    }

    public sealed class UnwritableConverter : JsonConverter<Unwritable>
    {
        public override Unwritable Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) => new(reader.GetString()!);

        public override void Write(Utf8JsonWriter writer, Unwritable value, JsonSerializerOptions options) => throw new InvalidOperationException("converter secret");
    }

    /// <summary>A route value that changes every time it is written and read.</summary>
    [JsonConverter(typeof(DriftingConverter))]
    public sealed record Drifting(string Value)
    {
        public static bool TryParse(string text, out Drifting result)
        {
            result = new Drifting(text);
            return true;
        }
    }

    public sealed class DriftingConverter : JsonConverter<Drifting>
    {
        public override Drifting Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) => new(reader.GetString()!);

        public override void Write(Utf8JsonWriter writer, Drifting value, JsonSerializerOptions options) => writer.WriteStringValue(value.Value + "!");
    }
}
