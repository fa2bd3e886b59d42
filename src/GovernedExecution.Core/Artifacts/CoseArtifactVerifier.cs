using System.Collections.Immutable;
using System.Formats.Cbor;
using System.Security.Cryptography;
using System.Security.Cryptography.Cose;
using GovernedExecution.Artifacts.Keys;
using GovernedExecution.Execution;
using GovernedExecution.Intents;
using GovernedExecution.Policies;

namespace GovernedExecution.Artifacts;

/// <summary>Verifies COSE_Sign1 artifacts (docs/artifact-format.md, section 6); refuses everything that is not exactly right.</summary>
internal sealed class CoseArtifactVerifier : IArtifactVerifier
{
    private readonly ITrustedKeyStore _trust;
    private readonly IReplayGuard _replay;
    private readonly TimeProvider _time;
    private readonly TimeSpan _skew;
    private readonly ImmutableHashSet<ArtifactAlgorithm> _allowed;
    private readonly TimeSpan _maxLifetime;
    private readonly TimeSpan _timeout;
    private readonly BatchRootCache _roots = new();
    private KeyIdText? _keyIds;

    [ThreadStatic]
    private static CborReader? t_claimsReader;

    /// <param name="trust">The trusted-key store.</param>
    /// <param name="replay">The replay guard.</param>
    /// <param name="time">The clock.</param>
    /// <param name="skew">The tolerated clock skew.</param>
    /// <param name="allowed">The algorithms accepted.</param>
    /// <param name="maxLifetime">The longest exp - iat accepted; <see cref="ArtifactLifetime.Maximum"/> when null; more is refused (<see cref="ArgumentOutOfRangeException"/>).</param>
    /// <param name="timeout">How long the store and the guard may take, together, for one verification; 5 s when null.</param>
    internal CoseArtifactVerifier(
        ITrustedKeyStore trust, IReplayGuard replay, TimeProvider time, TimeSpan skew, IEnumerable<ArtifactAlgorithm> allowed, TimeSpan? maxLifetime = null, TimeSpan? timeout = null)
    {
        _trust = trust;
        _replay = replay;
        _time = time;
        _skew = skew;
        _allowed = [.. allowed];
        _maxLifetime = maxLifetime ?? ArtifactLifetime.Maximum;
        ArgumentOutOfRangeException.ThrowIfGreaterThan(_maxLifetime, ArtifactLifetime.Maximum, nameof(maxLifetime));
        _timeout = timeout ?? TimeSpan.FromSeconds(5);
    }

