using GovernedExecution.Artifacts.Keys;
using GovernedExecution.Lineage;

namespace PaymentsApi;

/// <summary>Where the sample keeps its key pair and its lineage: under the application's folder unless configured otherwise.</summary>
internal sealed record SampleFiles(string SigningKeyPem, string TrustedKeyPem, string LineagePath)
{
    public static SampleFiles From(IConfiguration configuration)
    {
        var section = configuration.GetSection("PaymentsApi");
        var keys = Path.Combine(AppContext.BaseDirectory, section["KeysDirectory"] ?? "keys");
        var lineage = Path.Combine(AppContext.BaseDirectory, section["LineagePath"] ?? "lineage/payments.jsonl");
        return new SampleFiles(Path.Combine(keys, "signing.key.pem"), Path.Combine(keys, "signing.pub.pem"), lineage);
    }

    /// <summary>Creates the key pair on first start (a real deployment provisions these files).</summary>
    public void EnsureKeys()
    {
        if (File.Exists(SigningKeyPem) && File.Exists(TrustedKeyPem))
        {
            return;
        }

        Directory.CreateDirectory(Path.GetDirectoryName(SigningKeyPem)!);
        using var key = SigningKey.Generate();
        key.ExportPrivateKeyPemToFile(SigningKeyPem, overwrite: true);
        using var trusted = key.ToTrustedKey();
        File.WriteAllText(TrustedKeyPem, trusted.ExportPublicKeyPem());
    }

    /// <summary>Opens the lineage: a durable JSON Lines file whose checkpoints are signed with the sample's key.</summary>
    public FileLineageSink OpenLineage(SigningKey checkpointKey)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(LineagePath)!);
        return FileLineageSink.Open(new FileLineageSinkOptions { Path = LineagePath, CheckpointKey = checkpointKey });
    }
}
