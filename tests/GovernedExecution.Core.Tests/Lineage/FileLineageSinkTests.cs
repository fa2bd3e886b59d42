using System.Text;
using System.Text.Json;
using GovernedExecution.Lineage;
using GovernedExecution.Testing;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace GovernedExecution.Tests.Lineage;

public sealed class FileLineageSinkTests : IDisposable
{
    private readonly LineageTestLog _log = new();

    public void Dispose() => _log.Dispose();

    [Fact]
    public async Task Records_are_one_json_line_each_gap_free_and_verify_with_a_closing_checkpoint()
    {
        await _log.WriteAsync(25);

        var lines = _log.Lines();
        var records = lines.Select(l => JsonDocument.Parse(l).RootElement).ToArray();
        Assert.Equal(Enumerable.Range(1, lines.Length).Select(i => (long)i), records.Select(r => r.GetProperty("seq").GetInt64()));
        Assert.Single(records.Select(r => r.GetProperty("log").GetString()).Distinct());
        Assert.Equal("checkpoint", records[^1].GetProperty("kind").GetString());

        // 25 events, a checkpoint after every 10, and one at close: 25 + 2 + 1.
        Assert.Equal(28, lines.Length);
        var result = _log.Verify();
        Assert.True(result.IsValid, result.ToString());
        Assert.Equal(3, result.Checkpoints);
        Assert.True(result.SignaturesChecked);
    }

