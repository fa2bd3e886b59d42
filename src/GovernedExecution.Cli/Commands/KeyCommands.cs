using System.CommandLine;
using GovernedExecution.Artifacts;
using GovernedExecution.Artifacts.Keys;

namespace GovernedExecution.Cli.Commands;

/// <summary><c>govexec keys generate</c> (docs/cli.md).</summary>
internal static class KeyCommands
{
    internal static void Register(RootCommand root)
    {
        var algorithm = new Option<string>("--alg") { Description = "The algorithm: ES256 (default), ES384, ES512 or PS256.", DefaultValueFactory = _ => "ES256" };
        algorithm.AcceptOnlyFromAmong(nameof(ArtifactAlgorithm.ES256), nameof(ArtifactAlgorithm.ES384), nameof(ArtifactAlgorithm.ES512), nameof(ArtifactAlgorithm.PS256));
        var name = new Option<string>("--out") { Description = "Base name: writes NAME.key.pem (PKCS#8, private) and NAME.pub.pem (SPKI, public).", Required = true };
        var force = new Option<bool>("--force") { Description = "Overwrite existing files." };
        var generate = new Command("generate", "Generate a signing key pair and print its key id (RFC 7638 thumbprint).") { algorithm, name, force };
        generate.SetAction(result => Generate(
            Enum.Parse<ArtifactAlgorithm>(result.GetValue(algorithm)!),
            result.GetValue(name)!,
            result.GetValue(force),
            result.InvocationConfiguration.Output,
            result.InvocationConfiguration.Error));

        var keys = new Command("keys", "Generate artifact signing keys.");
        keys.Subcommands.Add(generate);
        root.Subcommands.Add(keys);
    }

    internal static int Generate(ArtifactAlgorithm algorithm, string name, bool force, TextWriter output, TextWriter error)
    {
        var privatePath = name + ".key.pem";
        var publicPath = name + ".pub.pem";
        if (!force && (File.Exists(privatePath) || File.Exists(publicPath)))
        {
            error.WriteLine($"govexec: {privatePath} or {publicPath} exists; use --force to overwrite.");
            return ExitCodes.Error;
        }

        using var key = SigningKey.Generate(algorithm);
        using var trusted = key.ToTrustedKey();
        WritePrivate(privatePath, key.ExportPrivateKeyPem());
        File.WriteAllText(publicPath, trusted.ExportPublicKeyPem() + "\n");
        output.WriteLine(key.KeyId);
        return ExitCodes.Ok;
    }

    private static void WritePrivate(string path, string pem)
    {
        var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write, Share = FileShare.None };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        using var stream = new FileStream(path, options);
        using var writer = new StreamWriter(stream);
        writer.Write(pem);
        writer.Write('\n');
    }
}
