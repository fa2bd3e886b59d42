using GovernedExecution.Policies.Cedar;
using GovernedExecution.Testing;
using GovernedExecution.Testing.Cedar;
using GovernedExecution.Tests.Policies.Cedar.Differential;

namespace GovernedExecution.Tests.Policies.Cedar;

/// <summary>
/// The benchmarks' hard workload (<see cref="CedarHardWorkload"/>): every decision agrees with the official engine's
/// recorded one, and the recording is the official engine's (checked live when Node.js and cedar-wasm are installed;
/// GOVEXEC_RECORD_CEDAR_WORKLOAD=1 writes it again).
/// </summary>
public sealed class CedarHardWorkloadTests
{
    public static TheoryData<int> Sizes() => [.. CedarHardWorkloadDecisions.Sizes];

    [Theory]
    [MemberData(nameof(Sizes))]
    public void Every_decision_agrees_with_the_official_engine(int policies)
    {
        var workload = new CedarHardWorkload(policies);
        var set = CedarPolicySet.Parse(workload.PolicyText);
        var entities = CedarEntities.ParseJson(workload.EntitiesJson);

        var problems = CedarHardWorkloadDecisions.Disagreements(workload, set, entities);

        Assert.True(problems.Count == 0, string.Join("\n", problems));
    }

    [Theory]
    [MemberData(nameof(Sizes))]
    public void The_interpreted_reference_agrees_with_the_official_engine_too(int policies)
    {
        var workload = new CedarHardWorkload(policies);
        var reference = CedarInterpretedReference.Of(CedarPolicySet.Parse(workload.PolicyText));
        var entities = CedarEntities.ParseJson(workload.EntitiesJson);

        var problems = CedarHardWorkloadDecisions.Disagreements(workload, r => reference.Evaluate(r, entities));

        Assert.True(problems.Count == 0, string.Join("\n", problems));
    }

    [SkippableFact]
    public void The_recording_is_the_official_engines()
    {
        var unavailable = CedarDifferential.OracleUnavailable();
        Skip.If(unavailable is not null, unavailable);
        var workloads = CedarHardWorkloadDecisions.Sizes.Select(n => new CedarHardWorkload(n)).ToArray();

        var live = CedarHardWorkloadDecisions.RunOfficialEngine(CedarDifferential.FindNode()!, CedarDifferential.Modules, workloads);

        if (Environment.GetEnvironmentVariable("GOVEXEC_RECORD_CEDAR_WORKLOAD") == "1")
        {
            File.WriteAllText(Path.Combine(TestPaths.RepositoryRoot, CedarHardWorkloadDecisions.RelativePath), CedarHardWorkloadDecisions.Format(live));
        }

        Assert.True(CedarHardWorkloadDecisions.SameDecisions(live, CedarHardWorkloadDecisions.Load()), "the official engine's decisions differ from the recording; record again with GOVEXEC_RECORD_CEDAR_WORKLOAD=1");
    }
}
