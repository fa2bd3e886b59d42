using GovernedExecution.Artifacts.Keys;
using GovernedExecution.Lineage.Browsing;

namespace GovernedExecution.PostgreSql.Lineage;

/// <summary>Browses the PostgreSQL lineage tables with keyset queries (never an offset), every value a parameter.</summary>
internal sealed class PostgreSqlLineageBrowser(PostgreSqlLineageStore store) : ILineageBrowser
{
    public string Description => store.Description;

    public ValueTask<ExecutionPage> ListExecutionsAsync(ExecutionQuery query, CancellationToken cancellationToken = default) => throw new NotImplementedException();

    public ValueTask<ExecutionPage> ExecutionsDecidedByAsync(string policyId, ExecutionQuery query, CancellationToken cancellationToken = default) => throw new NotImplementedException();

    public ValueTask<ExecutionDetail?> GetExecutionAsync(Guid executionId, CancellationToken cancellationToken = default) => throw new NotImplementedException();

    public ValueTask<IReadOnlyList<LogVerification>> VerifyAsync(LineageVerifyRequest request, IProgress<LineageVerifyProgress>? progress = null, CancellationToken cancellationToken = default) => throw new NotImplementedException();

    public ValueTask<InclusionProofResult> GetInclusionProofAsync(string log, long sequence, IReadOnlyList<TrustedKey>? trustedKeys = null, CancellationToken cancellationToken = default) => throw new NotImplementedException();

    public ValueTask<LineageStats> GetStatsAsync(CancellationToken cancellationToken = default) => throw new NotImplementedException();

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
