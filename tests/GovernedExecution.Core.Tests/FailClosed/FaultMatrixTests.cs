using GovernedExecution.Artifacts;
using GovernedExecution.Artifacts.Keys;
using GovernedExecution.DependencyInjection;
using GovernedExecution.Execution;
using GovernedExecution.Intents;
using GovernedExecution.Lineage;
using GovernedExecution.Policies;
using GovernedExecution.Policies.Cedar;
using GovernedExecution.Testing;

namespace GovernedExecution.Tests.FailClosed;

/// <summary>
/// The fault matrix of docs/threat-model.md: every seam of the governance machinery crossed with every fault kind.
/// Each cell asserts whether the delegate ran (exactly as the contract says), the denial reason, and that the
/// lineage holds the denial whenever a sink is still able to accept one.
/// </summary>
public sealed class FaultMatrixTests
{
    public enum Seam { EntityProvider, PolicyEvaluator, SigningKeyProvider, TrustedKeyStore, ReplayGuard, RequiredSink, BestEffortSink, Clock, Cancellation, Delegate, ActivityListener, MeterListener, HistogramListener }

    /// <summary>The matrix: seam, fault, expected denial and its detail (null: the delegate runs).</summary>
    public static TheoryData<Seam, FaultKind, DenialReason?, string?> Matrix { get; } = new()
    {
        { Seam.EntityProvider, FaultKind.Throws, DenialReason.GovernanceFault, "policy failed: InvalidOperationException" },
        { Seam.EntityProvider, FaultKind.ReturnsDefault, DenialReason.GovernanceFault, "policy failed: InvalidOperationException" },
        { Seam.EntityProvider, FaultKind.Wrong, DenialReason.NotPermitted, "no permit policy applied" },
        { Seam.EntityProvider, FaultKind.Hangs, DenialReason.GovernanceFault, "policy timed out" },
        { Seam.EntityProvider, FaultKind.LateAfterCancel, DenialReason.Canceled, "cancellation was requested during policy" },
        { Seam.PolicyEvaluator, FaultKind.Throws, DenialReason.GovernanceFault, "policy failed: InvalidOperationException" },
        { Seam.PolicyEvaluator, FaultKind.ReturnsDefault, DenialReason.GovernanceFault, "policy failed: InvalidOperationException" },
        { Seam.PolicyEvaluator, FaultKind.Wrong, DenialReason.PolicySetMismatch, "the artifact was decided by another policy set" },
        { Seam.PolicyEvaluator, FaultKind.Hangs, DenialReason.GovernanceFault, "policy timed out" },
        { Seam.PolicyEvaluator, FaultKind.LateAfterCancel, DenialReason.Canceled, "cancellation was requested during policy" },
        { Seam.SigningKeyProvider, FaultKind.Throws, DenialReason.KeyUnavailable, "the signing key is unavailable" },
        { Seam.SigningKeyProvider, FaultKind.ReturnsDefault, DenialReason.KeyUnavailable, "the signing key is unavailable" },
        { Seam.SigningKeyProvider, FaultKind.Wrong, DenialReason.UntrustedKey, "the key id is unknown or revoked" },
        { Seam.SigningKeyProvider, FaultKind.Hangs, DenialReason.KeyUnavailable, "issuer timed out" },
        { Seam.SigningKeyProvider, FaultKind.LateAfterCancel, DenialReason.Canceled, "cancellation was requested during issuer" },
        { Seam.TrustedKeyStore, FaultKind.Throws, DenialReason.KeyUnavailable, "the trusted-key store failed: InvalidOperationException" },
        { Seam.TrustedKeyStore, FaultKind.ReturnsDefault, DenialReason.UntrustedKey, "the key id is unknown or revoked" },
        { Seam.TrustedKeyStore, FaultKind.Wrong, DenialReason.SignatureInvalid, "the signature does not verify" },
        { Seam.TrustedKeyStore, FaultKind.Hangs, DenialReason.KeyUnavailable, "the trusted-key store timed out" },
        { Seam.TrustedKeyStore, FaultKind.LateAfterCancel, DenialReason.Canceled, "cancellation was requested during verifier" },
        { Seam.ReplayGuard, FaultKind.Throws, DenialReason.GovernanceFault, "the replay guard failed: InvalidOperationException" },
        { Seam.ReplayGuard, FaultKind.ReturnsDefault, DenialReason.Replayed, "the artifact was already used" },
        { Seam.ReplayGuard, FaultKind.Hangs, DenialReason.GovernanceFault, "the replay guard timed out" },
        { Seam.ReplayGuard, FaultKind.LateAfterCancel, DenialReason.Canceled, "cancellation was requested during verifier" },
        { Seam.RequiredSink, FaultKind.Throws, DenialReason.LineageUnavailable, "lineage failed: InvalidOperationException" },
        { Seam.RequiredSink, FaultKind.Hangs, DenialReason.LineageUnavailable, "lineage timed out" },
        { Seam.RequiredSink, FaultKind.LateAfterCancel, DenialReason.Canceled, "cancellation was requested during lineage" },
        { Seam.BestEffortSink, FaultKind.Throws, null, null },
        { Seam.BestEffortSink, FaultKind.Hangs, null, null },
        { Seam.Clock, FaultKind.Throws, DenialReason.GovernanceFault, "clock failed: InvalidOperationException" },
        { Seam.Clock, FaultKind.Wrong, DenialReason.Expired, "the artifact has expired" },
        { Seam.Cancellation, FaultKind.Throws, DenialReason.Canceled, "cancellation was requested during intent" },
        { Seam.Delegate, FaultKind.Throws, null, null },
        { Seam.ActivityListener, FaultKind.Throws, null, null },
        { Seam.MeterListener, FaultKind.Throws, null, null },
        { Seam.HistogramListener, FaultKind.Throws, null, null },
    };

