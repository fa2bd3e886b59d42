using System.Text;
using GovernedExecution.Lineage.Browsing;
using GovernedExecution.Testing;

namespace GovernedExecution.Tests.Lineage.Browsing;

/// <summary>Paged, filtered reading of file logs: order, paging, filters, executions and their children, stats.</summary>
public sealed class FileLineageBrowserTests : IDisposable
{
    private readonly BrowsingTestLogs _logs = new();

    public void Dispose() => _logs.Dispose();

    [Fact]
    public async Task Pages_list_every_execution_once_newest_first()
    {
        var written = _logs.WriteSample("a.jsonl", 500);
        await using var browser = _logs.Browser(names: "a.jsonl");

        var seen = await AllPagesAsync(browser, new ExecutionQuery { PageSize = 37 });

        Assert.Equal(written.Select(e => e.Id).Reverse(), seen.Select(s => s.ExecutionId));
    }

    [Fact]
    public async Task Pages_across_rotated_segments_list_every_execution_once()
    {
        var written = _logs.WriteSample("r.jsonl", 300, rotateEvery: 250);
        Assert.True(File.Exists(_logs.PathOf("r.3.jsonl")));
        await using var browser = _logs.Browser(names: "r.jsonl");

        var seen = await AllPagesAsync(browser, new ExecutionQuery { PageSize = 50 });

        Assert.Equal(written.Select(e => e.Id).Reverse(), seen.Select(s => s.ExecutionId));
    }

    [Fact]
    public async Task A_directory_is_read_as_the_logs_in_it_with_their_segments()
    {
        System.IO.Directory.CreateDirectory(_logs.PathOf("dir"));
        var written = _logs.WriteSample(Path.Combine("dir", "x.jsonl"), 120, rotateEvery: 200);
        await using var browser = _logs.Browser(names: "dir");

        var seen = await AllPagesAsync(browser, new ExecutionQuery { PageSize = 200 });
        var stats = await browser.GetStatsAsync();

        Assert.Equal(written.Select(e => e.Id).Reverse(), seen.Select(s => s.ExecutionId));
        var log = Assert.Single(stats.Logs);
        Assert.True(log.Files.Count > 1);
    }

    [Fact]
    public async Task Paging_while_the_log_grows_skips_and_repeats_nothing()
    {
        var path = _logs.PathOf("grow.jsonl");
        var first = new List<GeneratedExecution>();
        using var log = new GeneratedLineageLog(path, _logs.Key, checkpointEvery: 50, flushEach: true);
        for (var i = 0; i < 200; i++)
        {
            first.Add(GeneratedExecution.Sample(i));
            log.Append(first[^1]);
        }

        await using var browser = _logs.Browser(names: "grow.jsonl");
        var seen = new List<Guid>();
        var page = await browser.ListExecutionsAsync(new ExecutionQuery { PageSize = 30 });
        var later = new List<GeneratedExecution>();
        var n = 200;
        while (true)
        {
            seen.AddRange(page.Items.Select(s => s.ExecutionId));

            // Between every two pages, more executions are appended (and a partial line is being written).
            for (var j = 0; j < 7; j++)
            {
                later.Add(GeneratedExecution.Sample(n++));
                log.Append(later[^1]);
            }

            if (page.NextCursor is null)
            {
                break;
            }

            page = await browser.ListExecutionsAsync(new ExecutionQuery { PageSize = 30, Cursor = page.NextCursor });
        }

        Assert.Equal(first.Select(e => e.Id).Reverse(), seen);

        // A new first page starts with what was appended since.
        var fresh = await browser.ListExecutionsAsync(new ExecutionQuery { PageSize = 10 });
        Assert.Equal(later.Select(e => e.Id).Reverse().Take(10), fresh.Items.Select(s => s.ExecutionId));
        Assert.Empty(fresh.Problems);
    }

    [Fact]
    public async Task An_unfinished_last_line_is_not_a_record_yet_and_not_a_problem()
    {
        var written = _logs.WriteSample("t.jsonl", 20);
        await File.AppendAllTextAsync(_logs.PathOf("t.jsonl"), "{\"v\":1,\"log\":\"half a rec");
        await using var browser = _logs.Browser(names: "t.jsonl");

        var page = await browser.ListExecutionsAsync(new ExecutionQuery { PageSize = 5 });

        Assert.Equal(written[^1].Id, page.Items[0].ExecutionId);
        Assert.Empty(page.Problems);
    }

