using System.Globalization;

namespace GovernedExecution.AspNetCore.ConsoleUi;

/// <summary>Charts drawn on the server as SVG through the same escaping writer: colours come from the style sheet's classes.</summary>
internal static class SvgChart
{
    private const int Width = 600;
    private const int Height = 200;
    private const int Left = 40;
    private const int Bottom = 24;
    private static readonly string[] Outcomes = ["succeeded", "denied", "faulted"];

    private static string N(double value) => value.ToString("0.##", CultureInfo.InvariantCulture);

    public static void Calls(HtmlWriter html, ConsoleMetrics.Snapshot snapshot)
    {
        var max = Math.Max(1, snapshot.Calls.Max(c => c.Outcomes.Values.Sum()));
        var total = snapshot.Calls.Sum(c => c.Outcomes.Values.Sum());
        Figure(html, "chart-calls", "Calls over time, by outcome", $"{total.ToString(CultureInfo.InvariantCulture)} calls", svg =>
        {
            Axes(svg, max);
            var slot = (double)(Width - Left) / snapshot.Calls.Count;
            for (var i = 0; i < snapshot.Calls.Count; i++)
            {
                var (start, outcomes) = snapshot.Calls[i];
                var y = (double)(Height - Bottom);
                foreach (var outcome in Outcomes.Concat(outcomes.Keys.Except(Outcomes)))
                {
                    if (outcomes.GetValueOrDefault(outcome) is var count and > 0)
                    {
                        var h = count * (Height - Bottom - 10) / (double)max;
                        y -= h;
                        svg.Open("rect", ("x", N(Left + (i * slot) + 1)), ("y", N(y)), ("width", N(Math.Max(1, slot - 2))), ("height", N(h)), ("class", "bar " + outcome))
                            .Element("title", $"{start.ToString("HH:mm:ss", CultureInfo.InvariantCulture)} {outcome}: {count.ToString(CultureInfo.InvariantCulture)}").Close("rect");
                    }
                }
            }

            Legend(svg, Outcomes);
        });
    }

    public static void Denials(HtmlWriter html, ConsoleMetrics.Snapshot snapshot)
    {
        var rows = snapshot.Denials.OrderByDescending(d => d.Value).ThenBy(d => d.Key, StringComparer.Ordinal).Take(8).ToList();
        var max = Math.Max(1, rows.Count == 0 ? 1 : rows.Max(r => r.Value));
        Figure(html, "chart-denials", "Denials by reason", rows.Count == 0 ? "no denials" : $"{rows.Sum(r => r.Value).ToString(CultureInfo.InvariantCulture)} denials", svg =>
        {
            var rowHeight = (Height - 10) / 8.0;
            for (var i = 0; i < rows.Count; i++)
            {
                var (reason, count) = rows[i];
                var w = count * (Width - 220) / (double)max;
                var y = 5 + (i * rowHeight);
                svg.Element("text", reason, ("x", "150"), ("y", N(y + (rowHeight * 0.7))), ("class", "label"), ("text-anchor", "end"));
                svg.Open("rect", ("x", "160"), ("y", N(y + 2)), ("width", N(Math.Max(1, w))), ("height", N(rowHeight - 4)), ("class", "bar denied"))
                    .Element("title", $"{reason}: {count.ToString(CultureInfo.InvariantCulture)}").Close("rect");
                svg.Element("text", count.ToString(CultureInfo.InvariantCulture), ("x", N(166 + w)), ("y", N(y + (rowHeight * 0.7))), ("class", "label"));
            }

            if (rows.Count == 0)
            {
                svg.Element("text", "No denials in this window.", ("x", "20"), ("y", "100"), ("class", "label"));
            }
        });
    }