    [Theory]
    [MemberData(nameof(Matrix))]
    public async Task Cell(Seam seam, FaultKind fault, DenialReason? expected, string? detail)
    {
        using var key = SigningKey.Generate();
        using var otherKey = SigningKey.Generate();
        var audit = new InMemoryLineageSink();
        var policies = CedarPolicySet.Parse("""
            permit (principal in Team::"support", action == Action::"read", resource);
            """);
        var entities = CedarEntities.ParseJson("""[{"uid":{"type":"Agent","id":"support-bot"},"attrs":{},"parents":[{"type":"Team","id":"support"}]}]""");
        TimeProvider time = seam switch
        {
            Seam.Clock when fault == FaultKind.Throws => new ThrowingTimeProvider(),
            Seam.Clock => new SteppingTimeProvider(DateTimeOffset.UtcNow, TimeSpan.FromMinutes(10)),
            _ => TimeProvider.System,
        };
        var trust = new InMemoryTrustedKeyStore(key.ToTrustedKey());
        var builder = new GovernedExecutorBuilder()
            .Configure(o =>
            {
                o.Audience = "matrix";
                // Hangs must meet the timeout; a late success must meet the cancellation (30 ms) long before it.
                // (The late sink also holds the denial record's best-effort append, uncancelable, until the timeout.)
                o.DependencyTimeout = fault != FaultKind.LateAfterCancel ? TimeSpan.FromMilliseconds(150)
                    : seam == Seam.RequiredSink ? TimeSpan.FromSeconds(2) : TimeSpan.FromSeconds(10);
            })
            .UseCedarPolicies(policies, entities)
            .UseSigningKey(key)
            .UseTrustedKeyStore(trust)
            .UseTimeProvider(time)
            .AddLineageSink(audit, LineageSinkMode.BestEffort);
        if (seam != Seam.RequiredSink)
        {
            // Every executor needs a required sink; the faulty one is the required sink of its own row.
            builder.AddLineageSink(new FaultyLineageSink(FaultKind.None), LineageSinkMode.Required);
        }

        switch (seam)
        {
            case Seam.EntityProvider:
                builder.UseCedarPolicies(policies, new FaultyEntityProvider(entities, fault));
                break;
            case Seam.PolicyEvaluator:
                IPolicyEvaluator evaluator = fault == FaultKind.Wrong ? new ForeignDigestEvaluator(new CedarPolicyEvaluator(policies, entities)) : new FaultyPolicyEvaluator(new CedarPolicyEvaluator(policies, entities), fault);
                builder.UsePolicies(evaluator);
                break;
            case Seam.SigningKeyProvider:
                builder.UseSigningKeyProvider(new FaultySigningKeyProvider(fault == FaultKind.Wrong ? otherKey : key, fault == FaultKind.Wrong ? FaultKind.None : fault));
                break;
            case Seam.TrustedKeyStore:
                builder.UseTrustedKeyStore(fault == FaultKind.Wrong ? new WrongKeyStore(otherKey.ToTrustedKey()) : new FaultyTrustedKeyStore(trust, fault));
                break;
            case Seam.ReplayGuard:
                builder.UseReplayGuard(new FaultyReplayGuard(new InMemoryReplayGuard(time), fault));
                break;
            case Seam.RequiredSink:
                builder.AddLineageSink(new FaultyLineageSink(fault), LineageSinkMode.Required);
                break;
            case Seam.BestEffortSink:
                builder.AddLineageSink(new FaultyLineageSink(fault), LineageSinkMode.BestEffort);
                break;
        }

        var executor = builder.Build();
        using var cts = new CancellationTokenSource();
        if (seam == Seam.Cancellation)
        {
            cts.Cancel();
        }
        else if (fault == FaultKind.LateAfterCancel)
        {
            cts.CancelAfter(TimeSpan.FromMilliseconds(30));
        }

        // A listener that throws only inside this cell's own trace: telemetry is the listener's, never a verdict.
        using var telemetry = seam switch
        {
            Seam.ActivityListener => new Diagnostics.ThrowingTelemetryListenerTests.ThrowingTelemetry(Diagnostics.ThrowingTelemetryListenerTests.TelemetryFault.ActivityStarted),
            Seam.MeterListener => new Diagnostics.ThrowingTelemetryListenerTests.ThrowingTelemetry(Diagnostics.ThrowingTelemetryListenerTests.TelemetryFault.Measurement),
            Seam.HistogramListener => new Diagnostics.ThrowingTelemetryListenerTests.ThrowingTelemetry(Diagnostics.ThrowingTelemetryListenerTests.TelemetryFault.HistogramMeasurement),
            _ => null,
        };
        var intent = new ExecutionIntent(new("Agent", "support-bot"), new("Action", "read"), new("Ticket", "t-1"));
        var ran = 0;
        var thrown = new FormatException("the operation's own failure");
        var outcome = await executor.RunOutcomeAsync(intent, (ctx, ct) =>
        {
            Interlocked.Increment(ref ran);
            return seam == Seam.Delegate ? throw thrown : ValueTask.FromResult(1);
        }, cts.Token);

        if (telemetry is not null)
        {
            Assert.True(telemetry.Threw, "the listener never threw: the cell proves nothing");
        }

        if (expected is null)
        {
            Assert.Equal(1, ran);
            Assert.Equal(seam == Seam.Delegate ? GovernedOutcomeKind.Faulted : GovernedOutcomeKind.Succeeded, outcome.Kind);
            Assert.False(outcome.IsDenied);
            if (seam == Seam.Delegate)
            {
                Assert.Same(thrown, outcome.Exception);
                Assert.Equal(LineageEventKind.ExecutionFailed, audit.Records[^1].Event.Kind);
            }
            else if (seam != Seam.BestEffortSink)
            {
                Assert.Equal(LineageEventKind.ExecutionCompleted, audit.Records[^1].Event.Kind);
            }
        }
        else
        {
            Assert.Equal(0, ran);
            Assert.True(outcome.IsDenied);
            Assert.Equal(expected, outcome.Denial!.Reason);
            Assert.Equal(detail, outcome.Denial.Detail);
            var last = audit.Records[^1].Event;
            Assert.Equal(LineageEventKind.ExecutionDenied, last.Kind);
            Assert.Equal(expected.ToString(), last["reason"]);
            Assert.Equal(((int)expected).ToString(System.Globalization.CultureInfo.InvariantCulture), last["reason_code"]);
            Assert.Equal(detail, last["detail"]);
            Assert.Equal(outcome.ExecutionId, last.ExecutionId);
        }

        Assert.True(audit.Verify().IsValid);
    }