    public async ValueTask<ArtifactVerificationResult> VerifyAsync(AuthorizationArtifact artifact, ArtifactVerificationContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(artifact);
        ArgumentNullException.ThrowIfNull(context);
        var checks = new CheckList();
        DateTimeOffset now;
        try
        {
            now = _time.GetUtcNow();
        }
        catch (Exception ex)
        {
            return Fail(ArtifactVerdict.CannotEvaluate, DenialReason.GovernanceFault, "the clock failed: " + ex.GetType().Name, checks);
        }

        var budget = new Budget(_time, _timeout);
        var stage = await AuthenticateAsync(artifact.Encoded, checks, now, budget, cancellationToken).ConfigureAwait(false);
        if (stage.Verdict != ArtifactVerdict.Verified)
        {
            return Fail(stage.Verdict, stage.Reason, stage.Detail!, checks);
        }

        var claims = stage.Claims!;
        checks.Add("decision");
        if (claims.Decision != PolicyDecisionKind.Permitted)
        {
            return Fail(ArtifactVerdict.Rejected, DenialReason.NotPermitted, "the artifact does not carry a permit", checks, claims);
        }

        checks.Add("validity");
        if (!IsWithinMaxLifetime(claims))
        {
            return Fail(ArtifactVerdict.Rejected, DenialReason.Expired, "the artifact lives longer than this runtime accepts", checks, claims);
        }

        // The skew moves the trusted clock, never an untrusted claim (exp + skew can overflow at the end of the calendar).
        if (now - _skew > claims.ExpiresAt)
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

        // The digest binds the principal; sub must say the same, since delegation reads the principal from sub.
        if (context.Intent is { } intent && !string.Equals(claims.Subject, intent.Principal.ToString(), StringComparison.Ordinal))
        {
            return Fail(ArtifactVerdict.Rejected, DenialReason.IntentMismatch, "the artifact's subject is not the intent's principal", checks, claims);
        }

        checks.Add("policy-set");
        if (context.AcceptedPolicySetDigest is { } accepted && !string.Equals(accepted, claims.PolicySetDigest, StringComparison.Ordinal))
        {
            return Fail(ArtifactVerdict.Rejected, DenialReason.PolicySetMismatch, "the artifact was decided by another policy set", checks, claims);
        }

        checks.Add("scope");
        var scopeError = await CheckDelegationAsync(artifact, claims, context, now, budget, cancellationToken).ConfigureAwait(false);
        if (scopeError is not null)
        {
            return Fail(ArtifactVerdict.Rejected, DenialReason.ScopeViolation, scopeError, checks, claims);
        }

        checks.Add("obligations");
        var approvalsRequired = 0;
        foreach (var obligation in claims.Obligations)
        {
            if (!IsSatisfiable(obligation))
            {
                return Fail(ArtifactVerdict.Rejected, DenialReason.ObligationUnsatisfied, $"obligation '{obligation.Name}' cannot be satisfied here", checks, claims);
            }

            approvalsRequired += obligation.Name == "requires_approval" ? 1 : 0;
        }

        if (ArtifactLifetime.OutlivesTtl(claims))
        {
            return Fail(ArtifactVerdict.Rejected, DenialReason.ObligationUnsatisfied, "the artifact lives longer than its ttl obligation allows", checks, claims);
        }

        if (claims.Approvals.Count < approvalsRequired)
        {
            return Fail(ArtifactVerdict.Rejected, DenialReason.ObligationUnsatisfied, "a required approval is not referenced by the artifact", checks, claims);
        }

        if (context.Recheck)
        {
            // A check of an artifact already running (GovernedContext.EnsureAuthorizedAsync): its single use was spent then.
            return new ArtifactVerificationResult(ArtifactVerdict.Verified, DenialReason.Unspecified, "verified", checks.ToImmutable(), claims);
        }

        checks.Add("replay");
        bool firstUse;
        try
        {
            // The id is needed for as long as this verifier would accept the artifact: until exp + skew (bounded by
            // the lifetime check above, so this cannot overflow).
            firstUse = await budget.WaitAsync(_replay.TryConsumeAsync(claims.TokenId, claims.ExpiresAt + _skew, cancellationToken), cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException) when (!cancellationToken.IsCancellationRequested)
        {
            return Fail(ArtifactVerdict.CannotEvaluate, DenialReason.GovernanceFault, "the replay guard timed out", checks, claims);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            return Fail(ArtifactVerdict.CannotEvaluate, DenialReason.GovernanceFault, "the replay guard failed: " + ex.GetType().Name, checks, claims);
        }

        if (!firstUse)
        {
            return Fail(ArtifactVerdict.Rejected, DenialReason.Replayed, "the artifact was already used", checks, claims);
        }

        return new ArtifactVerificationResult(ArtifactVerdict.Verified, DenialReason.Unspecified, "verified", checks.ToImmutable(), claims);
    }

    /// <summary>Whether the executor understands and can honour an obligation (documented in docs/artifact-format.md).</summary>
    internal static bool IsSatisfiable(PolicyObligation obligation) => obligation.Name switch
    {
        "ttl" => ArtifactLifetime.TryGetTtlSeconds(obligation.Value, out _), // bounds exp - iat in whole seconds
        "max_uses" => obligation.Value == "1", // artifacts are single use; more uses are not supported yet
        "requires_approval" => obligation.Value.Length > 0, // asked of the approval provider before minting
        "max_duration" => ObligationValues.TryParseDuration(obligation.Value, out var limit) && limit > TimeSpan.Zero, // bounds the running operation
        _ => false,
    };

    /// <summary>Structure, headers, algorithm, key, signature and claims: everything that makes the bytes authentic.</summary>
    private async ValueTask<Stage> AuthenticateAsync(ReadOnlyMemory<byte> encoded, CheckList checks, DateTimeOffset now, Budget budget, CancellationToken cancellationToken)
    {
        checks.Add("structure");
        string error;
        if (!CoseSign1View.TryReadExact(encoded, ref _keyIds, out var view))
        {
            // Not the exact shape the issuers write: the COSE library decodes it and the header rules judge it.
            if (!CoseSign1Layer.TryDecode(encoded, out var message, out error))
            {
                return Stage.Fail(ArtifactVerdict.Invalid, DenialReason.SignatureInvalid, error);
            }

            checks.Add("headers");
            if (!TryReadHeaders(message, out var decodedKeyId, out var decodedBatched, out error) || !CoseSign1Layer.TryReadAlgorithm(message, out var decodedAlgorithm, out error))
            {
                return Stage.Fail(ArtifactVerdict.Invalid, DenialReason.SignatureInvalid, error);
            }

            view = CoseSign1View.FromMessage(message, decodedKeyId, decodedAlgorithm, decodedBatched, ProofsHeader);
        }
        else
        {
            checks.Add("headers");
        }

        var keyId = view.KeyId;
        var algorithm = view.Algorithm;
        checks.Add("algorithm");
        if (!_allowed.Contains(algorithm))
        {
            return Stage.Fail(ArtifactVerdict.Invalid, DenialReason.SignatureInvalid, $"algorithm {algorithm} is not allowed");
        }

        checks.Add("key");
        TrustedKey? key;
        try
        {
            key = await budget.WaitAsync(_trust.FindAsync(keyId, cancellationToken), cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException) when (!cancellationToken.IsCancellationRequested)
        {
            return Stage.Fail(ArtifactVerdict.CannotEvaluate, DenialReason.KeyUnavailable, "the trusted-key store timed out");
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            // Only the caller's own cancellation propagates; a store's spontaneous cancellation is a failure like any other.
            return Stage.Fail(ArtifactVerdict.CannotEvaluate, DenialReason.KeyUnavailable, "the trusted-key store failed: " + ex.GetType().Name);
        }

        if (key is null)
        {
            return Stage.Fail(ArtifactVerdict.Untrusted, DenialReason.UntrustedKey, "the key id is unknown or revoked");
        }

        if (!string.Equals(key.KeyId, keyId, StringComparison.Ordinal))
        {
            // Revocation and validity are per key id: a key found under another id vouches for nothing here.
            return Stage.Fail(ArtifactVerdict.Untrusted, DenialReason.UntrustedKey, "the trusted-key store answered with another key");
        }

        AsymmetricAlgorithm material;
        try
        {
            material = key.Key;
        }
        catch (ObjectDisposedException)
        {
            return Stage.Fail(ArtifactVerdict.CannotEvaluate, DenialReason.KeyUnavailable, "the trusted key was disposed");
        }

        // A trusted key's curve and size were checked against its pinned algorithm when it was made, on a copy nothing
        // else can re-import into (TrustedKey's constructor): the pin is the whole check here.
        if (key.Algorithm != algorithm)
        {
            return Stage.Fail(ArtifactVerdict.Invalid, DenialReason.SignatureInvalid, $"the key is pinned to {key.Algorithm}, the artifact says {algorithm}");
        }

        if (!key.IsValidAt(now))
        {
            return Stage.Fail(ArtifactVerdict.Untrusted, DenialReason.UntrustedKey, "the key is outside its validity period");
        }

        if (view.Batched)
        {
            // Section 8: the payload's inclusion proof leads to the root; the signature covers that root.
            checks.Add("inclusion");
            Span<byte> root = stackalloc byte[32];
            if (!ArtifactBatch.TryComputeRoot(view.Proofs, view.Payload.Span, root, out error))
            {
                return Stage.Fail(ArtifactVerdict.Invalid, DenialReason.SignatureInvalid, error);
            }

            checks.Add("signature");
            var protectedHeader = view.ProtectedHeader.Span;
            var signature = view.Signature.Span;
            if (!_roots.Contains(keyId, material, protectedHeader, root, signature))
            {
                if (!ArtifactBatch.VerifyRoot(protectedHeader, root, signature, material, algorithm))
                {
                    return Stage.Fail(ArtifactVerdict.Invalid, DenialReason.SignatureInvalid, "the signature does not verify");
                }

                _roots.Add(keyId, material, protectedHeader, root, signature);
            }
        }
        else
        {
            checks.Add("signature");
            if (!CoseSign1Layer.VerifySignature(view.ProtectedHeader.Span, view.Payload.Span, view.Signature.Span, material, algorithm))
            {
                return Stage.Fail(ArtifactVerdict.Invalid, DenialReason.SignatureInvalid, "the signature does not verify");
            }
        }

        checks.Add("claims");
        var claims = TryDecodeClaims(view.Payload, keyId, algorithm);
        if (claims is null)
        {
            return Stage.Fail(ArtifactVerdict.Invalid, DenialReason.SignatureInvalid, "malformed claims");
        }

        // The key's period bounds the issue time too (TrustedKey.NotBefore): a key vouches only for what was signed while it was in force.
        return key.IsValidAt(claims.IssuedAt)
            ? new Stage(ArtifactVerdict.Verified, DenialReason.Unspecified, null, claims)
            : Stage.Fail(ArtifactVerdict.Untrusted, DenialReason.UntrustedKey, "the artifact was issued outside its key's validity period");
    }

    /// <summary>exp - iat within this runtime's maximum (whole seconds; a lifetime that is not positive never decodes).</summary>
    private bool IsWithinMaxLifetime(ArtifactClaims claims) => claims.ExpiresAt - claims.IssuedAt <= _maxLifetime;

    /// <summary>Section 5 of the format: the intent inside the scope, and every parent up the chain authentic, current and wider.</summary>
    private async ValueTask<string?> CheckDelegationAsync(AuthorizationArtifact artifact, ArtifactClaims claims, ArtifactVerificationContext context, DateTimeOffset now, Budget budget, CancellationToken cancellationToken)
    {
        if (claims.Scope is { } scope)
        {
            if (context.Intent is null)
            {
                return "the artifact has a delegated scope and the intent is not known to check it";
            }

            if (!scope.Allows(context.Intent))
            {
                return "the intent is outside the artifact's delegated scope";
            }
        }

        var child = claims;
        var childArtifact = artifact;
        for (var depth = 0; !child.ParentArtifactDigest.IsEmpty; depth++)
        {
            if (depth == ArtifactFormat.MaxChainDepth)
            {
                return $"the delegation chain is longer than {ArtifactFormat.MaxChainDepth}";
            }

            var parentArtifact = FindParent(childArtifact, child.ParentArtifactDigest.Span, context.KnownArtifacts);
            if (parentArtifact is null)
            {
                return "the parent artifact was neither presented nor known here";
            }

            var stage = await AuthenticateAsync(parentArtifact.Encoded, new CheckList(), now, budget, cancellationToken).ConfigureAwait(false);
            if (stage.Verdict != ArtifactVerdict.Verified)
            {
                return "the parent artifact does not verify: " + stage.Detail!;
            }

            var parent = stage.Claims!;
            if (parent.Decision != PolicyDecisionKind.Permitted)
            {
                return "the parent artifact does not carry a permit";
            }

            // A parent bounds its children's lifetime, so its own lifetime is held to the same rules as the child's.
            if (!IsWithinMaxLifetime(parent))
            {
                return "the parent artifact lives longer than this runtime accepts";
            }

            if (ArtifactLifetime.OutlivesTtl(parent))
            {
                return "the parent artifact lives longer than its ttl obligation allows";
            }

            if (now - _skew > parent.ExpiresAt || now + _skew < parent.NotBefore || now + _skew < parent.IssuedAt)
            {
                return "the parent artifact is outside its validity window";
            }

            if (parent.Scope is null)
            {
                return "the parent artifact grants no delegation scope";
            }

            if (child.Scope is null || !child.Scope.IsWithin(parent.Scope))
            {
                return "the delegated scope is not within the parent's";
            }

            if (!DelegationScope.PrincipalsWithin(child.Scope, child.Subject, parent.Scope, parent.Subject))
            {
                return "the principal is not one the parent delegates to";
            }

            if (child.ExpiresAt > parent.ExpiresAt)
            {
                return "the artifact expires after its parent";
            }

            child = parent;
            childArtifact = parentArtifact;
        }

        return null;
    }

    internal static AuthorizationArtifact? FindParent(AuthorizationArtifact child, ReadOnlySpan<byte> digest, IReadOnlyList<AuthorizationArtifact> known)
    {
        if (child.Parent is { } presented && digest.SequenceEqual(presented.ComputeDigestBytes()))
        {
            return presented;
        }

        foreach (var candidate in known)
        {
            for (var current = candidate; current is not null; current = current.Parent)
            {
                if (digest.SequenceEqual(current.ComputeDigestBytes()))
                {
                    return current;
                }
            }
        }

        return null;
    }

    private const string MalformedKidOrContentType = "malformed kid or content type";

    /// <summary>The message of what <see cref="ReadScope"/> throws; never shown: the claims are refused as malformed.</summary>
    private const string MalformedScope = "malformed delegation scope";

    /// <summary>The message of what <see cref="Definite"/> throws; never shown: the claims are refused as malformed.</summary>
    private const string IndefiniteLength = "indefinite length";

    /// <summary>A definite length; canonical mode has already refused indefinite ones, so this only keeps the type honest.</summary>
    private static int Definite(int? length) => length ?? throw new CborContentException(IndefiniteLength);

    private static ArtifactVerificationResult Fail(ArtifactVerdict verdict, DenialReason reason, string detail, CheckList checks, ArtifactClaims? claims = null) =>
        new(verdict, reason, detail, checks.ToImmutable(), claims);

    private static readonly CoseHeaderLabel VdsHeader = new(ArtifactBatch.VdsLabel);
    private static readonly CoseHeaderLabel ProofsHeader = new(ArtifactBatch.ProofsLabel);
    private static readonly CoseHeaderLabel ReceiptsHeader = new(ArtifactBatch.ReceiptsLabel);

    /// <summary>Section 1.1 and 1.2: exactly alg, content type and kid, all protected; no crit anywhere.</summary>
    internal static bool TryReadHeaders(CoseSign1Message message, out string keyId, out string error) =>
        TryReadHeaders(message, out keyId, out _, out error);

    /// <summary>
    /// Sections 1.1, 1.2 and 8: exactly alg, content type and kid, all protected, and, for a batched artifact, the
    /// verifiable data structure (395, RFC9162_SHA256) protected too and nothing unprotected but its proof (396). No
    /// crit anywhere; the Merkle parameters nowhere else.
    /// </summary>
    internal static bool TryReadHeaders(CoseSign1Message message, out string keyId, out bool batched, out string error)
    {
        keyId = string.Empty;
        error = string.Empty;
        var unprotected = message.UnprotectedHeaders;
        if (unprotected.ContainsKey(CoseHeaderLabel.Algorithm) || unprotected.ContainsKey(CoseHeaderLabel.CriticalHeaders)
            || unprotected.ContainsKey(CoseHeaderLabel.KeyIdentifier) || unprotected.ContainsKey(CoseHeaderLabel.ContentType))
        {
            batched = false;
            error = "alg, crit, kid or content type in the unprotected header";
            return false;
        }

        var headers = message.ProtectedHeaders;
        batched = headers.ContainsKey(VdsHeader);
        if (headers.ContainsKey(CoseHeaderLabel.CriticalHeaders))
        {
            error = "crit names parameters this format does not define";
            return false;
        }

        foreach (var pair in headers)
        {
            if (pair.Key != CoseHeaderLabel.Algorithm && pair.Key != CoseHeaderLabel.KeyIdentifier && pair.Key != CoseHeaderLabel.ContentType && pair.Key != VdsHeader)
            {
                error = "unknown protected header";
                return false;
            }
        }

        if (batched)
        {
            if (!IsRfc9162(headers[VdsHeader]))
            {
                error = "the verifiable data structure is not RFC9162_SHA256";
                return false;
            }

            // The proof is the only thing not signed: nothing else may ride along with it.
            if (unprotected.Count != 1 || !unprotected.ContainsKey(ProofsHeader))
            {
                error = "a batched artifact's unprotected header must hold its inclusion proof and nothing else";
                return false;
            }
        }
        else if (unprotected.ContainsKey(VdsHeader) || unprotected.ContainsKey(ProofsHeader) || unprotected.ContainsKey(ReceiptsHeader))
        {
            error = "Merkle proof parameters in the unprotected header of an artifact signed alone";
            return false;
        }

        if (!headers.TryGetValue(CoseHeaderLabel.KeyIdentifier, out var kidValue) || !headers.TryGetValue(CoseHeaderLabel.ContentType, out var ctValue))
        {
            error = "missing kid or content type in the protected header";
            return false;
        }

        try
        {
            var kid = kidValue.GetValueAsBytes();
            if (!System.Text.Unicode.Utf8.IsValid(kid))
            {
                error = MalformedKidOrContentType;
                return false;
            }

            keyId = System.Text.Encoding.UTF8.GetString(kid);
            if (keyId.Length == 0)
            {
                error = "empty kid";
                return false;
            }

            if (ctValue.GetValueAsString() != ArtifactFormat.ContentType)
            {
                error = "wrong content type";
                return false;
            }
        }
        catch (Exception ex) when (ex is InvalidOperationException or CborContentException or ArgumentException)
        {
            error = MalformedKidOrContentType;
            return false;
        }

        return true;
    }

    private static bool IsRfc9162(CoseHeaderValue value)
    {
        try
        {
            return value.EncodedValue.Length == 1 && value.GetValueAsInt32() == ArtifactBatch.Rfc9162Sha256;
        }
        catch (Exception ex) when (CoseSign1Layer.IsMalformed(ex))
        {
            return false;
        }
    }

    internal static ArtifactClaims? TryDecodeClaims(ReadOnlyMemory<byte> payload, string keyId, ArtifactAlgorithm algorithm)
    {
        try
        {
            // Canonical mode refuses indefinite lengths (Definite would throw if one came through), and keys that
            // are not sorted or not distinct: the map holds at most the 15 claims named below, every other key is refused
            // at once, and a missing required claim is refused after the loop. The count needs no bounds of its own.
            // One reader per thread, reset for each payload: decoding finishes before anything else runs on the thread.
            var reader = t_claimsReader;
            if (reader is null)
            {
                reader = t_claimsReader = new CborReader(payload, CborConformanceMode.Canonical);
            }
            else
            {
                reader.Reset(payload);
            }

            var count = Definite(reader.ReadStartMap());

            string? iss = null, sub = null, aud = null, policySet = null;
            long? exp = null, nbf = null, iat = null;
            Guid? cti = null;
            byte[]? intent = null, parent = null;
            int? decision = null;
            ImmutableArray<string>? policies = null;
            ImmutableArray<PolicyObligation>? obligations = null;
            DelegationScope? scope = null;
            ImmutableArray<ReadOnlyMemory<byte>> approvals = [];
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
                        var n = Definite(reader.ReadStartArray());
                        var ids = ImmutableArray.CreateBuilder<string>(n);
                        for (var j = 0; j < n; j++)
                        {
                            ids.Add(reader.ReadTextString());
                        }

                        reader.ReadEndArray();
                        policies = ids.MoveToImmutable();
                        break;
                    case ArtifactFormat.Obligations:
                        var m = Definite(reader.ReadStartArray());
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
                    case ArtifactFormat.ParentArtifact:
                        parent = reader.ReadByteString();
                        if (parent.Length != 32)
                        {
                            return null;
                        }

                        break;
                    case ArtifactFormat.Scope: scope = ReadScope(reader); break;
                    case ArtifactFormat.Approvals:
                        var k = Definite(reader.ReadStartArray());
                        if (k == 0)
                        {
                            return null;
                        }

                        var digests = ImmutableArray.CreateBuilder<ReadOnlyMemory<byte>>(k);
                        for (var j = 0; j < k; j++)
                        {
                            var digest = reader.ReadByteString();
                            if (digest.Length != 32)
                            {
                                return null;
                            }

                            digests.Add(digest);
                        }

                        reader.ReadEndArray();
                        approvals = digests.MoveToImmutable();
                        break;
                    default:
                        return null; // a claim this verifier does not understand
                }
            }

            // Every item of the (definite-length) map is read: nothing may follow it.
            if (reader.BytesRemaining != 0 || iss is null || sub is null || aud is null || exp is null || nbf is null || iat is null || cti is null
                || intent is null || decision is null || policySet is null || policies is null || obligations is null
                || !Enum.IsDefined((PolicyDecisionKind)decision.Value))
            {
                return null;
            }

            // A window that ends before it starts is no window: exp after iat and after nbf.
            if (exp.Value <= iat.Value || exp.Value <= nbf.Value)
            {
                return null;
            }

            return new ArtifactClaims(
                iss, sub, aud,
                DateTimeOffset.FromUnixTimeSeconds(exp.Value), DateTimeOffset.FromUnixTimeSeconds(nbf.Value), DateTimeOffset.FromUnixTimeSeconds(iat.Value),
                cti.Value, intent, (PolicyDecisionKind)decision.Value, policySet, policies.Value, obligations.Value, keyId, algorithm,
                parent ?? ReadOnlyMemory<byte>.Empty, scope) { Approvals = approvals };
        }
        catch (Exception ex) when (ex is CborContentException or InvalidOperationException or ArgumentException or OverflowException or FormatException)
        {
            // Malformed: refused below, as every other flaw is.
        }

        return null;
    }

