namespace GovernedExecution.Artifacts;

/// <summary>What an artifact is verified against: the intent about to run and the runtime it runs in.</summary>
public sealed class ArtifactVerificationContext
{
    /// <summary>Creates a context.</summary>
    /// <param name="intentDigest">The SHA-256 digest of the intent about to run (recomputed, never taken from the artifact).</param>
    /// <param name="audience">This runtime's audience name.</param>
    /// <exception cref="ArgumentException">The digest is not 32 bytes or the audience is empty.</exception>
    public ArtifactVerificationContext(ReadOnlyMemory<byte> intentDigest, string audience)
    {
        if (intentDigest.Length != 32)
        {
            throw new ArgumentException("An intent digest is 32 bytes (SHA-256).", nameof(intentDigest));
        }

        ArgumentException.ThrowIfNullOrEmpty(audience);
        IntentDigest = intentDigest;
        Audience = audience;
    }

    /// <summary>The digest of the intent about to run.</summary>
    public ReadOnlyMemory<byte> IntentDigest { get; }

    /// <summary>This runtime's audience name.</summary>
    public string Audience { get; }

    /// <summary>When set, the artifact's policy-set digest must equal it (the policies in force here).</summary>
    public string? AcceptedPolicySetDigest { get; init; }
}
