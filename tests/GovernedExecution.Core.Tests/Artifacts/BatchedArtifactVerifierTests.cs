using System.Formats.Cbor;
using System.Text;
using GovernedExecution.Artifacts;
using GovernedExecution.Artifacts.Keys;
using GovernedExecution.Execution;
using GovernedExecution.Intents;
using GovernedExecution.Policies;
using GovernedExecution.Testing;
using GovernedExecution.Tests.Execution;

namespace GovernedExecution.Tests.Artifacts;

/// <summary>
/// Section 8 of the format, attacked: an artifact of a batch verifies alone, by its own payload, its own inclusion proof
/// and the one signature over the root, and by nothing else; the cache of checked roots never admits what was not
/// checked, nor outlives the key's trust.
/// </summary>
public sealed class BatchedArtifactVerifierTests : IDisposable
{
    private const int Size = 5; // not a power of two: the last leaf climbs past a missing sibling
    private readonly VerifierBench _bench = new();
    private readonly ExecutionIntent[] _intents = [.. Enumerable.Range(0, Size).Select(i => GovernedTestHost.Intent("read", $"ticket-{i}"))];
    private readonly BatchForge _batch;

    public BatchedArtifactVerifierTests()
    {
        _batch = new BatchForge(_bench.Key, [.. _intents.Select(i => _bench.Forge(i).Payload())]);
    }

    public void Dispose() => _bench.Dispose();

    private Task<ArtifactVerificationResult> VerifyAsync(IArtifactVerifier verifier, AuthorizationArtifact artifact, int intent) =>
        verifier.VerifyAsync(artifact, new ArtifactVerificationContext(_intents[intent], GovernedTestHost.Audience), CancellationToken.None).AsTask();

    [Fact]
    public async Task Every_artifact_of_a_batch_verifies_alone()
    {
        for (var i = 0; i < Size; i++)
        {
            var result = await VerifyAsync(_bench.Verifier(), _batch.Artifact(i), i);
            VerifierBench.AssertVerified(result);
            Assert.Equal(["structure", "headers", "algorithm", "key", "inclusion", "signature", "claims"], result.Checks.Take(7));
        }
    }

    [Fact]
    public async Task Artifacts_signed_by_the_issuer_in_batched_mode_verify()
    {
        var issuer = new CoseArtifactIssuer(new StaticSigningKeyProvider(_bench.Key), _bench.Time, "issuer", TimeSpan.FromSeconds(60), ArtifactSigningMode.Batched);
        var request = new ArtifactRequest(IntentEncoding.Digest(_intents[0]), _intents[0].Principal.ToString(), GovernedTestHost.Audience,
            new PolicyDecision(PolicyDecisionKind.Permitted, ["allow-read"], [], [], "policy-set"));
        var artifact = await issuer.IssueAsync(request, CancellationToken.None);

        Assert.Equal(0xD2, artifact.Encoded.Span[0]);
        VerifierBench.AssertVerified(await VerifyAsync(_bench.Verifier(), artifact, 0));
    }

    [Fact]
    public async Task Path_of_another_leaf_is_refused()
    {
        var result = await VerifyAsync(_bench.Verifier(), _batch.Build(index: 0, path: _batch.Path(1)), 0);
        VerifierBench.AssertRefused(result, ArtifactVerdict.Invalid, DenialReason.SignatureInvalid, "the signature does not verify");

        // The other leaf's index with its path, under this payload: the root differs too.
        result = await VerifyAsync(_bench.Verifier(), _batch.Build(index: 1, payload: _batch.Payloads[0]), 0);
        VerifierBench.AssertRefused(result, ArtifactVerdict.Invalid, DenialReason.SignatureInvalid, "the signature does not verify");
    }

