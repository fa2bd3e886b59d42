using GovernedExecution.Execution;
using GovernedExecution.Intents;
using GovernedExecution.Lineage;
using GovernedExecution.Testing;

namespace GovernedExecution.Tests.Execution;

/// <summary>
/// <see cref="IGovernedExecutor.RefuseAsync"/>: a call refused before it could be authorized (an integration could not
/// describe it exactly) is recorded like any denial, and nothing is evaluated, minted or run.
/// </summary>
public sealed class RefusalTests : IDisposable
{
    private const string Detail = "an argument is not a parameter of the tool";
    private readonly RecordingPolicyEvaluator _policies = new(GovernedTestHost.DefaultPolicies());
    private readonly GovernedTestHost _host;

    public RefusalTests() => _host = new GovernedTestHost(policies: _policies);

    public void Dispose() => _host.Dispose();

    [Fact]
    public void The_reason_code_of_arguments_that_do_not_bind_is_stable() =>
        Assert.Equal(20, (int)DenialReason.ArgumentsInvalid);

    [Fact]
    public async Task A_refusal_is_recorded_as_a_refused_intent_and_a_denial_and_nothing_is_decided()
    {
        var intent = new ExecutionIntent(GovernedTestHost.Agent(), new("Action", "refund"), new("Tool", "refund"))
        {
            ArgumentsDigest = ArgumentsDigest.Compute([new("amount", "5000")]),
        };

        var denial = await _host.Executor.RefuseAsync(intent, DenialReason.ArgumentsInvalid, Detail);

        DenialDetails.AssertDenied(denial, DenialReason.ArgumentsInvalid);
        Assert.Equal(Detail, denial.Detail);
        Assert.Null(denial.Decision);
        Assert.Empty(_policies.Evaluated);
        var records = _host.Lineage.Records;
        Assert.Equal([LineageEventKind.IntentSubmitted, LineageEventKind.ExecutionDenied], records.Select(r => r.Event.Kind));
        Assert.All(records, r => Assert.Equal(denial.ExecutionId, r.Event.ExecutionId));
        Assert.Equal("refused", records[0].Event["mode"]);
        Assert.Equal("Agent::\"support-bot\"", records[0].Event["principal"]);
        Assert.Equal(Convert.ToHexStringLower(intent.ArgumentsDigest.Span), records[0].Event["arguments_digest"]);
        Assert.Equal(Convert.ToHexStringLower(IntentEncoding.Digest(intent)), records[0].Event["intent_digest"]);
        Assert.Equal(nameof(DenialReason.ArgumentsInvalid), records[1].Event["reason"]);
        Assert.Equal("20", records[1].Event["reason_code"]);
        Assert.Equal(Detail, records[1].Event["detail"]);
        Assert.True(_host.Lineage.Verify().IsValid);
    }

    [Fact]
    public async Task A_refusal_inside_a_governed_execution_records_it_as_the_parent()
    {
        var (parent, child) = await _host.Executor.RunAsync(GovernedTestHost.Intent(), async (context, ct) =>
            (context.ExecutionId, await _host.Executor.RefuseAsync(GovernedTestHost.Intent("refund"), DenialReason.GovernanceFault, "the resource selector returned null")));

        Assert.All(_host.Lineage.Records.Where(r => r.Event.ExecutionId == child.ExecutionId), r => Assert.Equal(parent, r.Event.ParentExecutionId));
        DenialDetails.AssertDenied(child, DenialReason.GovernanceFault);
    }

    [Fact]
    public async Task A_refusal_stands_when_the_lineage_fails()
    {
        using var host = new GovernedTestHost(lineage: new FaultyLineageSink(FaultKind.Throws));

        var denial = await host.Executor.RefuseAsync(GovernedTestHost.Intent(), DenialReason.ArgumentsInvalid, Detail);

        Assert.Equal(DenialReason.ArgumentsInvalid, denial.Reason);
    }

    [Fact]
    public async Task A_refusal_of_an_intent_that_cannot_be_encoded_is_a_governance_fault_recorded_as_a_denial()
    {
        // A lone surrogate has no UTF-8 encoding: the intent has no digest, so nothing can record it as the intent.
        var intent = new ExecutionIntent(GovernedTestHost.Agent(), new("Action", "refund"), new("Tool", "refund\uD800"));

        var denial = await _host.Executor.RefuseAsync(intent, DenialReason.ArgumentsInvalid, Detail);

        DenialDetails.AssertDenied(denial, DenialReason.GovernanceFault);
        Assert.StartsWith("intent failed: ", denial.Detail, StringComparison.Ordinal);
        Assert.Empty(_policies.Evaluated);
        var record = Assert.Single(_host.Lineage.Records).Event;
        Assert.Equal(LineageEventKind.ExecutionDenied, record.Kind);
        Assert.Equal(denial.ExecutionId, record.ExecutionId);
        Assert.Equal(nameof(DenialReason.GovernanceFault), record["reason"]);
        Assert.Equal(denial.Detail, record["detail"]);
    }

    [Fact]
    public async Task A_refusal_needs_an_intent_a_detail_and_a_defined_reason()
    {
        await Assert.ThrowsAsync<ArgumentNullException>("intent", async () => await _host.Executor.RefuseAsync(null!, DenialReason.ArgumentsInvalid, Detail));
        await Assert.ThrowsAsync<ArgumentNullException>("detail", async () => await _host.Executor.RefuseAsync(GovernedTestHost.Intent(), DenialReason.ArgumentsInvalid, null!));
        await Assert.ThrowsAsync<ArgumentException>("detail", async () => await _host.Executor.RefuseAsync(GovernedTestHost.Intent(), DenialReason.ArgumentsInvalid, string.Empty));
        var unspecified = await Assert.ThrowsAsync<ArgumentOutOfRangeException>("reason", async () => await _host.Executor.RefuseAsync(GovernedTestHost.Intent(), DenialReason.Unspecified, Detail));
        Assert.StartsWith("A refusal needs a defined reason.", unspecified.Message, StringComparison.Ordinal);
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>("reason", async () => await _host.Executor.RefuseAsync(GovernedTestHost.Intent(), (DenialReason)21, Detail));
        Assert.Empty(_host.Lineage.Records);
    }
}
