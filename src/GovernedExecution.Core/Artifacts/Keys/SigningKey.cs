using System.Security.Cryptography;

namespace GovernedExecution.Artifacts.Keys;

/// <summary>
/// A private key that signs authorization artifacts, with its key id and pinned algorithm. Disposable; its
/// <see cref="ToString"/> shows the key id and algorithm, never key material.
/// </summary>
public sealed class SigningKey : IDisposable
{
    private readonly AsymmetricAlgorithm _key;
    private int _disposed;

    private SigningKey(AsymmetricAlgorithm key, ArtifactAlgorithm algorithm, string? keyId)
    {
        KeyMaterial.EnsureMatches(key, algorithm);
        KeyMaterial.EnsureCanSign(key);
        _key = key;
        Algorithm = algorithm;
        KeyId = keyId ?? KeyMaterial.Thumbprint(key);
        if (KeyId.Length == 0)
        {
            throw new ArgumentException("A key id cannot be empty.", nameof(keyId));
        }
    }

    /// <summary>The key id written to the artifact's protected header; by default the RFC 7638 JWK thumbprint.</summary>
    public string KeyId { get; }

    /// <summary>The algorithm this key signs with.</summary>
    public ArtifactAlgorithm Algorithm { get; }

    internal AsymmetricAlgorithm Key
    {
        get
        {
            ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
            return _key;
        }
    }

    /// <summary>Generates a new key for the algorithm.</summary>
    /// <param name="algorithm">The algorithm; ES256 by default.</param>
    /// <returns>The new key, owned by the caller.</returns>
    /// <exception cref="ArgumentOutOfRangeException">The algorithm is not supported.</exception>
    public static SigningKey Generate(ArtifactAlgorithm algorithm = ArtifactAlgorithm.ES256)
    {
        AsymmetricAlgorithm key = algorithm switch
        {
            ArtifactAlgorithm.ES256 => ECDsa.Create(ECCurve.NamedCurves.nistP256),
            ArtifactAlgorithm.ES384 => ECDsa.Create(ECCurve.NamedCurves.nistP384),
            ArtifactAlgorithm.ES512 => ECDsa.Create(ECCurve.NamedCurves.nistP521),
            ArtifactAlgorithm.PS256 => RSA.Create(3072),
            _ => throw new ArgumentOutOfRangeException(nameof(algorithm), algorithm, "Unsupported algorithm."),
        };
        return new SigningKey(key, algorithm, null);
    }

    /// <summary>Wraps an ECDSA private key; the algorithm follows from the curve. The key is owned by the result.</summary>
    /// <param name="key">A P-256, P-384 or P-521 private key.</param>
    /// <param name="keyId">The key id; by default the RFC 7638 JWK thumbprint.</param>
    /// <returns>The signing key.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="key"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">The curve is not supported, the key has no private part, or the key id is empty.</exception>
    public static SigningKey FromECDsa(ECDsa key, string? keyId = null)
    {
        ArgumentNullException.ThrowIfNull(key);
        return new SigningKey(key, KeyMaterial.AlgorithmFor(key), keyId);
    }

    /// <summary>Wraps an RSA private key for PS256. The key is owned by the result.</summary>
    /// <param name="key">An RSA private key of at least 2048 bits.</param>
    /// <param name="keyId">The key id; by default the RFC 7638 JWK thumbprint.</param>
    /// <returns>The signing key.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="key"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">The key is too small, has no private part, or the key id is empty.</exception>
    public static SigningKey FromRsa(RSA key, string? keyId = null)
    {
        ArgumentNullException.ThrowIfNull(key);
        return new SigningKey(key, ArtifactAlgorithm.PS256, keyId);
    }

