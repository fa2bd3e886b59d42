using GovernedExecution.Lineage;

namespace GovernedExecution.Tests.Lineage;

/// <summary>
/// The two writers of a record's body: the direct writer used when all text is plain, and the JSON writer with the
/// record encoder, which is the format's definition. Where the direct writer is used, both give the same bytes.
/// </summary>
public sealed class LineageRecordWriterTests
{
    private static readonly DateTimeOffset Time = new(2026, 12, 5, 6, 7, 8, 123, TimeSpan.FromHours(2));

    [Fact]
    public void Plain_characters_are_those_the_record_encoder_writes_unchanged_or_after_one_backslash()
    {
        for (var c = 0; c < 0x3000; c++)
        {
            if (char.IsSurrogate((char)c))
            {
                continue;
            }

            var text = "a" + (char)c + "b";
            var viaWriter = Text(LineageChain.WriteBodyWithJsonWriter(1, "log", Event([new("k", text)]), default, LineageChain.GenesisHash));
            var unchanged = viaWriter.Contains("\"k\":\"" + text + "\"", StringComparison.Ordinal);
            var backslashed = viaWriter.Contains("\"k\":\"a\\" + (char)c + "b\"", StringComparison.Ordinal);

            // Within ASCII, plain is exactly "written unchanged, or with a backslash before it" (the quote and the
            // backslash); nothing beyond ASCII is plain.
            var expected = c < 0x80 && (unchanged || (backslashed && c is '"' or '\\'));
            Assert.True(expected == LineageChain.IsPlain(text), $"U+{c:X4}: plain should be {expected}");
        }
    }

    [Fact]
    public void Every_plain_character_in_every_position_gives_the_same_bytes_from_both_writers()
    {
        for (var c = 0x20; c < 0x7F; c++)
        {
            var ch = ((char)c).ToString();
            var e = Event([new(ch, ch), new("k" + ch, ch + "v")], parent: Guid.NewGuid());
            AssertSameBytes(42, "log" + ch, e, null);
        }
    }

