using System.Text;
using GovernedExecution.Cli;
using GovernedExecution.Lineage.Browsing;
using GovernedExecution.PostgreSql.Lineage;
using GovernedExecution.Testing;

namespace GovernedExecution.PostgreSql.Tests.Lineage;

/// <summary>
/// Browsing the lineage tables: keyset pages newest first, every filter, hostile strings as data, children across
/// writers, altered rows reported and verification broken at them, proofs govexec checks offline.
/// </summary>
[Collection(PostgresTests.Name)]
public sealed class PostgreSqlLineageBrowserTests(PostgresServer server)
{
    private static readonly DateTimeOffset Start = new(2026, 3, 1, 12, 0, 0, TimeSpan.Zero);
    private long _tick;

    private DateTimeOffset Next() => Start.AddMilliseconds(Interlocked.Increment(ref _tick));

    private async Task<List<GeneratedExecution>> AppendAsync(PostgreSqlLineageSink sink, int from, int count)
    {
        var written = new List<GeneratedExecution>();
        var previous = Guid.Empty;
        for (var i = from; i < from + count; i++)
        {
            var e = GeneratedExecution.Sample(i, previous);
            await sink.AppendAsync(GeneratedLineageLog.EventsOf(e, Next), CancellationToken.None);
            written.Add(e);
            previous = e.Id;
        }

        return written;
    }

    [Fact]
    public async Task Pages_list_every_execution_once_newest_first_while_more_are_written()
    {
        await using var db = await LineageTestDatabase.CreateAsync(server);
        await using var sink = await db.OpenAsync();
        var written = await AppendAsync(sink, 0, 150);
        await using var browser = ((ILineageBrowsable)sink).OpenBrowser();

        var seen = new List<Guid>();
        var page = await browser.ListExecutionsAsync(new ExecutionQuery { PageSize = 17 });
        var n = 150;
        while (true)
        {
            seen.AddRange(page.Items.Select(s => s.ExecutionId));
            await AppendAsync(sink, n, 3);
            n += 3;
            if (page.NextCursor is null)
            {
                break;
            }

            page = await browser.ListExecutionsAsync(new ExecutionQuery { PageSize = 17, Cursor = page.NextCursor });
        }

        Assert.Equal(written.Select(e => e.Id).Reverse(), seen);
        var fresh = await browser.ListExecutionsAsync(new ExecutionQuery { PageSize = 1 });
        Assert.Equal(GeneratedExecution.Sample(n - 1).Id, Assert.Single(fresh.Items).ExecutionId);
    }

    [Fact]
    public async Task Each_filter_selects_exactly_the_matching_executions()
    {
        await using var db = await LineageTestDatabase.CreateAsync(server);
        await using var sink = await db.OpenAsync(o => o.WriterName = "filters");
        var written = await AppendAsync(sink, 0, 200);
        await using var browser = new PostgreSqlLineageBrowser(db.Store);

        async Task Check(ExecutionQuery query, Func<GeneratedExecution, bool> expected)
        {
            var seen = await AllPagesAsync(browser, query with { PageSize = 11 });
            Assert.Equal(written.Where(expected).Select(e => e.Id).Reverse(), seen.Select(s => s.ExecutionId));
        }

        await Check(new() { Principal = "User::\"user-5\"" }, e => e.Principal == "User::\"user-5\"");
        await Check(new() { Action = "Action::\"refund\"" }, e => e.Action == "Action::\"refund\"");
        await Check(new() { Outcome = ExecutionOutcome.Denied }, e => e.Outcome == GeneratedOutcome.Denied);
        await Check(new() { Outcome = ExecutionOutcome.Failed }, e => e.Outcome == GeneratedOutcome.Failed);
        await Check(new() { Outcome = ExecutionOutcome.Completed }, e => e.Outcome == GeneratedOutcome.Completed);
        await Check(new() { Outcome = ExecutionOutcome.Pending }, _ => false);
        await Check(new() { Reason = "PolicyDenied" }, e => e.Outcome == GeneratedOutcome.Denied);
        await Check(new() { Reason = "2" }, e => e.Outcome == GeneratedOutcome.Denied);
        await Check(new() { Reason = "ReplayDetected" }, _ => false);
        await Check(new() { Search = "DOC-12" }, e => e.Resource.Contains("doc-12", StringComparison.Ordinal));
        await Check(new() { Search = "%" }, _ => false);
        await Check(new() { Search = "user_1" }, _ => false);
        await Check(new() { ExecutionId = written[42].Id }, e => e.Id == written[42].Id);
        await Check(new() { Log = sink.LogId }, _ => true);
        await Check(new() { Log = Guid.NewGuid().ToString("D") }, _ => false);
        await Check(new() { Log = "not a writer" }, _ => false);

        var all = await AllPagesAsync(browser, new ExecutionQuery { PageSize = 200 });
        var from = all[150].StartedAt!.Value;
        var to = all[50].StartedAt!.Value;
        var inRange = await AllPagesAsync(browser, new ExecutionQuery { From = from, To = to, PageSize = 9 });
        Assert.Equal(all.Skip(51).Take(100).Select(s => s.ExecutionId), inRange.Select(s => s.ExecutionId));

        var decided = await browser.ExecutionsDecidedByAsync("deny-export", new ExecutionQuery { PageSize = 200 });
        Assert.Equal(written.Where(e => e.Policy == "deny-export").Select(e => e.Id).Reverse(), decided.Items.Select(s => s.ExecutionId));
        Assert.Empty((await browser.ExecutionsDecidedByAsync("deny", new ExecutionQuery())).Items);

        var denied = all.Single(s => s.ExecutionId == written[3].Id);
        Assert.Equal(("User::\"user-3\"", "Document::\"doc-3\"", ExecutionOutcome.Denied, "a policy forbids it"), (denied.Principal, denied.Resource, denied.Outcome, denied.Detail));
        Assert.Equal(sink.LogId, denied.Log);

        await Assert.ThrowsAsync<ArgumentException>(async () => await browser.ListExecutionsAsync(new ExecutionQuery { Cursor = "bm90IGEgY3Vyc29y" }));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(async () => await browser.ListExecutionsAsync(new ExecutionQuery { PageSize = 201 }));
    }

