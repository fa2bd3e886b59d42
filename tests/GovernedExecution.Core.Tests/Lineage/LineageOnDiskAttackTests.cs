using System.Text;
using System.Text.Json;
using GovernedExecution.Artifacts.Keys;
using GovernedExecution.Lineage;

namespace GovernedExecution.Tests.Lineage;

/// <summary>
/// Attacks by someone who can write the log's disk but does not hold the checkpoint key: each must be refused when
/// the sink opens, or reported by verification, never adopted and signed over.
/// </summary>
public sealed class LineageOnDiskAttackTests : IDisposable
{
    private readonly LineageTestLog _log = new();

    public void Dispose() => _log.Dispose();

    /// <summary>Re-chains forged records after the given lines (SHA-256 only: no key is needed for this).</summary>
    internal static string[] Forge(string[] kept, int count, string? logId = null)
    {
        var lines = kept.ToList();
        long sequence = 0;
        var head = LineageChainProbe.Genesis;
        if (kept.Length > 0)
        {
            var last = JsonDocument.Parse(kept[^1]).RootElement;
            sequence = last.GetProperty("seq").GetInt64();
            head = last.GetProperty("hash").GetString()!;
            logId ??= last.GetProperty("log").GetString();
        }

        for (var i = 0; i < count; i++)
        {
            var e = new LineageEvent(LineageEventKind.ExecutionCompleted, Guid.NewGuid(), null, DateTimeOffset.UnixEpoch, [new("forged", "yes")]);
            var (line, hash) = LineageChainProbe.Create(++sequence, logId ?? "fabricated", e, head);
            lines.Add(line);
            head = hash;
        }

        return [.. lines];
    }

    [Fact]
    public async Task Break1_laundering_a_forged_history_after_a_genuine_checkpoint_is_refused_on_open()
    {
        await _log.WriteAsync(25);
        var lines = _log.Lines();
        var firstCheckpoint = Array.FindIndex(lines, l => l.Contains("\"kind\":\"checkpoint\"", StringComparison.Ordinal));
        await File.WriteAllLinesAsync(_log.Path, Forge(lines[..(firstCheckpoint + 1)], 5));

        var ex = Assert.Throws<InvalidDataException>(() => _log.Open());
        Assert.Contains("not covered by a checkpoint", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(_log.Lines()[(firstCheckpoint + 6)..], l => l.Contains("\"kind\":\"checkpoint\"", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Break1_a_fully_fabricated_log_without_any_checkpoint_is_refused_on_open()
    {
        await File.WriteAllLinesAsync(_log.Path, Forge([], 8));
        Assert.Throws<InvalidDataException>(() => _log.Open());
        Assert.Equal(8, _log.Lines().Length);
    }

    [Fact]
    public async Task Break1_a_forged_checkpoint_signed_by_another_key_is_refused_on_open()
    {
        await _log.WriteAsync(5);
        using var other = SigningKey.Generate();
        // A log the attacker wrote and closed with their own key, put in place of the real one.
        var forgedPath = Path.Combine(_log.Directory, "forged.jsonl");
        await using (var sink = FileLineageSink.Open(new FileLineageSinkOptions { Path = forgedPath, CheckpointKey = other, LogId = JsonDocument.Parse(_log.Lines()[0]).RootElement.GetProperty("log").GetString() }))
        {
            await sink.AppendAsync([LineageTestLog.Event(1)], CancellationToken.None);
        }

        File.Copy(forgedPath, _log.Path, overwrite: true);
        var ex = Assert.Throws<InvalidDataException>(() => _log.Open());
        Assert.Contains("sink's key", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unsigned_tail_is_adopted_only_by_explicit_option_with_a_signed_record_that_verification_reports()
    {
        await _log.WriteAsync(25);
        var lines = _log.Lines();
        var firstCheckpoint = Array.FindIndex(lines, l => l.Contains("\"kind\":\"checkpoint\"", StringComparison.Ordinal));
        await File.WriteAllLinesAsync(_log.Path, Forge(lines[..(firstCheckpoint + 1)], 3));
        Assert.Throws<InvalidDataException>(() => _log.Open());

        await using (_log.Open(o => o.AdoptUnsignedTail = true))
        {
        }

        var result = _log.Verify();
        Assert.True(result.IsValid, result.ToString());
        var notice = Assert.Single(result.Notices);
        Assert.Contains($"records {firstCheckpoint + 2} to {firstCheckpoint + 4}", notice, StringComparison.Ordinal);
        Assert.Contains("\"notices\":[", result.ToJson(), StringComparison.Ordinal);

        // The adoption record is covered by a checkpoint signed right after it.
        var after = _log.Lines()[(firstCheckpoint + 4)..];
        Assert.Contains("\"kind\":\"repair\"", after[0], StringComparison.Ordinal);
        Assert.Contains("\"kind\":\"checkpoint\"", after[1], StringComparison.Ordinal);
    }
}

internal static class LineageChainProbe
{
    public static string Genesis => LineageChain.GenesisHash;

    public static (string Line, string Hash) Create(long sequence, string logId, LineageEvent e, string previous)
    {
        var record = LineageChain.Create(sequence, logId, e, previous);
        return (Encoding.UTF8.GetString(record.Line.Span), record.Hash);
    }
}
