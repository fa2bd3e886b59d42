using GovernedExecution.Execution;
using GovernedExecution.Testing;

namespace GovernedExecution.Tests.Diagnostics;

/// <summary>The duration histograms, in seconds: one measurement per phase a call went through, and one per call.</summary>
public sealed class DurationHistogramTests
{
    private const string PhaseDuration = "governed_execution.phase.duration";
    private const string CallDuration = "governed_execution.execution.duration";

    [Fact]
    public async Task A_permitted_run_measures_each_of_its_phases_in_seconds()
    {
        using var host = new GovernedTestHost();
        using var trace = new TraceRecorder();

        var outcome = await host.Executor.RunOutcomeAsync(GovernedTestHost.Intent("read"), (ctx, ct) => ValueTask.FromResult(1));

        Assert.True(outcome.IsSuccess);
        var phases = trace.Measurements(PhaseDuration);
        Assert.All(phases, m => Assert.Equal("s", m.Instrument.Unit));
        Assert.All(phases, m => Assert.True(m.Value >= 0, m.ToString()));
        // Lineage twice: the records before the operation, then its outcome.
        Assert.Equal(
            ["evaluate", "issue", "lineage", "lineage", "operation", "verify"],
            phases.Select(m => (string)m.Tags["governed_execution.phase"]!).Order(StringComparer.Ordinal));
        var call = Assert.Single(trace.Measurements(CallDuration));
        Assert.Equal("s", call.Instrument.Unit);
        Assert.Equal("run", call.Tags["governed_execution.mode"]);
        Assert.Equal("succeeded", call.Tags["governed_execution.outcome"]);
        Assert.False(call.Tags.ContainsKey("governed_execution.denial.reason"));
    }

    [Fact]
    public async Task A_denied_run_measures_the_phases_it_went_through_and_the_call_with_its_reason()
    {
        using var host = new GovernedTestHost();
        using var trace = new TraceRecorder();

        var outcome = await host.Executor.RunOutcomeAsync(GovernedTestHost.Intent("delete"), (ctx, ct) => ValueTask.FromResult(1));

        Assert.Equal(DenialReason.PolicyDenied, outcome.Denial!.Reason);
        Assert.Equal(
            ["evaluate", "lineage"],
            trace.Measurements(PhaseDuration).Select(m => (string)m.Tags["governed_execution.phase"]!).Order(StringComparer.Ordinal));
        var call = Assert.Single(trace.Measurements(CallDuration));
        Assert.Equal("denied", call.Tags["governed_execution.outcome"]);
        Assert.Equal("PolicyDenied", call.Tags["governed_execution.denial.reason"]);
    }

    [Fact]
    public async Task A_dry_run_and_an_issue_are_measured_as_calls_of_their_mode()
    {
        using var host = new GovernedTestHost();
        using var trace = new TraceRecorder();

        await host.Executor.AuthorizeAsync(GovernedTestHost.Intent("read"));
        await host.Executor.IssueAsync(GovernedTestHost.Intent("read"));

        Assert.Equal(
            ["dry_run", "issue"],
            trace.Measurements(CallDuration).Select(m => (string)m.Tags["governed_execution.mode"]!).Order(StringComparer.Ordinal));
    }
}