    [Fact]
    public async Task Swapped_sibling_order_is_refused()
    {
        // Leaf 0 presented as leaf 1 with the same path: the first node is hashed (path, leaf) instead of (leaf, path).
        var result = await VerifyAsync(_bench.Verifier(), _batch.Build(index: 0, leafIndex: 1), 0);
        VerifierBench.AssertRefused(result, ArtifactVerdict.Invalid, DenialReason.SignatureInvalid, "the signature does not verify");

        var reversed = _batch.Path(0).Reverse().ToArray();
        result = await VerifyAsync(_bench.Verifier(), _batch.Build(index: 0, path: reversed), 0);
        VerifierBench.AssertRefused(result, ArtifactVerdict.Invalid, DenialReason.SignatureInvalid, "the signature does not verify");
    }

    [Fact]
    public async Task Truncated_or_extended_path_is_refused()
    {
        var path = _batch.Path(0);
        var result = await VerifyAsync(_bench.Verifier(), _batch.Build(index: 0, path: path[..^1]), 0);
        VerifierBench.AssertRefused(result, ArtifactVerdict.Invalid, DenialReason.SignatureInvalid, "the inclusion proof does not fit its tree size and leaf index");

        result = await VerifyAsync(_bench.Verifier(), _batch.Build(index: 0, path: [.. path, _batch.Leaves[4]]), 0);
        VerifierBench.AssertRefused(result, ArtifactVerdict.Invalid, DenialReason.SignatureInvalid, "the inclusion proof does not fit its tree size and leaf index");

        // A truncated path with a tree size that fits it: a smaller tree, whose root was never signed.
        result = await VerifyAsync(_bench.Verifier(), _batch.Build(index: 0, treeSize: 4, path: path[..2]), 0);
        VerifierBench.AssertRefused(result, ArtifactVerdict.Invalid, DenialReason.SignatureInvalid, "the signature does not verify");

        result = await VerifyAsync(_bench.Verifier(), _batch.Build(index: 0, treeSize: 0, path: []), 0);
        VerifierBench.AssertRefused(result, ArtifactVerdict.Invalid, DenialReason.SignatureInvalid, "the inclusion proof's tree size or leaf index is out of range");
        result = await VerifyAsync(_bench.Verifier(), _batch.Build(index: 0, leafIndex: Size), 0);
        VerifierBench.AssertRefused(result, ArtifactVerdict.Invalid, DenialReason.SignatureInvalid, "the inclusion proof's tree size or leaf index is out of range");
        result = await VerifyAsync(_bench.Verifier(), _batch.Build(index: 0, treeSize: ArtifactBatch.MaxTreeSize + 1), 0);
        VerifierBench.AssertRefused(result, ArtifactVerdict.Invalid, DenialReason.SignatureInvalid, "the inclusion proof's tree size or leaf index is out of range");
    }

    [Fact]
    public async Task Interior_node_presented_as_a_leaf_is_refused()
    {
        // Second preimage: the children of node (0, 1) as the payload of a leaf one level up. Without the 0x00/0x01
        // prefixes the hash of this "leaf" would be that node, and the path from it the honest one.
        var node = (byte[])[.. _batch.Leaves[0], .. _batch.Leaves[1]];
        var upper = _batch.Path(0)[1..];
        var result = await VerifyAsync(_bench.Verifier(), _batch.Build(index: 0, treeSize: 3, leafIndex: 0, path: upper, payload: node), 0);
        VerifierBench.AssertRefused(result, ArtifactVerdict.Invalid, DenialReason.SignatureInvalid, "the signature does not verify");

        // The root's own children as a one-leaf tree.
        var two = new BatchForge(_bench.Key, [_batch.Payloads[0], _batch.Payloads[1]]);
        result = await VerifyAsync(_bench.Verifier(), two.Build(index: 0, treeSize: 1, leafIndex: 0, path: [], payload: [.. two.Leaves[0], .. two.Leaves[1]]), 0);
        VerifierBench.AssertRefused(result, ArtifactVerdict.Invalid, DenialReason.SignatureInvalid, "the signature does not verify");
    }

