using System.Diagnostics;
using System.Text.Json;
using GovernedExecution.Artifacts;
using GovernedExecution.Artifacts.Keys;
using GovernedExecution.DependencyInjection;
using GovernedExecution.Intents;
using GovernedExecution.Policies.Rules;
using GovernedExecution.Testing;

namespace GovernedExecution.Tests.Artifacts;

/// <summary>
/// Artifacts minted here and verified by an independent COSE implementation under Node.js (tests/interop, installed by
/// .ci/setup-node-tools), which knows only docs/artifact-format.md and the published intent vectors.
/// </summary>
public sealed class NodeInteropTests : IDisposable
{
    private const string VectorName = "booleans-and-decimals";
    private static readonly string Modules = Path.Combine(TestPaths.RepositoryRoot, ".tools", "node", "node_modules");
    private static readonly string Script = Path.Combine(TestPaths.RepositoryRoot, "tests", "interop", "verify-artifact.mjs");
    private static readonly string Vectors = Path.Combine(TestPaths.RepositoryRoot, "docs", "vectors", "intent-vectors.json");
    private readonly string _dir = Directory.CreateTempSubdirectory("govexec-interop-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [SkippableTheory]
    [InlineData(ArtifactAlgorithm.ES256)]
    [InlineData(ArtifactAlgorithm.ES384)]
    [InlineData(ArtifactAlgorithm.ES512)]
    [InlineData(ArtifactAlgorithm.PS256)]
    public async Task Independent_verifier_accepts_what_we_mint(ArtifactAlgorithm algorithm)
    {
        using var key = SigningKey.Generate(algorithm);
        var artifact = await MintAsync(key, "interop");

        var (code, result) = await VerifyWithNodeAsync(artifact, key, algorithm, "interop");

        Assert.True(code == 0, result.GetRawText());
        Assert.True(result.GetProperty("verified").GetBoolean());
        Assert.Contains("signature", result.GetProperty("checks").EnumerateArray().Select(c => c.GetString()));
    }

    [SkippableTheory]
    [InlineData("signature")]
    [InlineData("audience")]
    [InlineData("alg")]
    public async Task Independent_verifier_refuses_what_it_should(string what)
    {
        using var key = SigningKey.Generate();
        var artifact = await MintAsync(key, "interop");
        if (what == "signature")
        {
            artifact[^1] ^= 0x01;
        }

        var (code, result) = await VerifyWithNodeAsync(artifact, key, what == "alg" ? ArtifactAlgorithm.ES384 : ArtifactAlgorithm.ES256, what == "audience" ? "elsewhere" : "interop");

        Assert.Equal(1, code);
        Assert.False(result.GetProperty("verified").GetBoolean());
        Assert.Contains(what == "signature" ? "signature" : what, result.GetProperty("error").GetString(), StringComparison.Ordinal);
    }

    private static async Task<byte[]> MintAsync(SigningKey key, string audience)
    {
        using var document = JsonDocument.Parse(await File.ReadAllTextAsync(Vectors));
        var vector = document.RootElement.GetProperty("vectors").EnumerateArray().Single(v => v.GetProperty("name").GetString() == VectorName);
        var intent = IntentJson.Parse(vector.GetProperty("intent").GetRawText());
        var executor = new GovernedExecutorBuilder()
            .Configure(o => { o.Audience = audience; o.AllowedAlgorithms.Add(key.Algorithm); })
            .UsePolicies(new RulePolicyEvaluator([PolicyRule.Permit("allow-all", _ => true, [new("ttl", "30s")])]))
            .UseSigningKey(key)
            .UseTrustedKeys(key.ToTrustedKey())
            .AllowExecutionsWithoutRequiredLineage() // it only mints the artifact handed to Node.js
            .Build();
        var issued = await executor.IssueAsync(intent, audience);
        Assert.True(issued.IsIssued, issued.Denial?.ToString());
        return issued.Artifact!.Encoded.ToArray();
    }

    private async Task<(int Code, JsonElement Result)> VerifyWithNodeAsync(byte[] artifact, SigningKey key, ArtifactAlgorithm algorithm, string audience)
    {
        var node = FindOnPath("node");
        Skip.If(node is null, "node is not on PATH: the Node.js interop verifier cannot run; install Node.js and npm, then run .ci/setup-node-tools");
        Skip.IfNot(Directory.Exists(Path.Combine(Modules, "@ldclabs", "cose-ts")) && Directory.Exists(Path.Combine(Modules, "cborg")),
            $"@ldclabs/cose-ts and cborg are not installed in {Modules}: run .ci/setup-node-tools");

        var artifactPath = Path.Combine(_dir, "artifact.cose");
        var keyPath = Path.Combine(_dir, "key.pub.pem");
        await File.WriteAllBytesAsync(artifactPath, artifact);
        using (var trusted = key.ToTrustedKey())
        {
            await File.WriteAllTextAsync(keyPath, trusted.ExportPublicKeyPem());
        }

        var start = new ProcessStartInfo(node!) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in new[]
        {
            Script, "--modules", Modules, "--artifact", artifactPath, "--key", keyPath, "--kid", key.KeyId, "--alg", algorithm.ToString(),
            "--audience", audience, "--vectors", Vectors, "--vector", VectorName,
        })
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var output = process.StandardOutput.ReadToEndAsync(timeout.Token);
        var error = process.StandardError.ReadToEndAsync(timeout.Token);
        await process.WaitForExitAsync(timeout.Token);
        var text = await output;
        Assert.True(text.TrimStart().StartsWith('{'), "node printed no result: " + text + await error);
        using var document = JsonDocument.Parse(text);
        return (process.ExitCode, document.RootElement.Clone());
    }

    private static string? FindOnPath(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(Path.PathSeparator)
            .Select(dir => Path.Combine(dir, name))
            .FirstOrDefault(File.Exists);
}
