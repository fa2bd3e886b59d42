using GovernedExecution.Intents;

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

    /// <summary>Creates a context for the intent about to run: its digest is computed here, and a delegated scope is checked against it.</summary>
    /// <param name="intent">The intent about to run.</param>
    /// <param name="audience">This runtime's audience name.</param>
    /// <exception cref="ArgumentNullException"><paramref name="intent"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">The audience is empty.</exception>
    public ArtifactVerificationContext(ExecutionIntent intent, string audience)
        : this(IntentEncoding.Digest(intent ?? throw new ArgumentNullException(nameof(intent))), audience)
    {
        Intent = intent;
    }

    internal ArtifactVerificationContext(ReadOnlyMemory<byte> intentDigest, string audience, ExecutionIntent intent)
        : this(intentDigest, audience)
    {
        Intent = intent;
    }

    /// <summary>The intent about to run, when known: an artifact with a delegated scope must cover its action and resource.</summary>
    public ExecutionIntent? Intent { get; }

    /// <summary>
    /// Artifacts this runtime already holds (for example the verified artifact of the execution a child runs inside):
    /// a delegated artifact's parent is looked up here when it is not presented along with it.
    /// </summary>
    public IReadOnlyList<AuthorizationArtifact> KnownArtifacts { get; init; } = [];

    /// <summary>Whether the artifact is already running and checked again: its single use is not spent a second time.</summary>
    internal bool Recheck { get; init; }

    /// <summary>The digest of the intent about to run.</summary>
    public ReadOnlyMemory<byte> IntentDigest { get; }

    /// <summary>This runtime's audience name.</summary>
    public string Audience { get; }

    /// <summary>
    /// When set, the artifact's policy-set digest must equal it (the policies in force here); <see langword="null"/>
    /// accepts any policy set.
    /// </summary>
    /// <exception cref="ArgumentException">The value is empty or white space (it would match an artifact without a digest).</exception>
    public string? AcceptedPolicySetDigest
    {
        get;
        init => field = value is null || !string.IsNullOrWhiteSpace(value)
            ? value
            : throw new ArgumentException("An accepted policy-set digest cannot be empty.", nameof(AcceptedPolicySetDigest));
    }
}
