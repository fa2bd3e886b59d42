using GovernedExecution.Artifacts;
using GovernedExecution.DependencyInjection;
using GovernedExecution.Execution;
using GovernedExecution.Intents;
using GovernedExecution.Lineage;
using GovernedExecution.Policies.Rules;
using GovernedExecution.Testing;
using Microsoft.Extensions.Logging.Abstractions;

namespace GovernedExecution.Tests.Execution;

/// <summary>The paths of the executor off the main road: executors that lack a part, issuing, dry runs, late cancellation, sinks, clocks.</summary>
public sealed class ExecutionPathTests : IDisposable
{
    private static readonly Func<GovernedContext, CancellationToken, ValueTask<int>> Never = (_, _) => throw new InvalidOperationException("the operation must not run");
    private readonly GovernedTestHost _host = new();

    public void Dispose() => _host.Dispose();

    private IGovernedExecutor VerifyOnly(InMemoryLineageSink lineage, TimeProvider? time = null) => new GovernedExecutorBuilder()
        .Configure(o =>
        {
            o.Audience = GovernedTestHost.Audience;
            o.VerifyOnly = true;
        })
        .UseTrustedKeyStore(_host.TrustStore)
        .UseTimeProvider(time ?? _host.Time)
        .AddLineageSink(lineage)
        .Build();

    [Fact]
    public async Task A_verify_only_executor_refuses_to_issue_before_evaluating_anything()
    {
        var lineage = new InMemoryLineageSink();

        var issued = await VerifyOnly(lineage).IssueAsync(GovernedTestHost.Intent("read"));

        Assert.Null(issued.Artifact);
        DenialDetails.AssertDenied(issued.Denial, DenialReason.KeyUnavailable);
        Assert.Equal("this executor is verify-only: it holds no signing key and refuses to mint", issued.Denial!.Detail);
        Assert.Equal([LineageEventKind.ExecutionDenied], lineage.Records.Select(r => r.Event.Kind));
    }

    [Fact]
    public async Task A_verify_only_executor_runs_nothing_without_a_presented_artifact()
    {
        var lineage = new InMemoryLineageSink();

        var outcome = await VerifyOnly(lineage).RunOutcomeAsync(GovernedTestHost.Intent("read"), Never);

        DenialDetails.AssertDenied(outcome.Denial, DenialReason.NotPermitted);
        Assert.Equal("this executor has no policies: it only runs presented artifacts", outcome.Denial!.Detail);
        Assert.Equal([LineageEventKind.IntentSubmitted, LineageEventKind.ExecutionDenied], lineage.Records.Select(r => r.Event.Kind));
    }

    [Fact]
    public async Task An_executor_with_policies_but_no_issuer_runs_nothing()
    {
        var lineage = new InMemoryLineageSink();
        var policies = GovernedTestHost.DefaultPolicies();
        var executor = new GovernedExecutor(
            policies,
            issuer: null,
            CoseArtifacts.CreateVerifier(_host.TrustStore),
            [new LineageSinkRegistration(lineage)],
            _host.Time,
            NullLogger.Instance,
            new GovernedExecutionOptions { Audience = GovernedTestHost.Audience },
            approvals: null,
            policySet: policies);

        var outcome = await executor.RunOutcomeAsync(GovernedTestHost.Intent("read"), Never);

        DenialDetails.AssertDenied(outcome.Denial, DenialReason.KeyUnavailable);
        Assert.Equal("this executor has no signing key: it only runs presented artifacts", outcome.Denial!.Detail);
    }

    [Fact]
    public async Task A_presented_artifact_without_an_artifact_records_an_empty_digest()
    {
        var outcome = await _host.Executor.RunOutcomeAsync(GovernedTestHost.Intent("read"), null, 0, (_, _, _) => ValueTask.FromResult(1));

        DenialDetails.AssertDenied(outcome.Denial, DenialReason.ArtifactMissing);
        var submitted = _host.Lineage.Records[0].Event;
        Assert.Equal("presented", submitted["mode"]);
        Assert.Equal(string.Empty, submitted["artifact_digest"]);
    }

    [Fact]
    public async Task A_presented_artifact_under_a_failing_clock_is_not_even_looked_at()
    {
        var artifact = (await _host.Executor.IssueAsync(GovernedTestHost.Intent("read"))).Artifact!;
        var lineage = new InMemoryLineageSink();
        var worker = VerifyOnly(lineage, new ThrowingTimeProvider());

        var outcome = await worker.RunOutcomeAsync(GovernedTestHost.Intent("read"), artifact, 0, (_, _, _) => ValueTask.FromResult(1));

        DenialDetails.AssertDenied(outcome.Denial, DenialReason.GovernanceFault);
        Assert.Equal("clock failed: InvalidOperationException", outcome.Denial!.Detail);
        Assert.Equal([LineageEventKind.ExecutionDenied], lineage.Records.Select(r => r.Event.Kind));
    }

