using GovernedExecution.Execution;
using GovernedExecution.Lineage;
using GovernedExecution.Testing;

namespace GovernedExecution.Tests.Execution;

public sealed class ConcurrencyTests
{
    [Fact]
    public async Task Eight_parallel_callers_times_two_thousand_leave_a_valid_chain_with_the_exact_count()
    {
        const int Callers = 8, PerCaller = 2_000;
        using var host = new GovernedTestHost();
        var runs = 0;
        var denied = 0;
        await Task.WhenAll(Enumerable.Range(0, Callers).Select(caller => Task.Run(async () =>
        {
            for (var i = 0; i < PerCaller; i++)
            {
                // Every fourth call is forbidden: denials interleave with permits.
                var action = i % 4 == 0 ? "delete" : "read";
                var outcome = await host.Executor.RunOutcomeAsync(GovernedTestHost.Intent(action, $"t-{caller}-{i}"), (ctx, ct) =>
                {
                    Interlocked.Increment(ref runs);
                    return ValueTask.FromResult(0);
                });
                if (outcome.IsDenied)
                {
                    Interlocked.Increment(ref denied);
                }
            }
        })));

        const int Total = Callers * PerCaller;
        Assert.Equal(Total / 4, denied);
        Assert.Equal(Total - denied, runs);

        // A permitted run writes 6 records (intent, decision, artifact, verification, started, completed);
        // a denied one 3 (intent, decision, denied).
        var verification = host.Lineage.Verify();
        Assert.True(verification.IsValid, verification.ToString());
        Assert.Equal((runs * 6L) + (denied * 3L), verification.Records);
        Assert.Equal(runs, host.Lineage.Records.Count(r => r.Event.Kind == LineageEventKind.ExecutionCompleted));
    }
}
