using System.Text.Json;
using GovernedExecution.Artifacts;
using GovernedExecution.Artifacts.Keys;
using GovernedExecution.Testing;

namespace GovernedExecution.Tests.Artifacts;

/// <summary>
/// The COSE_Sign1 vectors of tests/conformance/cose (cose-wg sign1-tests and ecdsa-examples, go-cose testdata),
/// checked at the artifact's signature layer (<see cref="CoseSign1Layer"/>: tag 18, alg protected and
/// supported, key fits alg exactly, signature) with the vector's key. Where the artifact policy is stricter than the
/// specification, the rejection is asserted by a test that says why.
/// </summary>
public sealed class CoseConformanceVectorTests
{
    private static string Root => Path.Combine(TestPaths.ConformanceRoot, "cose");

    /// <summary>Vectors on which the signature layer agrees with the specification (accept or reject).</summary>
    [Theory]
    [InlineData("sign1-tests/sign-pass-02.json")] // external AAD 11aa22bb33cc44dd55006699
    [InlineData("sign1-tests/sign-fail-01.json")] // tag 998
    [InlineData("sign1-tests/sign-fail-02.json")] // tag changed: signature mismatch
    [InlineData("sign1-tests/sign-fail-03.json")] // alg -999
    [InlineData("sign1-tests/sign-fail-04.json")] // alg "unknown"
    [InlineData("sign1-tests/sign-fail-06.json")] // protected header added after signing
    [InlineData("sign1-tests/sign-fail-07.json")] // protected header removed after signing
    [InlineData("ecdsa-examples/ecdsa-sig-01.json")] // ES256, ctyp 0, kid unprotected
    [InlineData("ecdsa-examples/ecdsa-sig-02.json")] // ES384 on P-384
    [InlineData("ecdsa-examples/ecdsa-sig-03.json")] // ES512 on P-521
    [InlineData("go-cose-testdata/sign1-verify-0000.json")] // ES256 with external AAD
    [InlineData("go-cose-testdata/sign1-verify-0001.json")] // ES256
    [InlineData("go-cose-testdata/sign1-verify-0002.json")] // ES384
    [InlineData("go-cose-testdata/sign1-verify-0003.json")] // ES512
    [InlineData("go-cose-testdata/sign1-verify-0004.json")] // PS256
    [InlineData("go-cose-testdata/sign1-verify-negative-0000.json")] // protected header not a bstr
    [InlineData("go-cose-testdata/sign1-verify-negative-0001.json")] // protected header not a map
    [InlineData("go-cose-testdata/sign1-verify-negative-0002.json")] // repeated label in the protected header
    [InlineData("go-cose-testdata/sign1-verify-negative-0003.json")] // repeated label in the unprotected header
    public void Signature_layer_agrees_with_the_specification(string file)
    {
        var vector = Load(file);

        Assert.Equal(vector.SpecAccepts, vector.Check() is null);
    }

    [Fact]
    public void Sign_pass_01_is_refused_because_alg_is_only_in_the_unprotected_header()
    {
        var vector = Load("sign1-tests/sign-pass-01.json");

        Assert.True(vector.SpecAccepts);
        Assert.Equal("no algorithm in the protected header", vector.Check());
    }

    [Fact]
    public void Sign_pass_03_is_refused_because_artifacts_must_carry_tag_18()
    {
        var vector = Load("sign1-tests/sign-pass-03.json");

        Assert.True(vector.SpecAccepts);
        Assert.Equal("not a tagged COSE_Sign1 message", vector.Check());
        Assert.Null(vector.CheckWithTagAdded()); // the signature itself is good
    }

    [Fact]
    public void Ecdsa_sig_04_is_refused_because_ES512_must_be_on_P521_and_the_key_is_P256()
    {
        var vector = Load("ecdsa-examples/ecdsa-sig-04.json");

        Assert.True(vector.SpecAccepts);
        Assert.Equal("the key does not fit ES512", vector.Check());
    }

    [Theory]
    [InlineData("go-cose-testdata/sign1-verify-0005.json", -38)]
    [InlineData("go-cose-testdata/sign1-verify-0006.json", -39)]
    public void PS384_and_PS512_are_refused_because_artifacts_allow_only_ES256_ES384_ES512_PS256(string file, int alg)
    {
        var vector = Load(file);

        Assert.True(vector.SpecAccepts);
        Assert.Equal($"algorithm {alg} is not supported", vector.Check());
    }