    /// <summary>
    /// Section 5: <c>actions</c>, <c>resources</c> and, optionally, <c>principals</c>, in that (deterministic) order.
    /// Throws on any flaw (caught by <see cref="TryDecodeClaims"/>); an empty set is refused by the scope's constructor.
    /// </summary>
    private static DelegationScope ReadScope(CborReader reader)
    {
        var entries = reader.ReadStartMap();
        if (entries is not (2 or 3))
        {
            throw new CborContentException(MalformedScope);
        }

        var actions = ReadEntitySet(reader, ArtifactFormat.ScopeActions);
        var resources = ReadEntitySet(reader, ArtifactFormat.ScopeResources);
        var scope = entries == 2
            ? new DelegationScope(actions, resources)
            : new DelegationScope(actions, resources, ReadEntitySet(reader, ArtifactFormat.ScopePrincipals));
        reader.ReadEndMap();
        return scope;
    }

    /// <summary>The entry <paramref name="key"/>: an array of entities, distinct and sorted by their encodings (a set in section 3's form).</summary>
    private static List<EntityReference> ReadEntitySet(CborReader reader, string key)
    {
        if (reader.ReadTextString() != key)
        {
            throw new CborContentException(MalformedScope);
        }

        var count = Definite(reader.ReadStartArray());
        var entities = new List<EntityReference>(count);
        ReadOnlyMemory<byte> previous = default; // empty: sorts before every encoding
        for (var i = 0; i < count; i++)
        {
            var encoded = reader.ReadEncodedValue();
            if (previous.Span.SequenceCompareTo(encoded.Span) >= 0)
            {
                throw new CborContentException(MalformedScope);
            }

            previous = encoded;
            var item = new CborReader(encoded, CborConformanceMode.Canonical);
            if (item.ReadTag() != (CborTag)IntentEncoding.EntityTag || item.ReadStartArray() != 2)
            {
                throw new CborContentException(MalformedScope);
            }

            // The two strings are all the array holds: the encoded value is exactly one entity.
            entities.Add(new EntityReference(item.ReadTextString(), item.ReadTextString()));
        }

        reader.ReadEndArray();
        return entities;
    }