    [Fact]
    public async Task The_hash_covers_the_line_up_to_the_hash_member_closed_with_a_brace()
    {
        await _log.WriteAsync(1);
        var line = _log.Lines()[0];
        var cut = line.LastIndexOf(",\"hash\":\"", StringComparison.Ordinal);
        var body = line[..cut] + "}";
        var stated = JsonDocument.Parse(line).RootElement.GetProperty("hash").GetString();
        Assert.Equal(stated, Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(Encoding.UTF8.GetBytes(body))));
        Assert.Equal(64, stated!.Length);
    }

    [Fact]
    public async Task Reopening_continues_the_sequence_chain_and_Merkle_tree()
    {
        await _log.WriteAsync(7);
        await _log.WriteAsync(7);
        await _log.WriteAsync(7);

        var result = _log.Verify();
        Assert.True(result.IsValid, result.ToString());
        var logIds = _log.Lines().Select(l => JsonDocument.Parse(l).RootElement.GetProperty("log").GetString()).Distinct();
        Assert.Single(logIds);
    }

    [Fact]
    public async Task A_log_id_that_does_not_match_the_file_is_refused()
    {
        await _log.WriteAsync(2, o => o.LogId = "first");
        Assert.Throws<InvalidDataException>(() => _log.Open(o => o.LogId = "second"));
    }

    [Fact]
    public async Task A_torn_last_line_is_kept_and_sealed_by_a_repair_record_that_says_what_was_torn()
    {
        await _log.WriteAsync(5);
        var before = File.ReadAllBytes(_log.Path);
        var torn = "{\"v\":1,\"log\":\"x\",\"seq\":"u8.ToArray();
        await File.WriteAllBytesAsync(_log.Path, [.. before, .. torn]);

        await using (var sink = _log.Open())
        {
        }

        var after = File.ReadAllBytes(_log.Path);
        Assert.Equal(before, after.AsSpan(0, before.Length).ToArray());
        Assert.Equal(System.Text.Encoding.UTF8.GetString(torn), _log.Lines()[^3]);
        var repair = JsonDocument.Parse(_log.Lines().Single(l => l.Contains("\"kind\":\"repair\"", StringComparison.Ordinal))).RootElement;
        var data = repair.GetProperty("data");
        Assert.Equal(torn.Length.ToString(), data.GetProperty("cut_bytes").GetString());
        Assert.Equal(before.Length.ToString(), data.GetProperty("offset").GetString());
        Assert.Equal(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(torn)), data.GetProperty("cut_sha256").GetString());
        Assert.True(_log.Verify().IsValid);
    }

    [Fact]
    public async Task Break5_a_complete_but_corrupt_last_line_is_not_a_torn_line_and_the_log_is_not_opened()
    {
        await _log.WriteAsync(3);

        // As after a crash (no closing checkpoint), the last record, whole and newline-terminated, altered.
        var lines = _log.Lines()[..^1];
        lines[^1] = lines[^1].Replace("\"i\":\"", "\"i\":\"9", StringComparison.Ordinal);
        await File.WriteAllLinesAsync(_log.Path, lines);
        var before = await File.ReadAllBytesAsync(_log.Path);

        var ex = Assert.Throws<InvalidDataException>(() => _log.Open(o => o.AdoptUnsignedTail = true));
        Assert.Contains("govexec lineage seal", ex.Message, StringComparison.Ordinal);
        Assert.Equal(before, await File.ReadAllBytesAsync(_log.Path));
    }

    [Fact]
    public async Task Corruption_before_the_last_line_is_not_repaired_and_the_log_is_not_opened()
    {
        await _log.WriteAsync(5);

        // As after a crash: no closing checkpoint, and a record after the last checkpoint altered.
        var lines = _log.Lines()[..^1];
        lines[^2] = lines[^2].Replace("\"i\":\"", "\"i\":\"9", StringComparison.Ordinal);
        await File.WriteAllLinesAsync(_log.Path, lines);

        Assert.Throws<InvalidDataException>(() => _log.Open());
    }

    [Fact]
    public async Task Opening_resumes_from_the_last_checkpoint_without_reading_the_records_before_it()
    {
        await _log.WriteAsync(25);

        // Damage a record well before the last checkpoint: opening does not rehash it (it resumes from the
        // checkpoint's frontier), so the log opens and continues; verification still finds the damage.
        var lines = _log.Lines();
        lines[2] = lines[2].Replace("\"i\":\"", "\"i\":\"7", StringComparison.Ordinal);
        await File.WriteAllLinesAsync(_log.Path, lines);
        await _log.WriteAsync(3);

        var result = _log.Verify();
        Assert.False(result.IsValid);
        Assert.Equal(3, result.FailedLine);
        Assert.Equal(lines.Length + 4, _log.Lines().Length);
    }

    [Fact]
    public async Task Opening_resumes_from_the_checkpoint_the_newest_file_starts_with_when_it_has_no_other()
    {
        await _log.WriteAsync(40, o => o.RotateAtBytes = 3000);
        var newest = _log.Files()[^1];

        // As after a crash: the newest file holds its opening checkpoint and records, but no closing checkpoint.
        var lines = _log.Lines(newest);
        var kept = lines[..Array.FindLastIndex(lines, l => l.Contains("\"kind\":\"checkpoint\"", StringComparison.Ordinal))];
        Assert.Contains("\"kind\":\"checkpoint\"", kept[0], StringComparison.Ordinal);
        Assert.True(kept.Length > 1);
        Assert.DoesNotContain(kept[1..], l => l.Contains("\"kind\":\"checkpoint\"", StringComparison.Ordinal));
        await File.WriteAllLinesAsync(newest, kept);

        Assert.Throws<InvalidDataException>(() => _log.Open(o => o.RotateAtBytes = 3000));
        await _log.WriteAsync(5, o => { o.RotateAtBytes = 3000; o.AdoptUnsignedTail = true; });
        var result = _log.Verify();
        Assert.True(result.IsValid, result.ToString());
    }

    [Fact]
    public async Task Checkpoints_are_written_every_N_records()
    {
        await _log.WriteAsync(30, o => o.CheckpointEveryRecords = 5);
        var kinds = _log.Lines().Select(l => JsonDocument.Parse(l).RootElement.GetProperty("kind").GetString()).ToArray();
        for (var i = 0; i < kinds.Length; i++)
        {
            if (kinds[i] == "checkpoint")
            {
                Assert.Equal(5, kinds[..i].Reverse().TakeWhile(k => k != "checkpoint").Count());
            }
        }

        Assert.Equal(6, kinds.Count(k => k == "checkpoint"));
    }

    [Fact]
    public async Task Checkpoints_are_written_every_T_when_records_wait()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 11, 26, 12, 0, 0, TimeSpan.Zero));
        await using var sink = _log.Open(o => { o.TimeProvider = time; o.CheckpointEveryRecords = 1000; o.CheckpointEvery = TimeSpan.FromSeconds(10); });
        await sink.AppendAsync([LineageTestLog.Event(1)], CancellationToken.None);
        Assert.DoesNotContain(_log.Lines(), l => l.Contains("\"kind\":\"checkpoint\"", StringComparison.Ordinal));

        time.Advance(TimeSpan.FromSeconds(11));
        await sink.AppendAsync([LineageTestLog.Event(2)], CancellationToken.None);
        Assert.Contains(_log.Lines(), l => l.Contains("\"kind\":\"checkpoint\"", StringComparison.Ordinal));
    }

    [Fact]
    public async Task FlushAsync_writes_a_checkpoint_that_verifies()
    {
        await using var sink = _log.Open(o => o.CheckpointEveryRecords = 1000);
        await sink.AppendAsync([LineageTestLog.Event(1), LineageTestLog.Event(2)], CancellationToken.None);
        await sink.FlushAsync();
        Assert.True(_log.Verify().IsValid, _log.Verify().ToString());
    }

    [Fact]
    public async Task Rotation_by_size_numbers_the_files_and_continues_chain_and_tree_across_them()
    {
        await _log.WriteAsync(60, o => o.RotateAtBytes = 4000);
        await _log.WriteAsync(20, o => o.RotateAtBytes = 4000);
        var files = _log.Files();
        Assert.True(files.Count >= 3, string.Join(", ", files));
        Assert.Equal(System.IO.Path.Combine(_log.Directory, "lineage.1.jsonl"), files[1]);
        foreach (var file in files.Where(f => new FileInfo(f).Length > 0))
        {
            Assert.Contains("\"kind\":\"checkpoint\"", _log.Lines(file)[^1], StringComparison.Ordinal);
        }

        var result = _log.Verify();
        Assert.True(result.IsValid, result.ToString());
        Assert.Equal(80, _log.Files().SelectMany(f => _log.Lines(f)).Count(l => l.Contains("\"kind\":\"intent_submitted\"", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task Rotation_by_age_starts_a_new_file()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 11, 26, 12, 0, 0, TimeSpan.Zero));
        await using (var sink = _log.Open(o => { o.TimeProvider = time; o.RotateEvery = TimeSpan.FromHours(1); }))
        {
            await sink.AppendAsync([LineageTestLog.Event(1)], CancellationToken.None);
            time.Advance(TimeSpan.FromHours(2));
            await sink.AppendAsync([LineageTestLog.Event(2)], CancellationToken.None);
            await sink.AppendAsync([LineageTestLog.Event(3)], CancellationToken.None);
        }

        Assert.Equal(2, _log.Files().Count);
        Assert.True(_log.Verify().IsValid, _log.Verify().ToString());
    }

    [Fact]
    public async Task Buffered_mode_acknowledges_when_queued_and_loses_nothing_at_close()
    {
        await using (var sink = _log.Open(o => { o.Durability = LineageDurability.Buffered; o.QueueCapacity = 4; }))
        {
            await Task.WhenAll(Enumerable.Range(0, 200).Select(i => sink.AppendAsync([LineageTestLog.Event(i)], CancellationToken.None).AsTask()));
        }

        Assert.Equal(200, _log.Lines().Count(l => l.Contains("\"kind\":\"intent_submitted\"", StringComparison.Ordinal)));
        Assert.True(_log.Verify().IsValid);
    }

    [Fact]
    public async Task Break7_a_buffered_file_sink_cannot_be_required_since_it_acknowledges_before_the_disk()
    {
        await using var sink = _log.Open(o => o.Durability = LineageDurability.Buffered);
        var ex = Assert.Throws<ArgumentException>(() => new LineageSinkRegistration(sink, LineageSinkMode.Required));
        Assert.Contains("Buffered", ex.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => new GovernedExecution.DependencyInjection.GovernedExecutorBuilder().AddLineageSink(sink, LineageSinkMode.Required));
        Assert.Equal(LineageSinkMode.BestEffort, new LineageSinkRegistration(sink, LineageSinkMode.BestEffort).Mode);

        await using var durable = _log.Open(o => o.Path = System.IO.Path.Combine(_log.Directory, "durable.jsonl"));
        Assert.Equal(LineageSinkMode.Required, new LineageSinkRegistration(durable).Mode);
    }

    [Fact]
    public async Task Break7_records_a_full_disk_lost_in_Buffered_mode_are_recorded_signed_once_the_disk_has_room()
    {
        var disk = new DiskFullSegments();
        var lost = new List<Guid>();
        await using (var sink = _log.Open(o => { o.Durability = LineageDurability.Buffered; o.OpenSegment = disk.Open; }))
        {
            await AppendAsync(sink, 5);
            await sink.FlushAsync();

            // The disk fills: the appends are acknowledged (queued), their write fails part way.
            disk.Fill(bytesLeft: 100);
            lost.AddRange(await AppendAsync(sink, 7));
            await Assert.ThrowsAsync<IOException>(() => sink.FlushAsync().AsTask());

            // Room again: the sink takes appends and writes, and first records what it lost.
            disk.Free();
            await AppendAsync(sink, 3);
            await sink.FlushAsync();
        }

        var result = _log.Verify();
        Assert.True(result.IsValid, result.ToString());
        Assert.Equal(7, result.RecordsLost);
        Assert.Contains(result.Notices, n => n.Contains("7 acknowledged records were lost", StringComparison.Ordinal));

        var record = Assert.Single(RecordsLost());
        Assert.Equal("7", record.GetProperty("count").GetString());
        Assert.Equal("No space left on device (simulated)", record.GetProperty("cause").GetString());
        Assert.Equal(lost.Select(e => e.ToString("D")).Order(), record.GetProperty("executions").GetString()!.Split(',').Order());
        Assert.Equal(8, _log.Lines().Count(l => l.Contains("\"kind\":\"intent_submitted\"", StringComparison.Ordinal)));
        Assert.DoesNotContain(_log.Lines(), l => lost.Any(e => l.Contains(e.ToString("D"), StringComparison.Ordinal) && l.Contains("\"kind\":\"intent_submitted\"", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task Break7_every_acknowledged_record_is_in_the_log_or_named_lost_when_a_write_lands_in_part()
    {
        var disk = new DiskFullSegments();
        var acknowledged = new List<Guid>();
        await using (var sink = _log.Open(o => { o.Durability = LineageDurability.Buffered; o.OpenSegment = disk.Open; o.CheckpointEveryRecords = 1000; }))
        {
            await sink.FlushAsync();

            // Room for two and a half records: whole records may land before the write fails.
            disk.Fill(bytesLeft: 650);
            acknowledged.AddRange(await AppendAsync(sink, 9));
            await Assert.ThrowsAsync<IOException>(() => sink.FlushAsync().AsTask());
            acknowledged.AddRange(await AppendAsync(sink, 2));
            await Assert.ThrowsAsync<IOException>(() => sink.FlushAsync().AsTask());
            disk.Free();
        }

        var result = _log.Verify();
        Assert.True(result.IsValid, result.ToString());
        // The half-written line the failed write left is sealed by a repair record, and is not a record.
        Assert.Single(_log.Lines(), l => l.Contains("torn write sealed after a failed write", StringComparison.Ordinal));
        var written = _log.Lines().Where(l => l.EndsWith('}') && l.Contains("\"kind\":\"intent_submitted\"", StringComparison.Ordinal))
            .Select(l => Guid.Parse(JsonDocument.Parse(l).RootElement.GetProperty("exec").GetString()!)).ToList();
        var named = RecordsLost().SelectMany(r => r.GetProperty("executions").GetString()!.Split(',').Select(Guid.Parse)).ToList();
        Assert.Equal(acknowledged.Order(), written.Concat(named).Order());
        Assert.Equal(named.Count, result.RecordsLost);
        Assert.True(named.Count >= 8, $"{named.Count} named lost");
    }

    [Fact]
    public async Task Break7_lost_records_are_recorded_by_the_closing_write_when_the_disk_has_room_by_then()
    {
        var disk = new DiskFullSegments();
        await using (var sink = _log.Open(o => { o.Durability = LineageDurability.Buffered; o.OpenSegment = disk.Open; }))
        {
            await AppendAsync(sink, 2);
            await sink.FlushAsync();
            disk.Fill();
            await AppendAsync(sink, 4);
            await Assert.ThrowsAsync<IOException>(() => sink.FlushAsync().AsTask());
            disk.Free();
        }

        var result = _log.Verify();
        Assert.True(result.IsValid, result.ToString());
        Assert.Equal(4, result.RecordsLost);
        Assert.Equal("4", Assert.Single(RecordsLost()).GetProperty("count").GetString());
        Assert.Contains("\"kind\":\"checkpoint\"", _log.Lines()[^1], StringComparison.Ordinal);
    }

    [Fact]
    public async Task Break7_a_disk_still_full_at_close_cannot_record_the_loss_in_the_file_so_it_is_logged_with_the_executions()
    {
        var disk = new DiskFullSegments();
        var logs = new CapturingLoggerFactory();
        List<Guid> lost;
        await using (var sink = _log.Open(o => { o.Durability = LineageDurability.Buffered; o.OpenSegment = disk.Open; o.Logger = logs.CreateLogger("lineage"); }))
        {
            await AppendAsync(sink, 2);
            await sink.FlushAsync();
            disk.Fill();
            lost = await AppendAsync(sink, 3);
            await Assert.ThrowsAsync<IOException>(() => sink.FlushAsync().AsTask());
        }

        // Nothing could be written: the file ends with the checkpoint before the loss, and cannot tell (documented).
        var result = _log.Verify();
        Assert.True(result.IsValid, result.ToString());
        Assert.Equal(0, result.RecordsLost);
        Assert.Contains(logs.Entries, e => e.EventId == 1103);
        var unrecorded = Assert.Single(logs.Entries, e => e.EventId == 1105);
        Assert.Equal(3, Convert.ToInt64(unrecorded.State["Count"], System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(lost.Select(e => e.ToString("D")).Order(), ((string)unrecorded.State["Executions"]!).Split(',').Order());
    }

    [Fact]
    public async Task Break7_a_gap_that_no_records_lost_record_accounts_for_still_fails_and_so_does_a_forged_one()
    {
        var disk = new DiskFullSegments();
        await using (var sink = _log.Open(o => { o.Durability = LineageDurability.Buffered; o.OpenSegment = disk.Open; }))
        {
            await AppendAsync(sink, 3);
            await sink.FlushAsync();
            disk.Fill();
            await AppendAsync(sink, 2);
            await Assert.ThrowsAsync<IOException>(() => sink.FlushAsync().AsTask());
            disk.Free();
            await AppendAsync(sink, 3);
        }

        var lines = _log.Lines();
        Assert.True(_log.Verify().IsValid);
        var at = Array.FindIndex(lines, l => l.Contains("\"kind\":\"records_lost\"", StringComparison.Ordinal));

        // Removed: the chain breaks there.
        File.WriteAllLines(_log.Path, lines.Where((_, i) => i != at));
        Assert.False(_log.Verify().IsValid);

        // Its count lowered: the record's hash no longer matches.
        File.WriteAllLines(_log.Path, lines.Select((l, i) => i == at ? l.Replace("\"count\":\"2\"", "\"count\":\"0\"", StringComparison.Ordinal) : l));
        Assert.False(_log.Verify().IsValid);
    }

    private static async Task<List<Guid>> AppendAsync(FileLineageSink sink, int count)
    {
        var executions = new List<Guid>();
        for (var i = 0; i < count; i++)
        {
            var execution = Guid.NewGuid();
            executions.Add(execution);
            await sink.AppendAsync([LineageTestLog.Event(i, execution)], CancellationToken.None);
        }

        return executions;
    }

    private List<JsonElement> RecordsLost() => _log.Lines()
        .Where(l => l.Contains("\"kind\":\"records_lost\"", StringComparison.Ordinal))
        .Select(l => JsonDocument.Parse(l).RootElement.GetProperty("data").Clone())
        .ToList();

    [Fact]
    public async Task Buffered_mode_refuses_when_the_queue_is_full_and_configured_to_refuse()
    {
        var slow = new SlowSegments(TimeSpan.FromMilliseconds(200));
        await using var sink = _log.Open(o => { o.Durability = LineageDurability.Buffered; o.QueueCapacity = 1; o.QueueFullMode = LineageQueueFullMode.Refuse; o.OpenSegment = slow.Open; });
        var refused = 0;
        for (var i = 0; i < 20; i++)
        {
            try
            {
                await sink.AppendAsync([LineageTestLog.Event(i)], CancellationToken.None);
            }
            catch (IOException)
            {
                refused++;
            }
        }

        Assert.True(refused > 0);
    }

    [Fact]
    public void Invalid_options_report_every_failure()
    {
        var ex = Assert.Throws<OptionsValidationException>(() => FileLineageSink.Open(new FileLineageSinkOptions { Path = "", QueueCapacity = 0, CheckpointEveryRecords = 0 }));
        Assert.Equal(3, ex.Failures.Count());
    }

    [Fact]
    public async Task A_second_writer_of_the_same_log_is_refused_until_the_first_closes()
    {
        await using (var first = _log.Open())
        {
            Assert.Throws<IOException>(() => _log.Open());
        }

        await using var second = _log.Open();
        await second.AppendAsync([LineageTestLog.Event(1)], CancellationToken.None);
    }

    [Fact]
    public async Task Awkward_data_is_escaped_into_one_line_and_the_log_still_verifies()
    {
        await using (var sink = _log.Open())
        {
            var e = new LineageEvent(LineageEventKind.IntentSubmitted, Guid.NewGuid(), null, DateTimeOffset.UnixEpoch,
                [new("line\nfeed", "quote \" and \u2028 and \0"), new("lone", "a\ud800b"), new("null", null!), new("émoji", "😀")]);
            await sink.AppendAsync([e], CancellationToken.None);
            await sink.AppendAsync([LineageTestLog.Event(2)], CancellationToken.None);
        }

        Assert.Equal(3, _log.Lines().Length);
        Assert.True(_log.Verify().IsValid, _log.Verify().ToString());
        var data = JsonDocument.Parse(_log.Lines()[0]).RootElement.GetProperty("data");
        Assert.Equal("quote \" and \u2028 and \0", data.GetProperty("line\nfeed").GetString());
        Assert.Equal(string.Empty, data.GetProperty("null").GetString());
    }

    [Fact]
    public async Task Appending_after_dispose_throws()
    {
        var sink = _log.Open();
        await sink.DisposeAsync();
        await Assert.ThrowsAsync<ObjectDisposedException>(async () => await sink.AppendAsync([LineageTestLog.Event(1)], CancellationToken.None));
    }
}
