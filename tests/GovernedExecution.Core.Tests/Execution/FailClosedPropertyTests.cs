using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using GovernedExecution.Artifacts;
using GovernedExecution.Artifacts.Keys;
using GovernedExecution.Execution;
using GovernedExecution.Policies.Rules;
using GovernedExecution.Testing;

namespace GovernedExecution.Tests.Execution;

/// <summary>
/// The fail-closed contract as a property: over every combination of policy decision, verification failure,
/// sink failure, clock position and cancellation, the delegate runs if and only if everything passes, and the
/// denial reason is the one of the first failing check.
/// </summary>
public sealed class FailClosedPropertyTests
{
    public enum DecisionCase { Permit, Forbid, NotPermitted, ForbidError, PermitError }

    public enum VerifyCase { Ok, UnknownKey, RevokedKey, AlgorithmNotAllowed, ClockAfterExpiry, ClockBeforeValidity, Replayed }

    public enum SinkCase { Ok, Throws }

    [Property(MaxTest = 300)]
    public Property Delegate_runs_iff_every_check_passes()
    {
        var cases = from decision in Gen.Elements(Enum.GetValues<DecisionCase>())
                    from verify in Gen.Elements(Enum.GetValues<VerifyCase>())
                    from sink in Gen.Elements(Enum.GetValues<SinkCase>())
                    from canceled in Gen.Frequency((1, Gen.Constant(true)), (5, Gen.Constant(false)))
                    select (decision, verify, sink, canceled);
        return Prop.ForAll(cases.ToArbitrary(), c => Check(c.decision, c.verify, c.sink, c.canceled));
    }

    internal static DenialReason? Expected(DecisionCase decision, VerifyCase verify, SinkCase sink, bool canceled)
    {
        if (canceled)
        {
            return DenialReason.Canceled;
        }

        switch (decision)
        {
            case DecisionCase.Forbid: return DenialReason.PolicyDenied;
            case DecisionCase.NotPermitted: return DenialReason.NotPermitted;
            case DecisionCase.ForbidError or DecisionCase.PermitError: return DenialReason.PolicyError;
        }

        switch (verify)
        {
            case VerifyCase.UnknownKey or VerifyCase.RevokedKey: return DenialReason.UntrustedKey;
            case VerifyCase.AlgorithmNotAllowed: return DenialReason.SignatureInvalid;
            case VerifyCase.ClockAfterExpiry: return DenialReason.Expired;
            case VerifyCase.ClockBeforeValidity: return DenialReason.NotYetValid;
            case VerifyCase.Replayed: return DenialReason.Replayed;
        }

        return sink == SinkCase.Throws ? DenialReason.LineageUnavailable : null;
    }

    private static bool Check(DecisionCase decision, VerifyCase verify, SinkCase sink, bool canceled)
    {
        var start = new DateTimeOffset(2026, 11, 26, 12, 0, 0, TimeSpan.Zero);
        TimeProvider time = verify switch
        {
            VerifyCase.ClockAfterExpiry => new SteppingTimeProvider(start, TimeSpan.FromMinutes(10)),
            VerifyCase.ClockBeforeValidity => new SteppingTimeProvider(start, TimeSpan.FromMinutes(-10)),
            _ => new SteppingTimeProvider(start, TimeSpan.Zero),
        };
        using var key = SigningKey.Generate(verify == VerifyCase.AlgorithmNotAllowed ? ArtifactAlgorithm.ES384 : ArtifactAlgorithm.ES256);
        var store = new InMemoryTrustedKeyStore();
        if (verify != VerifyCase.UnknownKey)
        {
            store.Add(key.ToTrustedKey());
        }

        if (verify == VerifyCase.RevokedKey)
        {
            store.Revoke(key.KeyId);
        }

        var policies = decision switch
        {
            DecisionCase.Permit => new RulePolicyEvaluator([PolicyRule.Permit("p", _ => true)]),
            DecisionCase.Forbid => new RulePolicyEvaluator([PolicyRule.Permit("p", _ => true), PolicyRule.Forbid("f", _ => true)]),
            DecisionCase.NotPermitted => new RulePolicyEvaluator([PolicyRule.Permit("p", _ => false)]),
            DecisionCase.ForbidError => new RulePolicyEvaluator([PolicyRule.Permit("p", _ => true), PolicyRule.Forbid("f", _ => throw new InvalidOperationException())]),
            _ => new RulePolicyEvaluator([PolicyRule.Permit("p", _ => throw new InvalidOperationException())]),
        };

        var executor = new GovernedExecution.DependencyInjection.GovernedExecutorBuilder()
            .Configure(o => o.Audience = "prop")
            .UsePolicies(policies)
            .UseSigningKey(key)
            .UseTrustedKeyStore(store)
            .UseTimeProvider(time)
            .UseReplayGuard(verify == VerifyCase.Replayed ? new FaultyReplayGuard(new InMemoryReplayGuard(time), FaultKind.ReturnsDefault) : new InMemoryReplayGuard(time))
            .AddLineageSink(new FaultyLineageSink(sink == SinkCase.Throws ? FaultKind.Throws : FaultKind.None))
            .Build();

        using var cts = new CancellationTokenSource();
        if (canceled)
        {
            cts.Cancel();
        }

        var runs = 0;
        var outcome = executor.RunOutcomeAsync(GovernedTestHost.Intent("read"), (ctx, ct) => { runs++; return ValueTask.FromResult(1); }, cts.Token)
            .AsTask().GetAwaiter().GetResult();

        var expected = Expected(decision, verify, sink, canceled);
        return expected is null
            ? runs == 1 && outcome.IsSuccess
            : runs == 0 && outcome.IsDenied && outcome.Denial!.Reason == expected && DenialDetails.IsDocumented(outcome.Denial.Reason, outcome.Denial.Detail);
    }
}