    /// <summary>Loads a PKCS#8 (or SEC1 / PKCS#1) private key from PEM text.</summary>
    /// <param name="pem">The PEM text.</param>
    /// <param name="keyId">The key id; by default the RFC 7638 JWK thumbprint.</param>
    /// <returns>The signing key.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="pem"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">The PEM holds no supported private key (a public key or certificate is refused).</exception>
    public static SigningKey FromPem(string pem, string? keyId = null)
    {
        ArgumentNullException.ThrowIfNull(pem);
        if (pem.Contains("RSA PRIVATE KEY", StringComparison.Ordinal) || LooksLikeRsaPkcs8(pem))
        {
            var rsa = RSA.Create();
            try
            {
                rsa.ImportFromPem(pem);
                return FromRsa(rsa, keyId);
            }
            catch
            {
                rsa.Dispose();
                throw;
            }
        }

        var ec = ECDsa.Create();
        try
        {
            ec.ImportFromPem(pem);
            return FromECDsa(ec, keyId);
        }
        catch (CryptographicException ex)
        {
            ec.Dispose();
            throw new ArgumentException("The PEM text holds no supported private key (PKCS#8 EC P-256/384/521 or RSA).", nameof(pem), ex);
        }
        catch
        {
            ec.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Loads a private key from a JSON Web Key (RFC 7517): EC P-256, P-384, P-521 (with <c>d</c>) or RSA (with <c>d</c>
    /// and the CRT parameters). The algorithm is the JWK's <c>alg</c> when present, otherwise the one the key implies.
    /// </summary>
    /// <param name="json">The JWK.</param>
    /// <param name="keyId">The key id; by default the JWK's <c>kid</c>, else the RFC 7638 thumbprint.</param>
    /// <returns>The signing key.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="json"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">The JSON is not a supported private JWK.</exception>
    public static SigningKey FromJwk(string json, string? keyId = null)
    {
        ArgumentNullException.ThrowIfNull(json);
        var parsed = JsonWebKeys.ParseKey(json, requirePrivate: true);
        try
        {
            return new SigningKey(parsed.Key, parsed.Algorithm, keyId ?? parsed.KeyId);
        }
        catch
        {
            parsed.Key.Dispose();
            throw;
        }
    }

    /// <summary>Exports the private key as PKCS#8 PEM. Export is explicit: nothing else reveals key material.</summary>
    /// <returns>The PEM text.</returns>
    /// <exception cref="ObjectDisposedException">The key was disposed.</exception>
    public string ExportPrivateKeyPem() => Key.ExportPkcs8PrivateKeyPem();

    /// <summary>
    /// Exports the private key as PKCS#8 PEM into a file readable and writable by its owner only (mode 0600 on Unix;
    /// on Windows the file takes its folder's permissions). The key is written to a new file in the same folder, flushed
    /// to disk, then renamed to <paramref name="path"/> in one step: an existing file at <paramref name="path"/> is
    /// replaced, never written into (its permissions and whoever holds it open never see the key), a link there is
    /// replaced rather than followed, and a failed write leaves <paramref name="path"/> as it was.
    /// </summary>
    /// <param name="path">The file to write.</param>
    /// <param name="overwrite">Whether an existing file or link at <paramref name="path"/> may be replaced.</param>
    /// <exception cref="ArgumentException"><paramref name="path"/> is empty.</exception>
    /// <exception cref="IOException"><paramref name="path"/> exists and <paramref name="overwrite"/> is false, or the file cannot be written.</exception>
    /// <exception cref="UnauthorizedAccessException">The folder cannot be written.</exception>
    /// <exception cref="ObjectDisposedException">The key was disposed.</exception>
    public void ExportPrivateKeyPemToFile(string path, bool overwrite = false)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var der = Key.ExportPkcs8PrivateKey();
        var pem = PemEncoding.Write("PRIVATE KEY", der);
        var bytes = new byte[System.Text.Encoding.ASCII.GetByteCount(pem) + 1];
        try
        {
            System.Text.Encoding.ASCII.GetBytes(pem, bytes);
            bytes[^1] = (byte)'\n';
            Internal.AtomicFile.Write(path, bytes, Internal.AtomicFile.OwnerOnly, overwrite);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(der);
            CryptographicOperations.ZeroMemory(bytes);
            Array.Clear(pem);
        }
    }

    /// <summary>The public half as a <see cref="TrustedKey"/> with the same key id and algorithm.</summary>
    /// <returns>A new trusted key, owned by the caller.</returns>
    /// <exception cref="ObjectDisposedException">The key was disposed.</exception>
    public TrustedKey ToTrustedKey() => TrustedKey.FromPem(Key.ExportSubjectPublicKeyInfoPem(), Algorithm, KeyId);

    /// <inheritdoc />
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            _key.Dispose();
        }
    }

    /// <summary>The key id and algorithm; never key material.</summary>
    public override string ToString() => $"SigningKey {{ KeyId = {KeyId}, Algorithm = {Algorithm} }}";

    private static bool LooksLikeRsaPkcs8(string pem)
    {
        if (!PemEncoding.TryFind(pem, out var fields) || !pem.AsSpan(fields.Label).SequenceEqual("PRIVATE KEY"))
        {
            return false;
        }

        try
        {
            var der = Convert.FromBase64String(pem[fields.Base64Data]);
            var info = Pkcs8PrivateKeyInfoOid(der);
            return info == "1.2.840.113549.1.1.1" || info == "1.2.840.113549.1.1.10";
        }
        catch (FormatException)
        {
            return false;
        }
    }

    private static string? Pkcs8PrivateKeyInfoOid(byte[] der)
    {
        try
        {
            var reader = new System.Formats.Asn1.AsnReader(der, System.Formats.Asn1.AsnEncodingRules.DER);
            var sequence = reader.ReadSequence();
            sequence.ReadInteger();
            var algorithm = sequence.ReadSequence();
            return algorithm.ReadObjectIdentifier();
        }
        catch (System.Formats.Asn1.AsnContentException)
        {
            return null;
        }
    }
}
