using System.Formats.Cbor;
using System.Security.Cryptography.Cose;
using GovernedExecution.Artifacts;
using GovernedExecution.Artifacts.Keys;
using GovernedExecution.Intents;
using GovernedExecution.Testing;

namespace GovernedExecution.Tests.Artifacts;

/// <summary>
/// The verifier's exact reader of the envelope against the COSE library, its oracle: whatever the exact reader accepts,
/// the library decodes and the header rules accept with the same parts, on every artifact the issuers write (each
/// algorithm, signed alone and in a batch) and on every one-byte change, truncation and extension of them; and what the
/// exact reader leaves alone still verifies, or is refused, through the library as before.
/// </summary>
public sealed class CoseSign1ViewTests : IDisposable
{
    private readonly VerifierBench _bench = new();
    private readonly ExecutionIntent _intent = GovernedTestHost.Intent("read");

    public void Dispose() => _bench.Dispose();

    public static TheoryData<ArtifactAlgorithm> Algorithms => [ArtifactAlgorithm.ES256, ArtifactAlgorithm.ES384, ArtifactAlgorithm.ES512, ArtifactAlgorithm.PS256];

    [Theory]
    [MemberData(nameof(Algorithms))]
    public async Task Issued_artifacts_are_read_exactly_with_the_library_s_parts(ArtifactAlgorithm algorithm)
    {
        using var key = SigningKey.Generate(algorithm);
        var artifact = await IssueAsync(key);

        KeyIdText? cache = null;
        Assert.True(CoseSign1View.TryReadExact(artifact, ref cache, out var exact));

        AssertSameAsLibrary(artifact, exact);
        Assert.Equal(key.KeyId, exact.KeyId);
        Assert.Equal(algorithm, exact.Algorithm);
        Assert.False(exact.Batched);
    }

    [Fact]
    public void Batched_artifacts_are_read_exactly_with_the_library_s_parts()
    {
        var forge = new BatchForge(_bench.Key, [.. Enumerable.Range(0, 5).Select(i => new byte[] { 0xA1, 0x01, (byte)i })]);
        for (var i = 0; i < forge.Size; i++)
        {
            var artifact = forge.Artifact(i).Encoded;
            KeyIdText? cache = null;

            Assert.True(CoseSign1View.TryReadExact(artifact, ref cache, out var exact));

            Assert.True(exact.Batched);
            AssertSameAsLibrary(artifact, exact);
        }
    }

    [Fact]
    public async Task Every_one_byte_change_truncation_and_extension_the_exact_reader_accepts_the_library_accepts_alike()
    {
        using var rsa = SigningKey.Generate(ArtifactAlgorithm.PS256);
        var batch = new BatchForge(_bench.Key, [[0xA1, 0x01, 0x02], [0xA1, 0x01, 0x03], [0xA1, 0x01, 0x04]]);
        byte[][] originals = [(await IssueAsync(_bench.Key)).ToArray(), (await IssueAsync(rsa)).ToArray(), batch.Artifact(1).Encoded.ToArray()];
        var accepted = 0;
        var candidates = 0;
        foreach (var original in originals)
        {
            foreach (var candidate in Variants(original))
            {
                candidates++;
                KeyIdText? cache = null;
                if (CoseSign1View.TryReadExact(candidate, ref cache, out var exact))
                {
                    accepted++;
                    AssertSameAsLibrary(candidate, exact);
                }
            }
        }

        // The changes the exact reader still accepts are those inside the payload, signature and kid bytes.
        Assert.InRange(accepted, 1, candidates - 1);
    }

