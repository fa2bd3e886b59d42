using System.Globalization;
using System.Text;
using FsCheck;
using FsCheck.Fluent;
using GovernedExecution.Lineage;

namespace GovernedExecution.Tests.Lineage;

/// <summary>Every kind of tampering with a closed log is reported by verification, at the line where it is.</summary>
public sealed class LineageTamperTests : IDisposable
{
    private readonly LineageTestLog _log = new();
    private readonly string _tampered;
    private readonly byte[][] _lines;

    public LineageTamperTests()
    {
        _log.WriteAsync(12, o => o.CheckpointEveryRecords = 4).GetAwaiter().GetResult();
        _lines = [.. File.ReadAllLines(_log.Path).Select(Encoding.UTF8.GetBytes)];
        _tampered = Path.Combine(_log.Directory, "tampered.jsonl");
        Assert.True(_log.Verify().IsValid);
    }

    public void Dispose() => _log.Dispose();

    [Fact]
    public void Changing_any_byte_of_any_record_is_reported_at_that_line()
    {
        for (var line = 0; line < _lines.Length; line++)
        {
            for (var at = 0; at < _lines[line].Length; at++)
            {
                var copy = _lines.Select(l => (byte[])l.Clone()).ToArray();
                copy[line][at] ^= 0x01;
                AssertReportedAt(Write(copy), line + 1, $"byte {at} of line {line + 1}");
            }
        }
    }

    [FsCheck.Xunit.Property(MaxTest = 300)]
    public Property Replacing_a_byte_with_any_other_value_is_reported_at_that_line(PositiveInt lineSeed, PositiveInt atSeed, byte value)
    {
        var line = lineSeed.Get % _lines.Length;
        var at = atSeed.Get % _lines[line].Length;
        var copy = _lines.Select(l => (byte[])l.Clone()).ToArray();
        var original = copy[line][at];
        copy[line][at] = value;
        var result = LineageVerifier.VerifyFiles([Write(copy)], _log.Trusted);
        return (value == original || (!result.IsValid && result.FailedLine == line + 1)).Label($"line {line + 1} byte {at}: {result}");
    }

    [Fact]
    public void Deleting_a_line_is_reported_at_its_place()
    {
        for (var line = 0; line < _lines.Length; line++)
        {
            AssertReportedAt(Write([.. _lines.Where((_, i) => i != line)]), line + 1, $"deleted line {line + 1}");
        }
    }

    [Fact]
    public void Duplicating_a_line_is_reported_at_the_copy()
    {
        for (var line = 0; line < _lines.Length; line++)
        {
            var copy = _lines.ToList();
            copy.Insert(line + 1, _lines[line]);
            AssertReportedAt(Write([.. copy]), line + 2, $"duplicated line {line + 1}");
        }
    }

    [Fact]
    public void Swapping_two_lines_is_reported_at_the_first()
    {
        for (var line = 0; line + 1 < _lines.Length; line++)
        {
            var copy = _lines.ToArray();
            (copy[line], copy[line + 1]) = (copy[line + 1], copy[line]);
            AssertReportedAt(Write(copy), line + 1, $"swapped lines {line + 1} and {line + 2}");
        }
    }

    [Fact]
    public async Task Inserting_a_record_of_another_log_is_reported_at_the_inserted_line()
    {
        using var other = new LineageTestLog();
        await other.WriteAsync(3);
        var foreign = Encoding.UTF8.GetBytes(File.ReadAllLines(other.Path)[1]);
        for (var line = 0; line <= _lines.Length; line++)
        {
            var copy = _lines.ToList();
            copy.Insert(line, foreign);
            AssertReportedAt(Write([.. copy]), line + 1, $"inserted before line {line + 1}");
        }
    }

    [Fact]
    public void A_forged_record_with_a_correct_hash_breaks_the_line_after_it()
    {
        for (var line = 1; line < _lines.Length; line++)
        {
            var previous = Parse(_lines[line - 1]);
            var forged = LineageChain.Create(previous.Sequence + 1, previous.LogId, LineageTestLog.Event(99), previous.Hash).Line.ToArray();
            var copy = _lines.ToList();
            copy.Insert(line, forged);
            AssertReportedAt(Write([.. copy]), line + 2, $"forged record at line {line + 1}");
        }
    }

