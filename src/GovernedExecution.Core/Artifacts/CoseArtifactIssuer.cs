using System.Formats.Cbor;
using System.Security.Cryptography;
using System.Security.Cryptography.Cose;
using GovernedExecution.Artifacts.Keys;
using GovernedExecution.Diagnostics;
using GovernedExecution.Intents;

namespace GovernedExecution.Artifacts;

/// <summary>Mints COSE_Sign1 artifacts (docs/artifact-format.md).</summary>
internal sealed class CoseArtifactIssuer : IArtifactIssuer
{
    private readonly ISigningKeyProvider _keys;
    private readonly TimeProvider _time;
    private readonly string _issuer;
    private readonly TimeSpan _defaultLifetime;
    private readonly ArtifactBatchSigner? _batches;

    internal CoseArtifactIssuer(ISigningKeyProvider keys, TimeProvider time, string issuer, TimeSpan defaultLifetime, ArtifactSigningMode signing = ArtifactSigningMode.PerArtifact)
    {
        _batches = signing == ArtifactSigningMode.Batched ? new ArtifactBatchSigner() : null;
        _keys = keys;
        _time = time;
        _issuer = issuer;
        _defaultLifetime = defaultLifetime;
    }

    /// <summary>The group-commit signer in batched mode; null when every artifact is signed alone.</summary>
    internal ArtifactBatchSigner? Batches => _batches;

    public async ValueTask<AuthorizationArtifact> IssueAsync(ArtifactRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var lifetime = LifetimeSeconds(request);
        SigningKey? key;
        try
        {
            key = await _keys.GetSigningKeyAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            // Only the caller's own cancellation propagates; a provider's spontaneous cancellation is a failure like any other.
            throw new KeyUnavailableException("The signing key provider failed.", ex);
        }

        if (key is null)
        {
            throw new KeyUnavailableException("The signing key provider returned no key.", new InvalidOperationException("null key"));
        }

        var now = _time.GetUtcNow().ToUnixTimeSeconds();
        var expires = now + lifetime;
        if (request.ExpiresNoLaterThan is { } cap)
        {
            expires = Math.Min(expires, cap.ToUnixTimeSeconds());
            if (expires <= now)
            {
                throw new ArgumentException("The artifact would expire before it is issued (its parent expires now).", nameof(request));
            }
        }

        var writer = t_writer ??= new CborWriter(CborConformanceMode.Canonical, initialCapacity: 1024);
        writer.Reset();
        EncodeClaims(writer, request, now, expires, Internal.RandomIds.NewGuid());
        var length = writer.BytesWritten;
        if (_batches is not null)
        {
            var claims = writer.Encode();
            EnsureUsable(key);
            return AuthorizationArtifact.Wrap(await _batches.SignAsync(key, claims).ConfigureAwait(false));
        }

        var payload = length <= 2048 ? stackalloc byte[2048] : new byte[length];
        writer.Encode(payload);
        byte[] signed;
        try
        {
            _ = key.Key; // a disposed key refuses here, before its cached signer is reached
            signed = Sign(key, payload[..length]);
        }
        catch (ObjectDisposedException ex)
        {
            throw new KeyUnavailableException("The signing key was disposed.", ex);
        }

        GovernedTelemetry.ArtifactBatchSize.Record(1);
        return AuthorizationArtifact.Wrap(signed);
    }

    /// <summary>Refuses a disposed key before anything is signed with it.</summary>
    private static void EnsureUsable(SigningKey key)
    {
        try
        {
            _ = key.Key;
        }
        catch (ObjectDisposedException ex)
        {
            throw new KeyUnavailableException("The signing key was disposed.", ex);
        }
    }

    /// <summary>
    /// The lifetime to write, in whole seconds (docs/artifact-format.md, section 2): the request's or the default,
    /// rounded down, at least 1 s and at most 1 hour, shortened by every <c>ttl</c> obligation of the decision, so
    /// that the verifier's lifetime and ttl checks accept what is minted here.
    /// </summary>
    private long LifetimeSeconds(ArtifactRequest request)
    {
        var lifetime = request.Lifetime ?? _defaultLifetime;
        if (lifetime > ArtifactLifetime.Maximum)
        {
            throw new ArgumentOutOfRangeException(nameof(request), lifetime, "An artifact lives at most 1 hour.");
        }

        var seconds = ArtifactLifetime.WholeSeconds(lifetime);
        if (seconds < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(request), lifetime, "An artifact lives at least 1 second (lifetimes are whole seconds, rounded down).");
        }

        foreach (var obligation in request.Decision.Obligations)
        {
            if (obligation.Name != "ttl")
            {
                continue;
            }

            if (!ArtifactLifetime.TryGetTtlSeconds(obligation.Value, out var ttl))
            {
                throw new ArgumentException($"The ttl obligation '{obligation.Value}' of policy '{obligation.PolicyId}' does not bound a lifetime of at least 1 second.", nameof(request));
            }

            seconds = Math.Min(seconds, ttl);
        }

