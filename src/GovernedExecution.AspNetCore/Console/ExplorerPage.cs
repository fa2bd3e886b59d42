using System.Globalization;
using GovernedExecution.Lineage.Browsing;
using Microsoft.AspNetCore.Http;

namespace GovernedExecution.AspNetCore.ConsoleUi;

/// <summary>The lineage explorer: the list of executions with filters and paging, and one execution's page.</summary>
internal static class ExplorerPage
{
    private const int MaxTreeDepth = 6;
    private const int MaxTreeNodes = 200;

    /// <summary>How long a page waits for a log's background verification before it shows its progress instead.</summary>
    private static readonly TimeSpan VerificationWait = TimeSpan.FromMilliseconds(250);

    private static readonly string[] FilterNames = ["id", "q", "principal", "action", "outcome", "reason", "from", "to", "policy", "log"];

    public static async Task<ConsolePage> RenderListAsync(HttpContext context, ConsoleSources sources, string basePath, CancellationToken cancellationToken)
    {
        var request = context.Request.Query;
        string? Get(string name) => request[name].ToString() is { Length: > 0 and <= 512 } value ? value : null;
        var filters = FilterNames.ToDictionary(n => n, Get, StringComparer.Ordinal);
        var problems = new List<string>();
        var query = new ExecutionQuery
        {
            ExecutionId = Parse(filters["id"], s => Guid.TryParse(s, out var g) ? g : (Guid?)null, "execution id", problems),
            Search = filters["q"],
            Principal = filters["principal"],
            Action = filters["action"],
            Outcome = Parse(filters["outcome"], s => Enum.TryParse<ExecutionOutcome>(s, ignoreCase: true, out var o) && Enum.IsDefined(o) ? o : (ExecutionOutcome?)null, "outcome", problems),
            Reason = filters["reason"],
            From = Parse(filters["from"], ParseTime, "from", problems),
            To = Parse(filters["to"], ParseTime, "to", problems),
            Log = filters["log"],
            Cursor = Get("cursor"),
            PageSize = int.TryParse(Get("size"), NumberStyles.None, CultureInfo.InvariantCulture, out var size) ? Math.Clamp(size, 1, ExecutionQuery.MaxPageSize) : ExecutionQuery.DefaultPageSize,
        };

        ExecutionPage? page = null;
        var browser = sources.Lineage.Count > 0 ? sources.Lineage[0] : null;
        if (browser is not null && problems.Count == 0)
        {
            try
            {
                page = filters["policy"] is { } policy
                    ? await browser.ExecutionsDecidedByAsync(policy, query, cancellationToken).ConfigureAwait(false)
                    : await browser.ListExecutionsAsync(query, cancellationToken).ConfigureAwait(false);
            }
            catch (ArgumentException)
            {
                problems.Add("The page link is not valid any more (or was altered): start again from the first page.");
            }
        }

        var status = await ChainStatusAsync(sources, cancellationToken).ConfigureAwait(false);
        return ConsolePage.Ok("Lineage", "lineage", html =>
        {
            html.Element("h1", "Lineage explorer");
            html.Element("p", browser is null ? "No lineage to show: the executor has no lineage sink that can be read (a file or PostgreSQL sink)." : "Reading " + browser.Description + ".", ("class", "source"));
            WriteChainStatus(html, status);
            WriteFilters(html, basePath, filters, query.PageSize);
            foreach (var problem in problems)
            {
                html.Element("p", problem, ("class", "problem"), ("role", "alert"));
            }

            if (page is null)
            {
                return;
            }

            WriteExecutions(html, basePath, page.Items, "executions");
            foreach (var problem in page.Problems)
            {
                html.Element("p", $"{problem.Where}: {problem.Reason}", ("class", "problem"));
            }

            html.Open("nav", ("class", "pages"), ("aria-label", "Pages"));
            var current = filters.Where(f => f.Value is not null).Select(f => KeyValuePair.Create(f.Key, f.Value)).ToList();
            if (query.Cursor is not null)
            {
                html.Link(ConsoleUrl.Under(basePath).WithQuery(current), "First page", ("class", "first"));
            }

            if (page.NextCursor is { } next)
            {
                html.Link(ConsoleUrl.Under(basePath).WithQuery([.. current, KeyValuePair.Create("size", (string?)query.PageSize.ToString(CultureInfo.InvariantCulture)), KeyValuePair.Create("cursor", (string?)next)]), "Next page", ("class", "next"), ("rel", "next"));
            }

            html.Close("nav");
        });
    }

