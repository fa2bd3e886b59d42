using GovernedExecution.Execution;
using System.Text;
using GovernedExecution.Lineage;
using GovernedExecution.Testing;

namespace GovernedExecution.Tests.Lineage;

public sealed class LineageChainTests
{
    private static async Task<InMemoryLineageSink> FilledAsync()
    {
        using var host = new GovernedTestHost();
        await host.Executor.RunOutcomeAsync(GovernedTestHost.Intent("read"), (ctx, ct) => ValueTask.FromResult(0));
        await host.Executor.RunOutcomeAsync(GovernedTestHost.Intent("delete"), (ctx, ct) => ValueTask.FromResult(0));
        return host.Lineage;
    }

    [Fact]
    public async Task A_fresh_chain_verifies_and_links_each_record_to_the_previous()
    {
        var sink = await FilledAsync();
        var records = sink.Records;

        Assert.True(sink.Verify().IsValid);
        Assert.Equal(new string('0', 64), records[0].PreviousHash);
        for (var i = 1; i < records.Count; i++)
        {
            Assert.Equal(records[i - 1].Hash, records[i].PreviousHash);
            Assert.Equal(i + 1, records[i].Sequence);
        }
    }

    [Fact]
    public async Task Changing_any_byte_of_any_record_is_detected_at_that_record()
    {
        var lines = (await FilledAsync()).Records.Select(r => r.Line.ToArray()).ToList();
        var rng = new Random(7);
        for (var round = 0; round < 300; round++)
        {
            var index = rng.Next(lines.Count);
            var copy = lines.Select(l => (byte[])l.Clone()).ToList();
            var position = rng.Next(copy[index].Length);
            var replacement = (byte)"0123456789abcdefXYZ,{}\"".ElementAt(rng.Next(23));
            if (copy[index][position] == replacement)
            {
                continue;
            }

            copy[index][position] = replacement;
            var result = LineageVerifier.VerifyLines(copy.Select(l => (ReadOnlyMemory<byte>)l));

            Assert.False(result.IsValid, $"record {index + 1}, byte {position} changed: {Encoding.UTF8.GetString(copy[index])}");
            Assert.Equal(index + 1, result.FailedAt);
        }
    }

    [Fact]
    public async Task Deleting_duplicating_or_reordering_records_is_detected()
    {
        var lines = (await FilledAsync()).Records.Select(r => r.Line).ToList();

        var deleted = lines.Where((_, i) => i != 3).ToList();
        var duplicated = lines.Take(4).Append(lines[3]).Concat(lines.Skip(4)).ToList();
        var reordered = lines.ToList();
        (reordered[2], reordered[5]) = (reordered[5], reordered[2]);

        Assert.Equal(4, LineageVerifier.VerifyLines(deleted).FailedAt);
        Assert.Equal(5, LineageVerifier.VerifyLines(duplicated).FailedAt);
        Assert.Equal(3, LineageVerifier.VerifyLines(reordered).FailedAt);
    }

    [Fact]
    public async Task Records_hold_digests_and_never_argument_values()
    {
        using var host = new GovernedTestHost();
        var intent = new GovernedExecution.Intents.ExecutionIntent(GovernedTestHost.Agent(), new("Action", "read"), new("Ticket", "t"))
        {
            ArgumentsDigest = GovernedExecution.Intents.ArgumentsDigest.Compute([new("card", "4111-1111-1111-1111")]),
        };
        await host.Executor.RunAsync(intent, (ctx, ct) => ValueTask.FromResult(0));

        var text = string.Join("\n", host.Lineage.Records.Select(r => Encoding.UTF8.GetString(r.Line.Span)));
        // The whole number: a record is full of hex digests, where a short run of digits such as "4111" occurs by chance.
        Assert.DoesNotContain("4111-1111-1111-1111", text);
        Assert.Contains(Convert.ToHexStringLower(intent.ArgumentsDigest.Span), text);
    }
}
