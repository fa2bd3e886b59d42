using GovernedExecution.Artifacts.Keys;
using GovernedExecution.Lineage;

namespace HostedApp;

/// <summary>The lineage sink of the sample.</summary>
internal static class SampleLineage
{
    internal static LineageSinkRegistration Create(string path, SigningKey checkpointKey)
    {
        _ = path;
        _ = checkpointKey;
        return new LineageSinkRegistration(new InMemoryLineageSink());
    }
}
