using System.Collections.Immutable;
using System.Formats.Cbor;
using System.Security.Cryptography;
using System.Security.Cryptography.Cose;
using GovernedExecution.Artifacts.Keys;
using GovernedExecution.Execution;
using GovernedExecution.Policies;

namespace GovernedExecution.Artifacts;

/// <summary>Verifies COSE_Sign1 artifacts; refuses everything that is not exactly right.</summary>
internal sealed class CoseArtifactVerifier : IArtifactVerifier
{
    private const byte Sign1Tag = 0xD2; // CBOR tag 18, one byte.

    private readonly ITrustedKeyStore _trust;
    private readonly IReplayGuard _replay;
    private readonly TimeProvider _time;
    private readonly TimeSpan _skew;
    private readonly ImmutableHashSet<ArtifactAlgorithm> _allowed;

    internal CoseArtifactVerifier(ITrustedKeyStore trust, IReplayGuard replay, TimeProvider time, TimeSpan skew, IEnumerable<ArtifactAlgorithm> allowed)
    {
        _trust = trust;
        _replay = replay;
        _time = time;
        _skew = skew;
        _allowed = [.. allowed];
    }

    internal static ImmutableHashSet<string> KnownObligations { get; } = ImmutableHashSet.Create(StringComparer.Ordinal, "ttl", "max_uses");

