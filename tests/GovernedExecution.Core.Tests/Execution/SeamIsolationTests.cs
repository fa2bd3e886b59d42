using System.Runtime.InteropServices;
using GovernedExecution.Approvals;
using GovernedExecution.Artifacts;
using GovernedExecution.DependencyInjection;
using GovernedExecution.Execution;
using GovernedExecution.Intents;
using GovernedExecution.Lineage;
using GovernedExecution.Policies.Cedar;
using GovernedExecution.Policies.Rules;
using GovernedExecution.Testing;

namespace GovernedExecution.Tests.Execution;

/// <summary>
/// What the executor hands a pluggable seam is the seam's to keep: no seam can change, through what it was given,
/// the values the executor checks and then uses (the intent digest it mints for, the batch the next sink records,
/// the parent a delegated child is recorded under).
/// </summary>
public sealed class SeamIsolationTests
{
    private const string Policies = """
        @requires_approval("finance")
        permit (principal, action == Action::"refund", resource);

        forbid (principal, action == Action::"delete", resource);
        """;

    [Fact]
    public async Task An_approval_provider_cannot_rewrite_the_intent_digest_the_executor_mints_for()
    {
        var delete = GovernedTestHost.Intent("delete");
        var provider = new DelegateApprovalProvider((request, ct) =>
        {
            // Writes the digest of a forbidden intent into the memory it was handed, then approves "this" request.
            if (MemoryMarshal.TryGetArray(request.IntentDigest, out var segment))
            {
                IntentEncoding.Digest(delete).CopyTo(segment.Array!, segment.Offset);
            }

            return ValueTask.FromResult(ApprovalDecision.Approve(request, "mallory@finance", request.RequestedAt.AddMinutes(5)));
        });
        using var host = new GovernedTestHost(b => b.UseApprovalProvider(provider), new CedarPolicyEvaluator(CedarPolicySet.Parse(Policies, "approval.cedar")));

        var issued = await host.Executor.IssueAsync(GovernedTestHost.Intent("refund"));
        var ran = false;
        var outcome = issued.Artifact is null ? default : await host.Executor.RunOutcomeAsync(delete, issued.Artifact, (ctx, ct) => { ran = true; return ValueTask.FromResult(0); });

        Assert.False(ran);
        Assert.Null(issued.Artifact);
        DenialDetails.AssertDenied(issued.Denial, DenialReason.ApprovalRefused);
        Assert.True(outcome.IsDenied);
    }

    [Fact]
    public async Task A_sink_cannot_change_the_batch_the_next_sink_records()
    {
        var required = new InMemoryLineageSink();
        using var host = new GovernedTestHost();
        var executor = new GovernedExecutorBuilder()
            .Configure(o => o.Audience = GovernedTestHost.Audience)
            .UsePolicies(GovernedTestHost.DefaultPolicies())
            .UseSigningKey(host.SigningKey)
            .UseTrustedKeyStore(host.TrustStore)
            .UseTimeProvider(host.Time)
            .AddLineageSink(new RewritingSink(), LineageSinkMode.BestEffort)
            .AddLineageSink(required)
            .Build();

        var outcome = await executor.RunOutcomeAsync(GovernedTestHost.Intent("read"), (ctx, ct) => ValueTask.FromResult(0));

        Assert.True(outcome.IsSuccess);
        Assert.Equal(6, required.Count);
        Assert.All(required.Records, r => Assert.Equal(outcome.ExecutionId, r.Event.ExecutionId));
        Assert.Equal("read", required.Records[0].Event["action"]?.Split("::")[1].Trim('"'));
    }

