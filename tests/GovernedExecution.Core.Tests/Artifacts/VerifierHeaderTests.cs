using System.Security.Cryptography;
using System.Text;
using GovernedExecution.Artifacts;
using GovernedExecution.Artifacts.Keys;
using GovernedExecution.Execution;
using GovernedExecution.Intents;
using GovernedExecution.Testing;

namespace GovernedExecution.Tests.Artifacts;

/// <summary>
/// Section 1 of the format, one rule at a time: alg, crit, kid and content type never unprotected; kid and content
/// type present, of the right type, the kid non-empty UTF-8; and a trusted key stays pinned to its algorithm.
/// </summary>
public sealed class VerifierHeaderTests : IDisposable
{
    private readonly VerifierBench _bench = new();
    private readonly ExecutionIntent _intent = GovernedTestHost.Intent("read");

    public void Dispose() => _bench.Dispose();

    [Theory]
    [InlineData(1)] // alg
    [InlineData(2)] // crit
    [InlineData(3)] // content type
    [InlineData(4)] // kid
    public async Task Each_reserved_parameter_alone_in_the_unprotected_header_is_Invalid(int label)
    {
        // The parameter moves from the protected to the unprotected header (a label in both is malformed COSE).
        var forge = _bench.Forge(_intent);
        switch (label)
        {
            case 1:
                forge.OmitAlgorithm = true;
                forge.Unprotected.Add((1, w => w.WriteInt32((int)ArtifactAlgorithm.ES256)));
                break;
            case 2:
                forge.Unprotected.Add((2, w => { w.WriteStartArray(1); w.WriteInt32(-70000); w.WriteEndArray(); }));
                break;
            case 3:
                forge.OmitContentType = true;
                forge.Unprotected.Add((3, w => w.WriteTextString(ArtifactFormat.ContentType)));
                break;
            default:
                forge.OmitKeyId = true;
                forge.Unprotected.Add((4, w => w.WriteByteString(Encoding.UTF8.GetBytes(_bench.Key.KeyId))));
                break;
        }

        var result = await _bench.VerifyAsync(forge.Sign(_bench.Key), _intent);

        VerifierBench.AssertRefused(result, ArtifactVerdict.Invalid, DenialReason.SignatureInvalid, "alg, crit, kid or content type in the unprotected header");
        Assert.Equal("headers", result.Checks[^1]);
    }

    [Fact]
    public async Task Missing_kid_is_Invalid()
    {
        var forge = _bench.Forge(_intent);
        forge.OmitKeyId = true;

        VerifierBench.AssertRefused(await _bench.VerifyAsync(forge.Sign(_bench.Key), _intent), ArtifactVerdict.Invalid, DenialReason.SignatureInvalid, "missing kid or content type in the protected header");
    }

    [Fact]
    public async Task Missing_content_type_is_Invalid()
    {
        var forge = _bench.Forge(_intent);
        forge.OmitContentType = true;

        VerifierBench.AssertRefused(await _bench.VerifyAsync(forge.Sign(_bench.Key), _intent), ArtifactVerdict.Invalid, DenialReason.SignatureInvalid, "missing kid or content type in the protected header");
    }

    [Fact]
    public async Task Empty_kid_is_Invalid()
    {
        var forge = _bench.Forge(_intent);
        forge.KeyIdValue = w => w.WriteByteString([]);

        VerifierBench.AssertRefused(await _bench.VerifyAsync(forge.Sign(_bench.Key), _intent), ArtifactVerdict.Invalid, DenialReason.SignatureInvalid, "empty kid");
    }

    [Fact]
    public async Task Kid_that_is_not_UTF8_is_Invalid_rather_than_looked_up_with_replacement_characters()
    {
        var forge = _bench.Forge(_intent);
        forge.KeyIdValue = w => w.WriteByteString([0x6B, 0xFF, 0x31]);

        VerifierBench.AssertRefused(await _bench.VerifyAsync(forge.Sign(_bench.Key), _intent), ArtifactVerdict.Invalid, DenialReason.SignatureInvalid, "malformed kid or content type");
    }

