// PaymentsApi: a minimal API whose refund endpoint is governed. Every POST /refunds runs only if the embedded Cedar
// policies permit it for the authenticated user and the bound request; a signed artifact is minted and verified, and
// every phase is written to a lineage file that is closed with a signed checkpoint when the host shuts down.
using GovernedExecution.Artifacts.Keys;
using GovernedExecution.Execution;
using GovernedExecution.Lineage;
using GovernedExecution.Policies.Cedar;
using GovernedExecution.AspNetCore;
using Microsoft.AspNetCore.Authentication;
using PaymentsApi;

var builder = WebApplication.CreateBuilder(args);
var files = SampleFiles.From(builder.Configuration);
files.EnsureKeys();

builder.Services.AddAuthentication(DemoApiKeyHandler.SchemeName)
    .AddScheme<AuthenticationSchemeOptions, DemoApiKeyHandler>(DemoApiKeyHandler.SchemeName, null);
// The governance console (below) is for auditors only: a policy of the host's, named when the console is mapped.
builder.Services.AddAuthorization(o => o.AddPolicy("governance-auditors", p => p.RequireRole("auditor")));

// Created by the container, so disposed by it when the host stops (Ctrl+C): the lineage file then ends with its
// closing checkpoint, and the key (disposed after the sink that signs with it) is wiped.
builder.Services.AddSingleton(_ => SigningKey.FromPem(File.ReadAllText(files.SigningKeyPem)));
builder.Services.AddSingleton<ISigningKeyProvider>(sp => new StaticSigningKeyProvider(sp.GetRequiredService<SigningKey>()));
builder.Services.AddSingleton<ITrustedKeyStore>(_ => new InMemoryTrustedKeyStore([TrustedKey.FromPem(File.ReadAllText(files.TrustedKeyPem))]));
builder.Services.AddSingleton(sp => files.OpenLineage(sp.GetRequiredService<SigningKey>()));
builder.Services.AddSingleton(sp => new LineageSinkRegistration(sp.GetRequiredService<FileLineageSink>(), LineageSinkMode.Required));

builder.Services.Configure<GovernedExecutionOptions>(builder.Configuration.GetSection("GovernedExecution"));
builder.Services.AddGovernedExecution()
    .UseCedarPolicies(CedarPolicySet.FromEmbeddedResources(typeof(DemoApiKeyHandler).Assembly, "policies/"));

// Denials as problem details (403, 400, 503); the principal is User::"<name identifier claim>" by default.
builder.Services.AddGovernedHttp();

var app = builder.Build();
app.UseExceptionHandler();
app.UseAuthentication();
app.UseAuthorization();

app.MapPost("/refunds", (RefundRequest refund) =>
        TypedResults.Ok(new RefundReceipt(refund.OrderId, refund.Amount, GovernedContext.Current!.ExecutionId)))
    .RequireAuthorization()
    .Governed("Action::\"refund\"");

// The read-only governance console (docs/console.md): lineage explorer, proof viewer, policies, health.
app.MapGovernanceConsole("/governance", o => o.AuthorizationPolicy = "governance-auditors");

app.Run();

/// <summary>A refund as the client asks for it; the policies see it as <c>context.refund</c>.</summary>
internal sealed record RefundRequest(string OrderId, decimal Amount);

/// <summary>What a permitted refund returns: the execution id names its records in the lineage.</summary>
internal sealed record RefundReceipt(string OrderId, decimal Amount, Guid ExecutionId);
