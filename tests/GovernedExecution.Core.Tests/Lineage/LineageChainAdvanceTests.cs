using GovernedExecution.Lineage;

namespace GovernedExecution.Tests.Lineage;

/// <summary>A chain that keeps only its head (no record allocated) chains exactly as one that hands out every record.</summary>
public sealed class LineageChainAdvanceTests
{
    [Fact]
    public void Advancing_a_chain_gives_the_head_and_sequence_that_appending_the_same_events_gives()
    {
        var execution = Guid.NewGuid();
        LineageEvent[] first =
        [
            new(LineageEventKind.IntentSubmitted, execution, null, new DateTimeOffset(2026, 12, 5, 3, 0, 0, TimeSpan.Zero), [new("mode", "run"), new("quote", "a \"b\"\n\u00e9")]),
            new(LineageEventKind.PolicyEvaluated, execution, Guid.NewGuid(), new DateTimeOffset(2026, 12, 5, 3, 0, 1, TimeSpan.Zero), []),
        ];
        LineageEvent[] second = [new(LineageEventKind.ExecutionDenied, execution, null, DateTimeOffset.UnixEpoch, [new("reason", "PolicyDenied"), new("detail", null!)])];

        var appended = new LineageChain("log-1");
        var records = appended.Append(first).Concat(appended.Append(second)).ToArray();
        var advanced = new LineageChain("log-1");
        advanced.Advance(first);
        Assert.Equal(records[1].Hash, advanced.Head);
        advanced.Advance(second);

        Assert.Equal(appended.Head, advanced.Head);
        Assert.Equal(records[^1].Hash, advanced.Head);
        Assert.Equal(3, advanced.Sequence);
    }

    [Fact]
    public void A_chain_resumed_at_a_head_advances_from_that_head()
    {
        var e = LineageTestLog.Event(7);
        var head = new string('a', 64);
        var appended = new LineageChain("log-2", 41, head);
        var record = appended.Append([e])[0];
        var advanced = new LineageChain("log-2", 41, head);

        advanced.Advance([e]);

        Assert.Equal(head, record.PreviousHash);
        Assert.Equal(record.Hash, advanced.Head);
        Assert.Equal(42, advanced.Sequence);
    }
}