    public static async Task<ConsolePage> RenderExecutionAsync(ConsoleSources sources, string basePath, Guid id, CancellationToken cancellationToken)
    {
        ExecutionDetail? detail = null;
        foreach (var browser in sources.Lineage)
        {
            if ((detail = await browser.GetExecutionAsync(id, cancellationToken).ConfigureAwait(false)) is not null)
            {
                break;
            }
        }

        if (detail is null)
        {
            return ConsolePage.Error(StatusCodes.Status404NotFound, "No such execution", "No log the console reads holds an execution with this id.");
        }

        var status = await ChainStatusAsync(sources, cancellationToken).ConfigureAwait(false);
        var tree = await ChildTreeAsync(sources, detail, cancellationToken).ConfigureAwait(false);
        var s = detail.Summary;
        return ConsolePage.Ok("Execution " + s.ExecutionId.ToString("D"), "lineage", html =>
        {
            html.Element("h1", "Execution");
            html.Element("p", s.ExecutionId.ToString("D"), ("class", "mono"), ("id", "execution-id"));
            html.Open("dl", ("class", "facts"), ("id", "summary"));
            Fact(html, "Started", s.StartedAt?.ToString("u", CultureInfo.InvariantCulture));
            Fact(html, "Mode", s.Mode);
            Fact(html, "Principal", s.Principal, "principal");
            Fact(html, "Action", s.Action, "action");
            Fact(html, "Resource", s.Resource, "resource");
            Fact(html, "Decision", s.Decision);
            Fact(html, "Outcome", s.Outcome.ToString(), "outcome");
            Fact(html, "Reason", s.Reason is null ? null : $"{s.Reason} ({s.ReasonCode})");
            Fact(html, "Detail", s.Detail);
            Fact(html, "Log", s.Log);
            html.Close("dl");
            if (s.ParentExecutionId is { } parent)
            {
                html.Open("p").Text("Parent execution: ").Link(ConsoleUrl.Under(basePath, "executions", parent.ToString("D")), parent.ToString("D"), ("class", "mono")).Close("p");
            }

            html.Element("h2", "Chain and checkpoints");
            WriteChainStatus(html, status.Where(v => v.Log == s.Log).ToList(), detail.Records);

            html.Element("h2", "Deciding policies");
            if (detail.DeterminingPolicies.Count == 0)
            {
                html.Element("p", "No policy determined this decision (no permit applied, or it was not evaluated).");
            }
            else
            {
                html.Open("ul", ("class", "policies"), ("id", "deciding-policies"));
                foreach (var policy in detail.DeterminingPolicies)
                {
                    html.Open("li").Link(ConsoleUrl.Under(basePath, "policies").WithFragment("policy-" + policy), policy, ("class", "mono"))
                        .Text(" · ").Link(ConsoleUrl.Under(basePath).WithQuery([KeyValuePair.Create("policy", (string?)policy)]), "executions it decided").Close("li");
                }

                html.Close("ul");
            }

            if (detail.PolicyErrors.Count > 0)
            {
                html.Element("p", "Policies in error: " + string.Join(", ", detail.PolicyErrors), ("class", "problem"));
            }

            html.Element("p", "Policy set " + (detail.PolicySetDigest ?? "not recorded"), ("class", "mono"));

            html.Element("h2", "Artifact");
            html.Open("div", ("id", "artifact"));
            ArtifactView.WriteRecorded(html, detail.ArtifactDigest, detail.Artifact);
            html.Close("div");

            html.Element("h2", "Approval");
            if (detail.Approvals.Count == 0)
            {
                html.Element("p", "No approval was recorded for this execution.");
            }
            else
            {
                html.Open("table", ("id", "approvals")).Open("thead").Open("tr");
                foreach (var head in (string[])["Group", "Policy", "Approver", "Answer", "Expires", "Approval digest"])
                {
                    html.Element("th", head, ("scope", "col"));
                }

                html.Close("tr").Close("thead").Open("tbody");
                foreach (var approval in detail.Approvals)
                {
                    html.Open("tr").Element("td", approval.Group).Element("td", approval.Policy).Element("td", approval.Approver)
                        .Element("td", approval.Approved ? "approved" : "refused", ("class", approval.Approved ? "ok" : "bad"))
                        .Element("td", approval.Expires).Element("td", approval.ApprovalDigest, ("class", "mono")).Close("tr");
                }

                html.Close("tbody").Close("table");
            }

            html.Element("h2", "Children");
            html.Open("div", ("class", "tree"), ("id", "children"));
            if (tree.Count == 0)
            {
                html.Element("p", "No nested or delegated executions.");
            }
            else
            {
                html.Open("p", ("class", "tree-tools"))
                    .Element("button", "Expand all", ("type", "button"), ("data-tree", "expand"))
                    .Element("button", "Collapse all", ("type", "button"), ("data-tree", "collapse"))
                    .Close("p");
                WriteTree(html, basePath, tree);
            }

            html.Close("div");

            html.Element("h2", "Records");
            html.Open("ol", ("class", "records"), ("id", "records"));
            foreach (var record in detail.Records)
            {
                html.Open("li", ("id", $"record-{record.Sequence.ToString(CultureInfo.InvariantCulture)}"), ("data-sequence", record.Sequence.ToString(CultureInfo.InvariantCulture)), ("data-kind", record.Kind));
                html.Open("div", ("class", "record-head"))
                    .Element("span", "#" + record.Sequence.ToString(CultureInfo.InvariantCulture), ("class", "seq"))
                    .Element("span", record.Kind, ("class", "kind"))
                    .Element("time", record.Time)
                    .Link(ConsoleUrl.Under(basePath, "proofs", "inclusion").WithQuery([KeyValuePair.Create("log", (string?)record.Log), KeyValuePair.Create("sequence", (string?)record.Sequence.ToString(CultureInfo.InvariantCulture))]),
                        "Download inclusion proof", ("class", "proof"), ("download", $"inclusion-{record.Sequence.ToString(CultureInfo.InvariantCulture)}.json"))
                    .Close("div");
                html.Open("dl", ("class", "data"));
                foreach (var (key, value) in record.Data)
                {
                    html.Element("dt", key).Element("dd", value);
                }

                html.Close("dl");
                html.Open("details").Element("summary", "The record as written").Element("pre", record.Json).Close("details");
                html.Close("li");
            }

            html.Close("ol");
            foreach (var problem in detail.Problems)
            {
                html.Element("p", $"{problem.Where}: {problem.Reason}", ("class", "problem"));
            }
        });
    }