    [Theory]
    [InlineData("<script>alert(1)</script>")]
    [InlineData("'; DROP TABLE governed_execution.lineage_records; --")]
    [InlineData("a\u0001b\u001b[31m\r\n\u202e%_\\")]
    public async Task Hostile_strings_come_back_verbatim_and_are_never_sql(string hostile)
    {
        await using var db = await LineageTestDatabase.CreateAsync(server);
        await using var sink = await db.OpenAsync();
        await AppendAsync(sink, 0, 3);
        var execution = new GeneratedExecution(Guid.NewGuid(), "User::\"" + hostile + "\"", "Action::\"read\"", hostile + new string('x', 50_000), GeneratedOutcome.Completed);
        await sink.AppendAsync(GeneratedLineageLog.EventsOf(execution, Next), CancellationToken.None);
        await using var browser = new PostgreSqlLineageBrowser(db.Store);

        var byPrincipal = await browser.ListExecutionsAsync(new ExecutionQuery { Principal = execution.Principal });
        var bySearch = await browser.ListExecutionsAsync(new ExecutionQuery { Search = hostile });
        var detail = await browser.GetExecutionAsync(execution.Id);

        Assert.Equal(execution.Resource, Assert.Single(byPrincipal.Items).Resource);
        Assert.Equal(hostile, byPrincipal.Items[0].PrincipalId);
        Assert.Equal(execution.Id, Assert.Single(bySearch.Items).ExecutionId);
        Assert.Equal(execution.Principal, detail!.Records[0].Data.Single(d => d.Key == "principal").Value);
        Assert.Equal(4 * 6, await db.CountAsync("kind <> 'checkpoint'"));
    }

    [Fact]
    public async Task Children_are_found_across_writers_and_the_execution_has_its_records_in_order()
    {
        await using var db = await LineageTestDatabase.CreateAsync(server);
        await using var orchestrator = await db.OpenAsync(o => o.WriterName = "orchestrator");
        await using var worker = await db.OpenAsync(o => o.WriterName = "worker");
        var parent = GeneratedExecution.Sample(1);
        var nested = GeneratedExecution.Sample(2) with { Parent = parent.Id };
        var delegated = GeneratedExecution.Sample(4) with { Parent = parent.Id };
        await orchestrator.AppendAsync(GeneratedLineageLog.EventsOf(parent, Next), CancellationToken.None);
        await orchestrator.AppendAsync(GeneratedLineageLog.EventsOf(nested, Next), CancellationToken.None);
        await worker.AppendAsync(GeneratedLineageLog.EventsOf(delegated, Next), CancellationToken.None);
        await using var browser = new PostgreSqlLineageBrowser(db.Store);

        var detail = await browser.GetExecutionAsync(parent.Id);

        Assert.NotNull(detail);
        Assert.Equal(["intent_submitted", "policy_evaluated", "artifact_issued", "artifact_verified", "execution_started", "execution_completed"], detail.Records.Select(r => r.Kind));
        Assert.Equal([nested.Id, delegated.Id], detail.Children.Select(c => c.ExecutionId));
        Assert.Equal(worker.LogId, detail.Children[1].Log);
        Assert.Equal(["allow-1"], detail.DeterminingPolicies);
        Assert.Equal(new string('b', 64), detail.PolicySetDigest);
        var chain = await db.ChainAsync(orchestrator.WriterId);
        Assert.Equal(Encoding.UTF8.GetString(chain[0].Record), detail.Records[0].Json);
        Assert.Null(await browser.GetExecutionAsync(Guid.NewGuid()));
    }