    [Fact]
    public async Task A_best_effort_sink_is_never_handed_the_callers_token_and_a_required_sink_is_for_the_records_it_must_accept()
    {
        // A best-effort sink handed the caller's token would drop the records of a run the caller cancels after it was
        // permitted; only the records a required sink must accept before the operation may be canceled with the call.
        var bestEffort = new TokenRecordingSink();
        var required = new TokenRecordingSink();
        using var host = new GovernedTestHost(b => b
            .AddLineageSink(bestEffort, LineageSinkMode.BestEffort)
            .AddLineageSink(required, LineageSinkMode.Required));
        using var caller = new CancellationTokenSource();

        var outcome = await host.Executor.RunOutcomeAsync(GovernedTestHost.Intent("read"), (ctx, ct) => ValueTask.FromResult(0), caller.Token);
        var issued = await host.Executor.IssueAsync(GovernedTestHost.Intent("read"), cancellationToken: caller.Token);

        Assert.True(outcome.IsSuccess);
        Assert.True(issued.IsIssued);
        // Run: the records before the operation, then its outcome; issue: its records.
        Assert.Equal(3, bestEffort.Tokens.Count);
        Assert.All(bestEffort.Tokens, t => Assert.Equal(CancellationToken.None, t));
        Assert.Equal([caller.Token, CancellationToken.None, caller.Token], required.Tokens);
    }

    [Fact]
    public async Task A_callers_cancellation_does_not_abandon_a_best_effort_sink_mid_write()
    {
        // The caller cancels while a best-effort sink is writing the records before the operation: the executor still
        // waits for that write (bounded by DependencyTimeout, not by the caller) and no lineage failure is recorded.
        var sink = new BlockingSink();
        using var host = new GovernedTestHost(b => b.AddLineageSink(sink, LineageSinkMode.BestEffort));
        using var trace = new GovernedExecution.Tests.Diagnostics.TraceRecorder();
        using var caller = new CancellationTokenSource();
        var ran = false;

        var run = host.Executor.RunOutcomeAsync(GovernedTestHost.Intent("read"), (ctx, ct) => { ran = true; return ValueTask.FromResult(0); }, caller.Token).AsTask();
        await sink.Entered.Task;
        await caller.CancelAsync();
        sink.Release.SetResult();
        var outcome = await run;

        DenialDetails.AssertDenied(outcome.Denial, DenialReason.Canceled);
        Assert.Equal("cancellation was requested before the operation started", outcome.Denial!.Detail);
        Assert.False(ran);
        Assert.Empty(trace.Measurements("governed_execution.lineage.failures"));
        Assert.Equal([LineageEventKind.IntentSubmitted, LineageEventKind.PolicyEvaluated, LineageEventKind.ArtifactIssued, LineageEventKind.ArtifactVerified, LineageEventKind.ExecutionStarted, LineageEventKind.ExecutionDenied],
            sink.Written.Select(e => e.Kind));
    }

    [Fact]
    public async Task A_delegated_child_cannot_name_another_parent_execution()
    {
        using var host = new GovernedTestHost(policies: new RulePolicyEvaluator([PolicyRule.Permit("agents", i => i.Principal.Type == "Agent")]));
        var planner = new EntityReference("Agent", "planner");
        var scope = new DelegationScope([new EntityReference("Action", "plan"), new EntityReference("Action", "search")], [new EntityReference("Trip", "t-1"), new EntityReference("Flight", "f-1")]);
        var parentIntent = new ExecutionIntent(planner, new("Action", "plan"), new("Trip", "t-1"));
        var parentArtifact = (await host.Executor.IssueAsync(parentIntent, GovernedTestHost.Audience, scope)).Artifact!;
        var elsewhere = Guid.NewGuid();

        var outcome = await host.Executor.RunOutcomeAsync(parentIntent, parentArtifact, 0, (s, ctx, ct) =>
            ctx.DelegateAsync(new ExecutionIntent(planner, new("Action", "search"), new("Flight", "f-1")) { ParentExecutionId = elsewhere }, new DelegationScope([new("Action", "search")], [new("Flight", "f-1")]), cancellationToken: ct));

        Assert.True(outcome.IsSuccess);
        Assert.Null(outcome.Result.Artifact);
        DenialDetails.AssertDenied(outcome.Result.Denial, DenialReason.ScopeViolation);
        Assert.Equal("the child intent names another parent execution", outcome.Result.Denial.Detail);
        Assert.DoesNotContain(host.Lineage.Records, r => r.Event.ParentExecutionId == elsewhere);
    }

