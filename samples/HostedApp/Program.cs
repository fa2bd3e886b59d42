// HostedApp: a Generic Host with governed execution configured from appsettings.json (keys from PEM files,
// Cedar policies embedded as resources, lineage written to a file, traces and metrics through OpenTelemetry's
// console exporter) and one governed background operation.
using GovernedExecution.Artifacts.Keys;
using GovernedExecution.Diagnostics;
using GovernedExecution.Execution;
using GovernedExecution.Lineage;
using GovernedExecution.Policies.Cedar;
using HostedApp;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

var builder = Host.CreateApplicationBuilder(args);
builder.Configuration.SetBasePath(AppContext.BaseDirectory).AddJsonFile("appsettings.json", optional: false);
var config = builder.Configuration;
var baseDir = AppContext.BaseDirectory;

// First start: create the sample's key pair (a real deployment provisions these files).
var signingPath = Path.Combine(baseDir, config["Keys:SigningKeyPem"]!);
var trustedPaths = config.GetSection("Keys:TrustedKeyPems").Get<string[]>()!.Select(p => Path.Combine(baseDir, p)).ToArray();
SampleKeys.EnsureExist(signingPath, trustedPaths[0]);

using var signingKey = SigningKey.FromPem(File.ReadAllText(signingPath));
var lineagePath = Path.Combine(baseDir, config["Lineage:Path"]!);
var lineage = SampleLineage.Open(lineagePath, signingKey);
builder.Services.Configure<GovernedExecutionOptions>(config.GetSection("GovernedExecution"));
builder.Services.AddGovernedExecution()
    .UseCedarPolicies(
        CedarPolicySet.FromEmbeddedResources(typeof(NightlyReportJob).Assembly, "policies/"),
        CedarEntities.ParseJson("""
            [ { "uid": { "type": "Report", "id": "finance-q3" }, "attrs": { "contains_personal_data": false }, "parents": [] },
              { "uid": { "type": "Report", "id": "customers-full" }, "attrs": { "contains_personal_data": true }, "parents": [] } ]
            """))
    .UseSigningKey(signingKey)
    .UseTrustedKeys(trustedPaths.Select(p => TrustedKey.FromPem(File.ReadAllText(p))))
    .AddLineageSink(lineage); // owned by the container: closed (a final signed checkpoint) when the host is disposed

builder.Services.AddOpenTelemetry()
    .WithTracing(tracing => tracing.AddSource(GovernedExecutionTelemetry.ActivitySourceName).AddConsoleExporter())
    .WithMetrics(metrics => metrics.AddMeter(GovernedExecutionTelemetry.MeterName).AddConsoleExporter());
builder.Services.AddHostedService<NightlyReportJob>();

using (var host = builder.Build())
{
    await host.RunAsync();
}

// The host closed the lineage when it was disposed; verify it as an auditor would (govexec lineage verify).
using var trusted = TrustedKey.FromPem(File.ReadAllText(trustedPaths[0]));
var verdict = LineageVerifier.VerifyFiles([lineagePath], [trusted]);
Console.WriteLine($"lineage {lineagePath}: {verdict.Records} records, {verdict.Checkpoints} checkpoints, {(verdict.IsValid ? "VALID" : "INVALID: " + verdict.Error)}");
return verdict.IsValid ? 0 : 1;
