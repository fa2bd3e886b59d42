using GovernedExecution.Artifacts;

namespace GovernedExecution.Execution;

/// <summary>Options of a governed executor. Validated when the executor is built; every default is the safe one.</summary>
public sealed class GovernedExecutionOptions
{
    /// <summary>This runtime's audience name: artifacts must be minted for it. Required.</summary>
    public string Audience { get; set; } = string.Empty;

    /// <summary>
    /// Whether this executor only runs artifacts minted elsewhere: it holds trusted public keys and no signing key,
    /// and refuses to mint. False by default, and then a signing key and policies are required at start.
    /// </summary>
    public bool VerifyOnly { get; set; }

    /// <summary>The issuer name written to minted artifacts.</summary>
    public string Issuer { get; set; } = "governed-execution";

    /// <summary>
    /// The lifetime of minted artifacts (60 seconds by default; from 1 second to <see cref="MaxArtifactLifetime"/>; whole
    /// seconds, rounded down). A <c>ttl</c> obligation can shorten it.
    /// </summary>
    public TimeSpan ArtifactLifetime { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>
    /// The longest lifetime (exp - iat) of an artifact this runtime runs, wherever it was minted (1 hour by default, and
    /// at most 1 hour; at least 1 second). A longer-lived artifact is refused as <c>Expired</c>.
    /// </summary>
    public TimeSpan MaxArtifactLifetime { get; set; } = TimeSpan.FromHours(1);

    /// <summary>The clock skew tolerated when checking validity windows (30 seconds by default; at most 5 minutes).</summary>
    public TimeSpan ClockSkew { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long a dependency (evaluator, key provider, key store, replay guard, sink) may take before the execution is denied (5 seconds by default).</summary>
    public TimeSpan DependencyTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>How long to wait for a human approval (<c>@requires_approval</c>) before denying (2 minutes by default; at most 1 hour).</summary>
    public TimeSpan ApprovalTimeout { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>
    /// Whether <see cref="GovernedContext.EnsureAuthorizedAsync"/> also has the policies in force decide the intent again
    /// (true by default); when false it checks the artifact, its key and the host's revocations only.
    /// </summary>
    public bool EnsureAuthorizedEvaluatesPolicy { get; set; } = true;

    /// <summary>
    /// How minted artifacts are signed: <see cref="ArtifactSigningMode.PerArtifact"/> (the default: one signature per
    /// artifact, which every verifier of the format accepts) or <see cref="ArtifactSigningMode.Batched"/> (one signature
    /// per batch of concurrent artifacts, each carrying its Merkle inclusion proof; verifiers of this version or later).
    /// Verification accepts both whatever this says.
    /// </summary>
    public ArtifactSigningMode ArtifactSigning { get; set; } = ArtifactSigningMode.PerArtifact;

    /// <summary>The algorithms artifacts may be signed with. ES256 only by default; ES384, ES512 and PS256 may be added.</summary>
    public ISet<ArtifactAlgorithm> AllowedAlgorithms { get; } = new HashSet<ArtifactAlgorithm> { ArtifactAlgorithm.ES256 };

    /// <summary>What lineage records beyond its defaults (<see cref="Lineage.LineageOptions"/>).</summary>
    public Lineage.LineageOptions Lineage { get; } = new();

    /// <summary>Checks the options and returns every failure at once (empty when valid).</summary>
    /// <returns>The failures.</returns>
    internal List<string> Validate()
    {
        var failures = new List<string>();
        if (string.IsNullOrWhiteSpace(Audience))
        {
            failures.Add("Audience is required: it names this runtime, and artifacts are only accepted for it.");
        }

        if (string.IsNullOrWhiteSpace(Issuer))
        {
            failures.Add("Issuer cannot be empty.");
        }

        if (MaxArtifactLifetime < TimeSpan.FromSeconds(1) || MaxArtifactLifetime > Artifacts.ArtifactLifetime.Maximum)
        {
            failures.Add("MaxArtifactLifetime must be between 1 second and 1 hour.");
        }

        if (ArtifactLifetime < TimeSpan.FromSeconds(1) || ArtifactLifetime > Artifacts.ArtifactLifetime.Maximum)
        {
            failures.Add("ArtifactLifetime must be between 1 second and 1 hour.");
        }
        else if (!VerifyOnly && ArtifactLifetime > MaxArtifactLifetime)
        {
            failures.Add("ArtifactLifetime cannot exceed MaxArtifactLifetime: this runtime would refuse the artifacts it mints.");
        }

        if (ClockSkew < TimeSpan.Zero || ClockSkew > TimeSpan.FromMinutes(5))
        {
            failures.Add("ClockSkew must be between 0 and 5 minutes.");
        }

        if (DependencyTimeout <= TimeSpan.Zero || DependencyTimeout > TimeSpan.FromMinutes(5))
        {
            failures.Add("DependencyTimeout must be positive and at most 5 minutes.");
        }

        if (ApprovalTimeout <= TimeSpan.Zero || ApprovalTimeout > TimeSpan.FromHours(1))
        {
            failures.Add("ApprovalTimeout must be positive and at most 1 hour.");
        }

        if (!Enum.IsDefined(ArtifactSigning))
        {
            failures.Add("ArtifactSigning must be PerArtifact or Batched.");
        }

        if (AllowedAlgorithms.Count == 0)
        {
            failures.Add("AllowedAlgorithms cannot be empty.");
        }

        foreach (var algorithm in AllowedAlgorithms)
        {
            if (!Enum.IsDefined(algorithm))
            {
                failures.Add($"Algorithm {(int)algorithm} is not supported.");
            }
        }

        return failures;
    }
}
