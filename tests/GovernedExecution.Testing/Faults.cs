using GovernedExecution.Artifacts;
using GovernedExecution.Artifacts.Keys;
using GovernedExecution.Intents;
using GovernedExecution.Lineage;
using GovernedExecution.Policies;

namespace GovernedExecution.Testing;

/// <summary>How a test double misbehaves.</summary>
public enum FaultKind
{
    /// <summary>Behaves.</summary>
    None,

    /// <summary>Throws an exception.</summary>
    Throws,

    /// <summary>Returns null or a default value.</summary>
    ReturnsDefault,

    /// <summary>Never completes (until canceled).</summary>
    Hangs,

    /// <summary>Ignores cancellation: completes normally, but only after the caller's token was canceled.</summary>
    LateAfterCancel,

    /// <summary>Returns a plausible but wrong value (each double defines which).</summary>
    Wrong,
}

/// <summary>Shared fault behaviour for seam doubles.</summary>
public static class Fault
{
    public static async ValueTask<T> Apply<T>(FaultKind kind, Func<ValueTask<T>> real, CancellationToken cancellationToken)
    {
        switch (kind)
        {
            case FaultKind.Throws:
                throw new InvalidOperationException("injected fault");
            case FaultKind.ReturnsDefault:
                return default!;
            case FaultKind.Hangs:
                await Task.Delay(Timeout.Infinite, cancellationToken);
                throw new InvalidOperationException("unreachable");
            case FaultKind.LateAfterCancel:
                var canceled = new TaskCompletionSource();
                using (cancellationToken.Register(() => canceled.TrySetResult()))
                {
                    await canceled.Task;
                }

                await Task.Delay(20, CancellationToken.None);
                return await real();
            default:
                return await real();
        }
    }
}

public sealed class FaultyPolicyEvaluator(IPolicyEvaluator inner, FaultKind kind) : IPolicyEvaluator
{
    public string PolicySetDigest => inner.PolicySetDigest;

    public ValueTask<PolicyDecision> EvaluateAsync(ExecutionIntent intent, DateTimeOffset evaluationTime, CancellationToken cancellationToken) =>
        Fault.Apply(kind, () => inner.EvaluateAsync(intent, evaluationTime, cancellationToken), cancellationToken);
}

public sealed class FaultySigningKeyProvider(SigningKey key, FaultKind kind) : ISigningKeyProvider
{
    public ValueTask<SigningKey> GetSigningKeyAsync(CancellationToken cancellationToken) =>
        Fault.Apply(kind, () => ValueTask.FromResult(key), cancellationToken);
}

public sealed class FaultyTrustedKeyStore(ITrustedKeyStore inner, FaultKind kind) : ITrustedKeyStore
{
    public ValueTask<TrustedKey?> FindAsync(string keyId, CancellationToken cancellationToken) =>
        Fault.Apply(kind, () => inner.FindAsync(keyId, cancellationToken), cancellationToken);
}

public sealed class FaultyReplayGuard(IReplayGuard inner, FaultKind kind) : IReplayGuard
{
    public ValueTask<bool> TryConsumeAsync(Guid tokenId, DateTimeOffset expiresAt, CancellationToken cancellationToken) =>
        Fault.Apply(kind, () => inner.TryConsumeAsync(tokenId, expiresAt, cancellationToken), cancellationToken);
}

/// <summary>A sink that fails as told; it counts the events it accepted.</summary>
public sealed class FaultyLineageSink(FaultKind kind) : ILineageSink
{
    private int _accepted;

    public int Accepted => Volatile.Read(ref _accepted);

    public FaultKind Kind { get; set; } = kind;

    public async ValueTask AppendAsync(IReadOnlyList<LineageEvent> events, CancellationToken cancellationToken)
    {
        await Fault.Apply(Kind, () => ValueTask.FromResult(true), cancellationToken);
        Interlocked.Add(ref _accepted, events.Count);
    }
}

/// <summary>A clock that throws on every read.</summary>
public sealed class ThrowingTimeProvider : TimeProvider
{
    public override DateTimeOffset GetUtcNow() => throw new InvalidOperationException("injected clock fault");
}

/// <summary>A clock that moves by a fixed step at every read (forward or backward), to put verification at any clock position.</summary>
public sealed class SteppingTimeProvider(DateTimeOffset start, TimeSpan step) : TimeProvider
{
    private long _ticks = start.UtcTicks;

    public override DateTimeOffset GetUtcNow() => new(Interlocked.Add(ref _ticks, step.Ticks) - step.Ticks, TimeSpan.Zero);
}
