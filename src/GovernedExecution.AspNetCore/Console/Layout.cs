namespace GovernedExecution.AspNetCore.ConsoleUi;

/// <summary>The frame of every console page: its own style sheet and script (no inline ones), the navigation, the body.</summary>
internal static class Layout
{
    private static readonly (string Section, string Label, string[] Path)[] Sections =
    [
        ("lineage", "Lineage", []),
        ("verify", "Proof viewer", ["verify"]),
        ("policies", "Policies", ["policies"]),
        ("health", "Health", ["health"]),
    ];

    public static string Render(ConsolePage page, string basePath)
    {
        var html = new HtmlWriter();
        html.Doctype().Open("html", ("lang", "en"))
            .Open("head")
            .Void("meta", ("charset", "utf-8"))
            .Void("meta", ("name", "viewport"), ("content", "width=device-width, initial-scale=1"))
            .Element("title", page.Title + " · Governance console")
            .StyleSheet(ConsoleUrl.Under(basePath, "assets", "console.css"))
            .ScriptFile(ConsoleUrl.Under(basePath, "assets", "console.js"))
            .Close("head")
            .Open("body")
            .Open("header", ("class", "top"))
            .Link(ConsoleUrl.Under(basePath), "Governance console", ("class", "brand"))
            .Open("nav", ("aria-label", "Sections"));
        foreach (var (section, label, path) in Sections)
        {
            html.Link(ConsoleUrl.Under(basePath, path), label, ("class", section == page.Section ? "current" : null), ("aria-current", section == page.Section ? "page" : null), ("data-section", section));
        }

        html.Close("nav").Element("span", "read-only", ("class", "badge")).Close("header")
            .Open("main", ("id", "main"));
        page.Body(html);
        html.Close("main")
            .Open("footer").Text("Everything shown is read from the lineage, keys and policies as they are; values from the log are shown as text, never as markup.").Close("footer")
            .Close("body").Close("html");
        return html.ToString();
    }
}