    [Fact]
    public void Generated_records_give_the_same_bytes_from_both_writers()
    {
        var random = new Random(18005);
        var kinds = Enum.GetValues<LineageEventKind>();
        for (var i = 0; i < 2_000; i++)
        {
            var attributes = new List<KeyValuePair<string, string>>();
            for (var a = random.Next(0, 9); a > 0; a--)
            {
                attributes.Add(new(PlainText(random, 0, 24), PlainText(random, 0, 200)));
            }

            var time = DateTimeOffset.UnixEpoch.AddTicks(random.NextInt64(0, DateTimeOffset.MaxValue.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks));
            var e = new LineageEvent(kinds[random.Next(kinds.Length)], Guid.NewGuid(), random.Next(2) == 0 ? null : Guid.NewGuid(), time, attributes);
            var sequence = random.Next(3) switch { 0 => random.Next(1, 10), 1 => random.NextInt64(1, long.MaxValue), _ => long.MaxValue };
            var previous = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(BitConverter.GetBytes(i)));
            AssertSameBytes(sequence, PlainText(random, 1, 40), e, previous);
        }
    }

    [Fact]
    public async Task Records_chained_by_concurrent_writers_are_those_the_json_writer_gives_in_one_unbroken_chain()
    {
        // Batches mixing plain records (written before the lock) and records that need the JSON writer, from 8
        // writers at once: every line is the JSON writer's body for its place, and each record names the one before.
        var chain = new LineageChain("log-" + Guid.NewGuid().ToString("D"));
        var all = new System.Collections.Concurrent.ConcurrentBag<LineageRecord>();
        await Parallel.ForAsync(0, 8, async (writer, ct) =>
        {
            await Task.Yield();
            var random = new Random(writer);
            for (var batch = 0; batch < 200; batch++)
            {
                var events = new List<LineageEvent>();
                for (var n = random.Next(1, 7); n > 0; n--)
                {
                    var value = random.Next(4) == 0 ? "needs \u00e9scaping\n" : PlainText(random, 0, 30);
                    events.Add(new LineageEvent(LineageEventKind.PolicyEvaluated, Guid.NewGuid(), null, Time.AddTicks(random.Next()), [new("a", value), new("b", "Agent::\"x\"")]));
                }

                foreach (var record in chain.Append(events))
                {
                    all.Add(record);
                }
            }
        });

        var records = all.OrderBy(r => r.Sequence).ToArray();
        var previous = LineageChain.GenesisHash;
        for (var i = 0; i < records.Length; i++)
        {
            var r = records[i];
            Assert.Equal(i + 1, r.Sequence);
            Assert.Equal(previous, r.PreviousHash);
            var expected = LineageChain.WriteBodyWithJsonWriter(r.Sequence, chain.LogId, r.Event, default, previous).ToArray();
            Assert.Equal(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(expected)), r.Hash);
            Assert.True(LineageChain.TrySplitLine(r.Line.Span, out var body, out _));
            Assert.Equal(expected, body);
            previous = r.Hash;
        }

        Assert.Equal(previous, chain.Head);
    }

    [Fact]
    public void Text_that_needs_escaping_goes_through_the_json_writer()
    {
        var e = Event([new("note", "line\nbreak \"quoted\" é"), new("principal", "Agent::\"support-bot\"")]);

        var body = Text(LineageChain.WriteBody(1, "log", e, default, LineageChain.GenesisHash));

        Assert.Contains("\"note\":\"line\\nbreak \\\"quoted\\\" é\"", body, StringComparison.Ordinal);
        Assert.Equal(Text(LineageChain.WriteBodyWithJsonWriter(1, "log", e, default, LineageChain.GenesisHash)), body);
    }

    [Fact]
    public void Previous_hash_as_bytes_or_as_text_gives_the_same_body()
    {
        var e = Event([new("a", "b")]);
        var hash = Convert.ToHexStringLower(new byte[32].Select((_, i) => (byte)(i * 7)).ToArray());

        var fromText = LineageChain.WritePlainBody(7, "log", e, default, hash).ToArray();
        var fromBytes = LineageChain.WritePlainBody(7, "log", e, System.Text.Encoding.ASCII.GetBytes(hash), null).ToArray();

        Assert.Equal(fromText, fromBytes);
        Assert.Equal(fromText, LineageChain.WriteBodyWithJsonWriter(7, "log", e, default, hash).ToArray());
    }

    private static void AssertSameBytes(long sequence, string logId, LineageEvent e, string? previous)
    {
        previous ??= LineageChain.GenesisHash;
        Assert.True(LineageChain.IsPlain(logId));
        var direct = LineageChain.WritePlainBody(sequence, logId, e, default, previous).ToArray();
        var viaWriter = LineageChain.WriteBodyWithJsonWriter(sequence, logId, e, default, previous).ToArray();
        Assert.Equal(Text(viaWriter), Text(direct));
    }

    private static string PlainText(Random random, int min, int max)
    {
        var chars = new char[random.Next(min, max + 1)];
        for (var i = 0; i < chars.Length; i++)
        {
            // Quotes and backslashes a little more often than the rest: they are the characters written escaped.
            chars[i] = random.Next(8) switch { 0 => '"', 1 => '\\', _ => (char)random.Next(0x20, 0x7F) };
        }

        return new string(chars);
    }

    private static LineageEvent Event(IEnumerable<KeyValuePair<string, string>> attributes, Guid? parent = null) =>
        new(LineageEventKind.PolicyEvaluated, Guid.Parse("6f1c2c1e-58b2-4b8e-9f3e-0c1d2e3f4a5b"), parent, Time, attributes);

    private static string Text(ReadOnlySpan<byte> bytes) => System.Text.Encoding.UTF8.GetString(bytes);
}
