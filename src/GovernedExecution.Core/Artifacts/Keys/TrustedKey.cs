using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace GovernedExecution.Artifacts.Keys;

/// <summary>
/// A public key that artifacts may be signed with, pinned to one algorithm, with an optional validity period.
/// Disposable; its <see cref="ToString"/> never shows key material.
/// </summary>
public sealed class TrustedKey : IDisposable
{
    private readonly AsymmetricAlgorithm _key;
    private readonly AsymmetricAlgorithm _given;
    private int _disposed;

    private TrustedKey(AsymmetricAlgorithm key, ArtifactAlgorithm algorithm, string? keyId)
    {
        // Verification uses a copy of the public part that nothing else can reach: a caller still holding the object it
        // gave cannot re-import another curve into it afterwards, so the fit checked here holds for every later use.
        var own = PublicCopy(key);
        try
        {
            KeyMaterial.EnsureMatches(own, algorithm);
            KeyId = keyId ?? KeyMaterial.Thumbprint(own);
            if (KeyId.Length == 0)
            {
                throw new ArgumentException("A key id cannot be empty.", nameof(keyId));
            }
        }
        catch
        {
            own.Dispose();
            throw;
        }

        _key = own;
        _given = key;
        Algorithm = algorithm;
    }

    /// <summary>The key id an artifact names in its protected header.</summary>
    public string KeyId { get; }

    /// <summary>The only algorithm accepted for this key.</summary>
    public ArtifactAlgorithm Algorithm { get; }

    /// <summary>
    /// Artifacts issued (<c>iat</c>) before this time are not trusted, nor is any artifact verified before it (optional).
    /// </summary>
    public DateTimeOffset? NotBefore { get; init; }

    /// <summary>
    /// No artifact is trusted after this time, nor one issued (<c>iat</c>) after it (optional); use it to retire a key
    /// during rotation.
    /// </summary>
    public DateTimeOffset? NotAfter { get; init; }

    internal AsymmetricAlgorithm Key
    {
        get
        {
            ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
            return _key;
        }
    }