    [Fact]
    public async Task A_summary_carries_what_the_records_say()
    {
        var written = _logs.WriteSample("s.jsonl", 10);
        await using var browser = _logs.Browser(names: "s.jsonl");

        var page = await browser.ListExecutionsAsync(new ExecutionQuery { PageSize = 10 });
        var denied = page.Items.Single(s => s.ExecutionId == written[3].Id);
        var child = page.Items.Single(s => s.ExecutionId == written[9].Id);

        Assert.Equal(_logs.PathOf("s.jsonl"), denied.Log);
        Assert.Equal("User::\"user-3\"", denied.Principal);
        Assert.Equal("User", denied.PrincipalType);
        Assert.Equal("user-3", denied.PrincipalId);
        Assert.Equal("Action::\"read\"", denied.Action);
        Assert.Equal("Document::\"doc-3\"", denied.Resource);
        Assert.Equal("Denied", denied.Decision);
        Assert.Equal(ExecutionOutcome.Denied, denied.Outcome);
        Assert.Equal(("PolicyDenied", "2", "a policy forbids it"), (denied.Reason, denied.ReasonCode, denied.Detail));
        Assert.Equal(["deny-export"], denied.DeterminingPolicies);
        Assert.Equal("run", denied.Mode);
        Assert.Equal(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero).AddMilliseconds(3 * 6), denied.StartedAt);
        Assert.Equal(written[8].Id, child.ParentExecutionId);
        Assert.Equal(ExecutionOutcome.Failed, page.Items.Single(s => s.ExecutionId == written[7].Id).Outcome);
        Assert.Equal(ExecutionOutcome.Completed, page.Items.Single(s => s.ExecutionId == written[0].Id).Outcome);
    }

    [Fact]
    public async Task Each_filter_selects_exactly_the_matching_executions()
    {
        var written = _logs.WriteSample("f.jsonl", 300);
        await using var browser = _logs.Browser(names: "f.jsonl");
        var start = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

        async Task Check(ExecutionQuery query, Func<GeneratedExecution, int, bool> expected)
        {
            var seen = await AllPagesAsync(browser, query with { PageSize = 13 });
            Assert.Equal(written.Where((e, i) => expected(e, i)).Select(e => e.Id).Reverse(), seen.Select(s => s.ExecutionId));
        }

        await Check(new() { Principal = "User::\"user-5\"" }, (e, _) => e.Principal == "User::\"user-5\"");
        await Check(new() { Action = "Action::\"refund\"" }, (e, _) => e.Action == "Action::\"refund\"");
        await Check(new() { Outcome = ExecutionOutcome.Denied }, (e, _) => e.Outcome == GeneratedOutcome.Denied);
        await Check(new() { Outcome = ExecutionOutcome.Failed }, (e, _) => e.Outcome == GeneratedOutcome.Failed);
        await Check(new() { Reason = "PolicyDenied" }, (e, _) => e.Outcome == GeneratedOutcome.Denied);
        await Check(new() { Reason = "2" }, (e, _) => e.Outcome == GeneratedOutcome.Denied);
        await Check(new() { Reason = "ReplayDetected" }, (_, _) => false);
        await Check(new() { Search = "DOC-12" }, (e, _) => e.Resource.Contains("doc-12", StringComparison.Ordinal));
        await Check(new() { Search = "export" }, (e, _) => e.Action.Contains("export", StringComparison.Ordinal));

        // Executions start 6 records apart on average; take the start times the log states.
        var all = await AllPagesAsync(browser, new ExecutionQuery { PageSize = 200 });
        var from = all[200].StartedAt!.Value;
        var to = all[100].StartedAt!.Value;
        var inRange = await AllPagesAsync(browser, new ExecutionQuery { From = from, To = to, PageSize = 7 });
        Assert.Equal(all.Where(s => s.StartedAt >= from && s.StartedAt < to).Select(s => s.ExecutionId), inRange.Select(s => s.ExecutionId));
        Assert.Equal(100, inRange.Count);
        Assert.True(start <= from);

        var one = await browser.ListExecutionsAsync(new ExecutionQuery { ExecutionId = written[42].Id });
        Assert.Equal(written[42].Id, Assert.Single(one.Items).ExecutionId);
        Assert.Null(one.NextCursor);
        Assert.Empty((await browser.ListExecutionsAsync(new ExecutionQuery { ExecutionId = written[42].Id, Principal = "nobody" })).Items);
        Assert.Empty((await browser.ListExecutionsAsync(new ExecutionQuery { ExecutionId = Guid.NewGuid() })).Items);

        Assert.Empty((await browser.ListExecutionsAsync(new ExecutionQuery { Log = "another log" })).Items);
    }

    [Fact]
    public async Task A_time_range_finds_an_execution_behind_one_appended_out_of_time_order()
    {
        // Concurrent executions are appended in commit order, not strictly in time order: one that started a little
        // earlier can be written after a later one. A range read backwards must not stop at it.
        var start = new DateTimeOffset(2026, 5, 1, 10, 0, 0, TimeSpan.Zero);
        var a = GeneratedExecution.Sample(1);
        var b = GeneratedExecution.Sample(2);
        var c = GeneratedExecution.Sample(4);
        using (var log = new GeneratedLineageLog(_logs.PathOf("order.jsonl"), _logs.Key, start: start))
        {
            log.Step = TimeSpan.Zero;
            log.Append(a);
            log.Time = start.AddMilliseconds(-1);
            log.Append(b);
            log.Time = start.AddSeconds(1);
            log.Append(c);
        }

        await using var browser = _logs.Browser(names: "order.jsonl");
        var page = await browser.ListExecutionsAsync(new ExecutionQuery { From = start });

        Assert.Equal([c.Id, a.Id], page.Items.Select(s => s.ExecutionId));
    }

    [Fact]
    public async Task The_policy_view_lists_the_executions_a_policy_decided()
    {
        var written = _logs.WriteSample("p.jsonl", 100);
        await using var browser = _logs.Browser(names: "p.jsonl");

        var page = await browser.ExecutionsDecidedByAsync("deny-export", new ExecutionQuery { PageSize = 200 });
        var none = await browser.ExecutionsDecidedByAsync("allow", new ExecutionQuery { PageSize = 200 });

        Assert.Equal(written.Where(e => e.Policy == "deny-export").Select(e => e.Id).Reverse(), page.Items.Select(s => s.ExecutionId));
        Assert.Empty(none.Items);
    }

    [Fact]
    public async Task An_execution_has_its_records_verbatim_in_order_and_its_decision()
    {
        var written = _logs.WriteSample("e.jsonl", 30);
        await using var browser = _logs.Browser(names: "e.jsonl");
        var lines = File.ReadAllLines(_logs.PathOf("e.jsonl"));

        var detail = await browser.GetExecutionAsync(written[4].Id);

        Assert.NotNull(detail);
        Assert.Equal(
            ["intent_submitted", "policy_evaluated", "artifact_issued", "artifact_verified", "execution_started", "execution_completed"],
            detail.Records.Select(r => r.Kind));
        Assert.All(detail.Records, r => Assert.Equal(lines[r.Sequence - 1], r.Json));
        Assert.Equal(detail.Records.Select(r => r.Sequence).Order(), detail.Records.Select(r => r.Sequence));
        Assert.Equal(["allow-1"], detail.DeterminingPolicies);
        Assert.Equal(new string('b', 64), detail.PolicySetDigest);
        Assert.Equal(new string('c', 64), detail.ArtifactDigest);
        Assert.Null(detail.Artifact);
        Assert.Empty(detail.Approvals);
        Assert.Empty(detail.Problems);
        Assert.Null(await browser.GetExecutionAsync(Guid.NewGuid()));
    }

    [Fact]
    public async Task Children_are_found_in_the_same_log_and_across_logs()
    {
        var parent = GeneratedExecution.Sample(1);
        var nested = GeneratedExecution.Sample(2) with { Parent = parent.Id };
        var delegated = GeneratedExecution.Sample(3) with { Parent = parent.Id, Outcome = GeneratedOutcome.Completed };
        using (var a = new GeneratedLineageLog(_logs.PathOf("orchestrator.jsonl"), _logs.Key))
        {
            a.Append(parent);
            a.Append(nested);
        }

        using (var b = new GeneratedLineageLog(_logs.PathOf("worker.jsonl"), _logs.Key))
        {
            b.Append(GeneratedExecution.Sample(4));
            b.Append(delegated);
        }

        await using var browser = _logs.Browser(names: ["orchestrator.jsonl", "worker.jsonl"]);
        var detail = await browser.GetExecutionAsync(parent.Id);
        var child = await browser.GetExecutionAsync(delegated.Id);

        Assert.NotNull(detail);
        Assert.Equal([nested.Id, delegated.Id], detail.Children.Select(c => c.ExecutionId).Order());
        Assert.Equal(_logs.PathOf("worker.jsonl"), detail.Children.Single(c => c.ExecutionId == delegated.Id).Log);
        Assert.Equal(parent.Id, child!.Summary.ParentExecutionId);

        // Newest first across both logs, each execution once.
        var all = await AllPagesAsync(browser, new ExecutionQuery { PageSize = 2 });
        Assert.Equal(4, all.Select(s => s.ExecutionId).Distinct().Count());
        Assert.Equal(all.OrderByDescending(s => s.StartedAt).Select(s => s.ExecutionId), all.Select(s => s.ExecutionId));
    }

    [Fact]
    public async Task An_execution_appended_after_the_index_was_built_is_found()
    {
        var path = _logs.PathOf("live.jsonl");
        using var log = new GeneratedLineageLog(path, _logs.Key, flushEach: true);
        var first = GeneratedExecution.Sample(1);
        log.Append(first);
        await using var browser = _logs.Browser(names: "live.jsonl");
        Assert.NotNull(await browser.GetExecutionAsync(first.Id));

        var pending = GeneratedExecution.Sample(2) with { Outcome = GeneratedOutcome.Pending };
        log.Append(pending);
        Assert.Equal(ExecutionOutcome.Pending, (await browser.GetExecutionAsync(pending.Id))!.Summary.Outcome);

        log.Complete(pending);
        Assert.Equal(ExecutionOutcome.Completed, (await browser.GetExecutionAsync(pending.Id))!.Summary.Outcome);
    }

    [Fact]
    public async Task Stats_come_from_the_end_of_the_log()
    {
        _logs.WriteSample("h.jsonl", 40, checkpointEvery: 25);
        var lines = File.ReadAllLines(_logs.PathOf("h.jsonl"));
        await using var browser = _logs.Browser(names: "h.jsonl");

        var stats = Assert.Single((await browser.GetStatsAsync()).Logs);

        Assert.Equal(lines.Length, stats.Records);
        Assert.Equal(lines.Length - 1, stats.LastCheckpointTreeSize);
        Assert.NotNull(stats.LastCheckpointAt);
        Assert.Equal(stats.LastRecordAt, stats.LastCheckpointAt);
        Assert.Equal(new FileInfo(_logs.PathOf("h.jsonl")).Length, stats.Bytes);
        Assert.Equal("h.jsonl", stats.Name);
    }

    [Fact]
    public async Task A_sink_offers_a_browser_over_what_it_writes_while_it_is_open()
    {
        var log = new LineageTestLog();
        try
        {
            await using var sink = log.Open();
            await sink.AppendAsync([LineageTestLog.Event(1, Guid.NewGuid())], CancellationToken.None);
            await using var browser = ((ILineageBrowsable)sink).OpenBrowser();

            var page = await browser.ListExecutionsAsync(new ExecutionQuery());

            Assert.Single(page.Items);
        }
        finally
        {
            log.Dispose();
        }
    }

    [Fact]
    public async Task Bad_queries_are_refused_as_arguments()
    {
        _logs.WriteSample("q.jsonl", 3);
        await using var browser = _logs.Browser(names: "q.jsonl");

        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(async () => await browser.ListExecutionsAsync(new ExecutionQuery { PageSize = 0 }));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(async () => await browser.ListExecutionsAsync(new ExecutionQuery { PageSize = ExecutionQuery.MaxPageSize + 1 }));
        foreach (var cursor in new[] { "x", "", "MXxhYmN8MC4w", Convert.ToBase64String(Encoding.ASCII.GetBytes("1|zz|0.0")), new string('A', 5000) })
        {
            await Assert.ThrowsAsync<ArgumentException>(async () => await browser.ListExecutionsAsync(new ExecutionQuery { Cursor = cursor }));
        }

        Assert.Throws<ArgumentException>(() => LineageBrowsers.OpenFiles([_logs.PathOf("missing.jsonl")]));
        Assert.Throws<ArgumentException>(() => LineageBrowsers.OpenFiles([]));
    }

    internal static async Task<List<ExecutionSummary>> AllPagesAsync(ILineageBrowser browser, ExecutionQuery query)
    {
        var all = new List<ExecutionSummary>();
        var page = await browser.ListExecutionsAsync(query);
        while (true)
        {
            Assert.True(page.Items.Count <= query.PageSize);
            all.AddRange(page.Items);
            if (page.NextCursor is null)
            {
                return all;
            }

            page = await browser.ListExecutionsAsync(query with { Cursor = page.NextCursor });
        }
    }
}