    [Fact]
    public async Task An_altered_row_is_reported_not_shown_and_verification_is_broken_at_it()
    {
        await using var db = await LineageTestDatabase.CreateAsync(server);
        var sink = await db.OpenAsync();
        var written = await AppendAsync(sink, 0, 10);
        await sink.DisposeAsync();
        var chain = await db.ChainAsync(sink.WriterId);
        var (sequence, record) = chain.First(r => Encoding.UTF8.GetString(r.Record).Contains(written[5].Id.ToString("D"), StringComparison.Ordinal));
        var altered = Encoding.UTF8.GetString(record).Replace("user-5", "user-6", StringComparison.Ordinal);
        await db.ExecuteAsync($"UPDATE governed_execution.lineage_records SET record = convert_to('{altered.Replace("'", "''", StringComparison.Ordinal)}', 'UTF8') WHERE sequence = {sequence}");
        await using var browser = new PostgreSqlLineageBrowser(db.Store);

        var page = await browser.ListExecutionsAsync(new ExecutionQuery { PageSize = 50 });
        var verification = Assert.Single(await browser.VerifyAsync(new LineageVerifyRequest { TrustedKeys = [db.Trusted] }));
        var detail = await browser.GetExecutionAsync(written[5].Id);

        Assert.DoesNotContain(page.Items, s => s.ExecutionId == written[5].Id);
        Assert.Equal(9, page.Items.Count);
        Assert.Equal(LogVerificationStatus.Broken, verification.Status);
        Assert.Equal(sequence, verification.BrokenAt);
        Assert.Equal("hash mismatch: the record was altered", verification.Reason);
        Assert.Contains(detail!.Problems, p => p.Reason == "hash mismatch: the record was altered");
    }

    [Fact]
    public async Task Verification_stats_and_a_proof_that_govexec_checks_offline()
    {
        await using var db = await LineageTestDatabase.CreateAsync(server);
        var sink = await db.OpenAsync(o => o.WriterName = "payments");
        await AppendAsync(sink, 0, 10);
        await sink.DisposeAsync();
        await using var browser = new PostgreSqlLineageBrowser(db.Store);
        var writer = sink.WriterId.ToString("D");

        var verified = Assert.Single(await browser.VerifyAsync(new LineageVerifyRequest { TrustedKeys = [db.Trusted] }));
        var unsigned = Assert.Single(await browser.VerifyAsync(new LineageVerifyRequest()));
        var stats = Assert.Single((await browser.GetStatsAsync()).Logs);
        var proof = await browser.GetInclusionProofAsync(writer, 7, [db.Trusted]);
        var dir = Directory.CreateTempSubdirectory("pgproof");
        try
        {
            var proofPath = Path.Combine(dir.FullName, "proof.json");
            var keyPath = Path.Combine(dir.FullName, "checkpoint.pub.pem");
            await File.WriteAllBytesAsync(proofPath, proof.Proof!);
            await File.WriteAllTextAsync(keyPath, db.Trusted.ExportPublicKeyPem());
            using var output = new StringWriter();
            using var error = new StringWriter();
            var code = await GovexecApp.RunAsync(["lineage", "check-proof", proofPath, "--trust", keyPath], output, error, CancellationToken.None);
            Assert.True(code == 0, error.ToString());
        }
        finally
        {
            dir.Delete(recursive: true);
        }

        Assert.Equal(LogVerificationStatus.Verified, verified.Status);
        Assert.Equal(LogVerificationStatus.Unsigned, unsigned.Status);
        Assert.Equal(writer, stats.Log);
        Assert.Equal("payments", stats.Name);
        Assert.Equal((await db.ChainAsync(sink.WriterId)).Count, stats.Records);
        Assert.Equal(stats.Records - 1, stats.LastCheckpointTreeSize);
        Assert.True(proof.Succeeded, proof.Error);
        Assert.False((await browser.GetInclusionProofAsync(writer, 10_000, [db.Trusted])).Succeeded);
        Assert.False((await browser.GetInclusionProofAsync(Guid.NewGuid().ToString("D"), 1)).Succeeded);
    }

    private static async Task<List<ExecutionSummary>> AllPagesAsync(ILineageBrowser browser, ExecutionQuery query)
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
