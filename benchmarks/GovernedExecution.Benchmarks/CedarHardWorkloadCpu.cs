using System.Diagnostics;
using System.Globalization;
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
