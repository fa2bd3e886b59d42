using BenchmarkDotNet.Attributes;
using GovernedExecution.Intents;
using GovernedExecution.Policies;
using GovernedExecution.Policies.Cedar;

namespace GovernedExecution.Benchmarks;

/// <summary>
/// Policy evaluation with the embedded Cedar engine, over the <see cref="PolicyWorkload"/> (per decision: the mean
/// over 64 different requests). <c>Evaluate</c> is the engine alone; <c>EvaluateIntent</c> is the executor's
/// path (intent to Cedar request, decision with obligations).
/// </summary>
[MemoryDiagnoser]
public class PolicyBenchmarks
{
    private CedarPolicySet _set = null!;
    private CedarEntities _entities = null!;
    private CedarPolicyEvaluator _evaluator = null!;
    private (EntityUid P, EntityUid A, EntityUid R, RecordValue C)[] _requests = null!;
    private ExecutionIntent[] _intents = null!;
    private int _next;

    [Params(10, 100, 1000)]
    public int Policies { get; set; }

    [Params(5, 50)]
    public int Entities { get; set; }

    [Params(1, 5)]
    public int Depth { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var workload = new PolicyWorkload(Policies, Entities, Depth);
        _set = CedarPolicySet.Parse(workload.PolicyText);
        _entities = CedarEntities.ParseJson(workload.EntitiesJson);
        _evaluator = new CedarPolicyEvaluator(_set, _entities);
        _intents = workload.Requests.Select(r => new ExecutionIntent(new("Agent", r.Agent), new("Action", r.Action), new(r.ResourceType, r.ResourceId))
        {
            Context = new Dictionary<string, IntentValue> { ["amount"] = r.Amount, ["channel"] = r.Channel },
        }).ToArray();
        _requests = _intents.Select(i => (CedarPolicyEvaluator.ToUid(i.Principal), CedarPolicyEvaluator.ToUid(i.Action), CedarPolicyEvaluator.ToUid(i.Resource), CedarPolicyEvaluator.ToRecord(i.Context))).ToArray();
    }

    [Benchmark(Description = "Cedar engine: one decision")]
    public bool Evaluate()
    {
        var r = _requests[_next++ & 63];
        return _set.Authorize(r.P, r.A, r.R, r.C, _entities.Store).Allowed;
    }

    [Benchmark(Description = "IPolicyEvaluator: intent to decision")]
    public PolicyDecisionKind EvaluateIntent() =>
        _evaluator.EvaluateAsync(_intents[_next++ & 63], default, default).Result.Kind;
}