    [Fact]
    public async Task Root_signed_under_another_kid_is_refused()
    {
        using var other = SigningKey.Generate();
        using var otherTrusted = other.ToTrustedKey();
        using var trusted = _bench.Key.ToTrustedKey();
        var store = new InMemoryTrustedKeyStore(trusted, otherTrusted);
        var verifier = _bench.Verifier(store: store);

        // The other key's header over this batch's signature: the signed bytes changed.
        var otherHeader = ArtifactBatch.ProtectedHeader(other.Algorithm, other.KeyId);
        var result = await VerifyAsync(verifier, _batch.Build(index: 0, protectedHeader: otherHeader), 0);
        VerifierBench.AssertRefused(result, ArtifactVerdict.Invalid, DenialReason.SignatureInvalid, "the signature does not verify");

        // Once the root is cached under this kid, the same header, root and signature under the other kid still miss.
        VerifierBench.AssertVerified(await VerifyAsync(verifier, _batch.Artifact(1), 1));
        var relabelled = ArtifactBatch.ProtectedHeader(other.Algorithm, other.KeyId);
        result = await VerifyAsync(verifier, _batch.Build(index: 2, protectedHeader: relabelled), 2);
        VerifierBench.AssertRefused(result, ArtifactVerdict.Invalid, DenialReason.SignatureInvalid, "the signature does not verify");

        // A batch signed by a key nobody trusts.
        using var stranger = SigningKey.Generate();
        var foreign = new BatchForge(stranger, [.. _batch.Payloads]);
        result = await VerifyAsync(verifier, foreign.Artifact(3), 3);
        VerifierBench.AssertRefused(result, ArtifactVerdict.Untrusted, DenialReason.UntrustedKey, "the key id is unknown or revoked");
    }

    [Fact]
    public async Task Receipt_moved_to_another_artifact_is_refused()
    {
        // The proof and signature of leaf 0 with the payload of an artifact from another batch (same intent).
        var stranger = _bench.Forge(_intents[0]).Payload();
        var verifier = _bench.Verifier();
        VerifierBench.AssertVerified(await VerifyAsync(verifier, _batch.Artifact(1), 1)); // the root is cached
        var result = await VerifyAsync(verifier, _batch.Build(index: 0, payload: stranger), 0);
        VerifierBench.AssertRefused(result, ArtifactVerdict.Invalid, DenialReason.SignatureInvalid, "the signature does not verify");

        // ... and onto an artifact signed alone: its unprotected header takes no proof.
        var alone = _bench.Forge(_intents[0]);
        alone.Unprotected.Add((ArtifactBatch.ProofsLabel, w => BatchForge.WriteProofs(w, Size, 0, _batch.Path(0))));
        result = await VerifyAsync(verifier, alone.Sign(_bench.Key), 0);
        VerifierBench.AssertRefused(result, ArtifactVerdict.Invalid, DenialReason.SignatureInvalid, "Merkle proof parameters in the unprotected header of an artifact signed alone");
    }

