using GovernedExecution.Artifacts.Keys;

namespace HostedApp;

/// <summary>Creates the sample's PEM key pair on first start.</summary>
internal static class SampleKeys
{
    internal static void EnsureExist(string privatePath, string publicPath)
    {
        if (File.Exists(privatePath) && File.Exists(publicPath))
        {
            return;
        }

        Directory.CreateDirectory(Path.GetDirectoryName(privatePath)!);
        Directory.CreateDirectory(Path.GetDirectoryName(publicPath)!);
        using var key = SigningKey.Generate();
        File.WriteAllText(privatePath, key.ExportPrivateKeyPem());
        using var trusted = key.ToTrustedKey();
        File.WriteAllText(publicPath, trusted.ExportPublicKeyPem());
    }
}
