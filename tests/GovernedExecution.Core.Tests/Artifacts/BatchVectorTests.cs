using System.Security.Cryptography.Cose;
using System.Text.Json;
using System.Text.Json.Nodes;
using GovernedExecution.Artifacts;
using GovernedExecution.Artifacts.Keys;
using GovernedExecution.Intents;
using GovernedExecution.Lineage.Merkle;
using GovernedExecution.Policies;
using GovernedExecution.Testing;
using Microsoft.Extensions.Time.Testing;

namespace GovernedExecution.Tests.Artifacts;

/// <summary>
/// The published batch vectors (docs/vectors/batch-vectors.json, section 8 of docs/artifact-format.md): each artifact
/// verifies at its issue time with the published public key and the published intent, its leaf hash and root are the
/// recorded ones, and the bytes printed in the format document are the vector's. Regenerate with
/// <c>GOVEXEC_WRITE_BATCH_VECTORS=1</c> (a new signature, cti and times; then update the document's example).
/// </summary>
public sealed class BatchVectorTests
{
    private static readonly string Folder = Path.Combine(TestPaths.RepositoryRoot, "docs", "vectors");
    private static readonly string VectorFile = Path.Combine(Folder, "batch-vectors.json");
    private static readonly string IntentFile = Path.Combine(Folder, "intent-vectors.json");
    private static readonly string Document = Path.Combine(TestPaths.RepositoryRoot, "docs", "artifact-format.md");
    private static readonly string[] IntentNames = ["minimal", "booleans-and-decimals", "namespaced-entities-and-empty-ids"];

    [Fact]
    public Task Published_batch_vectors_verify() => AssertVectorsVerifyAsync(VectorFile);

    private static async Task AssertVectorsVerifyAsync(string vectorFile)
    {
        using var document = JsonDocument.Parse(await File.ReadAllTextAsync(vectorFile));
        var root = document.RootElement;
        using var trusted = TrustedKey.FromPem(root.GetProperty("publicKeyPem").GetString()!, ArtifactAlgorithm.ES256, root.GetProperty("kid").GetString());
        var time = new FakeTimeProvider(DateTimeOffset.FromUnixTimeSeconds(root.GetProperty("issuedAt").GetInt64()));
        var verifier = CoseArtifacts.CreateVerifier(new InMemoryTrustedKeyStore(trusted), timeProvider: time);
        var intents = await IntentsAsync();
        var vectors = root.GetProperty("vectors").EnumerateArray().ToArray();
        Assert.Equal(IntentNames.Length, vectors.Length);

        foreach (var vector in vectors)
        {
            var artifact = AuthorizationArtifact.FromBytes(Convert.FromHexString(vector.GetProperty("artifact").GetString()!));
            var payload = CoseMessage.DecodeSign1(artifact.Encoded.Span).Content!.Value.Span;
            var leaf = new byte[MerkleHash.Size];
            MerkleHash.LeafHash(payload, leaf);
            Assert.Equal(vector.GetProperty("leafHash").GetString(), Convert.ToHexStringLower(leaf));
            Assert.Equal(vector.GetProperty("payload").GetString(), Convert.ToHexStringLower(payload));

            var intent = intents[vector.GetProperty("intent").GetString()!];
            var result = await verifier.VerifyAsync(artifact, new ArtifactVerificationContext(intent, "vectors"), CancellationToken.None);
            VerifierBench.AssertVerified(result);
            Assert.Contains("inclusion", result.Checks);

            var path = vector.GetProperty("path").EnumerateArray().Select(h => Convert.FromHexString(h.GetString()!)).ToArray();
            Assert.True(MerkleTree.VerifyInclusion((ulong)vector.GetProperty("leafIndex").GetInt32(), (ulong)vectors.Length, leaf, path,
                Convert.FromHexString(root.GetProperty("root").GetString()!)));
        }
    }

    [Fact]
    public async Task Format_document_prints_the_vector_bytes()
    {
        using var document = JsonDocument.Parse(await File.ReadAllTextAsync(VectorFile));
        var root = document.RootElement;
        var text = new string([.. (await File.ReadAllTextAsync(Document)).Where(c => !char.IsWhiteSpace(c))]);
        var first = root.GetProperty("vectors")[0];

        Assert.Contains(first.GetProperty("artifact").GetString()!, text, StringComparison.Ordinal);
        Assert.Contains(first.GetProperty("leafHash").GetString()!, text, StringComparison.Ordinal);
        Assert.Contains(root.GetProperty("root").GetString()!, text, StringComparison.Ordinal);
        Assert.Contains(root.GetProperty("protected").GetString()!, text, StringComparison.Ordinal);
        Assert.Contains(root.GetProperty("toBeSigned").GetString()!, text, StringComparison.Ordinal);
    }

