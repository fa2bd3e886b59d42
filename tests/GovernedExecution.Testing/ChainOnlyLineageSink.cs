using GovernedExecution.Lineage;

namespace GovernedExecution.Testing;

/// <summary>A sink that hashes and chains every record like the in-memory sink but keeps only the head: for benchmarks and long runs.</summary>
public sealed class ChainOnlyLineageSink : ILineageSink
{
    private readonly LineageChain _chain = new(Guid.NewGuid().ToString("D"));

    public long Count => _chain.Sequence;

    public string Head => _chain.Head;

    public ValueTask AppendAsync(IReadOnlyList<LineageEvent> events, CancellationToken cancellationToken)
    {
        _chain.Advance(events);
        return ValueTask.CompletedTask;
    }
}