    [Fact]
    public async Task Issuing_is_denied_and_recorded_when_the_required_sink_refuses()
    {
        var audit = new InMemoryLineageSink();
        using var host = new GovernedTestHost(b => b.AddLineageSink(audit, LineageSinkMode.BestEffort), lineage: new FaultyLineageSink(FaultKind.Throws));

        var issued = await host.Executor.IssueAsync(GovernedTestHost.Intent("read"));

        Assert.Null(issued.Artifact);
        DenialDetails.AssertDenied(issued.Denial, DenialReason.LineageUnavailable);
        Assert.Equal(
            [LineageEventKind.IntentSubmitted, LineageEventKind.PolicyEvaluated, LineageEventKind.ArtifactIssued, LineageEventKind.ExecutionDenied],
            audit.Records.Select(r => r.Event.Kind));
        Assert.Equal("issue", audit.Records[0].Event["mode"]);
    }

    [Fact]
    public async Task Issuing_a_forbidden_intent_records_the_denial()
    {
        var issued = await _host.Executor.IssueAsync(GovernedTestHost.Intent("delete"));

        DenialDetails.AssertDenied(issued.Denial, DenialReason.PolicyDenied);
        Assert.Equal(LineageEventKind.ExecutionDenied, _host.Lineage.Records[^1].Event.Kind);
        Assert.Equal("issue", _host.Lineage.Records[0].Event["mode"]);
    }

    [Fact]
    public async Task A_throwing_evaluator_denies_issuing_and_dry_runs_alike()
    {
        using var host = new GovernedTestHost(policies: new FaultyPolicyEvaluator(GovernedTestHost.DefaultPolicies(), FaultKind.Throws));

        var issued = await host.Executor.IssueAsync(GovernedTestHost.Intent("read"));
        var dryRun = await host.Executor.AuthorizeAsync(GovernedTestHost.Intent("read"));

        DenialDetails.AssertDenied(issued.Denial, DenialReason.GovernanceFault);
        Assert.Equal("policy failed: InvalidOperationException", issued.Denial!.Detail);
        Assert.False(dryRun.IsAllowed);
        DenialDetails.AssertDenied(dryRun.Denial, DenialReason.GovernanceFault);
        Assert.Equal("false", host.Lineage.Records[^1].Event["allowed"]);
        Assert.Equal("GovernanceFault", host.Lineage.Records[^1].Event["reason"]);
    }

    [Fact]
    public async Task A_dry_run_answers_even_when_a_required_sink_refuses_its_record()
    {
        using var host = new GovernedTestHost(lineage: new FaultyLineageSink(FaultKind.Throws));

        var dryRun = await host.Executor.AuthorizeAsync(GovernedTestHost.Intent("read"));

        Assert.True(dryRun.IsAllowed, dryRun.ToString());
        Assert.Null(dryRun.Denial);
    }

    [Fact]
    public async Task Cancellation_that_arrives_while_the_lineage_is_written_stops_the_operation()
    {
        using var cts = new CancellationTokenSource();
        var sink = new CancelingSink(cts);
        using var host = new GovernedTestHost(lineage: sink);
        var ran = false;

        var outcome = await host.Executor.RunOutcomeAsync(GovernedTestHost.Intent("read"), (_, _) => { ran = true; return ValueTask.FromResult(1); }, cts.Token);

        Assert.False(ran);
        DenialDetails.AssertDenied(outcome.Denial, DenialReason.Canceled);
        Assert.Equal("cancellation was requested before the operation started", outcome.Denial!.Detail);
        Assert.Equal(LineageEventKind.ExecutionDenied, sink.Inner.Records[^1].Event.Kind);
    }

    [Fact]
    public async Task The_outcome_is_recorded_outside_the_operations_context()
    {
        var sink = new ContextObservingSink();
        using var host = new GovernedTestHost(lineage: sink);

        var outcome = await host.Executor.RunOutcomeAsync(GovernedTestHost.Intent("read"), (ctx, _) => ValueTask.FromResult(ctx.ExecutionId));

        Assert.Equal(outcome.ExecutionId, outcome.Result);
        Assert.Null(sink.SeenWhileCompleting);
    }

