using GovernedExecution.Policies.Cedar;
using GovernedExecution.Testing.Cedar;

namespace GovernedExecution.Tests.Policies.Cedar;

/// <summary>
/// A Cedar decision allocates nothing once the entities are loaded and the caller's buffer is warm (allocated bytes
/// are deterministic, unlike times): measured on the hard workload's requests, many decisions on one thread.
/// </summary>
public sealed class CedarDecisionAllocationTests
{
    public static TheoryData<int> Sizes() => [.. CedarHardWorkloadDecisions.Sizes];

    [Theory]
    [MemberData(nameof(Sizes))]
    public void A_warm_decision_allocates_nothing(int policies)
    {
        var workload = new CedarHardWorkload(policies);
        var set = CedarPolicySet.Parse(workload.PolicyText);
        var entities = CedarEntities.ParseJson(workload.EntitiesJson);
        var requests = workload.Requests.Select(r => CedarRequest.Create(r.PrincipalText, r.ActionText, r.ResourceText, r.ContextJson)).ToArray();
        var buffer = new CedarDecisionBuffer();
        var allowed = 0;
        for (var round = 0; round < 3; round++)
        {
            foreach (var r in requests)
            {
                set.Decide(r.Principal, r.Action, r.Resource, r.Context, entities.Store, buffer);
            }
        }

        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var round = 0; round < 20; round++)
        {
            foreach (var r in requests)
            {
                allowed += set.Decide(r.Principal, r.Action, r.Resource, r.Context, entities.Store, buffer) ? 1 : 0;
            }
        }

        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(0, allocated);
        Assert.True(allowed > 0);
    }

    [Fact]
    public void The_buffer_holds_the_same_answer_as_a_response()
    {
        var workload = new CedarHardWorkload(CedarHardWorkloadDecisions.Sizes[0]);
        var set = CedarPolicySet.Parse(workload.PolicyText);
        var entities = CedarEntities.ParseJson(workload.EntitiesJson);
        var buffer = new CedarDecisionBuffer();
        foreach (var w in workload.Requests)
        {
            var r = CedarRequest.Create(w.PrincipalText, w.ActionText, w.ResourceText, w.ContextJson);
            var response = set.Evaluate(r, entities);

            var allowed = set.Decide(r.Principal, r.Action, r.Resource, r.Context, entities.Store, buffer);

            Assert.Equal(response.IsAllowed, allowed);
            Assert.Equal(response.IsForbidden, buffer.Forbidden);
            Assert.Equal(response.Reasons, buffer.Reasons);
            Assert.Equal(response.Errors.Select(e => e.ToString()), buffer.Errors.Select(e => e.ToString()));
        }
    }
}