    [Fact]
    public async Task A_caller_changing_its_context_dictionary_and_digest_buffer_mid_run_changes_nothing_that_was_checked()
    {
        var context = new Dictionary<string, IntentValue> { ["amount"] = 5L };
        var buffer = ArgumentsDigest.Compute([new("amount", 5L)]);
        var original = (byte[])buffer.Clone();
        var intent = new ExecutionIntent(GovernedTestHost.Agent(), new("Action", "refund"), new("Order", "A-1")) { Context = context, ArgumentsDigest = buffer };
        var digest = IntentEncoding.Digest(intent);
        long seenByPolicy = -1;
        var evaluator = new RulePolicyEvaluator([PolicyRule.Permit("small-refunds", i =>
        {
            seenByPolicy = i.Context["amount"].AsLong();
            // The caller rewrites what it built the intent from while the policy decides.
            context["amount"] = 5000L;
            Array.Fill(buffer, (byte)0xFF);
            return seenByPolicy <= 100;
        })]);
        using var host = new GovernedTestHost(policies: evaluator);

        var outcome = await host.Executor.RunOutcomeAsync(intent, (ctx, ct) => ValueTask.FromResult((ctx.Intent.Context["amount"].AsLong(), ctx.Intent.ArgumentsDigest.ToArray())));

        Assert.True(outcome.IsSuccess, outcome.ToString());
        Assert.Equal(5, seenByPolicy);
        Assert.Equal(5, outcome.Result.Item1);
        Assert.Equal(original, outcome.Result.Item2);
        Assert.Equal(Convert.ToHexStringLower(digest), host.Lineage.Records[0].Event["intent_digest"]);
        Assert.Equal(Convert.ToHexStringLower(original), host.Lineage.Records[0].Event["arguments_digest"]);
    }

    /// <summary>A best-effort sink that rewrites, in place, the batch it was handed.</summary>
    private sealed class RewritingSink : ILineageSink
    {
        public ValueTask AppendAsync(IReadOnlyList<LineageEvent> events, CancellationToken cancellationToken)
        {
            if (events is IList<LineageEvent> list)
            {
                for (var i = 0; i < list.Count; i++)
                {
                    try
                    {
                        list[i] = new LineageEvent(list[i].Kind, Guid.Empty, null, list[i].Time, [new("action", "Action::\"nothing\"")]);
                    }
                    catch (NotSupportedException)
                    {
                        // A read-only batch: nothing to rewrite.
                    }
                }
            }

            return ValueTask.CompletedTask;
        }
    }

    private sealed class TokenRecordingSink : ILineageSink
    {
        public List<CancellationToken> Tokens { get; } = [];

        public ValueTask AppendAsync(IReadOnlyList<LineageEvent> events, CancellationToken cancellationToken)
        {
            lock (Tokens)
            {
                Tokens.Add(cancellationToken);
            }

            return ValueTask.CompletedTask;
        }
    }

    /// <summary>A sink whose first append waits for <see cref="Release"/>; it keeps what it wrote.</summary>
    private sealed class BlockingSink : ILineageSink
    {
        public TaskCompletionSource Entered { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public TaskCompletionSource Release { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public List<LineageEvent> Written { get; } = [];

        public async ValueTask AppendAsync(IReadOnlyList<LineageEvent> events, CancellationToken cancellationToken)
        {
            Entered.TrySetResult();
            await Release.Task.ConfigureAwait(false);
            lock (Written)
            {
                Written.AddRange(events);
            }
        }
    }
}
