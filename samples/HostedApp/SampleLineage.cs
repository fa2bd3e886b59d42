using GovernedExecution.Artifacts.Keys;
using GovernedExecution.Lineage;

namespace HostedApp;

/// <summary>The sample's lineage: a durable JSON Lines file with signed checkpoints, required before every execution.</summary>
internal static class SampleLineage
{
    internal static FileLineageSink Open(string path, SigningKey checkpointKey)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        return FileLineageSink.Open(new FileLineageSinkOptions { Path = path, CheckpointKey = checkpointKey });
    }
}
