using BenchmarkDotNet.Attributes;
using GovernedExecution.Policies.Cedar;
using GovernedExecution.Testing.Cedar;

namespace GovernedExecution.Benchmarks;

/// <summary>
/// One Cedar decision on the hard workload (<see cref="CedarHardWorkload"/>: users five group levels deep, a quarter
/// of the policies forbid, two to three policies satisfied per request, four context attributes), the mean over its
/// 64 requests. Every decision of both engines is checked against the official engine's recorded decisions before
/// anything is measured. The previous engine (indexed candidates, interpreted trees) runs in the same process as the
/// baseline.
/// </summary>
[MemoryDiagnoser]
public class CedarHardWorkloadBenchmarks
{
    private CedarPolicySet _set = null!;
    private CedarEntities _entities = null!;
    private CedarInterpretedReference _previous = null!;
    private CedarRequest[] _requests = null!;
    private CedarDecisionBuffer _buffer = null!;
    private int _next;

    [Params(100, 1000)]
    public int Policies { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var workload = new CedarHardWorkload(Policies);
        _set = CedarPolicySet.Parse(workload.PolicyText);
        _entities = CedarEntities.ParseJson(workload.EntitiesJson);
        _previous = CedarInterpretedReference.Of(_set);
        var problems = CedarHardWorkloadDecisions.Disagreements(workload, _set, _entities);
        problems.AddRange(CedarHardWorkloadDecisions.Disagreements(workload, r => _previous.Evaluate(r, _entities)));
        if (problems.Count > 0)
        {
            throw new InvalidOperationException("decisions differ from the official engine's:\n" + string.Join("\n", problems));
        }

        _requests = [.. workload.Requests.Select(r => CedarRequest.Create(r.PrincipalText, r.ActionText, r.ResourceText, r.ContextJson))];
        _buffer = new CedarDecisionBuffer();
    }

    [Benchmark(Baseline = true, Description = "previous engine (interpreted): one decision")]
    public bool Previous()
    {
        var r = _requests[_next++ & 63];
        return _previous.IsAllowed(r, _entities);
    }

    [Benchmark(Description = "compiled: one decision with a result object")]
    public bool Compiled()
    {
        var r = _requests[_next++ & 63];
        return _set.Authorize(r.Principal, r.Action, r.Resource, r.Context, _entities.Store).Allowed;
    }

    [Benchmark(Description = "compiled: one decision into a reused buffer")]
    public bool CompiledIntoBuffer()
    {
        var r = _requests[_next++ & 63];
        return _set.Decide(r.Principal, r.Action, r.Resource, r.Context, _entities.Store, _buffer);
    }
}