    [Fact]
    public void The_matrix_covers_every_seam() =>
        Assert.Equal(Enum.GetValues<Seam>().Length, Matrix.Select(row => (Seam)row[0]).Distinct().Count());

    private sealed class FaultyEntityProvider(CedarEntities entities, FaultKind fault) : IEntityProvider
    {
        public ValueTask<CedarEntities> GetEntitiesAsync(ExecutionIntent intent, CancellationToken cancellationToken) =>
            fault == FaultKind.Wrong
                ? ValueTask.FromResult(CedarEntities.Empty) // the principal's team is missing: no permit applies
                : Fault.Apply(fault, () => ValueTask.FromResult(entities), cancellationToken);
    }

    private sealed class ForeignDigestEvaluator(IPolicyEvaluator inner) : IPolicyEvaluator
    {
        public string PolicySetDigest => inner.PolicySetDigest;

        public async ValueTask<PolicyDecision> EvaluateAsync(ExecutionIntent intent, DateTimeOffset evaluationTime, CancellationToken cancellationToken)
        {
            var real = await inner.EvaluateAsync(intent, evaluationTime, cancellationToken);
            return new PolicyDecision(real.Kind, real.DeterminingPolicies, real.Errors, real.Obligations, new string('f', 64));
        }
    }

    private sealed class WrongKeyStore(TrustedKey key) : ITrustedKeyStore
    {
        public ValueTask<TrustedKey?> FindAsync(string keyId, CancellationToken cancellationToken) =>
            ValueTask.FromResult<TrustedKey?>(TrustedKey.FromPem(key.ExportPublicKeyPem(), key.Algorithm, keyId));
    }
}
