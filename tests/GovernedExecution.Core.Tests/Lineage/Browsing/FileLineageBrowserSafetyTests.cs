using System.Text;
using GovernedExecution.Lineage;
using GovernedExecution.Lineage.Browsing;
using GovernedExecution.Testing;
using GovernedExecution.Tests.Cli;

namespace GovernedExecution.Tests.Lineage.Browsing;

/// <summary>
/// What a log can do to whoever browses it: hostile strings, overlong lines, altered and truncated files, and sheer
/// size. The browser reports, never throws, never reads a whole log for a page, and hands strings back verbatim.
/// </summary>
public sealed class FileLineageBrowserSafetyTests : IDisposable
{
    private readonly BrowsingTestLogs _logs = new();

    public void Dispose() => _logs.Dispose();

    public static TheoryData<string> HostileStrings => new()
    {
        "<script>alert(1)</script>",
        "\"><img src=x onerror=alert(1)>",
        "a\u0000b\u0001c\u001b[31mred\u001b[0m\r\nnext",
        "\u202egnp.exe\u2066\u2069",
        "{{constructor.constructor('alert(1)')()}}",
        "'; DROP TABLE lineage_records; --",
        new string('x', 100_000),
    };

    [Theory]
    [MemberData(nameof(HostileStrings))]
    public async Task Hostile_strings_come_back_verbatim_as_data(string hostile)
    {
        var execution = new GeneratedExecution(Guid.NewGuid(), "User::\"" + hostile + "\"", "Action::\"" + hostile + "\"", hostile, GeneratedOutcome.Completed);
        using (var log = new GeneratedLineageLog(_logs.PathOf("hostile.jsonl"), _logs.Key))
        {
            log.Append(GeneratedExecution.Sample(1));
            log.Append(execution);
        }

        await using var browser = _logs.Browser(names: "hostile.jsonl");
        var page = await browser.ListExecutionsAsync(new ExecutionQuery { Principal = execution.Principal });
        var found = await browser.ListExecutionsAsync(new ExecutionQuery { Search = hostile });
        var detail = await browser.GetExecutionAsync(execution.Id);

        var summary = Assert.Single(page.Items);
        Assert.Equal(execution.Principal, summary.Principal);
        Assert.Equal(hostile, summary.PrincipalId);
        Assert.Equal(execution.Action, summary.Action);
        Assert.Equal(hostile, summary.Resource);
        Assert.Equal(execution.Id, Assert.Single(found.Items).ExecutionId);
        Assert.Equal(hostile, detail!.Records[0].Data.Single(d => d.Key == "resource").Value);
        Assert.Equal(File.ReadAllLines(_logs.PathOf("hostile.jsonl"))[6], detail.Records[0].Json);
        Assert.Empty(page.Problems);
    }