    /// <summary>Loads an SPKI public key from PEM text.</summary>
    /// <param name="pem">The PEM text (<c>PUBLIC KEY</c>).</param>
    /// <param name="algorithm">The algorithm to pin; by default the one the key's type and curve imply (PS256 for RSA).</param>
    /// <param name="keyId">The key id; by default the RFC 7638 JWK thumbprint.</param>
    /// <returns>The trusted key.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="pem"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">The PEM holds no supported public key, or the key does not fit the algorithm.</exception>
    public static TrustedKey FromPem(string pem, ArtifactAlgorithm? algorithm = null, string? keyId = null)
    {
        ArgumentNullException.ThrowIfNull(pem);
        AsymmetricAlgorithm? key = null;
        try
        {
            var ec = ECDsa.Create();
            try
            {
                ec.ImportFromPem(pem);
                key = ec;
            }
            catch (CryptographicException)
            {
                ec.Dispose();
                var rsa = RSA.Create();
                try
                {
                    rsa.ImportFromPem(pem);
                    key = rsa;
                }
                catch (CryptographicException ex)
                {
                    rsa.Dispose();
                    throw new ArgumentException("The PEM text holds no supported public key (SPKI EC P-256/384/521 or RSA).", nameof(pem), ex);
                }
            }

            var pinned = algorithm ?? (key is ECDsa e ? KeyMaterial.AlgorithmFor(e) : ArtifactAlgorithm.PS256);
            return new TrustedKey(key, pinned, keyId);
        }
        catch
        {
            key?.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Loads a public key from a JSON Web Key (RFC 7517): EC P-256, P-384, P-521 or RSA. The algorithm is the JWK's
    /// <c>alg</c> when present (it must be ES256, ES384, ES512 or PS256 and fit the key), otherwise the one the curve
    /// implies (PS256 for RSA). Private members, if any, are dropped.
    /// </summary>
    /// <param name="json">The JWK.</param>
    /// <param name="keyId">The key id; by default the JWK's <c>kid</c>, else the RFC 7638 thumbprint.</param>
    /// <returns>The trusted key.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="json"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">The JSON is not a supported JWK, or its <c>alg</c> or <c>use</c> does not allow artifact signatures.</exception>
    public static TrustedKey FromJwk(string json, string? keyId = null)
    {
        ArgumentNullException.ThrowIfNull(json);
        return FromParsed(JsonWebKeys.ParseKey(json, requirePrivate: false), keyId);
    }

    /// <summary>Loads every key of a JWK Set (<c>{"keys": [...]}</c>), as <see cref="FromJwk"/> does for one.</summary>
    /// <param name="json">The JWK Set.</param>
    /// <returns>The trusted keys, owned by the caller.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="json"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">The JSON is not a JWK Set, or one of its keys is not supported.</exception>
    public static IReadOnlyList<TrustedKey> FromJwkSet(string json)
    {
        ArgumentNullException.ThrowIfNull(json);
        var parsed = JsonWebKeys.ParseSet(json);
        var keys = new List<TrustedKey>(parsed.Count);
        foreach (var key in parsed)
        {
            keys.Add(FromParsed(key, null));
        }

        return keys;
    }

    /// <summary>
    /// Trusts the public key of an X.509 certificate, for the certificate's validity period. The certificate's chain is
    /// not built or checked here: trust is by explicit configuration, as for any other key.
    /// </summary>
    /// <param name="certificate">The certificate (EC P-256/384/521 or RSA).</param>
    /// <param name="algorithm">The algorithm to pin; by default the one the key implies.</param>
    /// <param name="keyId">The key id; by default the RFC 7638 thumbprint of the public key.</param>
    /// <returns>The trusted key.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="certificate"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">The certificate's key is not supported or does not fit the algorithm.</exception>
    public static TrustedKey FromCertificate(X509Certificate2 certificate, ArtifactAlgorithm? algorithm = null, string? keyId = null)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        AsymmetricAlgorithm key = (AsymmetricAlgorithm?)certificate.GetECDsaPublicKey() ?? certificate.GetRSAPublicKey()
            ?? throw new ArgumentException("The certificate's key is neither EC nor RSA.", nameof(certificate));
        try
        {
            var pinned = algorithm ?? (key is ECDsa e ? KeyMaterial.AlgorithmFor(e) : ArtifactAlgorithm.PS256);
            return new TrustedKey(key, pinned, keyId)
            {
                NotBefore = new DateTimeOffset(certificate.NotBefore.ToUniversalTime(), TimeSpan.Zero),
                NotAfter = new DateTimeOffset(certificate.NotAfter.ToUniversalTime(), TimeSpan.Zero),
            };
        }
        catch
        {
            key.Dispose();
            throw;
        }
    }

    /// <summary>Trusts the public key of an X.509 certificate given as PEM (<c>CERTIFICATE</c>) or DER bytes.</summary>
    /// <param name="certificate">The encoded certificate.</param>
    /// <param name="algorithm">The algorithm to pin; by default the one the key implies.</param>
    /// <param name="keyId">The key id; by default the RFC 7638 thumbprint of the public key.</param>
    /// <returns>The trusted key.</returns>
    /// <exception cref="ArgumentException">The bytes are not a certificate, or its key is not supported.</exception>
    public static TrustedKey FromCertificate(ReadOnlySpan<byte> certificate, ArtifactAlgorithm? algorithm = null, string? keyId = null)
    {
        X509Certificate2 loaded;
        try
        {
            var text = System.Text.Encoding.ASCII.GetString(certificate.Length > 64 ? certificate[..64] : certificate);
            loaded = text.Contains("-----BEGIN", StringComparison.Ordinal)
                ? X509Certificate2.CreateFromPem(System.Text.Encoding.ASCII.GetString(certificate))
                : X509CertificateLoader.LoadCertificate(certificate);
        }
        catch (CryptographicException ex)
        {
            throw new ArgumentException("The bytes are not an X.509 certificate in PEM or DER.", nameof(certificate), ex);
        }

        using (loaded)
        {
            return FromCertificate(loaded, algorithm, keyId);
        }
    }

    /// <summary>
    /// Wraps an ECDSA public key; the result owns it (and disposes it). Artifacts are verified with a copy of its public
    /// part taken now, so that importing another key into <paramref name="key"/> later changes nothing.
    /// </summary>
    /// <param name="key">The key.</param>
    /// <param name="algorithm">The algorithm to pin; by default the one the curve implies.</param>
    /// <param name="keyId">The key id; by default the RFC 7638 JWK thumbprint.</param>
    /// <returns>The trusted key.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="key"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">The key does not fit the algorithm.</exception>
    public static TrustedKey FromECDsa(ECDsa key, ArtifactAlgorithm? algorithm = null, string? keyId = null)
    {
        ArgumentNullException.ThrowIfNull(key);
        return new TrustedKey(key, algorithm ?? KeyMaterial.AlgorithmFor(key), keyId);
    }

    /// <summary>
    /// Wraps an RSA public key, pinned to PS256; the result owns it (and disposes it). Artifacts are verified with a copy
    /// of its public part taken now, so that importing another key into <paramref name="key"/> later changes nothing.
    /// </summary>
    /// <param name="key">The key.</param>
    /// <param name="keyId">The key id; by default the RFC 7638 JWK thumbprint.</param>
    /// <returns>The trusted key.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="key"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">The key is smaller than 2048 bits.</exception>
    public static TrustedKey FromRsa(RSA key, string? keyId = null)
    {
        ArgumentNullException.ThrowIfNull(key);
        return new TrustedKey(key, ArtifactAlgorithm.PS256, keyId);
    }

    /// <summary>Exports the public key as SPKI PEM.</summary>
    /// <returns>The PEM text.</returns>
    /// <exception cref="ObjectDisposedException">The key was disposed.</exception>
    public string ExportPublicKeyPem() => Key.ExportSubjectPublicKeyInfoPem();

    /// <summary>
    /// A copy of this key (same key id and algorithm, its own copy of the public key) trusted only from
    /// <paramref name="notBefore"/> to <paramref name="notAfter"/>: how a retiring or future key is configured during rotation.
    /// </summary>
    /// <param name="notBefore">Not trusted before this time; <see langword="null"/> for no start.</param>
    /// <param name="notAfter">Not trusted after this time; <see langword="null"/> for no end.</param>
    /// <returns>A new trusted key, owned by the caller.</returns>
    /// <exception cref="ArgumentException"><paramref name="notAfter"/> is before <paramref name="notBefore"/>.</exception>
    /// <exception cref="ObjectDisposedException">The key was disposed.</exception>
    public TrustedKey WithValidity(DateTimeOffset? notBefore, DateTimeOffset? notAfter)
    {
        if (notBefore is not null && notAfter is not null && notAfter < notBefore)
        {
            throw new ArgumentException("The validity period ends before it starts.", nameof(notAfter));
        }

        AsymmetricAlgorithm copy = Key switch
        {
            ECDsa ec => ECDsa.Create(ec.ExportParameters(false)),
            RSA rsa => RSA.Create(rsa.ExportParameters(false)),
            _ => throw new InvalidOperationException("Unsupported key type."),
        };
        return new TrustedKey(copy, Algorithm, KeyId) { NotBefore = notBefore, NotAfter = notAfter };
    }

    private static TrustedKey FromParsed(JsonWebKeys.Parsed parsed, string? keyId)
    {
        var key = parsed.Key;
        if (parsed.IsPrivate)
        {
            // Keep only the public half.
            using var full = key;
            key = full switch
            {
                ECDsa ec => ECDsa.Create(ec.ExportParameters(false)),
                RSA rsa => RSA.Create(rsa.ExportParameters(false)),
                _ => throw new ArgumentException("Unsupported key type.", nameof(keyId)),
            };
        }

        try
        {
            return new TrustedKey(key, parsed.Algorithm, keyId ?? parsed.KeyId);
        }
        catch
        {
            key.Dispose();
            throw;
        }
    }

    /// <summary>Whether <paramref name="time"/> is inside the validity period (bounds included); the verifier asks it of both the time of verification and the artifact's issue time.</summary>
    /// <param name="time">The time of use, or the issue time.</param>
    /// <returns><see langword="true"/> inside the validity period.</returns>
    public bool IsValidAt(DateTimeOffset time) => (NotBefore is null || time >= NotBefore) && (NotAfter is null || time <= NotAfter);

    /// <inheritdoc />
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            _key.Dispose();
            _given.Dispose();
        }
    }

    private static AsymmetricAlgorithm PublicCopy(AsymmetricAlgorithm key) => key switch
    {
        ECDsa ec => ECDsa.Create(ec.ExportParameters(false)),
        RSA rsa => RSA.Create(rsa.ExportParameters(false)),
        _ => throw new ArgumentException("Unsupported key type.", nameof(key)),
    };

    /// <summary>The key id and algorithm; never key material.</summary>
    public override string ToString() => $"TrustedKey {{ KeyId = {KeyId}, Algorithm = {Algorithm} }}";
}
