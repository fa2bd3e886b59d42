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

        // A new owner-only file renamed into place: never written into an existing (perhaps world-readable) file or
        // through a link. Half a pair is replaced: the public key must be the private key's.
        key.ExportPrivateKeyPemToFile(privatePath, overwrite: true);
        using var trusted = key.ToTrustedKey();
        File.WriteAllText(publicPath, trusted.ExportPublicKeyPem());
    }
}