    [Fact]
    public async Task A_line_longer_than_the_limit_is_reported_and_the_rest_is_listed()
    {
        var big = new GeneratedExecution(Guid.NewGuid(), "User::\"big\"", "Action::\"read\"", new string('r', 20_000), GeneratedOutcome.Completed);
        var before = GeneratedExecution.Sample(1);
        var after = GeneratedExecution.Sample(2);
        using (var log = new GeneratedLineageLog(_logs.PathOf("long.jsonl"), _logs.Key))
        {
            log.Append(before);
            log.Append(big);
            log.Append(after);
        }

        await using var browser = _logs.Browser(maxLineBytes: 4096, "long.jsonl");
        var page = await browser.ListExecutionsAsync(new ExecutionQuery());
        var detail = await browser.GetExecutionAsync(before.Id);

        Assert.Equal([after.Id, before.Id], page.Items.Select(s => s.ExecutionId));
        var problem = Assert.Single(page.Problems);
        Assert.Contains("longer than 4096 bytes", problem.Reason, StringComparison.Ordinal);
        Assert.NotNull(detail);

        // Its other records are there; the page says its first record could not be read.
        var partial = await browser.GetExecutionAsync(big.Id);
        Assert.Null(partial!.Summary.Principal);
        Assert.Contains(partial.Problems, p => p.Reason.Contains("intent_submitted", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_huge_line_without_any_line_feed_is_skipped_without_being_held()
    {
        var written = _logs.WriteSample("nolf.jsonl", 5);
        await using (var file = new FileStream(_logs.PathOf("nolf.jsonl"), FileMode.Append))
        {
            // 3 MB of garbage then a line feed: one line far beyond the limit, then nothing.
            await file.WriteAsync(Encoding.ASCII.GetBytes(new string('z', 3_000_000) + "\n"));
        }

        await using var browser = _logs.Browser(maxLineBytes: 4096, "nolf.jsonl");
        var page = await browser.ListExecutionsAsync(new ExecutionQuery());

        Assert.Equal(written.Select(e => e.Id).Reverse(), page.Items.Select(s => s.ExecutionId));
        Assert.Contains(page.Problems, p => p.Reason.Contains("longer than", StringComparison.Ordinal));
    }

    [Fact]
    public async Task An_altered_record_is_reported_and_verification_says_broken_at_it()
    {
        var written = _logs.WriteSample("tampered.jsonl", 20);
        var path = _logs.PathOf("tampered.jsonl");
        var lines = File.ReadAllLines(path);
        var at = Array.FindIndex(lines, l => l.Contains(written[12].Id.ToString("D"), StringComparison.Ordinal) && l.Contains("intent_submitted", StringComparison.Ordinal));
        lines[at] = lines[at].Replace("user-12", "user-99", StringComparison.Ordinal);
        File.WriteAllText(path, string.Join("\n", lines) + "\n");
        var expected = LineageVerifier.VerifyFiles([path], _logs.Trusted);

        await using var browser = _logs.Browser(names: "tampered.jsonl");
        var page = await browser.ListExecutionsAsync(new ExecutionQuery { PageSize = 200 });
        var verification = Assert.Single(await browser.VerifyAsync(new LineageVerifyRequest { TrustedKeys = _logs.Trusted }));

        // The altered intent is not shown as if it were a record: the execution is left out and the line reported.
        Assert.DoesNotContain(page.Items, s => s.ExecutionId == written[12].Id);
        Assert.Equal(19, page.Items.Count);
        Assert.Contains(page.Problems, p => p.Reason == "hash mismatch: the record was altered");
        Assert.Equal(LogVerificationStatus.Broken, verification.Status);
        Assert.Equal(at + 1, verification.BrokenAt);
        Assert.Equal(expected.Error, verification.Reason);
        Assert.Equal(expected.FailedLine, verification.Line);
        Assert.Equal("hash mismatch: the record was altered", verification.Reason);
    }

    [Fact]
    public async Task Verification_is_verified_with_keys_unsigned_without_and_reports_progress()
    {
        _logs.WriteSample("v.jsonl", 3000, checkpointEvery: 500);
        await using var browser = _logs.Browser(names: "v.jsonl");
        var reports = new List<LineageVerifyProgress>();

        var signed = Assert.Single(await browser.VerifyAsync(new LineageVerifyRequest { TrustedKeys = _logs.Trusted }, new SynchronousProgress(reports.Add)));
        var unsigned = Assert.Single(await browser.VerifyAsync(new LineageVerifyRequest()));
        var job = LineageBrowsers.StartVerification(browser, new LineageVerifyRequest { TrustedKeys = _logs.Trusted });
        var background = Assert.Single(await job.Completion);

        Assert.Equal(LogVerificationStatus.Verified, signed.Status);
        Assert.True(signed.SignaturesChecked);
        Assert.True(signed.Checkpoints > 1);
        Assert.Equal(LogVerificationStatus.Unsigned, unsigned.Status);
        Assert.Equal(LogVerificationStatus.Verified, background.Status);
        Assert.True(reports.Count > 1);
        Assert.Equal(reports[^1].Total, reports[^1].Done);
        Assert.Equal(new FileInfo(_logs.PathOf("v.jsonl")).Length, reports[^1].Total);
        Assert.Equal(job.Progress.Total, job.Progress.Done);
    }

    [Fact]
    public async Task A_witness_that_holds_a_later_checkpoint_makes_a_cut_log_broken()
    {
        var path = _logs.PathOf("w.jsonl");
        _logs.WriteSample("w.jsonl", 50, checkpointEvery: 40);
        var witness = new DirectoryCheckpointWitness(_logs.PathOf("witness"));
        var lines = File.ReadAllLines(path);
        var last = LineageRecordLine.TryParse(Encoding.UTF8.GetBytes(lines[^1]), out _)!;
        var head = new LineageTreeHead(last.LogId, last.Sequence - 1, Convert.FromHexString(last["root"]!), System.Buffers.Text.Base64Url.DecodeFromChars(last["signature"]!));
        await witness.AddCheckpointAsync(0, [], head, CancellationToken.None);
        File.WriteAllText(path, string.Join("\n", lines[..^60]) + "\n");

        await using var browser = _logs.Browser(names: "w.jsonl");
        var result = Assert.Single(await browser.VerifyAsync(new LineageVerifyRequest { TrustedKeys = _logs.Trusted, WitnessDirectory = _logs.PathOf("witness") }));

        Assert.Equal(LogVerificationStatus.Broken, result.Status);
        Assert.Contains("witness", result.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_inclusion_proof_is_the_file_govexec_checks_offline()
    {
        _logs.WriteSample("proof.jsonl", 40, checkpointEvery: 30);
        var path = _logs.PathOf("proof.jsonl");
        await using var browser = _logs.Browser(names: "proof.jsonl");

        var result = await browser.GetInclusionProofAsync(path, 17, _logs.Trusted);
        var proofPath = _logs.PathOf("record-17.proof.json");
        await File.WriteAllBytesAsync(proofPath, result.Proof!);
        var publicKey = _logs.PathOf("checkpoint.pub.pem");
        await File.WriteAllTextAsync(publicKey, _logs.Trusted[0].ExportPublicKeyPem());
        var cli = await Govexec.InProcessAsync("lineage", "prove", path, "--sequence", "17", "--trust", publicKey);
        var check = await Govexec.InProcessAsync("lineage", "check-proof", proofPath, "--trust", publicKey);

        Assert.True(result.Succeeded, result.Error);
        Assert.Equal(cli.Output, Encoding.UTF8.GetString(result.Proof!));
        Assert.True(check.Code == 0, check.ToString());
        Assert.Null(LineageProofs.Verify(Encoding.UTF8.GetString(result.Proof!), _logs.Trusted.ToDictionary(k => k.KeyId)));

        var none = await browser.GetInclusionProofAsync(path, 100_000, _logs.Trusted);
        Assert.False(none.Succeeded);
        Assert.Contains("No checkpoint covers record", none.Error, StringComparison.Ordinal);
        Assert.False((await browser.GetInclusionProofAsync("another", 1)).Succeeded);
    }

    [Fact]
    public async Task A_file_truncated_after_it_was_indexed_is_reported_not_thrown()
    {
        var written = _logs.WriteSample("cut.jsonl", 30);
        var path = _logs.PathOf("cut.jsonl");
        await using var browser = _logs.Browser(names: "cut.jsonl");
        Assert.NotNull(await browser.GetExecutionAsync(written[29].Id));

        var lines = File.ReadAllLines(path);
        File.WriteAllText(path, string.Join("\n", lines[..60]) + "\n");
        var kept = await browser.GetExecutionAsync(written[2].Id);
        var gone = await browser.GetExecutionAsync(written[29].Id);

        Assert.Null(gone);
        Assert.NotNull(kept);
        Assert.Contains(kept.Problems, p => p.Reason.Contains("truncated or replaced", StringComparison.Ordinal));
    }

    [Fact]
    public async Task The_first_page_reads_a_bounded_number_of_bytes_whatever_the_log_size()
    {
        _logs.WriteSample("small.jsonl", 2_000, checkpointEvery: 1000);
        _logs.WriteSample("large.jsonl", 40_000, checkpointEvery: 1000);
        var largeSize = new FileInfo(_logs.PathOf("large.jsonl")).Length;
        await using var small = _logs.Browser(names: "small.jsonl");
        await using var large = _logs.Browser(names: "large.jsonl");

        async Task<long> Measure(ILineageBrowser browser, Func<ILineageBrowser, Task> action)
        {
            _logs.ResetCount();
            await action(browser);
            return _logs.BytesRead;
        }

        var firstPage = (Func<ILineageBrowser, Task>)(b => b.ListExecutionsAsync(new ExecutionQuery { PageSize = 50 }).AsTask());
        var fullPage = (Func<ILineageBrowser, Task>)(b => b.ListExecutionsAsync(new ExecutionQuery { PageSize = ExecutionQuery.MaxPageSize }).AsTask());
        var stats = (Func<ILineageBrowser, Task>)(b => b.GetStatsAsync().AsTask());
        var smallFirst = await Measure(small, firstPage);
        var largeFirst = await Measure(large, firstPage);
        var largeFull = await Measure(large, fullPage);
        var largeStats = await Measure(large, stats);

        // 64 KiB chunks: a page of 50 executions (about 270 records of 450 bytes, and one more to know whether a next
        // page exists) needs three; the largest page (200) about nine. The log is more than a hundred times larger.
        Assert.True(largeSize > 15_000_000, $"{largeSize}");
        Assert.True(Math.Abs(smallFirst - largeFirst) <= 65_536, $"{smallFirst} {largeFirst}");
        Assert.True(largeFirst <= 4 * 65_536, $"{largeFirst}");
        Assert.True(largeFull <= 10 * 65_536, $"{largeFull}");
        Assert.True(largeStats <= 2 * 65_536, $"{largeStats}");

        // A page after a cursor reads the page and the outcome lookahead, not what lies before or after.
        var page = await large.ListExecutionsAsync(new ExecutionQuery { PageSize = 50 });
        page = await large.ListExecutionsAsync(new ExecutionQuery { PageSize = 50, Cursor = page.NextCursor });
        _logs.ResetCount();
        await large.ListExecutionsAsync(new ExecutionQuery { PageSize = 50, Cursor = page.NextCursor });
        Assert.True(_logs.BytesRead <= FileLineageBrowser.OutcomeLookaheadBytes + (3 * 65_536), $"{_logs.BytesRead}");
    }

    private sealed class SynchronousProgress(Action<LineageVerifyProgress> report) : IProgress<LineageVerifyProgress>
    {
        public void Report(LineageVerifyProgress value) => report(value);
    }
}