    [Theory]
    [InlineData("extra-label")]
    [InlineData("receipts")]
    [InlineData("two-proofs")]
    [InlineData("consistency-proof")]
    [InlineData("indefinite")]
    [InlineData("non-canonical-size")]
    [InlineData("short-hash")]
    [InlineData("trailing")]
    [InlineData("empty")]
    public async Task Tampered_unprotected_header_is_refused(string how)
    {
        var path = _batch.Path(0);
        Action<CborWriter> unprotected = how switch
        {
            "extra-label" => w => { w.WriteStartMap(2); w.WriteInt32(33); w.WriteByteString([1]); w.WriteInt32(396); BatchForge.WriteProofs(w, Size, 0, path); w.WriteEndMap(); },
            "receipts" => w => { w.WriteStartMap(2); w.WriteInt32(394); w.WriteStartArray(0); w.WriteEndArray(); w.WriteInt32(396); BatchForge.WriteProofs(w, Size, 0, path); w.WriteEndMap(); },
            "two-proofs" => w =>
            {
                w.WriteStartMap(1); w.WriteInt32(396); w.WriteStartMap(1); w.WriteInt32(-1); w.WriteStartArray(2);
                for (var i = 0; i < 2; i++)
                {
                    w.WriteByteString(Proof(Size, 0, path));
                }

                w.WriteEndArray(); w.WriteEndMap(); w.WriteEndMap();
            },
            "consistency-proof" => w => { w.WriteStartMap(1); w.WriteInt32(396); w.WriteStartMap(1); w.WriteInt32(-2); w.WriteStartArray(1); w.WriteByteString(Proof(Size, 0, path)); w.WriteEndArray(); w.WriteEndMap(); w.WriteEndMap(); },
            "indefinite" => w => { w.WriteStartMap(1); w.WriteInt32(396); w.WriteStartMap(1); w.WriteInt32(-1); w.WriteStartArray(null); w.WriteByteString(Proof(Size, 0, path)); w.WriteEndArray(); w.WriteEndMap(); w.WriteEndMap(); },
            "non-canonical-size" => w => { w.WriteStartMap(1); w.WriteInt32(396); w.WriteStartMap(1); w.WriteInt32(-1); w.WriteStartArray(1); w.WriteByteString([0x83, 0x18, Size, 0x00, .. PathArray(path)]); w.WriteEndArray(); w.WriteEndMap(); w.WriteEndMap(); },
            "short-hash" => w => { w.WriteStartMap(1); w.WriteInt32(396); BatchForge.WriteProofs(w, Size, 0, [path[0], path[1][..31], path[2]]); w.WriteEndMap(); },
            "trailing" => w => { w.WriteStartMap(1); w.WriteInt32(396); w.WriteStartMap(1); w.WriteInt32(-1); w.WriteStartArray(1); w.WriteByteString([.. Proof(Size, 0, path), 0x00]); w.WriteEndArray(); w.WriteEndMap(); w.WriteEndMap(); },
            _ => w => { w.WriteStartMap(0); w.WriteEndMap(); },
        };

        var result = await VerifyAsync(_bench.Verifier(), BatchForge.Envelope(_batch.ProtectedHeader, unprotected, _batch.Payloads[0], _batch.Signature), 0);

        Assert.Equal(ArtifactVerdict.Invalid, result.Verdict);
        Assert.Equal(DenialReason.SignatureInvalid, result.Reason);
        Assert.Contains(result.Detail, new[] { "a batched artifact's unprotected header must hold its inclusion proof and nothing else", "malformed inclusion proof", "malformed COSE_Sign1 message" });
        Assert.True(DenialDetails.IsDocumented(result.Reason, result.Detail), result.Detail);
    }

    [Theory]
    [InlineData(2)] // another verifiable data structure
    [InlineData(-1)]
    [InlineData(0)]
    public async Task Verifiable_data_structure_other_than_RFC9162_SHA256_is_refused(int vds)
    {
        var header = BatchForge.Header((1, w => w.WriteInt32(-7)), (3, w => w.WriteTextString(ArtifactFormat.ContentType)),
            (4, w => w.WriteByteString(Encoding.UTF8.GetBytes(_bench.Key.KeyId))), (395, w => w.WriteInt32(vds)));
        var signature = BatchForge.SignRoot(_bench.Key, header, _batch.Root);

        var result = await VerifyAsync(_bench.Verifier(), _batch.Build(index: 0, protectedHeader: header, signature: signature), 0);

        VerifierBench.AssertRefused(result, ArtifactVerdict.Invalid, DenialReason.SignatureInvalid, "the verifiable data structure is not RFC9162_SHA256");
    }