    public static void Phases(HtmlWriter html, ConsoleMetrics.Snapshot snapshot)
    {
        var phases = snapshot.Phases;
        var max = Math.Max(1e-6, phases.Count == 0 ? 1e-6 : phases.Max(p => p.P99));
        Figure(html, "chart-phases", "Governance overhead per phase (p50 and p99)", "milliseconds", svg =>
        {
            AxesMs(svg, max);
            var slot = phases.Count == 0 ? 0 : (double)(Width - Left) / phases.Count;
            for (var i = 0; i < phases.Count; i++)
            {
                var (phase, p50, p99, samples) = phases[i];
                var x = Left + (i * slot);
                var bar = Math.Max(2, (slot - 12) / 2);
                foreach (var (value, css, offset) in new[] { (p50, "p50", 4.0), (p99, "p99", 6 + bar) })
                {
                    var h = value * (Height - Bottom - 10) / max;
                    svg.Open("rect", ("x", N(x + offset)), ("y", N(Height - Bottom - h)), ("width", N(bar)), ("height", N(Math.Max(0.5, h))), ("class", "bar " + css))
                        .Element("title", $"{phase} {css}: {N(value * 1000)} ms ({samples.ToString(CultureInfo.InvariantCulture)} samples)").Close("rect");
                }

                svg.Element("text", phase, ("x", N(x + (slot / 2))), ("y", N(Height - 8)), ("class", "label"), ("text-anchor", "middle"));
            }

            if (phases.Count == 0)
            {
                svg.Element("text", "No governed call in this window.", ("x", "60"), ("y", "100"), ("class", "label"));
            }

            Legend(svg, ["p50", "p99"]);
        });
    }

    private static void Figure(HtmlWriter html, string id, string title, string caption, Action<HtmlWriter> draw)
    {
        html.Open("figure", ("class", "chart"), ("id", id));
        html.Svg(draw, ("viewBox", $"0 0 {Width.ToString(CultureInfo.InvariantCulture)} {Height.ToString(CultureInfo.InvariantCulture)}"), ("role", "img"), ("aria-label", title), ("xmlns", "http://www.w3.org/2000/svg"));
        html.Open("figcaption").Element("strong", title).Text(" · " + caption).Close("figcaption");
        html.Close("figure");
    }

    private static void Axes(HtmlWriter svg, long max)
    {
        svg.Open("line", ("x1", N(Left)), ("y1", "10"), ("x2", N(Left)), ("y2", N(Height - Bottom)), ("class", "axis")).Close("line");
        svg.Open("line", ("x1", N(Left)), ("y1", N(Height - Bottom)), ("x2", N(Width)), ("y2", N(Height - Bottom)), ("class", "axis")).Close("line");
        svg.Element("text", max.ToString(CultureInfo.InvariantCulture), ("x", N(Left - 4)), ("y", "16"), ("class", "label"), ("text-anchor", "end"));
        svg.Element("text", "0", ("x", N(Left - 4)), ("y", N(Height - Bottom)), ("class", "label"), ("text-anchor", "end"));
        svg.Element("text", "now", ("x", N(Width - 2)), ("y", N(Height - 8)), ("class", "label"), ("text-anchor", "end"));
    }

    private static void AxesMs(HtmlWriter svg, double max)
    {
        svg.Open("line", ("x1", N(Left)), ("y1", "10"), ("x2", N(Left)), ("y2", N(Height - Bottom)), ("class", "axis")).Close("line");
        svg.Open("line", ("x1", N(Left)), ("y1", N(Height - Bottom)), ("x2", N(Width)), ("y2", N(Height - Bottom)), ("class", "axis")).Close("line");
        svg.Element("text", N(max * 1000), ("x", N(Left - 4)), ("y", "16"), ("class", "label"), ("text-anchor", "end"));
    }

    private static void Legend(HtmlWriter svg, string[] names)
    {
        for (var i = 0; i < names.Length; i++)
        {
            var x = Width - 90;
            var y = 12 + (i * 14);
            svg.Open("rect", ("x", N(x)), ("y", N(y - 8)), ("width", "10"), ("height", "10"), ("class", "bar " + names[i])).Close("rect");
            svg.Element("text", names[i], ("x", N(x + 14)), ("y", N(y + 1)), ("class", "label"));
        }
    }
}
