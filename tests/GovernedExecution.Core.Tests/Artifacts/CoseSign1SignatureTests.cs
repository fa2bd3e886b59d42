using System.Security.Cryptography;
using System.Security.Cryptography.Cose;
using GovernedExecution.Artifacts;
using GovernedExecution.Artifacts.Keys;
using GovernedExecution.Testing;

namespace GovernedExecution.Tests.Artifacts;

/// <summary>
/// Artifacts are signed and their signatures checked over a Sig_structure this library writes (RFC 9052, section 4.4)
/// instead of by System.Security.Cryptography.Cose: what it signs is what that library reads and verifies, and what
/// it accepts is exactly what that library accepts, byte for byte.
/// </summary>
public sealed class CoseSign1SignatureTests
{
    [Theory]
    [InlineData(ArtifactAlgorithm.ES256)]
    [InlineData(ArtifactAlgorithm.ES384)]
    [InlineData(ArtifactAlgorithm.ES512)]
    [InlineData(ArtifactAlgorithm.PS256)]
    public void An_artifact_is_a_COSE_Sign1_the_COSE_library_decodes_and_verifies(ArtifactAlgorithm algorithm)
    {
        using var key = SigningKey.Generate(algorithm);
        var artifact = Issue(key);

        var message = CoseMessage.DecodeSign1(artifact.Encoded.Span);
        var verified = key.Key switch
        {
            ECDsa ec => message.VerifyEmbedded(ec),
            RSA rsa => message.VerifyEmbedded(rsa),
            _ => false,
        };

        Assert.True(verified);
        Assert.Empty(message.UnprotectedHeaders);
        Assert.Equal((int)algorithm, message.ProtectedHeaders[CoseHeaderLabel.Algorithm].GetValueAsInt32());
        Assert.Equal(ArtifactFormat.ContentType, message.ProtectedHeaders[CoseHeaderLabel.ContentType].GetValueAsString());

        // The layout the COSE library writes: tag 18, then the four items in its order, nothing else.
        var library = key.Key switch
        {
            ECDsa ec => CoseSign1Message.SignEmbedded(message.Content!.Value.Span, new CoseSigner(ec, KeyMaterial.HashFor(algorithm), CopyOf(message.ProtectedHeaders))),
            RSA rsa => CoseSign1Message.SignEmbedded(message.Content!.Value.Span, new CoseSigner(rsa, RSASignaturePadding.Pss, KeyMaterial.HashFor(algorithm), CopyOf(message.ProtectedHeaders))),
            _ => throw new InvalidOperationException(),
        };
        var reference = CoseMessage.DecodeSign1(library);
        Assert.Equal(library.Length, artifact.Encoded.Length);
        Assert.Equal(reference.RawProtectedHeaders.ToArray(), message.RawProtectedHeaders.ToArray());
        Assert.Equal(library.AsSpan(0, library.Length - reference.Signature.Length).ToArray(), artifact.Encoded.Span[..(artifact.Encoded.Length - message.Signature.Length)].ToArray());
    }

    [Theory]
    [InlineData(ArtifactAlgorithm.ES256)]
    [InlineData(ArtifactAlgorithm.PS256)]
    public void Every_single_bit_flip_of_an_artifact_is_judged_as_the_COSE_library_judges_it(ArtifactAlgorithm algorithm)
    {
        using var key = SigningKey.Generate(algorithm);
        var encoded = Issue(key).Encoded.ToArray();
        var judged = 0;
        for (var i = 0; i < encoded.Length * 8; i++)
        {
            var flipped = (byte[])encoded.Clone();
            flipped[i / 8] ^= (byte)(1 << (i % 8));
            if (CoseSign1Layer.TryDecodeMessage(flipped) is not { } message || message.Content is null
                || !CoseSign1Layer.TryReadAlgorithm(message, out var read, out _) || read != algorithm)
            {
                continue; // refused before any signature is checked
            }

            bool library;
            try
            {
                library = key.Key switch
                {
                    ECDsa ec => message.VerifyEmbedded(ec),
                    RSA rsa => message.VerifyEmbedded(rsa),
                    _ => false,
                };
            }
            catch (CryptographicException)
            {
                library = false;
            }

            Assert.Equal(library, CoseSign1Layer.VerifySignature(message, key.Key, algorithm));
            Assert.False(library, $"bit {i} flipped and the signature still verifies");
            judged++;
        }

        Assert.True(judged > encoded.Length, $"only {judged} flips reached the signature check");
    }

    [Fact]
    public void A_signature_checked_with_another_algorithm_than_its_key_fits_is_refused()
    {
        using var key = SigningKey.Generate(ArtifactAlgorithm.ES256);
        var message = CoseMessage.DecodeSign1(Issue(key).Encoded.Span);

        Assert.True(CoseSign1Layer.VerifySignature(message, key.Key, ArtifactAlgorithm.ES256));
        Assert.False(CoseSign1Layer.VerifySignature(message, key.Key, ArtifactAlgorithm.PS256));
        Assert.False(CoseSign1Layer.VerifySignature(message, key.Key, ArtifactAlgorithm.ES384));
    }

    private static AuthorizationArtifact Issue(SigningKey key)
    {
        var issuer = CoseArtifacts.CreateIssuer(new StaticSigningKeyProvider(key));
        var decision = GovernedTestHost.DefaultPolicies().EvaluateAsync(GovernedTestHost.Intent("read"), default, default).AsTask().GetAwaiter().GetResult();
        var request = new ArtifactRequest(new byte[32], GovernedTestHost.Agent().ToString(), GovernedTestHost.Audience, decision);
        return issuer.IssueAsync(request, default).AsTask().GetAwaiter().GetResult();
    }

    private static CoseHeaderMap CopyOf(CoseHeaderMap headers)
    {
        var copy = new CoseHeaderMap();
        foreach (var pair in headers)
        {
            if (pair.Key != CoseHeaderLabel.Algorithm)
            {
                copy.Add(pair.Key, pair.Value);
            }
        }

        return copy;
    }
}
