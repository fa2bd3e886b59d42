using System.Security.Cryptography;

namespace GovernedExecution.Artifacts;

/// <summary>
/// An encoded authorization artifact: a tagged COSE_Sign1 message whose payload binds a policy decision to the digest
/// of one intent (format in docs/artifact-format.md). Holding one proves nothing until it is verified.
/// </summary>
public sealed class AuthorizationArtifact
{
    private readonly byte[] _encoded;
    private string? _digest;

    private AuthorizationArtifact(byte[] encoded, AuthorizationArtifact? parent)
    {
        _encoded = encoded;
        Parent = parent;
    }

    /// <summary>The encoded COSE_Sign1 message.</summary>
    public ReadOnlyMemory<byte> Encoded => _encoded;

    /// <summary>
    /// The parent artifact presented along with this one, for a delegated artifact (section 5 of the format); it is
    /// not part of <see cref="Encoded"/> and proves nothing until verified with the child.
    /// </summary>
    public AuthorizationArtifact? Parent { get; }

    /// <summary>Presents <paramref name="parent"/> along with this artifact (a copy of this one that refers to it).</summary>
    /// <param name="parent">The artifact this one was delegated from.</param>
    /// <returns>The artifact with its parent.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="parent"/> is <see langword="null"/>.</exception>
    public AuthorizationArtifact WithParent(AuthorizationArtifact parent)
    {
        ArgumentNullException.ThrowIfNull(parent);
        return new AuthorizationArtifact(_encoded, parent);
    }

    /// <summary>Wraps encoded bytes (copied). Nothing is checked here: verification does that.</summary>
    /// <param name="encoded">The COSE_Sign1 bytes.</param>
    /// <returns>The artifact.</returns>
    /// <exception cref="ArgumentException"><paramref name="encoded"/> is empty.</exception>
    public static AuthorizationArtifact FromBytes(ReadOnlySpan<byte> encoded)
    {
        if (encoded.IsEmpty)
        {
            throw new ArgumentException("An artifact cannot be empty.", nameof(encoded));
        }

        return new AuthorizationArtifact(encoded.ToArray(), null);
    }

    /// <summary>The SHA-256 digest of the encoded artifact, as lowercase hex (how lineage and child artifacts refer to it).</summary>
    /// <returns>The digest.</returns>
    public string ComputeDigest() => _digest ??= Convert.ToHexStringLower(ComputeDigestBytes());

    internal static AuthorizationArtifact Wrap(byte[] encoded) => new(encoded, null);

    internal byte[] ComputeDigestBytes()
    {
        var digest = new byte[SHA256.HashSizeInBytes];
        Internal.Sha256.Hash(_encoded, digest);
        return digest;
    }

    /// <summary>The size and digest; never the content.</summary>
    public override string ToString() => $"AuthorizationArtifact {{ Length = {_encoded.Length}, Digest = {ComputeDigest()} }}";
}