    [Theory]
    [InlineData("ecdsa-examples/ecdsa-01.json")]
    [InlineData("ecdsa-examples/ecdsa-02.json")]
    [InlineData("ecdsa-examples/ecdsa-03.json")]
    [InlineData("ecdsa-examples/ecdsa-04.json")]
    public void COSE_Sign_messages_with_tag_98_are_not_artifacts(string file)
    {
        var vector = Load(file);

        Assert.True(vector.SpecAccepts);
        Assert.Equal("not a tagged COSE_Sign1 message", vector.Check());
    }

    [Fact]
    public void Every_sign1_vector_in_the_folders_is_checked_by_a_test_here()
    {
        var covered = typeof(CoseConformanceVectorTests).GetMethods()
            .SelectMany(m => m.GetCustomAttributes(typeof(InlineDataAttribute), false).Cast<InlineDataAttribute>())
            .Select(a => (string)a.GetData(null!).First()[0])
            .Concat(["sign1-tests/sign-pass-01.json", "sign1-tests/sign-pass-03.json", "ecdsa-examples/ecdsa-sig-04.json"])
            .ToHashSet();
        var present = new[] { "sign1-tests", "ecdsa-examples", "go-cose-testdata" }
            .SelectMany(d => Directory.GetFiles(Path.Combine(Root, d), "*.json").Select(f => d + "/" + Path.GetFileName(f)))
            .Where(f => !f.Contains("sign1-sign-", StringComparison.Ordinal)); // signing vectors: random signatures, nothing to verify

        var missing = present.Where(f => !covered.Contains(f)).ToList();
        Assert.True(missing.Count == 0, "vectors without a test: " + string.Join(", ", missing));
    }

    [Fact]
    public void Jwk_thumbprint_of_a_vector_key_is_stable_and_differs_from_its_kid()
    {
        var vector = Load("ecdsa-examples/ecdsa-sig-01.json");
        using var key = TrustedKey.FromJwk(vector.KeyJson);

        Assert.Equal("11", key.KeyId); // the JWK's kid wins over the thumbprint
        using var byThumbprint = TrustedKey.FromPem(key.ExportPublicKeyPem());
        Assert.Equal(43, byThumbprint.KeyId.Length);
    }

    private static Vector Load(string file)
    {
        var path = Path.Combine(Root, file);
        using var document = JsonDocument.Parse(File.ReadAllText(path));
        var root = document.RootElement;
        if (root.TryGetProperty("input", out var input))
        {
            // cose-wg/Examples: sign0 (COSE_Sign1) or sign (COSE_Sign, first signer's key).
            var signer = input.TryGetProperty("sign0", out var sign0) ? sign0 : input.GetProperty("sign").GetProperty("signers")[0];
            var external = signer.TryGetProperty("external", out var e) ? Convert.FromHexString(e.GetString()!) : [];
            var fails = root.TryGetProperty("fail", out var fail) && fail.GetBoolean();
            return new Vector(signer.GetProperty("key").GetRawText(), Convert.FromHexString(root.GetProperty("output").GetProperty("cbor").GetString()!), external, !fails);
        }

        var verify = root.GetProperty("sign1::verify");
        var aad = verify.TryGetProperty("external", out var x) ? Convert.FromHexString(x.GetString()!) : [];
        return new Vector(root.GetProperty("key").GetRawText(), Convert.FromHexString(verify.GetProperty("taggedCOSESign1").GetProperty("cborHex").GetString()!), aad, verify.GetProperty("shouldVerify").GetBoolean());
    }

    private sealed record Vector(string KeyJson, byte[] Cbor, byte[] External, bool SpecAccepts)
    {
        public string? Check() => Check(Cbor);

        public string? CheckWithTagAdded() => Check([0xD2, .. Cbor]);

        private string? Check(byte[] cbor)
        {
            var parsed = JsonWebKeysForTests.Public(KeyJson);
            using var key = parsed;
            return CoseSign1Layer.Check(cbor, key, External);
        }
    }
}
