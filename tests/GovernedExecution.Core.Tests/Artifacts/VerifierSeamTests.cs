using GovernedExecution.Artifacts;
using GovernedExecution.Artifacts.Keys;
using GovernedExecution.Execution;
using GovernedExecution.Intents;
using GovernedExecution.Testing;

namespace GovernedExecution.Tests.Artifacts;

/// <summary>
/// The verifier's pluggable seams (trusted-key store, replay guard) on their own, without an executor: whatever they
/// throw, however long they hang, and whatever key they answer with, the result is a refusal with its documented
/// reason; and the replay guard is told to remember a token id for as long as the verifier would still accept it.
/// </summary>
public sealed class VerifierSeamTests : IDisposable
{
    private readonly VerifierBench _bench = new();
    private readonly ExecutionIntent _intent = GovernedTestHost.Intent("read");

    public void Dispose() => _bench.Dispose();

    [Fact]
    public async Task Token_is_remembered_until_the_skew_has_passed_so_a_replay_inside_the_skew_is_Replayed()
    {
        // A guard that forgets ids at the expiry it is given, and sweeps them out as soon as it is full (2 ids).
        var guard = new InMemoryReplayGuard(_bench.Time, capacity: 2, retention: TimeSpan.Zero);
        var verifier = _bench.Verifier(replay: guard);
        var first = _bench.Forge(_intent).Sign(_bench.Key); // exp = now + 60
        VerifierBench.AssertVerified(await VerifyAsync(verifier, first));

        // Past exp, inside the 30 s skew: the verifier still accepts the first artifact, so its id must still be held
        // when the guard fills up and sweeps.
        _bench.Time.Advance(TimeSpan.FromSeconds(70));
        VerifierBench.AssertVerified(await VerifyAsync(verifier, _bench.Forge(_intent).Sign(_bench.Key)));
        var replay = await VerifyAsync(verifier, first);

        VerifierBench.AssertRefused(replay, ArtifactVerdict.Rejected, DenialReason.Replayed, "the artifact was already used");
    }

    [Fact]
    public async Task Full_guard_still_answers_a_replay_as_Replayed()
    {
        var guard = new InMemoryReplayGuard(_bench.Time, capacity: 1);
        var verifier = _bench.Verifier(replay: guard);
        var first = _bench.Forge(_intent).Sign(_bench.Key);
        VerifierBench.AssertVerified(await VerifyAsync(verifier, first));

        var other = await VerifyAsync(verifier, _bench.Forge(_intent).Sign(_bench.Key));
        var replay = await VerifyAsync(verifier, first);

        VerifierBench.AssertRefused(other, ArtifactVerdict.CannotEvaluate, DenialReason.GovernanceFault, "the replay guard failed: InvalidOperationException");
        VerifierBench.AssertRefused(replay, ArtifactVerdict.Rejected, DenialReason.Replayed, "the artifact was already used");
    }

    [Fact]
    public async Task Replay_guard_is_given_the_last_instant_the_verifier_accepts_the_artifact()
    {
        var guard = new RecordingReplayGuard();

        var result = await _bench.VerifyAsync(_bench.Forge(_intent).Sign(_bench.Key), _intent, skew: TimeSpan.FromSeconds(45), replay: guard);

        VerifierBench.AssertVerified(result);
        Assert.Equal(result.Claims!.ExpiresAt + TimeSpan.FromSeconds(45), guard.ExpiresAt);
    }

    [Fact]
    public async Task Key_store_answering_with_another_key_id_is_Untrusted()
    {
        // A store that resolves every id to the current key (a "fallback" lookup): the artifact names a revoked id.
        using var current = TrustedKey.FromPem(_bench.Key.ToTrustedKey().ExportPublicKeyPem(), keyId: "current");
        var forge = _bench.Forge(_intent);
        forge.KeyId = "revoked-2025";

        var result = await _bench.VerifyAsync(forge.Sign(_bench.Key), _intent, store: new AnswersWith(current));

        VerifierBench.AssertRefused(result, ArtifactVerdict.Untrusted, DenialReason.UntrustedKey, "the trusted-key store answered with another key");
    }

