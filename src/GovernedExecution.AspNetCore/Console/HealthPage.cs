using System.Globalization;
using GovernedExecution.Lineage;
using GovernedExecution.Lineage.Browsing;

namespace GovernedExecution.AspNetCore.ConsoleUi;

/// <summary>The health dashboard: sinks, keys, the policy set, and the executor's metrics as charts.</summary>
internal static class HealthPage
{
    public static async Task<ConsolePage> RenderAsync(ConsoleSources sources, string basePath, CancellationToken cancellationToken)
    {
        _ = basePath;
        var now = sources.Time.GetUtcNow();
        var stats = new List<LogStats>();
        foreach (var browser in sources.Lineage)
        {
            stats.AddRange((await browser.GetStatsAsync(cancellationToken).ConfigureAwait(false)).Logs);
        }

        var chain = await ExplorerPage.ChainStatusAsync(sources, cancellationToken).ConfigureAwait(false);
        var metrics = ConsoleMetrics.Read(DateTimeOffset.UtcNow);
        return ConsolePage.Ok("Health", "health", html =>
        {
            html.Element("h1", "Health");
            html.Element("p", "Of " + sources.Description + ".", ("class", "source"));

            html.Open("section", ("id", "sinks")).Element("h2", "Lineage sinks");
            html.Open("div", ("class", "cards"));
            foreach (var registration in sources.Sinks)
            {
                var (name, problem) = Describe(registration.Sink);
                html.Open("div", ("class", "card " + (problem is null ? "ok" : "bad")))
                    .Element("h3", name)
                    .Element("p", registration.Mode == LineageSinkMode.Required ? "required: its failure denies calls" : "best effort: its failures are counted")
                    .Element("p", problem is null ? "accepting records" : "cannot keep records: " + problem, ("class", "state"))
                    .Close("div");
            }

            foreach (var log in stats)
            {
                var verification = chain.FirstOrDefault(v => v.Log == log.Log);
                var lag = log.LastCheckpointTreeSize is { } size ? log.Records - size : log.Records;
                html.Open("div", ("class", "card"), ("data-log", log.Name))
                    .Element("h3", log.Name)
                    .Open("dl", ("class", "facts"))
                    .Element("dt", "Records").Element("dd", log.Records.ToString(CultureInfo.InvariantCulture))
                    .Element("dt", "Last record").Element("dd", Time(log.LastRecordAt))
                    .Element("dt", "Last checkpoint").Element("dd", log.LastCheckpointAt is null ? "none yet" : $"{Time(log.LastCheckpointAt)} (tree size {log.LastCheckpointTreeSize?.ToString(CultureInfo.InvariantCulture)})")
                    .Element("dt", "Not yet checkpointed").Element("dd", $"{lag.ToString(CultureInfo.InvariantCulture)} record(s)")
                    .Element("dt", "Chain").Element("dd", verification?.Status.ToString() ?? "not verified")
                    .Element("dt", "Witness").Element("dd", sources.WitnessDirectory is null ? "none configured here" : "checked against " + sources.WitnessDirectory)
                    .Close("dl").Close("div");
            }

            if (sources.Sinks.Count == 0 && stats.Count == 0)
            {
                html.Element("p", "No lineage sink.", ("class", "problem"));
            }

            html.Close("div").Close("section");

            html.Open("section", ("id", "keys")).Element("h2", "Keys");
            html.Open("div", ("class", "cards"));
            if (sources.KnownKeys.Count == 0)
            {
                html.Element("p", sources.SigningKeyId is null ? "No key is known by value here." : $"Signing key {sources.SigningKeyId}: not found among the trusted keys.", ("class", "note"));
            }

            foreach (var key in sources.KnownKeys)
            {
                var valid = key.IsValidAt(now);
                html.Open("div", ("class", "card " + (valid ? "ok" : "bad")), ("data-key", key.KeyId))
                    .Element("h3", key.KeyId, ("class", "mono"))
                    .Open("dl", ("class", "facts"))
                    .Element("dt", "Algorithm").Element("dd", key.Algorithm.ToString())
                    .Element("dt", "Use").Element("dd", key.KeyId == sources.SigningKeyId ? "signs this executor's artifacts" : "trusted")
                    .Element("dt", "Valid from").Element("dd", Time(key.NotBefore) ?? "always")
                    .Element("dt", "Valid until").Element("dd", Time(key.NotAfter) ?? "no expiry")
                    .Element("dt", "Status").Element("dd", !valid ? "not valid now" : key.NotAfter is { } end ? "expires in " + Countdown(end - now) : "valid", ("class", "countdown"))
                    .Close("dl").Close("div");
            }

            html.Close("div").Close("section");

            html.Open("section", ("id", "policy-set")).Element("h2", "Policy set");
            html.Element("p", sources.Policies is { } evaluator ? $"{evaluator.PolicySetDigest} · loaded {Time(sources.PoliciesLoadedAt)}" : "No policy set configured here.", ("class", "mono"));
            html.Close("section");

            html.Open("section", ("id", "metrics")).Element("h2", "Governed calls in this process");
            html.Element("p", $"From the executor's meter ({Diagnostics.GovernedExecutionTelemetry.MeterName}), in {ConsoleMetrics.BucketWidth.TotalSeconds.ToString(CultureInfo.InvariantCulture)}-second buckets over the last {(ConsoleMetrics.BucketCount * ConsoleMetrics.BucketWidth).TotalMinutes.ToString(CultureInfo.InvariantCulture)} minutes.", ("class", "note"));
            html.Open("div", ("class", "charts"));
            SvgChart.Calls(html, metrics);
            SvgChart.Denials(html, metrics);
            SvgChart.Phases(html, metrics);
            html.Close("div").Close("section");
        });
    }

    /// <summary>A sink's name and problem; a sink whose ToString or health throws is shown as such, never as a console error.</summary>
    private static (string Name, string? Problem) Describe(ILineageSink sink)
    {
        string name;
        try
        {
            name = sink.ToString() ?? sink.GetType().Name;
        }
#pragma warning disable CA1031 // any failure of a pluggable sink is shown, not thrown
        catch (Exception)
        {
            name = sink.GetType().Name;
        }

        try
        {
            return (name, (sink as ILineageSinkHealth)?.Problem);
        }
        catch (Exception ex)
#pragma warning restore CA1031
        {
            return (name, $"its health could not be read ({ex.GetType().Name})");
        }
    }

    private static string? Time(DateTimeOffset? time) => time?.ToString("u", CultureInfo.InvariantCulture);

    private static string Countdown(TimeSpan left) =>
        left.TotalDays >= 1 ? $"{(int)left.TotalDays} d {left.Hours} h" : left.TotalHours >= 1 ? $"{(int)left.TotalHours} h {left.Minutes} min" : $"{Math.Max(0, (int)left.TotalMinutes)} min";
}
