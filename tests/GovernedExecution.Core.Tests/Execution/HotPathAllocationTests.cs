using System.Security.Cryptography;
using System.Security.Cryptography.Cose;
using GovernedExecution.Execution;
using GovernedExecution.Testing;

namespace GovernedExecution.Tests.Execution;

/// <summary>
/// What one governed call allocates, as the benchmark's scenarios run it (ES256 mint and verify, a lineage sink that
/// hashes and chains every record). Allocated bytes are deterministic, unlike times: counted with
/// <see cref="GC.GetAllocatedBytesForCurrentThread"/> over <see cref="Calls"/> calls after <see cref="WarmUp"/> calls,
/// every one of which must complete synchronously (so that all of its work runs on this thread and is counted). The
/// collection runs alone: no other test's listener can switch telemetry on meanwhile.
/// </summary>
[Collection(nameof(HotPathAllocationRuns))]
public sealed class HotPathAllocationTests : IDisposable
{
    private const int WarmUp = 300;
    private const int Calls = 1000;

    private static readonly Func<int, GovernedContext, CancellationToken, ValueTask<int>> Operation = static (state, ctx, ct) => ValueTask.FromResult(state + 1);

    private readonly GovernedTestHost _host = new(time: TimeProvider.System, lineage: new ChainOnlyLineageSink());

    public void Dispose() => _host.Dispose();

    [Fact]
    public async Task A_permitted_call_allocates_at_most_2_KB_beyond_a_bare_COSE_sign_decode_verify()
    {
        var intent = GovernedTestHost.Intent("read");
        var artifact = (await _host.Executor.IssueAsync(intent)).Artifact!;
        var payload = CoseMessage.DecodeSign1(artifact.Encoded.Span).Content!.Value.ToArray();
        using var ecdsa = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var signer = new CoseSigner(ecdsa, HashAlgorithmName.SHA256);

        var bare = BytesPerCall(() => CoseMessage.DecodeSign1(CoseSign1Message.SignEmbedded(payload, signer)).VerifyEmbedded(ecdsa));
        var permitted = BytesPerCall(() => Synchronously(_host.Executor.RunOutcomeAsync(intent, 1, Operation)).Result == 2);

        Assert.True(permitted <= bare + 2048, $"a permitted call allocates {permitted:F0} B, a bare COSE round trip {bare:F0} B: {permitted - bare:F0} B beyond it (at most 2048)");
    }

    [Fact]
    public void A_call_denied_by_policy_allocates_at_most_1_KB_lineage_records_included()
    {
        var intent = GovernedTestHost.Intent("delete");
        var sink = (ChainOnlyLineageSink)_host.LineageSink;
        var before = sink.Count;

        var denied = BytesPerCall(() => Synchronously(_host.Executor.RunOutcomeAsync(intent, 1, Operation)).IsDenied);

        // Every denial was recorded (intent, decision, denial), and the chain's head is a real hash.
        Assert.Equal(before + (3 * (WarmUp + Calls)), sink.Count);
        Assert.Matches("^[0-9a-f]{64}$", sink.Head);
        Assert.True(denied <= 1024, $"a denied call allocates {denied:F0} B (at most 1024)");
    }

    private static double BytesPerCall(Func<bool> call)
    {
        for (var i = 0; i < WarmUp; i++)
        {
            Assert.True(call());
        }

        var start = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < Calls; i++)
        {
            if (!call())
            {
                Assert.Fail("a measured call did not end as expected");
            }
        }

        return (GC.GetAllocatedBytesForCurrentThread() - start) / (double)Calls;
    }

    /// <summary>The outcome of a call that must have completed synchronously (in-memory seams never wait).</summary>
    private static GovernedOutcome<int> Synchronously(ValueTask<GovernedOutcome<int>> pending)
    {
        Assert.True(pending.IsCompletedSuccessfully, "the call did not complete synchronously");
        return pending.Result;
    }
}

[CollectionDefinition(nameof(HotPathAllocationRuns), DisableParallelization = true)]
public sealed class HotPathAllocationRuns;
