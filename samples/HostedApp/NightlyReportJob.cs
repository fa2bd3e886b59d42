using GovernedExecution.Execution;
using GovernedExecution.Intents;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace HostedApp;

/// <summary>A background job whose exports run only through the governed executor; it stops the host when done.</summary>
internal sealed partial class NightlyReportJob(IGovernedExecutor executor, IHostApplicationLifetime lifetime, ILogger<NightlyReportJob> logger) : BackgroundService
{
    private static readonly EntityReference Job = new("Service", "nightly-report-job");

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        foreach (var report in new[] { "finance-q3", "customers-full" })
        {
            var intent = new ExecutionIntent(Job, new EntityReference("Action", "export_report"), new EntityReference("Report", report))
            {
                Context = new Dictionary<string, IntentValue> { ["rows"] = 1_250L },
                ArgumentsDigest = ArgumentsDigest.Compute([new("report", report), new("format", "csv")]),
            };
            var outcome = await executor.RunOutcomeAsync(intent, (context, ct) => ExportAsync(report, ct), stoppingToken);
            if (outcome.IsSuccess)
            {
                LogExported(logger, report, outcome.Result, outcome.ExecutionId);
            }
            else
            {
                LogRefused(logger, report, outcome.Denial?.ToString() ?? outcome.Exception?.Message ?? "unknown", outcome.ExecutionId);
            }
        }

        lifetime.StopApplication();
    }

    private static async ValueTask<int> ExportAsync(string report, CancellationToken cancellationToken)
    {
        await Task.Delay(10, cancellationToken);
        return report.Length * 100;
    }

    [LoggerMessage(1, LogLevel.Information, "Exported {Report}: {Rows} rows (execution {ExecutionId})")]
    private static partial void LogExported(ILogger logger, string report, int rows, Guid executionId);

    [LoggerMessage(2, LogLevel.Warning, "Export of {Report} refused: {Reason} (execution {ExecutionId})")]
    private static partial void LogRefused(ILogger logger, string report, string reason, Guid executionId);
}