    [Fact]
    public async Task Failed_signature_check_is_not_cached()
    {
        var verifier = _bench.Verifier();
        var forged = (byte[])_batch.Signature.Clone();
        forged[5] ^= 0x40;

        // The first failure must not make the same bytes pass the second time, nor spoil the honest signature.
        for (var attempt = 0; attempt < 2; attempt++)
        {
            var result = await VerifyAsync(verifier, _batch.Build(index: attempt, signature: forged), attempt);
            VerifierBench.AssertRefused(result, ArtifactVerdict.Invalid, DenialReason.SignatureInvalid, "the signature does not verify");
        }

        VerifierBench.AssertVerified(await VerifyAsync(verifier, _batch.Artifact(2), 2));

        // The root is now cached with its honest signature: the same root with the forged signature is checked again.
        var again = await VerifyAsync(verifier, _batch.Build(index: 3, signature: forged), 3);
        VerifierBench.AssertRefused(again, ArtifactVerdict.Invalid, DenialReason.SignatureInvalid, "the signature does not verify");
        VerifierBench.AssertVerified(await VerifyAsync(verifier, _batch.Artifact(3), 3));
    }

    [Fact]
    public async Task Cached_root_stops_verifying_once_its_key_is_revoked()
    {
        using var trusted = _bench.Key.ToTrustedKey();
        var store = new InMemoryTrustedKeyStore(trusted);
        var verifier = _bench.Verifier(store: store);
        VerifierBench.AssertVerified(await VerifyAsync(verifier, _batch.Artifact(0), 0));

        store.Revoke(_bench.Key.KeyId);

        var result = await VerifyAsync(verifier, _batch.Artifact(1), 1);
        VerifierBench.AssertRefused(result, ArtifactVerdict.Untrusted, DenialReason.UntrustedKey, "the key id is unknown or revoked");
    }

    [Fact]
    public async Task Cached_root_stops_verifying_once_its_key_has_expired()
    {
        using var key = _bench.Key.ToTrustedKey();
        using var expiring = key.WithValidity(null, _bench.Time.GetUtcNow().AddSeconds(10));
        var store = new InMemoryTrustedKeyStore(expiring);
        var verifier = _bench.Verifier(store: store);
        VerifierBench.AssertVerified(await VerifyAsync(verifier, _batch.Artifact(0), 0));

        _bench.Time.Advance(TimeSpan.FromSeconds(11));

        var result = await VerifyAsync(verifier, _batch.Artifact(1), 1);
        VerifierBench.AssertRefused(result, ArtifactVerdict.Untrusted, DenialReason.UntrustedKey, "the key is outside its validity period");
    }

    [Fact]
    public async Task Cached_root_is_not_vouched_for_by_new_material_under_the_same_kid()
    {
        // The kid now names another public key (rotation that reuses an id): the cached check was made with the old one.
        using var original = _bench.Key.ToTrustedKey();
        var store = new SwappableStore(original);
        var verifier = _bench.Verifier(store: store);
        VerifierBench.AssertVerified(await VerifyAsync(verifier, _batch.Artifact(0), 0));

        using var impostor = SigningKey.Generate();
        using var impostorPublic = impostor.ToTrustedKey();
        using var replacement = TrustedKey.FromPem(impostorPublic.ExportPublicKeyPem(), ArtifactAlgorithm.ES256, _bench.Key.KeyId);
        store.Key = replacement;

        var result = await VerifyAsync(verifier, _batch.Artifact(1), 1);
        VerifierBench.AssertRefused(result, ArtifactVerdict.Invalid, DenialReason.SignatureInvalid, "the signature does not verify");
    }

