namespace GovernedExecution.Artifacts;

/// <summary>Constants of the artifact format (docs/artifact-format.md).</summary>
internal static class ArtifactFormat
{
    internal const string ContentType = "application/vnd.governed-execution.artifact+cbor";

    // CWT claims (RFC 8392).
    internal const int Iss = 1;
    internal const int Sub = 2;
    internal const int Aud = 3;
    internal const int Exp = 4;
    internal const int Nbf = 5;
    internal const int Iat = 6;
    internal const int Cti = 7;

    // Private claims (RFC 8392 private-use range: below -65536).
    internal const int IntentDigest = -65537;
    internal const int Decision = -65538;
    internal const int PolicySetDigest = -65539;
    internal const int DeterminingPolicies = -65540;
    internal const int Obligations = -65541;
    internal const int ParentArtifact = -65542;
    internal const int Scope = -65543;
    internal const int Approvals = -65544;

    /// <summary>Claims every artifact carries: iss to cti, then the intent digest to the obligations.</summary>
    internal const int RequiredClaims = 12;

    /// <summary>Every claim the format defines: the required ones, the parent digest, the scope and the approvals.</summary>
    internal const int MaxClaims = RequiredClaims + 3;

    // Keys of the scope map, in deterministic order (shorter encodings first).
    internal const string ScopeActions = "actions";
    internal const string ScopeResources = "resources";
    internal const string ScopePrincipals = "principals";

    /// <summary>How many parents a delegated artifact may have above it.</summary>
    internal const int MaxChainDepth = 8;
}
