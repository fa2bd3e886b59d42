using System.Security.Cryptography;
using BenchmarkDotNet.Attributes;
using GovernedExecution.Intents;
using GovernedExecution.Policies;
using GovernedExecution.Policies.Cedar;
using GovernedExecution.Testing.Cedar;

namespace GovernedExecution.Benchmarks;

/// <summary>
/// What the executor pays per Cedar decision beyond the decision itself, on the hard workload (the mean over its 64
/// requests): <see cref="CedarPolicyEvaluator"/> decides, then takes the entity slice the decision could have
/// consulted, its canonical JSON and the two SHA-256 digests lineage records (entities_digest, context_digest). The
/// baseline is the decision alone as the evaluator makes it (compiled, result object); "slice as before" is the slice
/// taken without reusing anything across requests, as it was taken until the literals' closure was kept per store.
/// </summary>
[MemoryDiagnoser]
public class CedarEvaluatorOverheadBenchmarks
{
    private CedarPolicySet _set = null!;
    private CedarEntities _entities = null!;
    private CedarPolicyEvaluator _evaluator = null!;
    private CedarRequest[] _requests = null!;
    private ExecutionIntent[] _intents = null!;
    private int _next;

    [Params(100, 1000)]
    public int Policies { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var workload = new CedarHardWorkload(Policies);
        _set = CedarPolicySet.Parse(workload.PolicyText);
        _entities = CedarEntities.ParseJson(workload.EntitiesJson);
        var problems = CedarHardWorkloadDecisions.Disagreements(workload, _set, _entities);
        if (problems.Count > 0)
        {
            throw new InvalidOperationException("decisions differ from the official engine's:\n" + string.Join("\n", problems));
        }

        _evaluator = new CedarPolicyEvaluator(_set, _entities);
        _requests = [.. workload.Requests.Select(r => CedarRequest.Create(r.PrincipalText, r.ActionText, r.ResourceText, r.ContextJson))];
        _intents = [.. workload.Requests.Select(CedarHardWorkloadCpu.Intent)];
        for (var i = 0; i < _requests.Length; i++)
        {
            // The slice as taken now and as taken before are the same bytes.
            var r = _requests[i];
            var now = CedarEntitySlice.Take(r.Principal, r.Action, r.Resource, r.Context ?? RecordValue.Empty, _entities.Store, _evaluator.Literals);
            var before = SliceAsBefore(r, _entities.Store, _evaluator.Literals);
            if (!now.EntitiesJson.AsSpan().SequenceEqual(before.Entities) || now.EntitiesDigest != before.EntitiesDigest || now.ContextDigest != before.ContextDigest)
            {
                throw new InvalidOperationException("the slice differs from the one taken without reuse for request " + i);
            }
        }
    }

    [Benchmark(Baseline = true, Description = "decision alone (compiled, result object)")]
    public bool Decision()
    {
        var r = _requests[_next++ & 63];
        return _set.Authorize(r.Principal, r.Action, r.Resource, r.Context, _entities.Store).Allowed;
    }

    [Benchmark(Description = "CedarPolicyEvaluator: decision + slice + digests")]
    public PolicyDecisionKind Evaluator() =>
        _evaluator.EvaluateAsync(_intents[_next++ & 63], DateTimeOffset.UnixEpoch, CancellationToken.None).Result.Kind;

    [Benchmark(Description = "slice + digests alone (literals' closure kept per store)")]
    public string? Slice()
    {
        var r = _requests[_next++ & 63];
        return CedarEntitySlice.Take(r.Principal, r.Action, r.Resource, r.Context ?? RecordValue.Empty, _entities.Store, _evaluator.Literals).EntitiesDigest;
    }

    [Benchmark(Description = "slice + digests as before (nothing kept)")]
    public string SliceBefore() => SliceAsBefore(_requests[_next++ & 63], _entities.Store, _evaluator.Literals).EntitiesDigest;

    /// <summary>The slice by its definition, nothing reused: a walk from every root, then the canonical JSON and both digests.</summary>
    private static (byte[] Entities, string EntitiesDigest, string ContextDigest) SliceAsBefore(CedarRequest r, CedarEntityStore store, IEnumerable<EntityUid> literals)
    {
        var context = r.Context ?? RecordValue.Empty;
        var seen = new HashSet<EntityUid>();
        var queue = new Queue<EntityUid>();
        var found = new List<CedarEntity>();
        void Visit(CedarValue value)
        {
            switch (value)
            {
                case EntityUid uid when seen.Add(uid):
                    queue.Enqueue(uid);
                    break;
                case SetValue set:
                    foreach (var item in set.Items)
                    {
                        Visit(item);
                    }

                    break;
                case RecordValue record:
                    foreach (var field in record.Attrs.Values)
                    {
                        Visit(field);
                    }

                    break;
            }
        }

        Visit(r.Principal);
        Visit(r.Action);
        Visit(r.Resource);
        foreach (var literal in literals)
        {
            Visit(literal);
        }

        Visit(context);
        while (queue.Count > 0)
        {
            if (store.Get(queue.Dequeue()) is not { } entity)
            {
                continue;
            }

            found.Add(entity);
            foreach (var ancestor in entity.Ancestors)
            {
                Visit(ancestor);
            }

            foreach (var value in entity.Attrs.Values)
            {
                Visit(value);
            }

            foreach (var value in entity.Tags?.Values ?? Enumerable.Empty<CedarValue>())
            {
                Visit(value);
            }
        }

        var entities = CedarEntitySlice.CanonicalJson.Entities(found);
        return (entities, Convert.ToHexStringLower(SHA256.HashData(entities)), Convert.ToHexStringLower(SHA256.HashData(CedarEntitySlice.CanonicalJson.Record(context))));
    }
}