        return seconds;
    }

    // A signer is configuration only (key, hash, headers): one per signing key, reused across artifacts. Its protected
    // header is encoded once, by System.Security.Cryptography.Cose, and every artifact reuses those bytes.
    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<SigningKey, CachedSigner> Signers = new();

    internal static byte[] Sign(SigningKey key, ReadOnlySpan<byte> payload)
    {
        var signer = Signers.GetValue(key, CreateSigner);
        return CoseSign1Signature.SignEmbedded(signer.ProtectedHeader, payload, key.Key, signer.Hash);
    }

    private static CachedSigner CreateSigner(SigningKey key)
    {
        var protectedHeaders = new CoseHeaderMap
        {
            { CoseHeaderLabel.KeyIdentifier, System.Text.Encoding.UTF8.GetBytes(key.KeyId) },
            { CoseHeaderLabel.ContentType, ArtifactFormat.ContentType },
        };
        var hash = KeyMaterial.HashFor(key.Algorithm);
        CoseSigner signer = key.Key switch
        {
            ECDsa ec => new CoseSigner(ec, hash, protectedHeaders),
            RSA rsa => new CoseSigner(rsa, RSASignaturePadding.Pss, hash, protectedHeaders),
            _ => throw new InvalidOperationException("Unsupported key type."),
        };

        // The header exactly as the COSE library encodes it (algorithm first), taken from one message it signs.
        var sample = CoseMessage.DecodeSign1(CoseSign1Message.SignEmbedded([], signer));
        return new CachedSigner(sample.RawProtectedHeaders.ToArray(), hash);
    }

    /// <summary>The encoded protected header (without its byte-string wrapper) and the hash of a signing key.</summary>
    private sealed record CachedSigner(byte[] ProtectedHeader, HashAlgorithmName Hash);

    [ThreadStatic]
    private static CborWriter? t_writer;

    private void EncodeClaims(CborWriter writer, ArtifactRequest request, long issuedAt, long expires, Guid tokenId)
    {
        var decision = request.Decision;
        writer.WriteStartMap(ArtifactFormat.RequiredClaims + (request.Parent is null ? 0 : 1) + (request.Scope is null ? 0 : 1) + (request.Approvals.Count == 0 ? 0 : 1));
        writer.WriteInt32(ArtifactFormat.Iss);
        writer.WriteTextString(_issuer);
        writer.WriteInt32(ArtifactFormat.Sub);
        writer.WriteTextString(request.Subject);
        writer.WriteInt32(ArtifactFormat.Aud);
        writer.WriteTextString(request.Audience);
        writer.WriteInt32(ArtifactFormat.Exp);
        writer.WriteInt64(expires);
        writer.WriteInt32(ArtifactFormat.Nbf);
        writer.WriteInt64(issuedAt);
        writer.WriteInt32(ArtifactFormat.Iat);
        writer.WriteInt64(issuedAt);
        writer.WriteInt32(ArtifactFormat.Cti);
        Span<byte> id = stackalloc byte[16];
        tokenId.TryWriteBytes(id, bigEndian: true, out _);
        writer.WriteByteString(id);
        writer.WriteInt32(ArtifactFormat.IntentDigest);
        writer.WriteByteString(request.IntentDigest.Span);
        writer.WriteInt32(ArtifactFormat.Decision);
        writer.WriteInt32((int)decision.Kind);
        writer.WriteInt32(ArtifactFormat.PolicySetDigest);
        writer.WriteTextString(decision.PolicySetDigest);
        writer.WriteInt32(ArtifactFormat.DeterminingPolicies);
        writer.WriteStartArray(decision.DeterminingPolicies.Count);
        foreach (var id2 in decision.DeterminingPolicies)
        {
            writer.WriteTextString(id2);
        }

        writer.WriteEndArray();
        writer.WriteInt32(ArtifactFormat.Obligations);
        writer.WriteStartArray(decision.Obligations.Count);
        foreach (var obligation in decision.Obligations)
        {
            writer.WriteStartArray(3);
            writer.WriteTextString(obligation.Name);
            writer.WriteTextString(obligation.Value);
            writer.WriteTextString(obligation.PolicyId);
            writer.WriteEndArray();
        }

        writer.WriteEndArray();
        if (request.Parent is { } parent)
        {
            writer.WriteInt32(ArtifactFormat.ParentArtifact);
            writer.WriteByteString(parent.ComputeDigestBytes());
        }

        if (request.Scope is { } scope)
        {
            writer.WriteInt32(ArtifactFormat.Scope);
            writer.WriteStartMap(scope.Principals.Count == 0 ? 2 : 3);
            writer.WriteTextString(ArtifactFormat.ScopeActions);
            IntentEncoding.WriteValue(writer, IntentValue.Set(scope.Actions.Select(IntentValue.Entity)));
            writer.WriteTextString(ArtifactFormat.ScopeResources);
            IntentEncoding.WriteValue(writer, IntentValue.Set(scope.Resources.Select(IntentValue.Entity)));
            if (scope.Principals.Count > 0)
            {
                writer.WriteTextString(ArtifactFormat.ScopePrincipals);
                IntentEncoding.WriteValue(writer, IntentValue.Set(scope.Principals.Select(IntentValue.Entity)));
            }

            writer.WriteEndMap();
        }

        if (request.Approvals.Count > 0)
        {
            writer.WriteInt32(ArtifactFormat.Approvals);
            writer.WriteStartArray(request.Approvals.Count);
            foreach (var approval in request.Approvals)
            {
                writer.WriteByteString(approval.ComputeDigest());
            }

            writer.WriteEndArray();
        }

        writer.WriteEndMap();
    }
}