    [Fact]
    public async Task Content_type_given_as_a_CoAP_number_is_Invalid()
    {
        // COSE allows an unsigned integer content type; this format requires its text media type.
        var forge = _bench.Forge(_intent);
        forge.ContentTypeValue = w => w.WriteInt32(60);

        VerifierBench.AssertRefused(await _bench.VerifyAsync(forge.Sign(_bench.Key), _intent), ArtifactVerdict.Invalid, DenialReason.SignatureInvalid, "malformed kid or content type");
    }

    [Theory]
    [InlineData(1L << 40)]
    [InlineData(-(1L << 40))]
    public async Task Algorithm_wider_than_32_bits_is_Invalid_not_thrown(long alg)
    {
        var forge = _bench.Forge(_intent);
        forge.OmitAlgorithm = true;
        forge.ExtraProtected.Add((1, w => w.WriteInt64(alg)));

        var result = await _bench.VerifyAsync(forge.Sign(_bench.Key), _intent);

        VerifierBench.AssertRefused(result, ArtifactVerdict.Invalid, DenialReason.SignatureInvalid, "the algorithm is not an integer");
    }

    [Fact]
    public async Task Trusted_key_stays_pinned_to_its_algorithm_when_its_material_is_replaced_later()
    {
        // The caller still holds the ECDsa it wrapped and imports a P-384 key into it: an artifact that this P-384 key
        // signed, even one that claims ES256, must still be refused; the trusted key verifies with its own copy of the
        // P-256 public key, taken when it was made.
        using var p384 = ECDsa.Create(ECCurve.NamedCurves.nistP384);
        var material = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var original = ECDsa.Create(material.ExportParameters(true));
        using var trusted = TrustedKey.FromECDsa(material, ArtifactAlgorithm.ES256, "rotated-in-place");
        material.ImportParameters(p384.ExportParameters(false));
        var store = new InMemoryTrustedKeyStore(trusted);

        var forged = await _bench.VerifyAsync(AuthorizationArtifact.FromBytes(_bench.Forge(_intent).SignBytes(p384, ArtifactAlgorithm.ES256, "rotated-in-place")), _intent, store: store);
        var genuine = await _bench.VerifyAsync(AuthorizationArtifact.FromBytes(_bench.Forge(_intent).SignBytes(original, ArtifactAlgorithm.ES256, "rotated-in-place")), _intent, store: store);

        VerifierBench.AssertRefused(forged, ArtifactVerdict.Invalid, DenialReason.SignatureInvalid, "the signature does not verify");
        VerifierBench.AssertVerified(genuine);
    }

    [Fact]
    public void Trusted_key_made_from_a_key_that_does_not_fit_its_pin_is_refused_and_leaves_nothing_open()
    {
        using var p384 = ECDsa.Create(ECCurve.NamedCurves.nistP384);

        Assert.Throws<ArgumentException>(() => TrustedKey.FromECDsa(p384, ArtifactAlgorithm.ES256, "wrong-curve"));
        using var brainpool = ECDsa.Create(ECCurve.NamedCurves.brainpoolP256r1);
        Assert.Throws<ArgumentException>(() => TrustedKey.FromECDsa(brainpool, ArtifactAlgorithm.ES256, "same-size-other-curve"));
    }

    [Fact]
    public async Task Trusted_key_disposed_after_configuration_is_CannotEvaluate()
    {
        var trusted = _bench.Key.ToTrustedKey();
        var store = new InMemoryTrustedKeyStore(trusted);
        trusted.Dispose();

        var result = await _bench.VerifyAsync(_bench.Forge(_intent).Sign(_bench.Key), _intent, store: store);

        VerifierBench.AssertRefused(result, ArtifactVerdict.CannotEvaluate, DenialReason.KeyUnavailable, "the trusted key was disposed");
    }
}