    [Theory]
    [InlineData(1, 0)]
    [InlineData(23, 23)]
    [InlineData(24, 24)]
    [InlineData(255, 255)]
    [InlineData(256, 256)]
    [InlineData(300, 65535)]
    [InlineData(7, 65536)]
    public void Every_shortest_length_form_is_read_exactly(int kidLength, int payloadLength)
    {
        // Lengths on each side of every boundary of the shortest form (one byte, then 1, 2 and 4 bytes after the head),
        // in the kid, the payload and the signature, each algorithm's encoding, and the header entries in any order.
        var kid = new string('k', kidLength);
        byte[] payload = [.. Enumerable.Range(0, payloadLength).Select(i => (byte)i)];
        byte[] signature = [.. Enumerable.Range(0, Math.Max(1, payloadLength % 300)).Select(i => (byte)(i * 3))];
        foreach (var (alg, expected) in new[] { (-7, ArtifactAlgorithm.ES256), (-35, ArtifactAlgorithm.ES384), (-36, ArtifactAlgorithm.ES512), (-37, ArtifactAlgorithm.PS256) })
        {
            byte[][] headers =
            [
                Header(w => { w.WriteInt32(1); w.WriteInt32(alg); w.WriteInt32(3); w.WriteTextString(ArtifactFormat.ContentType); w.WriteInt32(4); w.WriteByteString(System.Text.Encoding.UTF8.GetBytes(kid)); }, 3),
                Header(w => { w.WriteInt32(4); w.WriteByteString(System.Text.Encoding.UTF8.GetBytes(kid)); w.WriteInt32(3); w.WriteTextString(ArtifactFormat.ContentType); w.WriteInt32(1); w.WriteInt32(alg); }, 3),
            ];
            foreach (var header in headers)
            {
                var envelope = BatchForge.Envelope(header, w => { w.WriteStartMap(0); w.WriteEndMap(); }, payload, signature).Encoded;
                KeyIdText? cache = null;

                Assert.True(CoseSign1View.TryReadExact(envelope, ref cache, out var view));

                Assert.Equal(kid, view.KeyId);
                Assert.Equal(expected, view.Algorithm);
                Assert.True(view.Payload.Span.SequenceEqual(payload));
                Assert.True(view.Signature.Span.SequenceEqual(signature));
                Assert.True(view.ProtectedHeader.Span.SequenceEqual(header));
                AssertSameAsLibrary(envelope, view);
            }
        }
    }

    [Fact]
    public void Kid_that_is_not_UTF8_or_empty_and_headers_repeated_or_unknown_are_left_to_the_library()
    {
        byte[] payload = [0xA0];
        byte[] signature = new byte[64];
        var forms = new List<byte[]>
        {
            Header(w => { w.WriteInt32(1); w.WriteInt32(-7); w.WriteInt32(3); w.WriteTextString(ArtifactFormat.ContentType); w.WriteInt32(4); w.WriteByteString([0xFF, 0xFE]); }, 3),
            Header(w => { w.WriteInt32(1); w.WriteInt32(-7); w.WriteInt32(3); w.WriteTextString(ArtifactFormat.ContentType); w.WriteInt32(4); w.WriteByteString([]); }, 3),
            Header(w => { w.WriteInt32(1); w.WriteInt32(-7); w.WriteInt32(1); w.WriteInt32(-7); w.WriteInt32(4); w.WriteByteString("k"u8); }, 3),
            Header(w => { w.WriteInt32(1); w.WriteInt32(-7); w.WriteInt32(3); w.WriteTextString(ArtifactFormat.ContentType); w.WriteInt32(4); w.WriteByteString("k"u8); w.WriteInt32(5); w.WriteByteString([1]); }, 4),
            Header(w => { w.WriteInt32(1); w.WriteInt32(-8); w.WriteInt32(3); w.WriteTextString(ArtifactFormat.ContentType); w.WriteInt32(4); w.WriteByteString("k"u8); }, 3),
            Header(w => { w.WriteInt32(1); w.WriteInt32(-7); w.WriteInt32(3); w.WriteTextString("application/cbor"); w.WriteInt32(4); w.WriteByteString("k"u8); }, 3),
        };

        foreach (var header in forms)
        {
            var envelope = BatchForge.Envelope(header, w => { w.WriteStartMap(0); w.WriteEndMap(); }, payload, signature).Encoded;
            KeyIdText? cache = null;
            Assert.False(CoseSign1View.TryReadExact(envelope, ref cache, out _));
        }
    }

