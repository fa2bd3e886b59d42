using System.Diagnostics;
using System.Security.Cryptography;
using System.Security.Cryptography.Cose;
using GovernedExecution.Execution;
using GovernedExecution.Testing;

namespace GovernedExecution.Benchmarks;

/// <summary>
/// A plain loop over one scenario of <see cref="RunAsyncBenchmarks"/>, for a sampling profiler (perf) and for
/// allocated bytes per call: <c>dotnet run -c Release --project benchmarks/GovernedExecution.Benchmarks -- probe
/// permitted|denied|cose|ecdsa [calls]</c>. Prints bytes allocated on this thread and the mean time per call.
/// </summary>
internal static class CallProbe
{
    internal static int Run(string scenario, int calls)
    {
        // As RunAsyncBenchmarks: a replay guard sized for every call of the run.
        using var host = new GovernedTestHost(
            b => b.UseReplayGuard(new GovernedExecution.Artifacts.InMemoryReplayGuard(TimeProvider.System, capacity: 10_000_000)),
            time: TimeProvider.System, lineage: new ChainOnlyLineageSink());
        var permitted = GovernedTestHost.Intent("read");
        var forbidden = GovernedTestHost.Intent("delete");
        using var ecdsa = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var artifact = host.Executor.IssueAsync(permitted).AsTask().GetAwaiter().GetResult().Artifact!;
        var payload = CoseMessage.DecodeSign1(artifact.Encoded.Span).Content!.Value.ToArray();
        var signer = new CoseSigner(ecdsa, HashAlgorithmName.SHA256);
        Func<int, GovernedContext, CancellationToken, ValueTask<int>> operation = static (state, ctx, ct) => ValueTask.FromResult(state + 1);

        Func<bool> one = scenario switch
        {
            "permitted" => () => Wait(host.Executor.RunOutcomeAsync(permitted, 1, operation)).IsSuccess,
            "denied" => () => Wait(host.Executor.RunOutcomeAsync(forbidden, 1, operation)).IsDenied,
            "cose" => () => CoseMessage.DecodeSign1(CoseSign1Message.SignEmbedded(payload, signer)).VerifyEmbedded(ecdsa),
            "ecdsa" => () => ecdsa.VerifyData(payload, ecdsa.SignData(payload, HashAlgorithmName.SHA256), HashAlgorithmName.SHA256),
            _ => throw new ArgumentException("permitted, denied, cose or ecdsa", nameof(scenario)),
        };

        for (var i = 0; i < 2000; i++)
        {
            if (!one())
            {
                throw new InvalidOperationException("unexpected result");
            }
        }

        // Wall time suffers from everything else the machine runs; the process's CPU time much less so.
        using var process = Process.GetCurrentProcess();
        var cpu = process.TotalProcessorTime;
        var bytes = GC.GetAllocatedBytesForCurrentThread();
        var watch = Stopwatch.StartNew();
        for (var i = 0; i < calls; i++)
        {
            one();
        }

        watch.Stop();
        bytes = GC.GetAllocatedBytesForCurrentThread() - bytes;
        process.Refresh();
        cpu = process.TotalProcessorTime - cpu;
        Console.WriteLine($"{scenario}: {(double)bytes / calls:F1} B/call, {watch.Elapsed.TotalMicroseconds / calls:F2} us/call wall, {cpu.TotalMicroseconds / calls:F2} us/call CPU over {calls} calls");
        return 0;
    }

    /// <summary>The result of a call that completed synchronously (as every call with in-memory seams does) without a Task.</summary>
    private static T Wait<T>(ValueTask<T> pending) => pending.IsCompletedSuccessfully ? pending.Result : pending.AsTask().GetAwaiter().GetResult();
}