    [Fact]
    public void A_forged_record_with_the_rest_of_the_chain_rehashed_is_caught_by_the_next_checkpoint()
    {
        // The forger rewrites every later record, so the chain is whole again; the next checkpoint's root is not.
        for (var line = 1; line < _lines.Length; line++)
        {
            var copy = _lines.Take(line).ToList();
            var previous = Parse(_lines[line - 1]);
            var head = previous.Hash;
            var sequence = previous.Sequence;
            var originals = new[] { (byte[]?)null }.Concat(_lines.Skip(line).Select(l => (byte[]?)l));
            int? firstCheckpoint = null;
            foreach (var original in originals)
            {
                var e = original is null ? LineageTestLog.Event(99) : ToEvent(Parse(original));
                var record = LineageChain.Create(++sequence, previous.LogId, e, head);
                head = record.Hash;
                copy.Add(record.Line.ToArray());
                if (e.Kind == LineageEventKind.Checkpoint)
                {
                    firstCheckpoint ??= copy.Count;
                }
            }

            AssertReportedAt(Write([.. copy]), firstCheckpoint!.Value, $"forged record at line {line + 1}, chain rehashed");
        }
    }

    [Fact]
    public void Truncating_between_checkpoints_is_reported_after_the_last_line_kept()
    {
        for (var keep = 1; keep < _lines.Length; keep++)
        {
            if (Parse(_lines[keep - 1]).Kind == LineageEventKind.Checkpoint)
            {
                continue;
            }

            var result = AssertReportedAt(Write(_lines[..keep]), keep + 1, $"truncated after line {keep}");
            Assert.Contains("closing checkpoint", result.Error, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Truncating_inside_a_line_is_reported_at_that_line_as_torn()
    {
        var bytes = File.ReadAllBytes(_log.Path);
        var lineStarts = new List<int> { 0 };
        for (var i = 0; i < bytes.Length - 1; i++)
        {
            if (bytes[i] == '\n')
            {
                lineStarts.Add(i + 1);
            }
        }

        var random = new Random(7);
        for (var line = 0; line < lineStarts.Count; line++)
        {
            var cut = lineStarts[line] + 1 + random.Next(_lines[line].Length - 1);
            File.WriteAllBytes(_tampered, bytes[..cut]);
            var result = AssertReportedAt(_tampered, line + 1, $"cut inside line {line + 1}");
            Assert.Contains("torn", result.Error, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void A_checkpoint_signed_by_an_untrusted_key_is_reported_at_the_checkpoint()
    {
        using var other = new LineageTestLog();
        var result = LineageVerifier.VerifyFiles([_log.Path], other.Trusted);
        Assert.False(result.IsValid);
        Assert.Equal(LineageEventKind.Checkpoint, Parse(_lines[(int)result.FailedLine! - 1]).Kind);
        Assert.Contains("untrusted", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void Without_keys_signatures_are_reported_as_not_checked()
    {
        var result = LineageVerifier.VerifyFiles([_log.Path], null);
        Assert.True(result.IsValid);
        Assert.False(result.SignaturesChecked);
        Assert.Contains("\"signaturesChecked\":false", result.ToJson(), StringComparison.Ordinal);
    }

    private LineageVerificationResult AssertReportedAt(string path, int line, string what)
    {
        var result = LineageVerifier.VerifyFiles([path], _log.Trusted);
        Assert.False(result.IsValid, what + ": not detected");
        Assert.True(line == result.FailedLine, $"{what}: reported at line {result.FailedLine}, expected {line}: {result.Error}");
        return result;
    }

    private string Write(byte[][] lines)
    {
        using var stream = File.Create(_tampered);
        foreach (var line in lines)
        {
            stream.Write(line);
            stream.WriteByte((byte)'\n');
        }

        return _tampered;
    }

    private static LineageRecordLine Parse(byte[] line) => LineageRecordLine.TryParse(line, out var error) ?? throw new InvalidOperationException(error);

    private static LineageEvent ToEvent(LineageRecordLine r) =>
        new(r.Kind, r.ExecutionId, r.ParentExecutionId, DateTimeOffset.Parse(r.Time, CultureInfo.InvariantCulture), r.Data);
}
