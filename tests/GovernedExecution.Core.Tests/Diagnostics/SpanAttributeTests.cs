using System.Diagnostics;
using GovernedExecution.Execution;
using GovernedExecution.Intents;
using GovernedExecution.Testing;

namespace GovernedExecution.Tests.Diagnostics;

/// <summary>
/// The attributes and status of the spans of a governed call, named after OpenTelemetry's conventions
/// (<c>governed_execution.*</c>, <c>error.type</c>, the <c>exception</c> event), and what they never carry.
/// </summary>
public sealed class SpanAttributeTests
{
    private const string PrincipalId = "principal-7d1f";
    private const string ArgumentValue = "argument-value-9c2e";

    private static ExecutionIntent Intent(string action) =>
        new ExecutionIntent(GovernedTestHost.Agent(PrincipalId), new EntityReference("Action", action), new EntityReference("Ticket", "ticket-1"))
            .WithArguments([new("note", IntentValue.String(ArgumentValue))]);

    private static ValueTask<GovernedOutcome<int>> RunAsync(GovernedTestHost host, string action) =>
        host.Executor.RunOutcomeAsync(Intent(action), (ctx, ct) => ValueTask.FromResult(1));

    [Fact]
    public async Task A_permitted_run_is_described_by_its_root_span_without_the_principal_id_or_an_argument()
    {
        using var host = new GovernedTestHost();
        using var trace = new TraceRecorder();

        var outcome = await RunAsync(host, "read");

        Assert.True(outcome.IsSuccess);
        var root = trace.Root(outcome.ExecutionId);
        Assert.Equal("Action::\"read\"", root.GetTagItem("governed_execution.action"));
        Assert.Equal("Agent", root.GetTagItem("governed_execution.principal.type"));
        Assert.Equal("run", root.GetTagItem("governed_execution.mode"));
        Assert.Equal("permit", root.GetTagItem("governed_execution.decision"));
        Assert.Equal(new[] { "allow-read" }, root.GetTagItem("governed_execution.policy.determining"));
        Assert.Equal(host.Policies.PolicySetDigest, root.GetTagItem("governed_execution.policy_set.digest"));
        Assert.Equal("succeeded", root.GetTagItem("governed_execution.outcome"));
        Assert.Null(root.GetTagItem("governed_execution.denial.reason"));
        Assert.Equal(ActivityStatusCode.Unset, root.Status);
        AssertNothingIdentifying(trace.Stopped);
    }

    [Fact]
    public async Task A_policy_denial_names_the_decision_the_reason_and_the_determining_policy_and_is_an_error_of_that_type()
    {
        using var host = new GovernedTestHost();
        using var trace = new TraceRecorder();

        var outcome = await RunAsync(host, "delete");

        Assert.Equal(DenialReason.PolicyDenied, outcome.Denial!.Reason);
        var root = trace.Root(outcome.ExecutionId);
        Assert.Equal("deny", root.GetTagItem("governed_execution.decision"));
        Assert.Equal("PolicyDenied", root.GetTagItem("governed_execution.denial.reason"));
        Assert.Equal(new[] { "no-delete" }, root.GetTagItem("governed_execution.policy.determining"));
        Assert.Equal("denied", root.GetTagItem("governed_execution.outcome"));
        Assert.Equal(ActivityStatusCode.Error, root.Status);
        Assert.Equal("PolicyDenied", root.StatusDescription);
        Assert.Equal("PolicyDenied", root.GetTagItem("error.type"));
        Assert.Empty(root.Events);
        AssertNothingIdentifying(trace.Stopped);
    }

    [Fact]
    public async Task The_policy_span_carries_the_policy_decision_its_determining_policies_and_the_policy_set()
    {
        using var host = new GovernedTestHost();
        using var trace = new TraceRecorder();

        var outcome = await RunAsync(host, "delete");

        var root = trace.Root(outcome.ExecutionId);
        var policy = Assert.Single(trace.Stopped, s => s.ParentSpanId == root.SpanId && s.DisplayName == "governed.policy");
        Assert.Equal("deny", policy.GetTagItem("governed_execution.decision"));
        Assert.Equal(new[] { "no-delete" }, policy.GetTagItem("governed_execution.policy.determining"));
        Assert.Equal(host.Policies.PolicySetDigest, policy.GetTagItem("governed_execution.policy_set.digest"));
    }

    [Fact]
    public async Task An_operation_that_throws_makes_the_root_and_the_invoke_span_errors_with_an_exception_event()
    {
        using var host = new GovernedTestHost();
        using var trace = new TraceRecorder();
        var thrown = new FormatException("the operation's own failure");

        var outcome = await host.Executor.RunOutcomeAsync<int>(Intent("read"), (ctx, ct) => throw thrown);

        Assert.Same(thrown, outcome.Exception);
        var root = trace.Root(outcome.ExecutionId);
        var invoke = Assert.Single(trace.Stopped, s => s.ParentSpanId == root.SpanId && s.DisplayName == "governed.invoke");
        foreach (var span in new[] { root, invoke })
        {
            Assert.Equal(ActivityStatusCode.Error, span.Status);
            Assert.Equal("the operation's own failure", span.StatusDescription);
            Assert.Equal(typeof(FormatException).FullName, span.GetTagItem("error.type"));
            var exception = Assert.Single(span.Events, e => e.Name == "exception");
            var tags = exception.Tags.ToDictionary(t => t.Key, t => t.Value);
            Assert.Equal(typeof(FormatException).FullName, tags["exception.type"]);
            Assert.Equal("the operation's own failure", tags["exception.message"]);
            Assert.False(string.IsNullOrEmpty((string?)tags["exception.stacktrace"]));
        }

        Assert.Equal("permit", root.GetTagItem("governed_execution.decision"));
        Assert.Equal("faulted", root.GetTagItem("governed_execution.outcome"));
    }

