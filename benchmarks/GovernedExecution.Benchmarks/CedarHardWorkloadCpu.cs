using System.Diagnostics;
using System.Globalization;
using GovernedExecution.Intents;
using GovernedExecution.Policies;
using GovernedExecution.Policies.Cedar;
using GovernedExecution.Testing.Cedar;

namespace GovernedExecution.Benchmarks;

/// <summary>
/// Processor time (not wall time) per decision on the hard workload, for a machine too loaded for BenchmarkDotNet's
/// wall-clock figures: each engine decides the 64 requests many times after a warm-up, and the process's processor
/// time is divided by the number of decisions. Agreement with the official engine is checked first.
/// </summary>
internal static class CedarHardWorkloadCpu
{
    public static int Run()
    {
        Console.WriteLine("| policies | engine | processor time per decision | allocated per decision |");
        Console.WriteLine("|---:|---|---:|---:|");
        foreach (var size in CedarHardWorkloadDecisions.Sizes)
        {
            var workload = new CedarHardWorkload(size);
            var set = CedarPolicySet.Parse(workload.PolicyText);
            var entities = CedarEntities.ParseJson(workload.EntitiesJson);
            var previous = CedarInterpretedReference.Of(set);
            var problems = CedarHardWorkloadDecisions.Disagreements(workload, set, entities);
            problems.AddRange(CedarHardWorkloadDecisions.Disagreements(workload, r => previous.Evaluate(r, entities)));
            if (problems.Count > 0)
            {
                Console.Error.WriteLine(string.Join("\n", problems));
                return 1;
            }

            var requests = workload.Requests.Select(r => CedarRequest.Create(r.PrincipalText, r.ActionText, r.ResourceText, r.ContextJson)).ToArray();
            var buffer = new CedarDecisionBuffer();
            Measure(size, "previous engine (interpreted)", requests, r => previous.IsAllowed(r, entities));
            Measure(size, "compiled, result object", requests, r => set.Authorize(r.Principal, r.Action, r.Resource, r.Context, entities.Store).Allowed);
            Measure(size, "compiled, reused buffer", requests, r => set.Decide(r.Principal, r.Action, r.Resource, r.Context, entities.Store, buffer));
        }

        return 0;
    }

    /// <summary>
    /// Loops over one engine for <paramref name="seconds"/> seconds, for a profiler: <c>buffer</c> (compiled, reused
    /// buffer), <c>interpreted</c>, <c>evaluator</c> (<see cref="CedarPolicyEvaluator"/>, what the executor calls) or
    /// <c>slice</c> (the entity slice and its digests alone).
    /// </summary>
    public static int Profile(int size, string engine, int seconds)
    {
        var workload = new CedarHardWorkload(size);
        var set = CedarPolicySet.Parse(workload.PolicyText);
        var entities = CedarEntities.ParseJson(workload.EntitiesJson);
        var problems = CedarHardWorkloadDecisions.Disagreements(workload, set, entities);
        if (problems.Count > 0)
        {
            Console.Error.WriteLine(string.Join("\n", problems));
            return 1;
        }

        var requests = workload.Requests.Select(r => CedarRequest.Create(r.PrincipalText, r.ActionText, r.ResourceText, r.ContextJson)).ToArray();
        var intents = workload.Requests.Select(Intent).ToArray();
        var previous = CedarInterpretedReference.Of(set);
        var evaluator = new CedarPolicyEvaluator(set, entities);
        var buffer = new CedarDecisionBuffer();
        var literals = evaluator.Literals;
        Func<int, bool> decide = engine switch
        {
            "buffer" => i => set.Decide(requests[i].Principal, requests[i].Action, requests[i].Resource, requests[i].Context, entities.Store, buffer),
            "interpreted" => i => previous.IsAllowed(requests[i], entities),
            "evaluator" => i => evaluator.EvaluateAsync(intents[i], DateTimeOffset.UnixEpoch, CancellationToken.None).Result.Kind == PolicyDecisionKind.Permitted,
            "slice" => i => CedarEntitySlice.Take(requests[i].Principal, requests[i].Action, requests[i].Resource, requests[i].Context ?? RecordValue.Empty, entities.Store, literals).Count > 0,
            _ => throw new ArgumentException("unknown engine " + engine, nameof(engine)),
        };
        var clock = Stopwatch.StartNew();
        long decisions = 0;
        while (clock.Elapsed.TotalSeconds < seconds)
        {
            for (var i = 0; i < requests.Length; i++)
            {
                decide(i);
            }

            decisions += requests.Length;
        }

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{engine} at {size}: {clock.Elapsed.TotalNanoseconds / decisions:F0} ns wall per decision ({decisions} decisions)"));
        return 0;
    }

    /// <summary>A workload request as the intent the executor would hand the evaluator.</summary>
    internal static ExecutionIntent Intent(CedarWorkloadRequest r) => new(Reference(r.PrincipalText), Reference(r.ActionText), Reference(r.ResourceText))
    {
        Context = new Dictionary<string, IntentValue>
        {
            ["mfa"] = IntentValue.Boolean(r.Mfa),
            ["risk"] = IntentValue.Long(r.Risk),
            ["channel"] = IntentValue.String(r.Channel),
            ["hour"] = IntentValue.Long(r.Hour),
        },
    };

    private static EntityReference Reference(string text)
    {
        var sep = text.IndexOf("::", StringComparison.Ordinal);
        return new EntityReference(text[..sep], text[(sep + 3)..^1]);
    }

    private static void Measure(int size, string name, CedarRequest[] requests, Func<CedarRequest, bool> decide)
    {
        const int Rounds = 4_000;
        for (var i = 0; i < 500 * requests.Length; i++)
        {
            decide(requests[i % requests.Length]);
        }

        using var process = Process.GetCurrentProcess();
        var cpu = process.TotalProcessorTime;
        var bytes = GC.GetAllocatedBytesForCurrentThread();
        for (var round = 0; round < Rounds; round++)
        {
            foreach (var r in requests)
            {
                decide(r);
            }
        }

        process.Refresh();
        var decisions = (double)Rounds * requests.Length;
        var perDecision = (process.TotalProcessorTime - cpu).TotalMicroseconds / decisions;
        var allocated = (GC.GetAllocatedBytesForCurrentThread() - bytes) / decisions;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {size} | {name} | {perDecision:F2} us | {allocated:F0} B |"));
    }
}