    [Fact]
    public async Task Key_store_throwing_a_cancellation_nobody_asked_for_is_KeyUnavailable()
    {
        // What an HTTP-backed store throws when its own request times out.
        var result = await _bench.VerifyAsync(_bench.Forge(_intent).Sign(_bench.Key), _intent, store: new ThrowingStore(new TaskCanceledException()));

        VerifierBench.AssertRefused(result, ArtifactVerdict.CannotEvaluate, DenialReason.KeyUnavailable, "the trusted-key store failed: TaskCanceledException");
    }

    [Fact]
    public async Task Replay_guard_throwing_a_cancellation_nobody_asked_for_is_GovernanceFault()
    {
        var result = await _bench.VerifyAsync(_bench.Forge(_intent).Sign(_bench.Key), _intent, replay: new ThrowingGuard(new OperationCanceledException()));

        VerifierBench.AssertRefused(result, ArtifactVerdict.CannotEvaluate, DenialReason.GovernanceFault, "the replay guard failed: OperationCanceledException");
    }

    [Fact]
    public async Task Cancellation_the_caller_asked_for_still_propagates()
    {
        using var cts = new CancellationTokenSource();
        var verifier = _bench.Verifier(store: new FaultyTrustedKeyStore(new InMemoryTrustedKeyStore(_bench.Key.ToTrustedKey()), FaultKind.Hangs));

        var pending = verifier.VerifyAsync(_bench.Forge(_intent).Sign(_bench.Key), new ArtifactVerificationContext(_intent, GovernedTestHost.Audience), cts.Token).AsTask();
        await cts.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => pending);
    }

    [Fact]
    public async Task Hanging_key_store_is_KeyUnavailable_after_the_dependency_timeout()
    {
        var store = new FaultyTrustedKeyStore(new InMemoryTrustedKeyStore(_bench.Key.ToTrustedKey()), FaultKind.Hangs);

        var pending = _bench.VerifyAsync(_bench.Forge(_intent).Sign(_bench.Key), _intent, store: store);
        _bench.Time.Advance(TimeSpan.FromSeconds(5) - TimeSpan.FromMilliseconds(1));
        Assert.False(pending.IsCompleted);
        _bench.Time.Advance(TimeSpan.FromMilliseconds(1));

        // The real-time bound only keeps a regression from hanging the test run.
        VerifierBench.AssertRefused(await pending.WaitAsync(TimeSpan.FromMinutes(1)), ArtifactVerdict.CannotEvaluate, DenialReason.KeyUnavailable, "the trusted-key store timed out");
    }

    [Fact]
    public async Task Hanging_replay_guard_is_GovernanceFault_after_the_dependency_timeout()
    {
        var guard = new FaultyReplayGuard(new InMemoryReplayGuard(_bench.Time), FaultKind.Hangs);

        var pending = _bench.VerifyAsync(_bench.Forge(_intent).Sign(_bench.Key), _intent, replay: guard);
        _bench.Time.Advance(TimeSpan.FromSeconds(5));

        VerifierBench.AssertRefused(await pending.WaitAsync(TimeSpan.FromMinutes(1)), ArtifactVerdict.CannotEvaluate, DenialReason.GovernanceFault, "the replay guard timed out");
    }

    [Fact]
    public async Task Throwing_clock_is_GovernanceFault_not_an_exception()
    {
        var verifier = CoseArtifacts.CreateVerifier(new InMemoryTrustedKeyStore(_bench.Key.ToTrustedKey()), timeProvider: new ThrowingTimeProvider());

        var result = await VerifyAsync(verifier, _bench.Forge(_intent).Sign(_bench.Key));

        VerifierBench.AssertRefused(result, ArtifactVerdict.CannotEvaluate, DenialReason.GovernanceFault, "the clock failed: InvalidOperationException");
    }

    [Theory]
    [InlineData(999)]
    [InlineData(3_600_001)]
    public void Maximum_lifetime_outside_1_second_to_1_hour_is_refused_at_creation(int milliseconds)
    {
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => CoseArtifacts.CreateVerifier(new InMemoryTrustedKeyStore(), maxLifetime: TimeSpan.FromMilliseconds(milliseconds)));
        Assert.Equal("maxLifetime", ex.ParamName);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(300_001)]
    public void Dependency_timeout_outside_its_range_is_refused_at_creation(int milliseconds)
    {
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => CoseArtifacts.CreateVerifier(new InMemoryTrustedKeyStore(), dependencyTimeout: TimeSpan.FromMilliseconds(milliseconds)));
        Assert.Equal("dependencyTimeout", ex.ParamName);
    }

    [Fact]
    public async Task Seams_share_one_timeout_budget_across_a_verification()
    {
        // The store answers after 3 s, then the guard hangs: it has the 2 s that are left, not another 5.
        var store = new SlowStore(new InMemoryTrustedKeyStore(_bench.Key.ToTrustedKey()), _bench.Time, TimeSpan.FromSeconds(3));
        var guard = new FaultyReplayGuard(new InMemoryReplayGuard(_bench.Time), FaultKind.Hangs);

        var pending = _bench.VerifyAsync(_bench.Forge(_intent).Sign(_bench.Key), _intent, store: store, replay: guard);
        _bench.Time.Advance(TimeSpan.FromSeconds(3));
        _bench.Time.Advance(TimeSpan.FromSeconds(2));

        VerifierBench.AssertRefused(await pending.WaitAsync(TimeSpan.FromMinutes(1)), ArtifactVerdict.CannotEvaluate, DenialReason.GovernanceFault, "the replay guard timed out");
    }

    [Fact]
    public async Task Configured_dependency_timeout_is_the_budget_not_the_default()
    {
        // The store answers just after the configured second has passed: too late, although well inside the default 5 s.
        var store = new AnswersWhenTold(_bench.Key.ToTrustedKey());
        var verifier = CoseArtifacts.CreateVerifier(store, timeProvider: _bench.Time, dependencyTimeout: TimeSpan.FromSeconds(1));

        var pending = VerifyAsync(verifier, _bench.Forge(_intent).Sign(_bench.Key));
        _bench.Time.Advance(TimeSpan.FromSeconds(1));
        store.Answer();

        VerifierBench.AssertRefused(await pending.WaitAsync(TimeSpan.FromMinutes(1)), ArtifactVerdict.CannotEvaluate, DenialReason.KeyUnavailable, "the trusted-key store timed out");
    }

    [Fact]
    public async Task Store_answering_inside_the_configured_timeout_is_used()
    {
        var store = new AnswersWhenTold(_bench.Key.ToTrustedKey());
        var verifier = CoseArtifacts.CreateVerifier(store, timeProvider: _bench.Time, dependencyTimeout: TimeSpan.FromSeconds(1));

        var pending = VerifyAsync(verifier, _bench.Forge(_intent).Sign(_bench.Key));
        _bench.Time.Advance(TimeSpan.FromSeconds(1) - TimeSpan.FromTicks(1));
        store.Answer();

        VerifierBench.AssertVerified(await pending.WaitAsync(TimeSpan.FromMinutes(1)));
    }

    [Fact]
    public async Task Budget_overdrawn_before_the_guard_is_asked_is_a_timeout_not_a_failure()
    {
        // The store takes 3 s; the guard then spends 6 s before it hands back a pending answer: 9 s of a 5 s budget are
        // gone, so the guard gets no time at all. A negative wait is not a fault of the guard.
        var store = new SlowStore(new InMemoryTrustedKeyStore(_bench.Key.ToTrustedKey()), _bench.Time, TimeSpan.FromSeconds(3));
        var guard = new SlowToStartGuard(_bench.Time, TimeSpan.FromSeconds(6));

        var pending = _bench.VerifyAsync(_bench.Forge(_intent).Sign(_bench.Key), _intent, store: store, replay: guard);
        _bench.Time.Advance(TimeSpan.FromSeconds(3));

        VerifierBench.AssertRefused(await pending.WaitAsync(TimeSpan.FromMinutes(1)), ArtifactVerdict.CannotEvaluate, DenialReason.GovernanceFault, "the replay guard timed out");
        Assert.True(guard.Asked);
    }

    [Fact]
    public async Task Budget_starts_at_the_first_pending_answer_not_at_the_start_of_the_verification()
    {
        // The store answers at once; the clock then moves 4 s before the guard is asked, and the guard hangs: the guard
        // still has the whole 5 s (nothing was waited for before it), so 4.999 s later the verification is still pending.
        var guard = new SlowToStartGuard(_bench.Time, TimeSpan.FromSeconds(4));

        var pending = _bench.VerifyAsync(_bench.Forge(_intent).Sign(_bench.Key), _intent, replay: guard);
        _bench.Time.Advance(TimeSpan.FromSeconds(5) - TimeSpan.FromMilliseconds(1));
        Assert.False(pending.IsCompleted);
        _bench.Time.Advance(TimeSpan.FromMilliseconds(1));

        VerifierBench.AssertRefused(await pending.WaitAsync(TimeSpan.FromMinutes(1)), ArtifactVerdict.CannotEvaluate, DenialReason.GovernanceFault, "the replay guard timed out");
    }

    private Task<ArtifactVerificationResult> VerifyAsync(IArtifactVerifier verifier, AuthorizationArtifact artifact) =>
        verifier.VerifyAsync(artifact, new ArtifactVerificationContext(_intent, GovernedTestHost.Audience), CancellationToken.None).AsTask();

    private sealed class SlowStore(ITrustedKeyStore inner, TimeProvider time, TimeSpan delay) : ITrustedKeyStore
    {
        public async ValueTask<TrustedKey?> FindAsync(string keyId, CancellationToken cancellationToken)
        {
            await Task.Delay(delay, time, cancellationToken);
            return await inner.FindAsync(keyId, cancellationToken);
        }
    }

    /// <summary>A store whose answer (the key) is pending until the test says so.</summary>
    private sealed class AnswersWhenTold(TrustedKey key) : ITrustedKeyStore
    {
        private readonly TaskCompletionSource<TrustedKey?> _answer = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public void Answer() => _answer.SetResult(key);

        public ValueTask<TrustedKey?> FindAsync(string keyId, CancellationToken cancellationToken) => new(_answer.Task);
    }

    /// <summary>A guard that keeps the caller for <paramref name="work"/> (on the fake clock) and then never answers.</summary>
    private sealed class SlowToStartGuard(Microsoft.Extensions.Time.Testing.FakeTimeProvider time, TimeSpan work) : IReplayGuard
    {
        public bool Asked { get; private set; }

        public ValueTask<bool> TryConsumeAsync(Guid tokenId, DateTimeOffset expiresAt, CancellationToken cancellationToken)
        {
            Asked = true;
            time.Advance(work);
            return new ValueTask<bool>(new TaskCompletionSource<bool>().Task);
        }
    }

    private sealed class RecordingReplayGuard : IReplayGuard
    {
        public DateTimeOffset? ExpiresAt { get; private set; }

        public ValueTask<bool> TryConsumeAsync(Guid tokenId, DateTimeOffset expiresAt, CancellationToken cancellationToken)
        {
            ExpiresAt = expiresAt;
            return ValueTask.FromResult(true);
        }
    }

    private sealed class AnswersWith(TrustedKey key) : ITrustedKeyStore
    {
        public ValueTask<TrustedKey?> FindAsync(string keyId, CancellationToken cancellationToken) => ValueTask.FromResult<TrustedKey?>(key);
    }

    private sealed class ThrowingStore(Exception exception) : ITrustedKeyStore
    {
        public ValueTask<TrustedKey?> FindAsync(string keyId, CancellationToken cancellationToken) => ValueTask.FromException<TrustedKey?>(exception);
    }

    private sealed class ThrowingGuard(Exception exception) : IReplayGuard
    {
        public ValueTask<bool> TryConsumeAsync(Guid tokenId, DateTimeOffset expiresAt, CancellationToken cancellationToken) => ValueTask.FromException<bool>(exception);
    }
}
