namespace GovernedExecution.Artifacts;

/// <summary>The signature algorithms an artifact may use; the values are the COSE algorithm identifiers (RFC 9053).</summary>
public enum ArtifactAlgorithm
{
    /// <summary>ECDSA on P-256 with SHA-256; the default.</summary>
    ES256 = -7,

    /// <summary>ECDSA on P-384 with SHA-384.</summary>
    ES384 = -35,

    /// <summary>ECDSA on P-521 with SHA-512.</summary>
    ES512 = -36,

    /// <summary>RSASSA-PSS with SHA-256 (RSA keys of at least 2048 bits).</summary>
    PS256 = -37,
}