    [Fact]
    public async Task Best_effort_sinks_get_no_cancellation_and_required_sinks_the_callers()
    {
        var required = new TokenObservingSink();
        var bestEffort = new TokenObservingSink();
        using var host = new GovernedTestHost(b => b.AddLineageSink(bestEffort, LineageSinkMode.BestEffort), lineage: required);
        using var cts = new CancellationTokenSource();

        var outcome = await host.Executor.RunOutcomeAsync(GovernedTestHost.Intent("read"), (_, _) => ValueTask.FromResult(1), cts.Token);

        Assert.True(outcome.IsSuccess);
        Assert.Contains(true, required.CanBeCanceled);
        Assert.DoesNotContain(true, bestEffort.CanBeCanceled);
        Assert.NotEmpty(bestEffort.CanBeCanceled);
    }

    [Fact]
    public async Task A_refusing_required_sink_does_not_keep_the_other_sinks_from_the_records()
    {
        var after = new InMemoryLineageSink();
        using var host = new GovernedTestHost(b => b.AddLineageSink(after), lineage: new FaultyLineageSink(FaultKind.Throws));

        var outcome = await host.Executor.RunOutcomeAsync(GovernedTestHost.Intent("read"), Never);

        DenialDetails.AssertDenied(outcome.Denial, DenialReason.LineageUnavailable);
        Assert.Equal(
            [LineageEventKind.IntentSubmitted, LineageEventKind.PolicyEvaluated, LineageEventKind.ArtifactIssued, LineageEventKind.ArtifactVerified, LineageEventKind.ExecutionStarted, LineageEventKind.ExecutionDenied],
            after.Records.Select(r => r.Event.Kind));
    }

    [Fact]
    public async Task The_context_keeps_the_evaluators_decision_with_its_errors()
    {
        var rules = new RulePolicyEvaluator(
        [
            PolicyRule.Permit("reads", i => i.Action.Id == "read"),
            PolicyRule.Permit("broken", _ => throw new FormatException("bad rule")),
        ]);
        using var host = new GovernedTestHost(policies: rules);

        var errors = await host.Executor.RunAsync(GovernedTestHost.Intent("read"), (ctx, _) => ValueTask.FromResult(ctx.Decision.Errors.Select(e => e.PolicyId).ToArray()));

        Assert.Equal(["broken"], errors);
        Assert.Equal("broken", host.Lineage.Records[1].Event["errors"]);
    }

