using GovernedExecution.Execution;
using GovernedExecution.Intents;
using GovernedExecution.Lineage;
using GovernedExecution.Policies.Rules;
using GovernedExecution.Testing;

namespace GovernedExecution.Tests.Execution;

/// <summary>The data each phase writes to the lineage, as docs/lineage-format.md documents it.</summary>
public sealed class LineageAttributesTests : IDisposable
{
    private readonly GovernedTestHost _host = new();

    public void Dispose() => _host.Dispose();

    private static Dictionary<string, string> Data(LineageRecord record) => record.Event.Attributes.ToDictionary(p => p.Key, p => p.Value);

    [Fact]
    public async Task A_permitted_run_records_every_phase_with_its_data()
    {
        var intent = new ExecutionIntent(GovernedTestHost.Agent(), new("Action", "read"), new("Ticket", "t-9"))
        {
            ArgumentsDigest = ArgumentsDigest.Compute([new("id", "t-9")]),
        };
        var outcome = await _host.Executor.RunOutcomeAsync(intent, (ctx, ct) => ValueTask.FromResult(1));
        var records = _host.Lineage.Records;

        Assert.True(outcome.IsSuccess);
        Assert.All(records, r => Assert.Equal(outcome.ExecutionId, r.Event.ExecutionId));

        var submitted = Data(records[0]);
        Assert.Equal(["mode", "principal", "action", "resource", "intent_digest", "arguments_digest", "trace_id"], submitted.Keys);
        Assert.Equal("run", submitted["mode"]);
        Assert.Equal("Agent::\"support-bot\"", submitted["principal"]);
        Assert.Equal("Action::\"read\"", submitted["action"]);
        Assert.Equal("Ticket::\"t-9\"", submitted["resource"]);
        Assert.Equal(Convert.ToHexStringLower(IntentEncoding.Digest(intent)), submitted["intent_digest"]);
        Assert.Equal(Convert.ToHexStringLower(intent.ArgumentsDigest.Span), submitted["arguments_digest"]);
        // Empty without an ambient trace; a W3C trace id when a listener traces the execution (other tests may).
        Assert.Matches("^([0-9a-f]{32})?$", submitted["trace_id"]);

        var decided = Data(records[1]);
        Assert.Equal("Permitted", decided["decision"]);
        Assert.Equal("allow-read", decided["policies"]);
        Assert.Equal(string.Empty, decided["errors"]);
        Assert.Equal(_host.Policies.PolicySetDigest, decided["policy_set"]);

        var issued = Data(records[2]);
        Assert.Matches("^[0-9a-f]{64}$", issued["artifact_digest"]);
        Assert.Equal(GovernedTestHost.Audience, issued["audience"]);

        var verified = Data(records[3]);
        Assert.Equal("Verified", verified["verdict"]);
        Assert.Equal(issued["artifact_digest"], verified["artifact_digest"]);
        Assert.EndsWith(",replay", verified["checks"], StringComparison.Ordinal);

        Assert.Equal(LineageEventKind.ExecutionStarted, records[4].Event.Kind);
        Assert.Empty(records[4].Event.Attributes);
        var completed = Data(records[5]);
        Assert.True(long.TryParse(completed["duration_us"], out var micros) && micros >= 0);
        Assert.Equal(6, records.Count);
    }

    [Fact]
    public async Task Several_determining_policies_and_errors_are_listed_comma_separated()
    {
        var rules = new RulePolicyEvaluator(
        [
            PolicyRule.Permit("b-reads", i => i.Action.Id == "read"),
            PolicyRule.Permit("a-anything", _ => true),
            PolicyRule.Permit("y-broken", _ => throw new FormatException("bad")),
            PolicyRule.Permit("x-broken", _ => throw new FormatException("bad")),
        ]);
        using var host = new GovernedTestHost(policies: rules);

        await host.Executor.RunAsync(GovernedTestHost.Intent("read"), (_, _) => ValueTask.FromResult(1));
        var decided = Data(host.Lineage.Records[1]);

        Assert.Equal("a-anything,b-reads", decided["policies"]);
        Assert.Equal("x-broken,y-broken", decided["errors"]);
    }

    [Fact]
    public async Task A_denial_records_reason_code_and_detail()
    {
        var outcome = await _host.Executor.RunOutcomeAsync(GovernedTestHost.Intent("delete"), (ctx, ct) => ValueTask.FromResult(1));
        var denied = Data(_host.Lineage.Records[^1]);

        Assert.Equal(LineageEventKind.ExecutionDenied, _host.Lineage.Records[^1].Event.Kind);
        Assert.Equal("PolicyDenied", denied["reason"]);
        Assert.Equal("2", denied["reason_code"]);
        Assert.Equal(outcome.Denial!.Detail, denied["detail"]);
        Assert.Equal("Forbidden", Data(_host.Lineage.Records[^2])["decision"]);
        Assert.Equal("no-delete", Data(_host.Lineage.Records[^2])["policies"]);
    }

    [Fact]
    public async Task A_failed_run_records_the_exception_type_only()
    {
        await _host.Executor.RunOutcomeAsync<int>(GovernedTestHost.Intent("read"), (ctx, ct) => throw new TimeoutException("secret detail 4111"));
        var failed = _host.Lineage.Records[^1];

        Assert.Equal(LineageEventKind.ExecutionFailed, failed.Event.Kind);
        Assert.Equal(typeof(TimeoutException).FullName, failed.Event["exception"]);
        // Not a digit string: a record is full of hex digests, where any short run of digits can occur by chance.
        Assert.DoesNotContain("secret detail", System.Text.Encoding.UTF8.GetString(failed.Line.Span), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_dry_run_records_whether_it_would_be_allowed()
    {
        await _host.Executor.AuthorizeAsync(GovernedTestHost.Intent("read"));
        var allowed = Data(_host.Lineage.Records[^1]);
        await _host.Executor.AuthorizeAsync(GovernedTestHost.Intent("delete"));
        var refused = Data(_host.Lineage.Records[^1]);

        Assert.Equal("true", allowed["allowed"]);
        Assert.False(allowed.ContainsKey("reason"));
        Assert.Equal("false", refused["allowed"]);
        Assert.Equal("PolicyDenied", refused["reason"]);
        Assert.Equal("dry_run", Data(_host.Lineage.Records.First(r => r.Event.Kind == LineageEventKind.IntentSubmitted))["mode"]);
    }

    [Fact]
    public async Task A_presented_artifact_run_records_its_digest_with_the_intent()
    {
        var intent = GovernedTestHost.Intent("refund");
        var artifact = (await _host.Executor.IssueAsync(intent)).Artifact!;
        await _host.Executor.RunOutcomeAsync(intent, artifact, (ctx, ct) => ValueTask.FromResult(1));
        var submitted = Data(_host.Lineage.Records.Last(r => r.Event.Kind == LineageEventKind.IntentSubmitted));

        Assert.Equal("presented", submitted["mode"]);
        Assert.Equal(artifact.ComputeDigest(), submitted["artifact_digest"]);
    }
}