    public static async Task<IResult> DownloadProofAsync(HttpContext context, ConsoleSources sources, CancellationToken cancellationToken)
    {
        var log = context.Request.Query["log"].ToString();
        if (!long.TryParse(context.Request.Query["sequence"].ToString(), NumberStyles.None, CultureInfo.InvariantCulture, out var sequence) || log.Length == 0)
        {
            return Results.Text("Give the log and the record's sequence number.", "text/plain; charset=utf-8", statusCode: StatusCodes.Status400BadRequest);
        }

        foreach (var browser in sources.Lineage)
        {
            // Only a log the browser itself names: the key is never taken as a path of the caller's choosing.
            var stats = await browser.GetStatsAsync(cancellationToken).ConfigureAwait(false);
            if (!stats.Logs.Any(l => string.Equals(l.Log, log, StringComparison.Ordinal)))
            {
                continue;
            }

            var proof = await browser.GetInclusionProofAsync(log, sequence, sources.KnownKeys.Count == 0 ? null : sources.KnownKeys, cancellationToken).ConfigureAwait(false);
            if (proof.Proof is not { } bytes)
            {
                return Results.Text("No inclusion proof: " + proof.Error, "text/plain; charset=utf-8", statusCode: StatusCodes.Status409Conflict);
            }

            return Results.File(bytes, "application/json", $"inclusion-{sequence.ToString(CultureInfo.InvariantCulture)}.json");
        }

        return Results.Text("No log the console reads has this key.", "text/plain; charset=utf-8", statusCode: StatusCodes.Status404NotFound);
    }

