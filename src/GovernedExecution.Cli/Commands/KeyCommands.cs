using System.CommandLine;
using System.Text;
using GovernedExecution.Artifacts;
using GovernedExecution.Artifacts.Keys;
using GovernedExecution.Internal;

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
        generate.Validators.Add(CliGuard.Validator(result =>
        {
            // "" or "dir/" would write hidden files named ".key.pem" and ".pub.pem".
            if (result.GetValue(name) is { } value && Path.GetFileName(value).Length == 0)
            {
                result.AddError("--out must name the key files (NAME gives NAME.key.pem and NAME.pub.pem), not a folder.");
            }
        }));
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
        if (!force && (Occupied(privatePath) || Occupied(publicPath)))
        {
            error.WriteLine(TerminalText.Escape($"govexec: {privatePath} or {publicPath} exists; use --force to overwrite."));
            return ExitCodes.Error;
        }

        try
        {
            using var key = SigningKey.Generate(algorithm);
            using var trusted = key.ToTrustedKey();

            // Each file is written new and renamed into place (the private one owner-only): nothing is written through
            // an existing file or a link, and without --force an entry that appeared meanwhile is not replaced.
            key.ExportPrivateKeyPemToFile(privatePath, overwrite: force);
            AtomicFile.Write(publicPath, Encoding.ASCII.GetBytes(trusted.ExportPublicKeyPem() + "\n"), AtomicFile.Public, overwrite: force);
            output.WriteLine(key.KeyId);
            return ExitCodes.Ok;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException)
        {
            error.WriteLine("govexec: cannot write the key files: " + TerminalText.Escape(ex.Message));
            return ExitCodes.Error;
        }
    }

    /// <summary>Whether anything is at <paramref name="path"/>: a file, a folder, or a link (even one that leads nowhere).</summary>
    private static bool Occupied(string path) => File.Exists(path) || Directory.Exists(path) || new FileInfo(path).LinkTarget is not null;
}