/// <summary>Bytes allocated by each stage of a governed call alone (<c>probe stages</c>).</summary>
internal static class StageProbe
{
    internal static int Run()
    {
        using var host = new GovernedTestHost(time: TimeProvider.System);
        var intent = GovernedTestHost.Intent("read");
        var digest = GovernedExecution.Intents.IntentEncoding.Digest(intent);
        var decision = host.Policies.EvaluateAsync(intent, default, default).AsTask().GetAwaiter().GetResult();
        var request = new GovernedExecution.Artifacts.ArtifactRequest(digest, intent.Principal.ToString(), GovernedTestHost.Audience, decision);
        var issuer = GovernedExecution.Artifacts.CoseArtifacts.CreateIssuer(new GovernedExecution.Artifacts.Keys.StaticSigningKeyProvider(host.SigningKey), TimeProvider.System);
        var artifact = issuer.IssueAsync(request, default).AsTask().GetAwaiter().GetResult();
        var verifier = new GovernedExecution.Artifacts.CoseArtifactVerifier(host.TrustStore, new Admit(), TimeProvider.System, TimeSpan.FromSeconds(30), [GovernedExecution.Artifacts.ArtifactAlgorithm.ES256]);
        var context = new GovernedExecution.Artifacts.ArtifactVerificationContext(digest, GovernedTestHost.Audience, intent);
        var chain = new GovernedExecution.Lineage.LineageChain("probe");
        var ev = new GovernedExecution.Lineage.LineageEvent(GovernedExecution.Lineage.LineageEventKind.PolicyEvaluated, Guid.NewGuid(), null, DateTimeOffset.UtcNow,
            [new("decision", "Permitted"), new("policies", "allow-read"), new("errors", string.Empty), new("policy_set", new string('a', 64))]);
        GovernedExecution.Lineage.LineageEvent[] one = [ev];
        var key = host.SigningKey.Key;
        Measure("intent digest", () => GovernedExecution.Intents.IntentEncoding.Digest(intent));
        Measure("policy decision", () => host.Policies.EvaluateAsync(intent, default, default).Result);
        Measure("mint", () => issuer.IssueAsync(request, default).Result);
        Measure("verify", () => verifier.VerifyAsync(artifact, context, default).Result);
        Measure("decode only", () => System.Security.Cryptography.Cose.CoseMessage.DecodeSign1(artifact.Encoded.Span));
        Measure("key fits", () => GovernedExecution.Artifacts.CoseSign1Layer.KeyFits(key, GovernedExecution.Artifacts.ArtifactAlgorithm.ES256));
        Measure("artifact digest", () => GovernedExecution.Artifacts.AuthorizationArtifact.Wrap(artifact.Encoded.ToArray()).ComputeDigest());
        Measure("lineage append (1 event)", () => chain.Append(one));
        var ec = (System.Security.Cryptography.ECDsa)key;
        var payload = System.Security.Cryptography.Cose.CoseMessage.DecodeSign1(artifact.Encoded.Span).Content!.Value.ToArray();
        var sig = ec.SignData(payload, System.Security.Cryptography.HashAlgorithmName.SHA256);
        var message = System.Security.Cryptography.Cose.CoseMessage.DecodeSign1(artifact.Encoded.Span);
        var pub = (System.Security.Cryptography.ECDsa)host.TrustStore.FindAsync(host.SigningKey.KeyId, default).Result!.Key;
        Measure("raw sign", () => ec.SignData(payload, System.Security.Cryptography.HashAlgorithmName.SHA256));
        Measure("raw verify", () => pub.VerifyData(payload, sig, System.Security.Cryptography.HashAlgorithmName.SHA256));
        Measure("cose verify embedded", () => message.VerifyEmbedded(pub));
        Measure("export parameters", () => pub.ExportParameters(false));
        return 0;
    }

    private static void Measure(string name, Func<object> stage)
    {
        for (var i = 0; i < 500; i++)
        {
            stage();
        }

        const int N = 2000;
        var bytes = GC.GetAllocatedBytesForCurrentThread();
        var watch = Stopwatch.StartNew();
        for (var i = 0; i < N; i++)
        {
            stage();
        }

        watch.Stop();
        bytes = GC.GetAllocatedBytesForCurrentThread() - bytes;
        Console.WriteLine($"{name}: {(double)bytes / N:F1} B, {watch.Elapsed.TotalMicroseconds / N:F2} us");
    }

    private sealed class Admit : GovernedExecution.Artifacts.IReplayGuard
    {
        public ValueTask<bool> TryConsumeAsync(Guid tokenId, DateTimeOffset expiresAt, CancellationToken cancellationToken) => ValueTask.FromResult(true);
    }
}

/// <summary>Which types a scenario allocates, sampled by the runtime's allocation tick (one sample per ~100 KB): <c>probe types SCENARIO</c>.</summary>
internal sealed class AllocationTypes : System.Diagnostics.Tracing.EventListener
{
    private readonly Dictionary<string, int> _samples = new(StringComparer.Ordinal);

    internal static int Run(string scenario)
    {
        using var listener = new AllocationTypes();
        CallProbe.Run(scenario, 200_000);
        lock (listener._samples)
        {
            foreach (var pair in listener._samples.OrderByDescending(p => p.Value).Take(25))
            {
                Console.WriteLine($"{pair.Value,6}  {pair.Key}");
            }
        }

        return 0;
    }

    protected override void OnEventSourceCreated(System.Diagnostics.Tracing.EventSource eventSource)
    {
        if (eventSource.Name == "Microsoft-Windows-DotNETRuntime")
        {
            EnableEvents(eventSource, System.Diagnostics.Tracing.EventLevel.Verbose, (System.Diagnostics.Tracing.EventKeywords)0x1);
        }
    }

    protected override void OnEventWritten(System.Diagnostics.Tracing.EventWrittenEventArgs eventData)
    {
        if (eventData.EventName?.StartsWith("GCAllocationTick", StringComparison.Ordinal) == true && eventData.Payload is { } payload)
        {
            var index = eventData.PayloadNames!.IndexOf("TypeName");
            var name = index >= 0 ? payload[index]?.ToString() ?? "?" : "?";
            lock (_samples)
            {
                _samples[name] = _samples.GetValueOrDefault(name) + 1;
            }
        }
    }
}