    [Fact]
    public async Task A_call_canceled_before_its_operation_is_an_error_named_Canceled()
    {
        using var host = new GovernedTestHost();
        using var trace = new TraceRecorder();
        using var cancel = new CancellationTokenSource();
        await cancel.CancelAsync();

        var outcome = await host.Executor.RunOutcomeAsync(Intent("read"), (ctx, ct) => ValueTask.FromResult(1), cancel.Token);

        Assert.Equal(DenialReason.Canceled, outcome.Denial!.Reason);
        var root = trace.Root(outcome.ExecutionId);
        Assert.Equal(ActivityStatusCode.Error, root.Status);
        Assert.Equal("Canceled", root.StatusDescription);
        Assert.Equal("Canceled", root.GetTagItem("governed_execution.denial.reason"));
        Assert.Equal("denied", root.GetTagItem("governed_execution.outcome"));
    }

    [Fact]
    public async Task A_dry_run_is_a_root_span_of_its_own_whose_deny_answer_is_not_an_error()
    {
        using var host = new GovernedTestHost();
        using var trace = new TraceRecorder();

        var allowed = await host.Executor.AuthorizeAsync(Intent("read"));
        var denied = await host.Executor.AuthorizeAsync(Intent("delete"));

        var allowedRoot = trace.Root(allowed.ExecutionId);
        Assert.Equal("governed.authorize read", allowedRoot.DisplayName);
        Assert.Equal("dry_run", allowedRoot.GetTagItem("governed_execution.mode"));
        Assert.Equal("permit", allowedRoot.GetTagItem("governed_execution.decision"));
        Assert.Equal(ActivityStatusCode.Unset, allowedRoot.Status);
        var deniedRoot = trace.Root(denied.ExecutionId);
        Assert.Equal("deny", deniedRoot.GetTagItem("governed_execution.decision"));
        Assert.Equal("PolicyDenied", deniedRoot.GetTagItem("governed_execution.denial.reason"));
        Assert.Equal(ActivityStatusCode.Unset, deniedRoot.Status);
        AssertNothingIdentifying(trace.Stopped);
    }

    [Fact]
    public async Task An_issue_is_a_root_span_of_its_own_and_a_refused_issue_is_an_error()
    {
        using var host = new GovernedTestHost();
        using var trace = new TraceRecorder();

        var issued = await host.Executor.IssueAsync(Intent("read"));
        var refused = await host.Executor.IssueAsync(Intent("delete"));

        Assert.True(issued.IsIssued);
        var roots = trace.Roots;
        Assert.Equal(2, roots.Length);
        Assert.All(roots, r => Assert.Equal("issue", r.GetTagItem("governed_execution.mode")));
        var ok = Assert.Single(roots, r => (string?)r.GetTagItem("governed_execution.decision") == "permit");
        Assert.Equal("governed.issue read", ok.DisplayName);
        Assert.Equal(ActivityStatusCode.Unset, ok.Status);
        var no = trace.Root(refused.Denial!.ExecutionId);
        Assert.Equal(ActivityStatusCode.Error, no.Status);
        Assert.Equal("PolicyDenied", no.GetTagItem("governed_execution.denial.reason"));
        AssertNothingIdentifying(trace.Stopped);
    }

    [Fact]
    public async Task A_refusal_is_a_root_span_of_its_own()
    {
        using var host = new GovernedTestHost();
        using var trace = new TraceRecorder();

        var denial = await host.Executor.RefuseAsync(Intent("read"), DenialReason.ArgumentsInvalid, "the arguments could not be bound");

        var root = trace.Root(denial.ExecutionId);
        Assert.Equal("refused", root.GetTagItem("governed_execution.mode"));
        Assert.Equal("ArgumentsInvalid", root.GetTagItem("governed_execution.denial.reason"));
        Assert.Equal(ActivityStatusCode.Error, root.Status);
    }

    /// <summary>The principal id and the arguments are personal or unbounded: no span attribute, name or event holds them.</summary>
    private static void AssertNothingIdentifying(IEnumerable<Activity> spans)
    {
        Assert.NotEmpty(spans);
        foreach (var span in spans)
        {
            var texts = span.TagObjects.SelectMany(t => t.Value is IEnumerable<string> many ? many : [t.Value?.ToString() ?? string.Empty])
                .Concat(span.Events.SelectMany(e => e.Tags.Select(t => t.Value?.ToString() ?? string.Empty)))
                .Append(span.DisplayName);
            Assert.DoesNotContain(texts, t => t.Contains(PrincipalId, StringComparison.Ordinal) || t.Contains(ArgumentValue, StringComparison.Ordinal));
        }
    }
}
