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

    [SkippableTheory]
    [InlineData(ArtifactAlgorithm.ES256)]
    [InlineData(ArtifactAlgorithm.ES384)]
    [InlineData(ArtifactAlgorithm.ES512)]
    [InlineData(ArtifactAlgorithm.PS256)]
    public async Task Independent_verifier_accepts_batched_artifacts(ArtifactAlgorithm algorithm)
    {
        using var key = SigningKey.Generate(algorithm);

        // A lone caller of a batched executor: a batch of one.
        var alone = await MintAsync(key, "interop", ArtifactSigningMode.Batched);
        var (code, result) = await VerifyWithNodeAsync(alone, key, algorithm, "interop");
        Assert.True(code == 0, result.GetRawText());
        Assert.Contains("inclusion", result.GetProperty("checks").EnumerateArray().Select(c => c.GetString()));

        // The third of five leaves (an odd tree: its last leaf climbs past a missing sibling).
        var batch = Batch(key, await MintAsync(key, "interop"));
        (code, result) = await VerifyWithNodeAsync(ArtifactBatch.Encode(batch.Header, 5, 2, batch.Path, batch.Payload, batch.Signature), key, algorithm, "interop");
        Assert.True(code == 0, result.GetRawText());
        Assert.True(result.GetProperty("verified").GetBoolean());
        Assert.Contains("inclusion", result.GetProperty("checks").EnumerateArray().Select(c => c.GetString()));
        Assert.Contains("signature", result.GetProperty("checks").EnumerateArray().Select(c => c.GetString()));
    }

    [SkippableTheory]
    [InlineData("index", "signature")]
    [InlineData("path-short", "inclusion")]
    [InlineData("path-long", "inclusion")]
    [InlineData("signature", "signature")]
    [InlineData("extra-unprotected", "unprotected-proof")]
    [InlineData("leaf-as-node", "signature")]
    public async Task Independent_verifier_refuses_tampered_batched_artifacts(string what, string failedCheck)
    {
        using var key = SigningKey.Generate();
        var b = Batch(key, await MintAsync(key, "interop"));
        var signature = (byte[])b.Signature.Clone();
        byte[] artifact;
        switch (what)
        {
            case "index":
                artifact = ArtifactBatch.Encode(b.Header, 5, 3, b.Path, b.Payload, signature);
                break;
            case "path-short":
                artifact = ArtifactBatch.Encode(b.Header, 5, 2, b.Path[..^1], b.Payload, signature);
                break;
            case "path-long":
                artifact = ArtifactBatch.Encode(b.Header, 5, 2, [.. b.Path, b.Path[0]], b.Payload, signature);
                break;
            case "signature":
                signature[^1] ^= 0x01;
                artifact = ArtifactBatch.Encode(b.Header, 5, 2, b.Path, b.Payload, signature);
                break;
            case "extra-unprotected":
                var writer = new System.Formats.Cbor.CborWriter();
                writer.WriteTag((System.Formats.Cbor.CborTag)18);
                writer.WriteStartArray(4);
                writer.WriteByteString(b.Header);
                writer.WriteStartMap(2);
                writer.WriteInt32(33);
                writer.WriteByteString([1]);
                writer.WriteInt32(ArtifactBatch.ProofsLabel);
                writer.WriteEncodedValue(System.Security.Cryptography.Cose.CoseMessage.DecodeSign1(ArtifactBatch.Encode(b.Header, 5, 2, b.Path, b.Payload, signature))
                    .UnprotectedHeaders[new System.Security.Cryptography.Cose.CoseHeaderLabel(ArtifactBatch.ProofsLabel)].EncodedValue.Span);
                writer.WriteEndMap();
                writer.WriteByteString(b.Payload);
                writer.WriteByteString(signature);
                writer.WriteEndArray();
                artifact = writer.Encode();
                break;
            default:
                // Second preimage: the two leaf hashes under node (2, 3) presented as one leaf's payload, one level up.
                artifact = ArtifactBatch.Encode(b.Header, 3, 1, b.Path[1..], [.. b.Leaves[2], .. b.Leaves[3]], signature);
                break;
        }

        var (code, result) = await VerifyWithNodeAsync(artifact, key, ArtifactAlgorithm.ES256, "interop");

        Assert.Equal(1, code);
        Assert.False(result.GetProperty("verified").GetBoolean());
        Assert.StartsWith(failedCheck + ":", result.GetProperty("error").GetString(), StringComparison.Ordinal);
    }

    /// <summary>A batch of five signed with <paramref name="key"/>, the minted artifact's payload at index 2.</summary>
    private static (byte[] Header, byte[][] Path, byte[] Payload, byte[] Signature, byte[][] Leaves) Batch(SigningKey key, byte[] minted)
    {
        var payload = System.Security.Cryptography.Cose.CoseMessage.DecodeSign1(minted).Content!.Value.ToArray();
        byte[][] payloads = [[1], [2], payload, [3], [4]];
        var signed = ArtifactBatch.Sign(key, payloads);
        var message = System.Security.Cryptography.Cose.CoseMessage.DecodeSign1(signed[2]);
        var leaves = payloads.Select(p =>
        {
            var leaf = new byte[32];
            GovernedExecution.Lineage.Merkle.MerkleHash.LeafHash(p, leaf);
            return leaf;
        }).ToArray();
        return (message.RawProtectedHeaders.ToArray(), GovernedExecution.Lineage.Merkle.MerkleTree.InclusionProof(2, leaves), payload, message.Signature.ToArray(), leaves);
    }

    private static async Task<byte[]> MintAsync(SigningKey key, string audience, ArtifactSigningMode signing = ArtifactSigningMode.PerArtifact)
    {
        using var document = JsonDocument.Parse(await File.ReadAllTextAsync(Vectors));
        var vector = document.RootElement.GetProperty("vectors").EnumerateArray().Single(v => v.GetProperty("name").GetString() == VectorName);
        var intent = IntentJson.Parse(vector.GetProperty("intent").GetRawText());
        var executor = new GovernedExecutorBuilder()
            .Configure(o => { o.Audience = audience; o.AllowedAlgorithms.Add(key.Algorithm); o.ArtifactSigning = signing; })
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
