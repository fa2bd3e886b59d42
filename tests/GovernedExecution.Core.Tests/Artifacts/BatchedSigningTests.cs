using System.Security.Cryptography;
using System.Security.Cryptography.Cose;
using GovernedExecution.Artifacts;
using GovernedExecution.Artifacts.Keys;
using GovernedExecution.DependencyInjection;
using GovernedExecution.Execution;
using GovernedExecution.Lineage;
using GovernedExecution.Testing;
using GovernedExecution.Tests.Diagnostics;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Time.Testing;

namespace GovernedExecution.Tests.Artifacts;

/// <summary>
/// Group commit of signatures through the executor: a lone caller is signed at once; callers that arrive during a
/// signature share the next one; batches are bounded; a signer fault denies every caller of its batch, and no
/// delegate runs.
/// </summary>
public sealed class BatchedSigningTests : IDisposable
{
    private const string BatchSize = "governed_execution.artifact.batch_size";

    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 11, 26, 12, 0, 0, TimeSpan.Zero));
    private readonly GatedECDsa _ecdsa = new();
    private readonly SigningKey _key;
    private int _ran;

    public BatchedSigningTests()
    {
        _key = SigningKey.FromECDsa(_ecdsa);
        _ecdsa.ResetCount(); // the key checks once that it can sign
    }

    public void Dispose() => _key.Dispose();

    [Fact]
    public void Default_is_one_signature_per_artifact()
    {
        Assert.Equal(ArtifactSigningMode.PerArtifact, new GovernedExecutionOptions().ArtifactSigning);
    }

    [Fact]
    public void Configuration_names_the_mode_exactly()
    {
        var batched = new GovernedExecutionOptions();
        Assert.Empty(GovernedExecutionOptionsBinder.Bind(Section("Batched"), batched));
        Assert.Equal(ArtifactSigningMode.Batched, batched.ArtifactSigning);

        foreach (var wrong in new[] { "batched", "1", "Merkle" })
        {
            var options = new GovernedExecutionOptions();
            Assert.Equal($"Configuration key 'GovernedExecution:ArtifactSigning' must be PerArtifact or Batched (exactly).", Assert.Single(GovernedExecutionOptionsBinder.Bind(Section(wrong), options)));
            Assert.Equal(ArtifactSigningMode.PerArtifact, options.ArtifactSigning);
        }

        var undefined = new GovernedExecutionOptions { Audience = "a", ArtifactSigning = (ArtifactSigningMode)7 };
        Assert.Contains("ArtifactSigning must be PerArtifact or Batched.", undefined.Validate());
    }

    [Fact]
    public async Task Lone_caller_is_signed_at_once_in_a_batch_of_one()
    {
        var executor = Executor(out _, ArtifactSigningMode.Batched);
        AuthorizationArtifact? seen = null;

        var outcome = await executor.RunOutcomeAsync(GovernedTestHost.Intent("read"), (context, _) =>
        {
            seen = context.Artifact;
            Interlocked.Increment(ref _ran);
            return ValueTask.FromResult(1);
        });

        Assert.True(outcome.IsSuccess, outcome.Denial?.ToString());
        Assert.Equal(1, _ecdsa.Signatures);
        Assert.Equal((1, 0), TreeSizeAndIndex(seen!));
    }

    [Fact]
    public async Task Callers_arriving_during_a_signature_share_the_next_one()
    {
        const int Callers = 12;
        var executor = Executor(out var issuer, ArtifactSigningMode.Batched);
        _ecdsa.Gate = new ManualResetEventSlim(false);
        var artifacts = new AuthorizationArtifact?[Callers];

        var first = Task.Run(() => RunAsync(executor, artifacts, 0));
        await WaitUntilAsync(() => _ecdsa.Signatures == 1); // the first caller is signing, alone
        var rest = Enumerable.Range(1, Callers - 1).Select(i => Task.Run(() => RunAsync(executor, artifacts, i))).ToArray();
        await WaitUntilAsync(() => issuer.Batches!.Queued == Callers - 1);
        _ecdsa.Gate.Set();
        var outcomes = await Task.WhenAll([first, .. rest]);

        Assert.All(outcomes, o => Assert.True(o.IsSuccess, o.Denial?.ToString()));
        Assert.Equal(Callers, _ran);
        Assert.Equal(2, _ecdsa.Signatures);
        Assert.Equal((1, 0), TreeSizeAndIndex(artifacts[0]!));
        Assert.Equal(Enumerable.Range(0, Callers - 1), artifacts.Skip(1).Select(a => TreeSizeAndIndex(a!)).Select(p => { Assert.Equal(Callers - 1, p.Size); return p.Index; }).Order());
        Assert.Equal(Callers, artifacts.Select(a => a!.ComputeDigest()).Distinct().Count());
    }

    [Fact]
    public async Task Signer_fault_denies_every_waiting_caller_and_runs_no_delegate()
    {
        const int Callers = 8;
        var sink = new InMemoryLineageSink();
        var executor = Executor(out var issuer, ArtifactSigningMode.Batched, sink);
        _ecdsa.Gate = new ManualResetEventSlim(false);
        _ecdsa.Fail = true;
        var artifacts = new AuthorizationArtifact?[Callers];

        var first = Task.Run(() => RunAsync(executor, artifacts, 0));
        await WaitUntilAsync(() => _ecdsa.Signatures == 1);
        var rest = Enumerable.Range(1, Callers - 1).Select(i => Task.Run(() => RunAsync(executor, artifacts, i))).ToArray();
        await WaitUntilAsync(() => issuer.Batches!.Queued == Callers - 1);
        _ecdsa.Gate.Set();
        var outcomes = await Task.WhenAll([first, .. rest]);

        Assert.All(outcomes, o =>
        {
            Assert.True(o.IsDenied);
            Assert.Equal(DenialReason.KeyUnavailable, o.Denial!.Reason);
            Assert.Equal("the signing key is unavailable", o.Denial.Detail);
        });
        Assert.Equal(0, _ran);
        Assert.Equal(2, _ecdsa.Signatures);
        Assert.DoesNotContain(sink.Records, r => r.Event.Kind == LineageEventKind.ArtifactIssued);

        // The signer is not left stuck: once the fault is gone, the next caller is signed at once.
        _ecdsa.Fail = false;
        var after = await RunAsync(executor, artifacts, 0);
        Assert.True(after.IsSuccess, after.Denial?.ToString());
        Assert.Equal(1, _ran);
    }

    [Fact]
    public async Task Disposed_signing_key_denies_every_queued_caller()
    {
        const int Callers = 4;
        var executor = Executor(out var issuer, ArtifactSigningMode.Batched);
        _ecdsa.Gate = new ManualResetEventSlim(false);
        var artifacts = new AuthorizationArtifact?[Callers];

        var first = Task.Run(() => RunAsync(executor, artifacts, 0));
        await WaitUntilAsync(() => _ecdsa.Signatures == 1);
        var rest = Enumerable.Range(1, Callers - 1).Select(i => Task.Run(() => RunAsync(executor, artifacts, i))).ToArray();
        await WaitUntilAsync(() => issuer.Batches!.Queued == Callers - 1);
        _key.Dispose();
        _ecdsa.Gate.Set();
        var outcomes = await Task.WhenAll([first, .. rest]);

        Assert.All(outcomes, o => Assert.Equal(DenialReason.KeyUnavailable, o.Denial?.Reason));
        Assert.Equal(1, _ecdsa.Signatures); // the queued batch was refused before anything was signed with the disposed key
        Assert.Equal(0, _ran);
    }

    [Fact]
    public async Task Batch_size_histogram_records_the_artifacts_each_signature_covered()
    {
        const int Callers = 12;
        using var trace = new TraceRecorder();
        var executor = Executor(out var issuer, ArtifactSigningMode.Batched);
        _ecdsa.Gate = new ManualResetEventSlim(false);
        var artifacts = new AuthorizationArtifact?[Callers];

        // The first caller is held inside its signature, so the other eleven must queue and share the next one.
        var first = Task.Run(() => RunAsync(executor, artifacts, 0));
        await WaitUntilAsync(() => _ecdsa.Signatures == 1);
        var rest = Enumerable.Range(1, Callers - 1).Select(i => Task.Run(() => RunAsync(executor, artifacts, i))).ToArray();
        await WaitUntilAsync(() => issuer.Batches!.Queued == Callers - 1);
        _ecdsa.Gate.Set();
        var outcomes = await Task.WhenAll([first, .. rest]);

        Assert.All(outcomes, o => Assert.True(o.IsSuccess, o.Denial?.ToString()));
        var sizes = trace.Measurements(BatchSize).Select(m => m.Value).ToArray();
        Assert.Equal(_ecdsa.Signatures, sizes.Length); // one measurement per signature
        Assert.Equal(Callers, sizes.Sum()); // together they cover every artifact, once
        Assert.Equal([1.0, Callers - 1], sizes.Order());
    }

    [Theory]
    [InlineData(ArtifactSigningMode.Batched)]
    [InlineData(ArtifactSigningMode.PerArtifact)]
    public async Task Batch_size_histogram_records_one_for_a_lone_caller(ArtifactSigningMode mode)
    {
        using var trace = new TraceRecorder();
        var executor = Executor(out _, mode);

        for (var i = 0; i < 3; i++)
        {
            var outcome = await executor.RunOutcomeAsync(GovernedTestHost.Intent("read"), (context, _) => ValueTask.FromResult(1));
            Assert.True(outcome.IsSuccess, outcome.Denial?.ToString());
        }

        Assert.Equal([1.0, 1.0, 1.0], trace.Measurements(BatchSize).Select(m => m.Value));
    }

    [Fact]
    public async Task Batch_size_histogram_records_nothing_for_a_failed_signature()
    {
        using var trace = new TraceRecorder();
        var executor = Executor(out _, ArtifactSigningMode.Batched);
        _ecdsa.Fail = true;

        var outcome = await executor.RunOutcomeAsync(GovernedTestHost.Intent("read"), (context, _) =>
        {
            Interlocked.Increment(ref _ran);
            return ValueTask.FromResult(1);
        });

        Assert.Equal(DenialReason.KeyUnavailable, outcome.Denial?.Reason);
        Assert.Equal(0, _ran);
        Assert.Empty(trace.Measurements(BatchSize));
    }

    [Fact]
    public async Task A_throwing_batch_size_listener_changes_no_outcome()
    {
        const int Callers = 6;
        using var marker = new System.Diagnostics.Activity("batch-size-listener").SetParentId(System.Diagnostics.ActivityTraceId.CreateRandom(), System.Diagnostics.ActivitySpanId.CreateRandom()).Start();
        var trace = marker.TraceId;
        var thrown = 0;
        using var listener = new System.Diagnostics.Metrics.MeterListener
        {
            InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Meter.Name == GovernedExecution.Diagnostics.GovernedExecutionTelemetry.MeterName && instrument.Name == BatchSize)
                {
                    l.EnableMeasurementEvents(instrument);
                }
            },
        };
        listener.SetMeasurementEventCallback<long>((_, _, _, _) =>
        {
            if (System.Diagnostics.Activity.Current?.TraceId == trace)
            {
                Interlocked.Increment(ref thrown);
                throw new InvalidOperationException("listener fault");
            }
        });
        listener.Start();
        var executor = Executor(out var issuer, ArtifactSigningMode.Batched);
        _ecdsa.Gate = new ManualResetEventSlim(false);
        var artifacts = new AuthorizationArtifact?[Callers];

        var first = Task.Run(() => RunAsync(executor, artifacts, 0));
        await WaitUntilAsync(() => _ecdsa.Signatures == 1);
        var rest = Enumerable.Range(1, Callers - 1).Select(i => Task.Run(() => RunAsync(executor, artifacts, i))).ToArray();
        await WaitUntilAsync(() => issuer.Batches!.Queued == Callers - 1);
        _ecdsa.Gate.Set();
        var outcomes = await Task.WhenAll([first, .. rest]);

        Assert.All(outcomes, o => Assert.True(o.IsSuccess, o.Denial?.ToString()));
        Assert.Equal(Callers, _ran);
        Assert.Equal(2, Volatile.Read(ref thrown)); // the listener saw (and threw at) both signatures
    }

    [Fact]
    public async Task Leader_lets_waiting_work_run_first_so_that_callers_behind_it_share_its_signature()
    {
        // On busy cores, callers wait for a processor, not for the signer: few arrive during one signature, and a leader
        // that signs at once signs alone. A leader that finds work waiting lets it run first (one turn of the thread
        // pool), and those callers join its batch. The turn is held here until all of them are queued.
        const int Callers = 12;
        var turn = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var turns = 0;
        var signer = new ArtifactBatchSigner(() =>
        {
            Interlocked.Increment(ref turns);
            return new ValueTask(turn.Task);
        });

        var first = Task.Run(() => signer.SignAsync(_key, [0]).AsTask());
        await WaitUntilAsync(() => Volatile.Read(ref turns) == 1 || _ecdsa.Signatures > 0);
        Assert.Equal(0, _ecdsa.Signatures); // the leader did not sign before the waiting work had its turn
        var rest = Enumerable.Range(1, Callers - 1).Select(i => Task.Run(() => signer.SignAsync(_key, [(byte)i]).AsTask())).ToArray();
        await WaitUntilAsync(() => signer.Queued == Callers - 1);
        turn.SetResult();
        var signed = await Task.WhenAll([first, .. rest]);

        Assert.Equal(1, _ecdsa.Signatures);
        Assert.Equal(1, Volatile.Read(ref turns)); // one turn per batch, only for its leader
        Assert.Equal(Enumerable.Range(0, Callers), signed.Select(a => TreeSizeAndIndex(AuthorizationArtifact.FromBytes(a))).Select(p => { Assert.Equal(Callers, p.Size); return p.Index; }).Order());
    }

    [Fact]
    public async Task Batches_are_bounded()
    {
        const int Callers = 300;
        var signer = new ArtifactBatchSigner();
        _ecdsa.Gate = new ManualResetEventSlim(false);
        var payloads = Enumerable.Range(0, Callers).Select(i => new byte[] { (byte)i, (byte)(i >> 8) }).ToArray();

        var first = Task.Run(() => signer.SignAsync(_key, payloads[0]).AsTask());
        await WaitUntilAsync(() => _ecdsa.Signatures == 1);
        var rest = Enumerable.Range(1, Callers - 1).Select(i => Task.Run(() => signer.SignAsync(_key, payloads[i]).AsTask())).ToArray();
        await WaitUntilAsync(() => signer.Queued == Callers - 1);
        _ecdsa.Gate.Set();
        var signed = await Task.WhenAll([first, .. rest]);

        Assert.Equal(3, _ecdsa.Signatures); // 1, then 256, then 43
        var sizes = signed.Select(a => TreeSizeAndIndex(AuthorizationArtifact.FromBytes(a)).Size).ToArray();
        Assert.Equal([1, Callers - 1 - ArtifactBatch.MaxBatch, ArtifactBatch.MaxBatch], sizes.Distinct().Order());
        Assert.All(sizes, s => Assert.True(s <= ArtifactBatch.MaxBatch));
    }

    [Fact]
    public async Task Callers_beyond_the_queue_bound_are_refused_at_once()
    {
        // A signer that hangs (an HSM that stops answering) must not let waiting callers pile up without end.
        var signer = new ArtifactBatchSigner();
        _ecdsa.Gate = new ManualResetEventSlim(false);
        var first = Task.Run(() => signer.SignAsync(_key, [0]).AsTask());
        await WaitUntilAsync(() => _ecdsa.Signatures == 1);
        var queued = Enumerable.Range(0, ArtifactBatchSigner.MaxQueued).Select(i => signer.SignAsync(_key, [1]).AsTask()).ToArray();
        Assert.Equal(ArtifactBatchSigner.MaxQueued, signer.Queued);

        await Assert.ThrowsAsync<KeyUnavailableException>(() => signer.SignAsync(_key, [2]).AsTask());

        _ecdsa.Gate.Set();
        await first;
        await Task.WhenAll(queued);
        Assert.Equal(1 + (ArtifactBatchSigner.MaxQueued / ArtifactBatch.MaxBatch), _ecdsa.Signatures);
    }

    private async Task<GovernedOutcome<int>> RunAsync(IGovernedExecutor executor, AuthorizationArtifact?[] artifacts, int i) =>
        await executor.RunOutcomeAsync(GovernedTestHost.Intent("read", $"ticket-{i}"), (context, _) =>
        {
            artifacts[i] = context.Artifact;
            Interlocked.Increment(ref _ran);
            return ValueTask.FromResult(i);
        });

    private IGovernedExecutor Executor(out CoseArtifactIssuer issuer, ArtifactSigningMode mode, InMemoryLineageSink? sink = null)
    {
        var trusted = _key.ToTrustedKey();
        issuer = new CoseArtifactIssuer(new StaticSigningKeyProvider(_key), _time, "governed-execution", TimeSpan.FromSeconds(60), mode);
        var verifier = CoseArtifacts.CreateVerifier(new InMemoryTrustedKeyStore(trusted), timeProvider: _time);
        var executor = new GovernedExecutorBuilder()
            .Configure(o => { o.Audience = GovernedTestHost.Audience; o.ArtifactSigning = mode; })
            .UsePolicies(GovernedTestHost.DefaultPolicies())
            .UseSigningKey(_key)
            .UseTrustedKeys(trusted)
            .UseTimeProvider(_time)
            .UseArtifactCodec(issuer, verifier)
            .AddLineageSink(sink ?? new InMemoryLineageSink())
            .Build();
        _ecdsa.ResetCount(); // the start-up check signs once to compare the key with the trusted one
        return executor;
    }

    /// <summary>The tree size and leaf index of a batched artifact's inclusion proof.</summary>
    private static (int Size, int Index) TreeSizeAndIndex(AuthorizationArtifact artifact)
    {
        var message = CoseMessage.DecodeSign1(artifact.Encoded.Span);
        var proofs = new System.Formats.Cbor.CborReader(message.UnprotectedHeaders[new CoseHeaderLabel(ArtifactBatch.ProofsLabel)].EncodedValue);
        proofs.ReadStartMap();
        proofs.ReadInt32();
        proofs.ReadStartArray();
        var proof = new System.Formats.Cbor.CborReader(proofs.ReadByteString());
        proof.ReadStartArray();
        return (proof.ReadInt32(), proof.ReadInt32());
    }

    private static IConfiguration Section(string value) =>
        new ConfigurationBuilder().AddInMemoryCollection([new("GovernedExecution:ArtifactSigning", value)]).Build().GetSection("GovernedExecution");

    /// <summary>Waits for another thread to reach a state (no timing is asserted; the bound only stops a hung test).</summary>
    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        for (var i = 0; !condition(); i++)
        {
            Assert.True(i < 30_000, "the state was never reached");
            await Task.Delay(5);
        }
    }

    /// <summary>A real P-256 key that counts its signatures, can hold the first one at a gate, and can fail.</summary>
    private sealed class GatedECDsa : ECDsa
    {
        private readonly ECDsa _inner = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        private int _signatures;

        public GatedECDsa()
        {
            KeySizeValue = 256;
        }

        public int Signatures => Volatile.Read(ref _signatures);

        public ManualResetEventSlim? Gate { get; set; }

        public void ResetCount() => Volatile.Write(ref _signatures, 0);

        public volatile bool Fail;

        public override KeySizes[] LegalKeySizes => _inner.LegalKeySizes;

        public override ECParameters ExportParameters(bool includePrivateParameters) => _inner.ExportParameters(includePrivateParameters);

        public override ECParameters ExportExplicitParameters(bool includePrivateParameters) => _inner.ExportExplicitParameters(includePrivateParameters);

        public override void ImportParameters(ECParameters parameters) => _inner.ImportParameters(parameters);

        public override byte[] SignHash(byte[] hash)
        {
            if (Interlocked.Increment(ref _signatures) == 1)
            {
                Gate?.Wait();
            }

            return Fail ? throw new CryptographicException("signer fault") : _inner.SignHash(hash);
        }

        public override bool VerifyHash(byte[] hash, byte[] signature) => _inner.VerifyHash(hash, signature);

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                _inner.Dispose();
            }

            base.Dispose(disposing);
        }
    }
}