    /// <summary>Every check of a verification, in the order they run: the checks of a verified artifact.</summary>
    internal static readonly ImmutableArray<string> AllChecks =
        ["structure", "headers", "algorithm", "key", "signature", "claims", "decision", "validity", "audience", "intent", "policy-set", "scope", "obligations", "replay"];

    /// <summary>The checks of a batched artifact (section 8): its inclusion proof is checked before the root's signature.</summary>
    internal static readonly ImmutableArray<string> AllBatchedChecks =
        ["structure", "headers", "algorithm", "key", "inclusion", "signature", "claims", "decision", "validity", "audience", "intent", "policy-set", "scope", "obligations", "replay"];

    private static readonly string AllChecksText = string.Join(",", AllChecks);

    private static readonly string AllBatchedChecksText = string.Join(",", AllBatchedChecks);

    /// <summary>Checks as lineage records them, comma-separated (the text of a complete list is made once).</summary>
    internal static string Joined(IReadOnlyList<string> checks) => checks switch
    {
        ImmutableArray<string> all when all == AllChecks => AllChecksText,
        ImmutableArray<string> all when all == AllBatchedChecks => AllBatchedChecksText,
        _ => string.Join(",", checks),
    };

    /// <summary>
    /// The checks that ran: always a prefix of <see cref="AllChecks"/> or, once an inclusion proof was checked, of
    /// <see cref="AllBatchedChecks"/> (they run in that order), so a count and the order are all there is to keep, and a
    /// verified artifact's list is one of the two arrays itself.
    /// </summary>
    private sealed class CheckList
    {
        private int _count;
        private ImmutableArray<string> _order = AllChecks;