    [Fact]
    public async Task Artifact_in_another_valid_encoding_still_verifies_through_the_library()
    {
        // The payload's length written in two bytes where one would do: valid COSE, signature unchanged (it covers the
        // payload, not its envelope), not the exact shape.
        var issued = (await IssueAsync(_bench.Key)).ToArray();
        KeyIdText? cache = null;
        Assert.True(CoseSign1View.TryReadExact(issued, ref cache, out var view));
        var payloadAt = issued.AsSpan().IndexOf(view.Payload.Span);
        Assert.Equal(0x58, issued[payloadAt - 2]);
        byte[] reencoded = [.. issued[..(payloadAt - 2)], 0x59, 0x00, issued[payloadAt - 1], .. issued[payloadAt..]];
        Assert.False(CoseSign1View.TryReadExact(reencoded, ref cache, out _));

        var result = await _bench.VerifyAsync(AuthorizationArtifact.FromBytes(reencoded), _intent);

        VerifierBench.AssertVerified(result);
    }

    [Fact]
    public async Task Key_id_text_is_reused_only_for_the_same_bytes()
    {
        using var other = SigningKey.FromECDsa(System.Security.Cryptography.ECDsa.Create(System.Security.Cryptography.ECCurve.NamedCurves.nistP256), "other-key");
        var first = await IssueAsync(_bench.Key);
        var second = await IssueAsync(other);
        KeyIdText? cache = null;

        Assert.True(CoseSign1View.TryReadExact(first, ref cache, out var a));
        Assert.True(CoseSign1View.TryReadExact(first, ref cache, out var b));
        Assert.True(CoseSign1View.TryReadExact(second, ref cache, out var c));

        Assert.Same(a.KeyId, b.KeyId);
        Assert.Equal(_bench.Key.KeyId, a.KeyId);
        Assert.Equal("other-key", c.KeyId);
    }

    private static IEnumerable<byte[]> Variants(byte[] original)
    {
        for (var i = 0; i < original.Length; i++)
        {
            foreach (var change in (byte[])[0x01, 0x02, 0x10, 0x20, 0x40, 0x80, 0xFF])
            {
                var copy = (byte[])original.Clone();
                copy[i] ^= change;
                yield return copy;
            }

            yield return original[..i];
        }

        yield return [.. original, 0x00];
        yield return [.. original, 0xA0];
    }

    private static byte[] Header(Action<CborWriter> entries, int count)
    {
        var writer = new CborWriter(CborConformanceMode.Lax);
        writer.WriteStartMap(count);
        entries(writer);
        writer.WriteEndMap();
        return writer.Encode();
    }

    /// <summary>The COSE library decodes the message, the header rules accept it, and every part is the same.</summary>
    private static void AssertSameAsLibrary(ReadOnlyMemory<byte> encoded, CoseSign1View exact)
    {
        Assert.True(CoseSign1Layer.TryDecode(encoded, out var message, out var error), error);
        Assert.True(CoseArtifactVerifier.TryReadHeaders(message, out var keyId, out var batched, out error), error);
        Assert.True(CoseSign1Layer.TryReadAlgorithm(message, out var algorithm, out error), error);
        var library = CoseSign1View.FromMessage(message, keyId, algorithm, batched, new CoseHeaderLabel(ArtifactBatch.ProofsLabel));

        Assert.Equal(library.KeyId, exact.KeyId);
        Assert.Equal(library.Algorithm, exact.Algorithm);
        Assert.Equal(library.Batched, exact.Batched);
        Assert.True(library.ProtectedHeader.Span.SequenceEqual(exact.ProtectedHeader.Span));
        Assert.True(library.Proofs.Span.SequenceEqual(exact.Proofs.Span));
        Assert.True(library.Payload.Span.SequenceEqual(exact.Payload.Span));
        Assert.True(library.Signature.Span.SequenceEqual(exact.Signature.Span));
    }

    private async Task<ReadOnlyMemory<byte>> IssueAsync(SigningKey key)
    {
        var issuer = CoseArtifacts.CreateIssuer(new StaticSigningKeyProvider(key), _bench.Time);
        var decision = new GovernedExecution.Policies.PolicyDecision(GovernedExecution.Policies.PolicyDecisionKind.Permitted, ["allow-read"], [], [], "policy-set");
        var request = new ArtifactRequest(IntentEncoding.Digest(_intent), _intent.Principal.ToString(), GovernedTestHost.Audience, decision);
        return (await issuer.IssueAsync(request, default)).Encoded;
    }
}