    [Fact]
    public async Task A_delegated_intent_is_linked_to_the_delegating_execution_and_cannot_name_another()
    {
        var scope = new DelegationScope([new EntityReference("Action", "read")], [new EntityReference("Ticket", "ticket-1"), new EntityReference("Ticket", "ticket-2")]);
        var parentIntent = GovernedTestHost.Intent("read", "ticket-1");
        var artifact = (await _host.Executor.IssueAsync(parentIntent, GovernedTestHost.Audience, scope)).Artifact!;
        var named = Guid.NewGuid();

        var outcome = await _host.Executor.RunOutcomeAsync(parentIntent, artifact, 0, async (_, ctx, ct) =>
        {
            var a = await ctx.DelegateAsync(GovernedTestHost.Intent("read", "ticket-2"), scope, cancellationToken: ct);
            var b = await ctx.DelegateAsync(GovernedTestHost.Intent("read", "ticket-2").WithParent(ctx.ExecutionId), scope, cancellationToken: ct);
            var c = await ctx.DelegateAsync(GovernedTestHost.Intent("read", "ticket-2").WithParent(named), scope, cancellationToken: ct);
            Assert.True(a.IsIssued && b.IsIssued, a.Denial?.ToString() ?? b.Denial?.ToString());
            return (ctx.ExecutionId, a.Artifact!, b.Artifact!, c);
        });
        var (execution, linked, explicitParent, refused) = outcome.GetResultOrThrow();

        var issued = _host.Lineage.Records.Where(r => r.Event.Kind == LineageEventKind.ArtifactIssued).Select(r => r.Event).ToList();
        var first = issued.Single(e => e["artifact_digest"] == linked.ComputeDigest());
        var second = issued.Single(e => e["artifact_digest"] == explicitParent.ComputeDigest());
        Assert.Equal(execution, first.ParentExecutionId);
        Assert.Equal(execution, second.ParentExecutionId);
        Assert.Equal(artifact.ComputeDigest(), first["parent_artifact_digest"]);
        Assert.Equal(GovernedTestHost.Audience, first["audience"]);
        Assert.Same(artifact, linked.Parent);
        Assert.Null(refused.Artifact);
        DenialDetails.AssertDenied(refused.Denial, DenialReason.ScopeViolation);
        Assert.DoesNotContain(_host.Lineage.Records, r => r.Event.ParentExecutionId == named);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    public async Task Nothing_can_be_delegated_from_a_parent_at_or_past_its_expiry(int secondsPast)
    {
        var time = _host.FakeTime!;
        var scope = new DelegationScope([new EntityReference("Action", "read")], [new EntityReference("Ticket", "ticket-1")]);
        var intent = GovernedTestHost.Intent("read", "ticket-1");
        var artifact = (await _host.Executor.IssueAsync(intent, GovernedTestHost.Audience, scope)).Artifact!;

        var outcome = await _host.Executor.RunOutcomeAsync(intent, artifact, 0, async (_, ctx, ct) =>
        {
            time.SetUtcNow(ctx.Claims.ExpiresAt.AddSeconds(secondsPast));
            return (await ctx.DelegateAsync(intent, scope, cancellationToken: ct)).Denial;
        });
        var denial = outcome.GetResultOrThrow();

        DenialDetails.AssertDenied(denial, DenialReason.ScopeViolation);
        Assert.Equal("the parent artifact has expired: nothing can be delegated from it", denial!.Detail);
    }

    [Fact]
    public async Task Durations_come_from_the_timestamp_clock_and_a_failed_first_reading_is_recorded_as_unknown()
    {
        using var once = new GovernedTestHost(time: new TimestampClock(failFirst: true, failFrequency: false));
        using var zero = new GovernedTestHost(time: new TimestampClock(failFirst: false, failFrequency: false));
        using var frequency = new GovernedTestHost(time: new TimestampClock(failFirst: false, failFrequency: true));
        using var steady = new GovernedTestHost(time: new TimestampClock(failFirst: false, failFrequency: false, timestamp: 1_000_000_000));

        await once.Executor.RunAsync(GovernedTestHost.Intent("read"), (_, _) => ValueTask.FromResult(1));
        await zero.Executor.RunAsync(GovernedTestHost.Intent("read"), (_, _) => ValueTask.FromResult(1));
        await frequency.Executor.RunAsync(GovernedTestHost.Intent("read"), (_, _) => ValueTask.FromResult(1));
        await steady.Executor.RunAsync(GovernedTestHost.Intent("read"), (_, _) => ValueTask.FromResult(1));

        // A clock whose timestamps never move measures zero; a missing reading is unknown (-1), not a guess.
        Assert.Equal("-1", once.Lineage.Records[^1].Event["duration_us"]);
        Assert.Equal("0", zero.Lineage.Records[^1].Event["duration_us"]);
        Assert.Equal("-1", frequency.Lineage.Records[^1].Event["duration_us"]);
        Assert.Equal("0", steady.Lineage.Records[^1].Event["duration_us"]);
    }

    [Fact]
    public async Task A_clock_that_fails_during_the_operation_leaves_the_outcome_at_the_start_time()
    {
        var clock = new SwitchableClock(new DateTimeOffset(2026, 11, 26, 12, 0, 0, TimeSpan.Zero));
        using var host = new GovernedTestHost(time: clock);

        var outcome = await host.Executor.RunOutcomeAsync(GovernedTestHost.Intent("read"), (_, _) =>
        {
            clock.Fail = true;
            return ValueTask.FromResult(1);
        });

        Assert.True(outcome.IsSuccess);
        var completed = host.Lineage.Records[^1].Event;
        Assert.Equal(LineageEventKind.ExecutionCompleted, completed.Kind);
        Assert.Equal(host.Lineage.Records[0].Event.Time, completed.Time);
    }

    [Fact]
    public async Task When_two_required_sinks_refuse_the_first_refusal_is_the_denial()
    {
        var audit = new InMemoryLineageSink();
        using var host = new GovernedTestHost(
            b => b.AddLineageSink(new ThrowingSink(new InvalidOperationException("second"))).AddLineageSink(audit, LineageSinkMode.BestEffort),
            lineage: new ThrowingSink(new IOException("first")));

        var outcome = await host.Executor.RunOutcomeAsync(GovernedTestHost.Intent("read"), Never);

        DenialDetails.AssertDenied(outcome.Denial, DenialReason.LineageUnavailable);
        Assert.Equal("lineage failed: IOException", outcome.Denial!.Detail);
        Assert.Equal("lineage failed: IOException", audit.Records[^1].Event["detail"]);
    }

    [Fact]
    public async Task A_verifier_that_refuses_without_a_reason_is_a_governance_fault_with_its_detail()
    {
        var codec = new RefusingCodec(_host.Policies.PolicySetDigest);
        using var host = new GovernedTestHost(b => b.UseArtifactCodec(codec, codec));

        var outcome = await host.Executor.RunOutcomeAsync(GovernedTestHost.Intent("read"), Never);

        Assert.Equal(DenialReason.GovernanceFault, outcome.Denial!.Reason);
        Assert.Equal("refused without saying why", outcome.Denial.Detail);
    }

    [Theory]
    [InlineData("issuer")]
    [InlineData("verifier")]
    public async Task An_issuer_or_verifier_that_returns_nothing_is_a_governance_fault(string part)
    {
        var codec = new NullArtifactCodec(nullIssuer: part == "issuer", _host.Policies.PolicySetDigest);
        using var host = new GovernedTestHost(b => b.UseArtifactCodec(codec, codec));

        var outcome = await host.Executor.RunOutcomeAsync(GovernedTestHost.Intent("read"), Never);

        DenialDetails.AssertDenied(outcome.Denial, DenialReason.GovernanceFault);
        Assert.Equal(part + " failed: InvalidOperationException", outcome.Denial!.Detail);
    }

    private sealed class ThrowingSink(Exception exception) : ILineageSink
    {
        public ValueTask AppendAsync(IReadOnlyList<LineageEvent> events, CancellationToken cancellationToken) => ValueTask.FromException(exception);
    }

    /// <summary>Issues a placeholder artifact and refuses it with no reason code.</summary>
    private sealed class RefusingCodec(string policySetDigest) : IArtifactIssuer, IArtifactVerifier
    {
        private readonly NoCryptoArtifacts _inner = new(policySetDigest);

        public ValueTask<AuthorizationArtifact> IssueAsync(ArtifactRequest request, CancellationToken cancellationToken) => _inner.IssueAsync(request, cancellationToken);

        public ValueTask<ArtifactVerificationResult> VerifyAsync(AuthorizationArtifact artifact, ArtifactVerificationContext context, CancellationToken cancellationToken) =>
            ValueTask.FromResult(new ArtifactVerificationResult(ArtifactVerdict.Invalid, DenialReason.Unspecified, "refused without saying why", [], null));
    }

    private sealed class CancelingSink(CancellationTokenSource cts) : ILineageSink
    {
        public InMemoryLineageSink Inner { get; } = new();

        public ValueTask AppendAsync(IReadOnlyList<LineageEvent> events, CancellationToken cancellationToken)
        {
            if (events.Any(e => e.Kind == LineageEventKind.ExecutionStarted))
            {
                cts.Cancel();
            }

            return Inner.AppendAsync(events, CancellationToken.None);
        }
    }

    private sealed class ContextObservingSink : ILineageSink
    {
        // Not null until the completion is appended: a sink never called would not pass for one that saw no context.
        public Guid? SeenWhileCompleting { get; private set; } = Guid.Empty;

        public ValueTask AppendAsync(IReadOnlyList<LineageEvent> events, CancellationToken cancellationToken)
        {
            if (events.Any(e => e.Kind == LineageEventKind.ExecutionCompleted))
            {
                SeenWhileCompleting = GovernedContext.Current?.ExecutionId;
            }

            return ValueTask.CompletedTask;
        }
    }

    private sealed class TokenObservingSink : ILineageSink
    {
        private readonly List<bool> _seen = [];

        public IReadOnlyList<bool> CanBeCanceled
        {
            get
            {
                lock (_seen)
                {
                    return [.. _seen];
                }
            }
        }

        public ValueTask AppendAsync(IReadOnlyList<LineageEvent> events, CancellationToken cancellationToken)
        {
            lock (_seen)
            {
                _seen.Add(cancellationToken.CanBeCanceled);
            }

            return ValueTask.CompletedTask;
        }
    }

    /// <summary>Wall time from a fixed point; timestamps that never move, optionally a first reading or the frequency that fails.</summary>
    private sealed class TimestampClock(bool failFirst, bool failFrequency, long timestamp = 0) : TimeProvider
    {
        private readonly DateTimeOffset _now = DateTimeOffset.UtcNow;
        private int _readings;

        public override DateTimeOffset GetUtcNow() => _now;

        public override long GetTimestamp() =>
            failFirst && Interlocked.Increment(ref _readings) == 1 ? throw new InvalidOperationException("injected timestamp fault") : timestamp;

        public override long TimestampFrequency => failFrequency ? throw new InvalidOperationException("injected frequency fault") : base.TimestampFrequency;
    }

    /// <summary>A fixed wall clock that starts throwing when told to.</summary>
    private sealed class SwitchableClock(DateTimeOffset now) : TimeProvider
    {
        public volatile bool Fail;

        public override DateTimeOffset GetUtcNow() => Fail ? throw new InvalidOperationException("injected clock fault") : now;
    }
}