        internal void Add(string check)
        {
            // A batched artifact's inclusion proof is the one check the single form lacks: from it on, the batched order holds.
            if (_order == AllChecks && string.Equals(check, "inclusion", StringComparison.Ordinal))
            {
                _order = AllBatchedChecks;
            }

            if (_count >= _order.Length || !string.Equals(_order[_count], check, StringComparison.Ordinal))
            {
                throw new InvalidOperationException($"The check '{check}' runs out of its order.");
            }

            _count++;
        }

        internal ImmutableArray<string> ToImmutable() => _count == _order.Length ? _order : ImmutableArray.Create(_order.AsSpan()[.._count]);
    }

    /// <summary>
    /// The time the pluggable seams (store, guard) may take together in one verification, counted from the first answer
    /// that was not there at once. An answer already there costs nothing (and reads no clock); a pending one is awaited
    /// for what is left, then <see cref="TimeoutException"/>.
    /// </summary>
    private sealed class Budget(TimeProvider time, TimeSpan timeout)
    {
        private long? _started;

        internal ValueTask<T> WaitAsync<T>(ValueTask<T> pending, CancellationToken cancellationToken)
        {
            if (pending.IsCompleted)
            {
                return pending;
            }

            _started ??= time.GetTimestamp();

            // An overdrawn budget waits not at all (a negative wait would be refused by WaitAsync, or be infinite at -1 ms).
            var left = TimeSpan.FromTicks(Math.Max((timeout - time.GetElapsedTime(_started.Value)).Ticks, 0));
            return new ValueTask<T>(pending.AsTask().WaitAsync(left, time, cancellationToken));
        }
    }

    /// <summary>A stage's verdict; <see cref="Detail"/> is set exactly when it is not <see cref="ArtifactVerdict.Verified"/>.</summary>
    private readonly record struct Stage(ArtifactVerdict Verdict, DenialReason Reason, string? Detail, ArtifactClaims? Claims)
    {
        internal static Stage Fail(ArtifactVerdict verdict, DenialReason reason, string detail) => new(verdict, reason, detail, null);
    }
}
