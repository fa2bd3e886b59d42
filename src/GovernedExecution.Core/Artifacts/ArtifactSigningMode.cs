namespace GovernedExecution.Artifacts;

/// <summary>How an issuer signs the artifacts it mints (docs/artifact-format.md, sections 1 and 8).</summary>
public enum ArtifactSigningMode
{
    /// <summary>
    /// One signature per artifact, over its own claims: every COSE_Sign1 verifier that knows the format checks it. The
    /// default.
    /// </summary>
    PerArtifact = 0,

    /// <summary>
    /// One signature per batch of artifacts minted concurrently: the signature covers the root of a Merkle tree over
    /// the batch's claims, and each artifact carries its own inclusion proof, so that each still verifies alone. A lone
    /// caller is signed at once; callers that arrive while a signature is being computed share the next one.
    /// </summary>
    Batched = 1,
}