    internal static void WriteExecutions(HtmlWriter html, string basePath, IReadOnlyList<ExecutionSummary> items, string id)
    {
        if (items.Count == 0)
        {
            html.Element("p", "No execution matches.", ("class", "empty"), ("id", id));
            return;
        }

        html.Open("table", ("class", "executions"), ("id", id)).Open("thead").Open("tr");
        foreach (var head in (string[])["Time", "Principal", "Action", "Resource", "Decision", "Outcome", "Reason"])
        {
            html.Element("th", head, ("scope", "col"));
        }

        html.Close("tr").Close("thead").Open("tbody");
        foreach (var e in items)
        {
            html.Open("tr", ("data-execution", e.ExecutionId.ToString("D")))
                .Open("td").Link(ConsoleUrl.Under(basePath, "executions", e.ExecutionId.ToString("D")), e.StartedAt?.ToString("u", CultureInfo.InvariantCulture) ?? e.ExecutionId.ToString("D"), ("class", "open")).Close("td")
                .Element("td", e.Principal, ("class", "principal"))
                .Element("td", e.Action)
                .Element("td", e.Resource, ("class", "resource"))
                .Element("td", e.Decision)
                .Element("td", e.Outcome.ToString(), ("class", "outcome " + OutcomeClass(e.Outcome)))
                .Element("td", e.Reason)
                .Close("tr");
        }

        html.Close("tbody").Close("table");
    }

    private static string OutcomeClass(ExecutionOutcome outcome) => outcome switch
    {
        ExecutionOutcome.Completed or ExecutionOutcome.Allowed or ExecutionOutcome.Issued => "ok",
        ExecutionOutcome.Denied or ExecutionOutcome.Failed => "bad",
        _ => "neutral",
    };

    private static void WriteFilters(HtmlWriter html, string basePath, Dictionary<string, string?> filters, int pageSize)
    {
        html.OpenWithUrl("form", "action", ConsoleUrl.Under(basePath), ("method", "get"), ("class", "filters"), ("role", "search"), ("id", "filters"));
        Input(html, "q", "Search (principal, action, resource)", filters["q"]);
        Input(html, "id", "Execution id", filters["id"]);
        Input(html, "principal", "Principal", filters["principal"]);
        Input(html, "action", "Action", filters["action"]);
        html.Open("label").Text("Outcome").Open("select", ("name", "outcome"));
        html.Element("option", "any", ("value", string.Empty));
        foreach (var outcome in Enum.GetNames<ExecutionOutcome>())
        {
            html.Element("option", outcome, ("value", outcome), ("selected", string.Equals(filters["outcome"], outcome, StringComparison.OrdinalIgnoreCase) ? "selected" : null));
        }

        html.Close("select").Close("label");
        Input(html, "reason", "Denial reason", filters["reason"]);
        Input(html, "from", "From (UTC, ISO 8601)", filters["from"]);
        Input(html, "to", "To (UTC, ISO 8601)", filters["to"]);
        if (filters["policy"] is { } policy)
        {
            html.Void("input", ("type", "hidden"), ("name", "policy"), ("value", policy));
            html.Element("p", "Only executions decided by the policy " + policy, ("class", "note"));
        }

        html.Void("input", ("type", "hidden"), ("name", "size"), ("value", pageSize.ToString(CultureInfo.InvariantCulture)));
        html.Element("button", "Filter", ("type", "submit"));
        html.Link(ConsoleUrl.Under(basePath), "Clear", ("class", "clear"));
        html.Close("form");
    }