    [Fact]
    public async Task Batch_and_single_forms_do_not_stand_in_for_each_other()
    {
        var verifier = _bench.Verifier();

        // The Merkle parameter removed from the signed header: the proof is then where an artifact signed alone has none.
        var withoutVds = BatchForge.Header((1, w => w.WriteInt32(-7)), (3, w => w.WriteTextString(ArtifactFormat.ContentType)),
            (4, w => w.WriteByteString(Encoding.UTF8.GetBytes(_bench.Key.KeyId))));
        var result = await VerifyAsync(verifier, _batch.Build(index: 0, protectedHeader: withoutVds), 0);
        VerifierBench.AssertRefused(result, ArtifactVerdict.Invalid, DenialReason.SignatureInvalid, "Merkle proof parameters in the unprotected header of an artifact signed alone");

        // ... and the proof dropped too: the batch signature covers the root, never the payload.
        result = await VerifyAsync(verifier, BatchForge.Envelope(withoutVds, w => { w.WriteStartMap(0); w.WriteEndMap(); }, _batch.Payloads[0], _batch.Signature), 0);
        VerifierBench.AssertRefused(result, ArtifactVerdict.Invalid, DenialReason.SignatureInvalid, "the signature does not verify");

        // An artifact signed alone, given the Merkle parameter and a one-leaf proof: its signature covers the payload, not a root.
        var alone = _bench.Forge(_intents[1]);
        var single = CoseMessageParts(alone.Sign(_bench.Key));
        result = await VerifyAsync(verifier, BatchForge.Envelope(ArtifactBatch.ProtectedHeader(ArtifactAlgorithm.ES256, _bench.Key.KeyId),
            w => { w.WriteStartMap(1); w.WriteInt32(396); BatchForge.WriteProofs(w, 1, 0, []); w.WriteEndMap(); }, single.Payload, single.Signature), 1);
        VerifierBench.AssertRefused(result, ArtifactVerdict.Invalid, DenialReason.SignatureInvalid, "the signature does not verify");

        // Both forms, honest, interleaved on one verifier.
        VerifierBench.AssertVerified(await VerifyAsync(verifier, _batch.Artifact(2), 2));
        VerifierBench.AssertVerified(await VerifyAsync(verifier, _bench.Forge(_intents[3]).Sign(_bench.Key), 3));
        VerifierBench.AssertVerified(await VerifyAsync(verifier, _batch.Artifact(4), 4));
    }

    [Fact]
    public async Task Replay_is_refused_for_a_batched_artifact_as_for_any_other()
    {
        var verifier = _bench.Verifier();
        VerifierBench.AssertVerified(await VerifyAsync(verifier, _batch.Artifact(0), 0));
        var result = await VerifyAsync(verifier, _batch.Artifact(0), 0);
        VerifierBench.AssertRefused(result, ArtifactVerdict.Rejected, DenialReason.Replayed, "the artifact was already used");

        // Another artifact's intent with this artifact's receipt: the claims still bind the intent.
        result = await VerifyAsync(verifier, _batch.Artifact(1), 2);
        VerifierBench.AssertRefused(result, ArtifactVerdict.Rejected, DenialReason.IntentMismatch, "the artifact authorizes another intent");
    }

    private static byte[] Proof(int treeSize, int leafIndex, byte[][] path)
    {
        var inner = new CborWriter();
        inner.WriteStartArray(3);
        inner.WriteInt32(treeSize);
        inner.WriteInt32(leafIndex);
        inner.WriteStartArray(path.Length);
        foreach (var hash in path)
        {
            inner.WriteByteString(hash);
        }

        inner.WriteEndArray();
        inner.WriteEndArray();
        return inner.Encode();
    }

    private static byte[] PathArray(byte[][] path)
    {
        var writer = new CborWriter();
        writer.WriteStartArray(path.Length);
        foreach (var hash in path)
        {
            writer.WriteByteString(hash);
        }

        writer.WriteEndArray();
        return writer.Encode();
    }

    private static (byte[] Payload, byte[] Signature) CoseMessageParts(AuthorizationArtifact artifact)
    {
        var message = System.Security.Cryptography.Cose.CoseMessage.DecodeSign1(artifact.Encoded.Span);
        return (message.Content!.Value.ToArray(), message.Signature.ToArray());
    }

    /// <summary>A store whose one key can be replaced (the same kid, other material).</summary>
    private sealed class SwappableStore(TrustedKey key) : ITrustedKeyStore
    {
        public TrustedKey Key { get; set; } = key;

        public ValueTask<TrustedKey?> FindAsync(string keyId, CancellationToken cancellationToken) =>
            ValueTask.FromResult<TrustedKey?>(keyId == Key.KeyId ? Key : null);
    }
}