    public async ValueTask<ArtifactVerificationResult> VerifyAsync(AuthorizationArtifact artifact, ArtifactVerificationContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(artifact);
        ArgumentNullException.ThrowIfNull(context);
        var checks = ImmutableArray.CreateBuilder<string>(12);

        checks.Add("structure");
        var encoded = artifact.Encoded;
        if (encoded.Length < 2 || encoded.Span[0] != Sign1Tag)
        {
            return Fail(ArtifactVerdict.Invalid, DenialReason.SignatureInvalid, "not a tagged COSE_Sign1 message", checks);
        }

        CoseSign1Message message;
        try
        {
            message = CoseMessage.DecodeSign1(encoded.Span);
        }
        catch (CryptographicException)
        {
            return Fail(ArtifactVerdict.Invalid, DenialReason.SignatureInvalid, "malformed COSE_Sign1 message", checks);
        }

        if (message.Content is null)
        {
            return Fail(ArtifactVerdict.Invalid, DenialReason.SignatureInvalid, "detached payload", checks);
        }

        checks.Add("headers");
        if (!TryReadHeaders(message, out var algorithm, out var keyId, out var headerError))
        {
            return Fail(ArtifactVerdict.Invalid, DenialReason.SignatureInvalid, headerError, checks);
        }

        checks.Add("algorithm");
        if (!_allowed.Contains(algorithm))
        {
            return Fail(ArtifactVerdict.Invalid, DenialReason.SignatureInvalid, $"algorithm {algorithm} is not allowed", checks);
        }

        checks.Add("key");
        TrustedKey? key;
        try
        {
            key = await _trust.FindAsync(keyId, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            return Fail(ArtifactVerdict.CannotEvaluate, DenialReason.KeyUnavailable, "the trusted-key store failed: " + ex.GetType().Name, checks);
        }

        var now = _time.GetUtcNow();
        if (key is null)
        {
            return Fail(ArtifactVerdict.Untrusted, DenialReason.UntrustedKey, "the key id is unknown or revoked", checks);
        }

        if (key.Algorithm != algorithm)
        {
            return Fail(ArtifactVerdict.Invalid, DenialReason.SignatureInvalid, $"the key is pinned to {key.Algorithm}, the artifact says {algorithm}", checks);
        }

        if (!key.IsValidAt(now))
        {
            return Fail(ArtifactVerdict.Untrusted, DenialReason.UntrustedKey, "the key is outside its validity period", checks);
        }

        checks.Add("signature");
        bool signatureValid;
        try
        {
            signatureValid = key.Key switch
            {
                ECDsa ec => message.VerifyEmbedded(ec),
                RSA rsa => message.VerifyEmbedded(rsa),
                _ => false,
            };
        }
        catch (CryptographicException)
        {
            signatureValid = false;
        }

        if (!signatureValid)
        {
            return Fail(ArtifactVerdict.Invalid, DenialReason.SignatureInvalid, "the signature does not verify", checks);
        }

        checks.Add("claims");
        var claims = TryDecodeClaims(message.Content.Value, keyId, algorithm);
        if (claims is null)
        {
            return Fail(ArtifactVerdict.Invalid, DenialReason.SignatureInvalid, "malformed claims", checks);
        }

        checks.Add("decision");
        if (claims.Decision != PolicyDecisionKind.Permitted)
        {
            return Fail(ArtifactVerdict.Rejected, DenialReason.NotPermitted, "the artifact does not carry a permit", checks, claims);
        }

        checks.Add("validity");
        if (now > claims.ExpiresAt + _skew)
        {
            return Fail(ArtifactVerdict.Rejected, DenialReason.Expired, "the artifact has expired", checks, claims);
        }

        if (now + _skew < claims.NotBefore || now + _skew < claims.IssuedAt)
        {
            return Fail(ArtifactVerdict.Rejected, DenialReason.NotYetValid, "the artifact is not valid yet", checks, claims);
        }

        checks.Add("audience");
        if (!string.Equals(claims.Audience, context.Audience, StringComparison.Ordinal))
        {
            return Fail(ArtifactVerdict.Rejected, DenialReason.AudienceMismatch, "the artifact is for another audience", checks, claims);
        }

        checks.Add("intent");
        if (!CryptographicOperations.FixedTimeEquals(claims.IntentDigest.Span, context.IntentDigest.Span))
        {
            return Fail(ArtifactVerdict.Rejected, DenialReason.IntentMismatch, "the artifact authorizes another intent", checks, claims);
        }

        checks.Add("policy-set");
        if (context.AcceptedPolicySetDigest is { } accepted && !string.Equals(accepted, claims.PolicySetDigest, StringComparison.Ordinal))
        {
            return Fail(ArtifactVerdict.Rejected, DenialReason.PolicySetMismatch, "the artifact was decided by another policy set", checks, claims);
        }

        checks.Add("obligations");
        foreach (var obligation in claims.Obligations)
        {
            if (!IsSatisfiable(obligation))
            {
                return Fail(ArtifactVerdict.Rejected, DenialReason.ObligationUnsatisfied, $"obligation '{obligation.Name}' cannot be satisfied here", checks, claims);
            }
        }

        checks.Add("replay");
        if (!await _replay.TryConsumeAsync(claims.TokenId, claims.ExpiresAt, cancellationToken).ConfigureAwait(false))
        {
            return Fail(ArtifactVerdict.Rejected, DenialReason.Replayed, "the artifact was already used", checks, claims);
        }

        return new ArtifactVerificationResult(ArtifactVerdict.Verified, DenialReason.Unspecified, "verified", checks.ToImmutable(), claims);
    }

    /// <summary>Whether the executor understands and can honour an obligation (documented in docs/policies.md).</summary>
    internal static bool IsSatisfiable(PolicyObligation obligation) => obligation.Name switch
    {
        "ttl" => ObligationValues.TryParseDuration(obligation.Value, out var ttl) && ttl > TimeSpan.Zero,
        "max_uses" => obligation.Value == "1", // artifacts are single use; more uses are not supported yet
        _ => false,
    };

    private static ArtifactVerificationResult Fail(ArtifactVerdict verdict, DenialReason reason, string detail, ImmutableArray<string>.Builder checks, ArtifactClaims? claims = null) =>
        new(verdict, reason, detail, checks.ToImmutable(), claims);

    private static bool TryReadHeaders(CoseSign1Message message, out ArtifactAlgorithm algorithm, out string keyId, out string error)
    {
        algorithm = default;
        keyId = string.Empty;
        error = string.Empty;
        var unprotected = message.UnprotectedHeaders;
        if (unprotected.ContainsKey(CoseHeaderLabel.Algorithm) || unprotected.ContainsKey(CoseHeaderLabel.CriticalHeaders)
            || unprotected.ContainsKey(CoseHeaderLabel.KeyIdentifier) || unprotected.ContainsKey(CoseHeaderLabel.ContentType))
        {
            error = "security-relevant header in the unprotected bucket";
            return false;
        }

        var headers = message.ProtectedHeaders;
        foreach (var pair in headers)
        {
            if (pair.Key != CoseHeaderLabel.Algorithm && pair.Key != CoseHeaderLabel.KeyIdentifier && pair.Key != CoseHeaderLabel.ContentType)
            {
                error = "unknown protected header";
                return false;
            }
        }

        if (!headers.TryGetValue(CoseHeaderLabel.Algorithm, out var algValue) || !headers.TryGetValue(CoseHeaderLabel.KeyIdentifier, out var kidValue)
            || !headers.TryGetValue(CoseHeaderLabel.ContentType, out var ctValue))
        {
            error = "missing alg, kid or content type in the protected header";
            return false;
        }

        try
        {
            var alg = algValue.GetValueAsInt32();
            if (alg is not ((int)ArtifactAlgorithm.ES256 or (int)ArtifactAlgorithm.ES384 or (int)ArtifactAlgorithm.ES512 or (int)ArtifactAlgorithm.PS256))
            {
                error = $"algorithm {alg} is not supported";
                return false;
            }

            algorithm = (ArtifactAlgorithm)alg;
            keyId = System.Text.Encoding.UTF8.GetString(kidValue.GetValueAsBytes());
            if (ctValue.GetValueAsString() != ArtifactFormat.ContentType)
            {
                error = "wrong content type";
                return false;
            }
        }
        catch (Exception ex) when (ex is InvalidOperationException or CborContentException or ArgumentException)
        {
            error = "malformed protected header";
            return false;
        }

        return true;
    }

    private static ArtifactClaims? TryDecodeClaims(ReadOnlyMemory<byte> payload, string keyId, ArtifactAlgorithm algorithm)
    {
        try
        {
            var reader = new CborReader(payload, CborConformanceMode.Canonical);
            var count = reader.ReadStartMap();
            if (count is not 12)
            {
                return null;
            }

            string? iss = null, sub = null, aud = null, policySet = null;
            long? exp = null, nbf = null, iat = null;
            Guid? cti = null;
            byte[]? intent = null;
            int? decision = null;
            ImmutableArray<string>? policies = null;
            ImmutableArray<PolicyObligation>? obligations = null;
            for (var i = 0; i < count; i++)
            {
                switch (reader.ReadInt32())
                {
                    case ArtifactFormat.Iss: iss = reader.ReadTextString(); break;
                    case ArtifactFormat.Sub: sub = reader.ReadTextString(); break;
                    case ArtifactFormat.Aud: aud = reader.ReadTextString(); break;
                    case ArtifactFormat.Exp: exp = reader.ReadInt64(); break;
                    case ArtifactFormat.Nbf: nbf = reader.ReadInt64(); break;
                    case ArtifactFormat.Iat: iat = reader.ReadInt64(); break;
                    case ArtifactFormat.Cti:
                        var id = reader.ReadByteString();
                        if (id.Length != 16)
                        {
                            return null;
                        }

                        cti = new Guid(id, bigEndian: true);
                        break;
                    case ArtifactFormat.IntentDigest:
                        intent = reader.ReadByteString();
                        if (intent.Length != 32)
                        {
                            return null;
                        }

                        break;
                    case ArtifactFormat.Decision: decision = reader.ReadInt32(); break;
                    case ArtifactFormat.PolicySetDigest: policySet = reader.ReadTextString(); break;
                    case ArtifactFormat.DeterminingPolicies:
                        var n = reader.ReadStartArray() ?? throw new CborContentException("indefinite array");
                        var ids = ImmutableArray.CreateBuilder<string>(n);
                        for (var j = 0; j < n; j++)
                        {
                            ids.Add(reader.ReadTextString());
                        }

                        reader.ReadEndArray();
                        policies = ids.MoveToImmutable();
                        break;
                    case ArtifactFormat.Obligations:
                        var m = reader.ReadStartArray() ?? throw new CborContentException("indefinite array");
                        var list = ImmutableArray.CreateBuilder<PolicyObligation>(m);
                        for (var j = 0; j < m; j++)
                        {
                            if (reader.ReadStartArray() != 3)
                            {
                                return null;
                            }

                            list.Add(new PolicyObligation(reader.ReadTextString(), reader.ReadTextString(), reader.ReadTextString()));
                            reader.ReadEndArray();
                        }

                        reader.ReadEndArray();
                        obligations = list.MoveToImmutable();
                        break;
                    default:
                        return null; // a claim this verifier does not understand
                }
            }

            reader.ReadEndMap();
            if (reader.BytesRemaining != 0 || iss is null || sub is null || aud is null || exp is null || nbf is null || iat is null || cti is null
                || intent is null || decision is null || policySet is null || policies is null || obligations is null
                || !Enum.IsDefined((PolicyDecisionKind)decision.Value))
            {
                return null;
            }

            return new ArtifactClaims(
                iss, sub, aud,
                DateTimeOffset.FromUnixTimeSeconds(exp.Value), DateTimeOffset.FromUnixTimeSeconds(nbf.Value), DateTimeOffset.FromUnixTimeSeconds(iat.Value),
                cti.Value, intent, (PolicyDecisionKind)decision.Value, policySet, policies.Value, obligations.Value, keyId, algorithm);
        }
        catch (Exception ex) when (ex is CborContentException or InvalidOperationException or ArgumentOutOfRangeException or OverflowException or FormatException)
        {
            return null;
        }
    }
}
