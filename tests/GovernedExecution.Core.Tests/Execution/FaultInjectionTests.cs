using GovernedExecution.Artifacts;
using GovernedExecution.Execution;
using GovernedExecution.Lineage;
using GovernedExecution.Testing;

namespace GovernedExecution.Tests.Execution;

/// <summary>A fault at any seam of the governance machinery is a denial; the delegate never runs.</summary>
public sealed class FaultInjectionTests
{
    public static TheoryData<string, FaultKind, DenialReason> Seams()
    {
        var data = new TheoryData<string, FaultKind, DenialReason>();
        foreach (var kind in new[] { FaultKind.Throws, FaultKind.ReturnsDefault, FaultKind.Hangs })
        {
            data.Add("evaluator", kind, DenialReason.GovernanceFault);
            data.Add("signing-key", kind, DenialReason.KeyUnavailable);
            // A hanging store is as unavailable as a throwing one.
            data.Add("trust-store", kind, kind == FaultKind.ReturnsDefault ? DenialReason.UntrustedKey : DenialReason.KeyUnavailable);
            data.Add("replay-guard", kind, kind == FaultKind.ReturnsDefault ? DenialReason.Replayed : DenialReason.GovernanceFault);
        }

        data.Add("required-sink", FaultKind.Throws, DenialReason.LineageUnavailable);
        data.Add("required-sink", FaultKind.Hangs, DenialReason.LineageUnavailable);
        return data;
    }

    [Theory]
    [MemberData(nameof(Seams))]
    public async Task A_faulty_seam_denies_and_the_delegate_does_not_run(string seam, FaultKind kind, DenialReason expected)
    {
        var faultySink = new FaultyLineageSink(seam == "required-sink" ? kind : FaultKind.None);
        var audit = new InMemoryLineageSink();
        using var host = new GovernedTestHost(b =>
        {
            b.Configure(o => o.DependencyTimeout = TimeSpan.FromMilliseconds(200));
            b.AddLineageSink(audit, LineageSinkMode.BestEffort);
            b.AddLineageSink(faultySink, LineageSinkMode.Required);
            switch (seam)
            {
                case "evaluator": b.UsePolicies(new FaultyPolicyEvaluator(GovernedTestHost.DefaultPolicies(), kind)); break;
                case "signing-key": b.UseSigningKeyProvider(new FaultySigningKeyProvider(GovernedExecution.Artifacts.Keys.SigningKey.Generate(), kind)); break;
                case "trust-store": b.UseTrustedKeyStore(new FaultyTrustedKeyStore(new GovernedExecution.Artifacts.Keys.InMemoryTrustedKeyStore(), kind)); break;
                case "replay-guard": b.UseReplayGuard(new FaultyReplayGuard(new InMemoryReplayGuard(TimeProvider.System), kind)); break;
            }
        }, time: TimeProvider.System);

        var ran = false;
        var outcome = await host.Executor.RunOutcomeAsync(GovernedTestHost.Intent("read"), (ctx, ct) => { ran = true; return ValueTask.FromResult(0); });

        Assert.False(ran);
        Assert.True(outcome.IsDenied);
        DenialDetails.AssertDenied(outcome.Denial, expected);
        Assert.Equal(LineageEventKind.ExecutionDenied, audit.Records[^1].Event.Kind);
        Assert.Equal(expected.ToString(), audit.Records[^1].Event["reason"]);
    }

    [Fact]
    public async Task A_throwing_clock_denies_and_the_delegate_does_not_run()
    {
        using var host = new GovernedTestHost(time: new ThrowingTimeProvider());
        var ran = false;
        var outcome = await host.Executor.RunOutcomeAsync(GovernedTestHost.Intent("read"), (ctx, ct) => { ran = true; return ValueTask.FromResult(0); });

        Assert.False(ran);
        DenialDetails.AssertDenied(outcome.Denial, DenialReason.GovernanceFault);
    }

    [Fact]
    public async Task A_best_effort_sink_failure_is_counted_but_does_not_deny()
    {
        var faulty = new FaultyLineageSink(FaultKind.Throws);
        using var host = new GovernedTestHost(b => b.AddLineageSink(faulty, LineageSinkMode.BestEffort));
        var ran = false;
        var outcome = await host.Executor.RunOutcomeAsync(GovernedTestHost.Intent("read"), (ctx, ct) => { ran = true; return ValueTask.FromResult(0); });

        Assert.True(ran);
        Assert.True(outcome.IsSuccess);
        Assert.Equal(0, faulty.Accepted);
    }

    [Fact]
    public async Task A_required_sink_accepts_the_pre_execution_records_before_the_delegate_runs()
    {
        var sink = new InMemoryLineageSink();
        using var host = new GovernedTestHost(b => b.AddLineageSink(sink));
        var seenBefore = -1;
        await host.Executor.RunAsync(GovernedTestHost.Intent("read"), (ctx, ct) => { seenBefore = sink.Count; return ValueTask.FromResult(0); });

        Assert.Equal(5, seenBefore); // intent, decision, artifact, verification, started
        Assert.Equal(LineageEventKind.ExecutionStarted, sink.Records[4].Event.Kind);
    }

    [Fact]
    public async Task Cancellation_while_a_dependency_hangs_is_a_Canceled_denial()
    {
        using var host = new GovernedTestHost(b => b.UsePolicies(new FaultyPolicyEvaluator(GovernedTestHost.DefaultPolicies(), FaultKind.Hangs)), time: TimeProvider.System);
        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(100));
        var ran = false;
        var outcome = await host.Executor.RunOutcomeAsync(GovernedTestHost.Intent("read"), (ctx, ct) => { ran = true; return ValueTask.FromResult(0); }, cts.Token);

        Assert.False(ran);
        DenialDetails.AssertDenied(outcome.Denial, DenialReason.Canceled);
    }
}