    /// <summary>
    /// The generator of the published vectors makes vectors that verify: written to a temporary file and checked as the
    /// published ones are; with <c>GOVEXEC_WRITE_BATCH_VECTORS=1</c> written over docs/vectors/batch-vectors.json instead.
    /// </summary>
    [Fact]
    public async Task Generated_batch_vectors_verify_as_the_published_ones_do()
    {
        var publish = Environment.GetEnvironmentVariable("GOVEXEC_WRITE_BATCH_VECTORS") == "1";
        var target = publish ? VectorFile : Path.Combine(Path.GetTempPath(), $"batch-vectors-{Guid.NewGuid():N}.json");
        using var key = SigningKey.Generate();
        var issuedAt = new DateTimeOffset(2026, 12, 5, 0, 0, 0, TimeSpan.Zero);
        var issuer = new CoseArtifactIssuer(new StaticSigningKeyProvider(key), new FakeTimeProvider(issuedAt), "vectors", TimeSpan.FromSeconds(60));
        var intents = await IntentsAsync();
        var payloads = new List<byte[]>();
        foreach (var name in IntentNames)
        {
            var intent = intents[name];
            var request = new ArtifactRequest(IntentEncoding.Digest(intent), intent.Principal.ToString(), "vectors",
                new PolicyDecision(PolicyDecisionKind.Permitted, ["allow-read"], [], [], new string('0', 64)));
            var single = await issuer.IssueAsync(request, CancellationToken.None);
            payloads.Add(CoseMessage.DecodeSign1(single.Encoded.Span).Content!.Value.ToArray());
        }

        var signed = ArtifactBatch.Sign(key, payloads);
        var leaves = payloads.Select(p => { var l = new byte[32]; MerkleHash.LeafHash(p, l); return l; }).ToArray();
        var merkleRoot = MerkleTree.Root(leaves);
        var header = ArtifactBatch.ProtectedHeader(key.Algorithm, key.KeyId);
        using var trusted = key.ToTrustedKey();
        var json = new JsonObject
        {
            ["format"] = "governed batched artifacts v1 (docs/artifact-format.md, section 8); a test-only key",
            ["alg"] = "ES256",
            ["kid"] = key.KeyId,
            ["publicKeyPem"] = trusted.ExportPublicKeyPem(),
            ["audience"] = "vectors",
            ["issuedAt"] = issuedAt.ToUnixTimeSeconds(),
            ["protected"] = Convert.ToHexStringLower(header),
            ["root"] = Convert.ToHexStringLower(merkleRoot),
            ["toBeSigned"] = Convert.ToHexStringLower(ArtifactBatch.ToBeSigned(header, merkleRoot)),
            ["signature"] = Convert.ToHexStringLower(CoseMessage.DecodeSign1(signed[0]).Signature.Span),
            ["vectors"] = new JsonArray([.. IntentNames.Select((name, i) => (JsonNode)new JsonObject
            {
                ["intent"] = name,
                ["leafIndex"] = i,
                ["payload"] = Convert.ToHexStringLower(payloads[i]),
                ["leafHash"] = Convert.ToHexStringLower(leaves[i]),
                ["path"] = new JsonArray([.. MerkleTree.InclusionProof(i, leaves).Select(h => (JsonNode)Convert.ToHexStringLower(h))]),
                ["artifact"] = Convert.ToHexStringLower(signed[i]),
            })]),
        };
        await File.WriteAllTextAsync(target, json.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n");
        try
        {
            await AssertVectorsVerifyAsync(target);
        }
        finally
        {
            if (!publish)
            {
                File.Delete(target);
            }
        }
    }

    private static async Task<Dictionary<string, ExecutionIntent>> IntentsAsync()
    {
        using var document = JsonDocument.Parse(await File.ReadAllTextAsync(IntentFile));
        return document.RootElement.GetProperty("vectors").EnumerateArray()
            .ToDictionary(v => v.GetProperty("name").GetString()!, v => IntentJson.Parse(v.GetProperty("intent").GetRawText()));
    }
}