    private static void Input(HtmlWriter html, string name, string label, string? value) =>
        html.Open("label").Text(label).Void("input", ("type", "text"), ("name", name), ("value", value), ("autocomplete", "off")).Close("label");

    private static void Fact(HtmlWriter html, string name, string? value, string? id = null)
    {
        if (value is not null)
        {
            html.Element("dt", name).Element("dd", value, ("id", id is null ? null : "fact-" + id));
        }
    }

    private static T? Parse<T>(string? text, Func<string, T?> parse, string what, List<string> problems)
        where T : struct
    {
        if (text is null)
        {
            return null;
        }

        if (parse(text) is { } value)
        {
            return value;
        }

        problems.Add($"The {what} filter is not valid.");
        return null;
    }

    private static DateTimeOffset? ParseTime(string text) =>
        DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var time) ? time : null;

    internal static async Task<IReadOnlyList<LogVerification>> ChainStatusAsync(ConsoleSources sources, CancellationToken cancellationToken)
    {
        var all = new List<LogVerification>();
        foreach (var browser in sources.Lineage)
        {
            var stats = await browser.GetStatsAsync(cancellationToken).ConfigureAwait(false);
            var job = sources.Verifications.Get(browser, stats.Logs.Sum(l => l.Records), new LineageVerifyRequest
            {
                TrustedKeys = sources.KnownKeys.Count == 0 ? null : sources.KnownKeys,
                WitnessDirectory = sources.WitnessDirectory,
            });

            // A small log is verified before the page is written; a big one shows its progress and is done on a later
            // visit: the page never waits long for it (the first page of a large log stays fast).
            var finished = await Task.WhenAny(job.Completion, Task.Delay(VerificationWait, cancellationToken)).ConfigureAwait(false);
            if (finished == job.Completion && job.Completion.IsCompletedSuccessfully)
            {
                all.AddRange(job.Completion.Result);
            }
            else
            {
                var progress = job.Progress;
                all.AddRange(stats.Logs.Select(l => new LogVerification
                {
                    Log = l.Log,
                    Status = LogVerificationStatus.NotVerified,
                    Reason = job.Completion.IsFaulted ? "the verification could not run" : progress.Total > 0 ? $"verifying: {progress.Done * 100 / progress.Total} %" : "verifying",
                }));
            }
        }

        return all;
    }

    internal static void WriteChainStatus(HtmlWriter html, IReadOnlyList<LogVerification> status, IReadOnlyList<ExecutionRecord>? records = null)
    {
        html.Open("ul", ("class", "chain"), ("id", records is null ? "chain-status" : "execution-chain"));
        foreach (var v in status)
        {
            var (label, css) = v.Status switch
            {
                LogVerificationStatus.Verified => ("Verified", "ok"),
                LogVerificationStatus.Broken => ("Broken", "bad"),
                LogVerificationStatus.Unsigned => ("Unsigned", "warn"),
                _ => ("Not verified", "neutral"),
            };
            html.Open("li", ("class", "status " + css), ("data-status", v.Status.ToString()), ("data-broken-at", v.BrokenAt?.ToString(CultureInfo.InvariantCulture)));
            html.Element("strong", label).Text(" ").Element("span", v.Log, ("class", "mono"));
            html.Text($" · {v.Records.ToString(CultureInfo.InvariantCulture)} records, {v.Checkpoints.ToString(CultureInfo.InvariantCulture)} checkpoints{(v.SignaturesChecked ? ", signatures checked" : string.Empty)}");
            if (v.Status == LogVerificationStatus.Broken)
            {
                html.Open("p", ("class", "broken")).Text("Broken at record ").Element("strong", v.BrokenAt?.ToString(CultureInfo.InvariantCulture) ?? "?", ("class", "broken-at"))
                    .Text(v.File is null ? string.Empty : $" ({v.File}{(v.Line is { } line ? ":" + line.ToString(CultureInfo.InvariantCulture) : string.Empty)})")
                    .Text(": ").Element("span", v.Reason, ("class", "why")).Close("p");
                if (records is not null && v.BrokenAt is { } at && records.Any(r => r.Sequence >= at))
                {
                    html.Element("p", "Records of this execution at or after the break are not proven by the log.", ("class", "problem"));
                }
            }
            else if (v.Reason is not null)
            {
                html.Element("p", v.Reason, ("class", "why"));
            }

            if (v.RecordsLost > 0)
            {
                html.Element("p", $"{v.RecordsLost.ToString(CultureInfo.InvariantCulture)} acknowledged record(s) were lost (records_lost notices).", ("class", "problem"));
            }

            html.Close("li");
        }

        html.Close("ul");
    }

    private sealed record TreeNode(ExecutionSummary Summary, IReadOnlyList<TreeNode> Children);

    private static async Task<IReadOnlyList<TreeNode>> ChildTreeAsync(ConsoleSources sources, ExecutionDetail root, CancellationToken cancellationToken)
    {
        var budget = MaxTreeNodes;
        var seen = new HashSet<Guid> { root.Summary.ExecutionId };

        async Task<IReadOnlyList<TreeNode>> Children(IReadOnlyList<ExecutionSummary> children, int depth)
        {
            var nodes = new List<TreeNode>();
            foreach (var child in children)
            {
                // A log may claim a cycle (a child that is its own ancestor): each execution is shown once.
                if (budget-- <= 0 || !seen.Add(child.ExecutionId))
                {
                    continue;
                }

                IReadOnlyList<TreeNode> grand = [];
                if (depth < MaxTreeDepth)
                {
                    foreach (var browser in sources.Lineage)
                    {
                        if (await browser.GetExecutionAsync(child.ExecutionId, cancellationToken).ConfigureAwait(false) is { } detail)
                        {
                            grand = await Children(detail.Children, depth + 1).ConfigureAwait(false);
                            break;
                        }
                    }
                }

                nodes.Add(new TreeNode(child, grand));
            }

            return nodes;
        }

        return await Children(root.Children, 1).ConfigureAwait(false);
    }

    private static void WriteTree(HtmlWriter html, string basePath, IReadOnlyList<TreeNode> nodes)
    {
        html.Open("ul");
        foreach (var node in nodes)
        {
            var e = node.Summary;
            html.Open("li", ("data-execution", e.ExecutionId.ToString("D")));
            html.Open("details", ("class", "child"));
            html.Open("summary").Element("span", e.Action, ("class", "action")).Text(" on ").Element("span", e.Resource, ("class", "resource"))
                .Text(" · ").Element("span", e.Outcome.ToString(), ("class", "outcome " + OutcomeClass(e.Outcome))).Close("summary");
            html.Open("dl", ("class", "facts"));
            Fact(html, "Principal", e.Principal);
            Fact(html, "Decision", e.Decision);
            Fact(html, "Reason", e.Reason);
            Fact(html, "Log", e.Log);
            html.Close("dl");
            html.Open("p").Link(ConsoleUrl.Under(basePath, "executions", e.ExecutionId.ToString("D")), "Open execution " + e.ExecutionId.ToString("D"), ("class", "open-child")).Close("p");
            if (node.Children.Count > 0)
            {
                WriteTree(html, basePath, node.Children);
            }

            html.Close("details").Close("li");
        }

        html.Close("ul");
    }
}
