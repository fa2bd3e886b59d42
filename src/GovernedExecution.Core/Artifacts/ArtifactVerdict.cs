namespace GovernedExecution.Artifacts;

/// <summary>The verdict of artifact verification. The default, <see cref="NotVerified"/>, does not let anything run.</summary>
public enum ArtifactVerdict
{
    /// <summary>No verification has completed.</summary>
    NotVerified = 0,

    /// <summary>Every check passed; the only verdict that lets the delegate run.</summary>
    Verified = 1,

    /// <summary>The key is unknown, revoked, or outside its validity period.</summary>
    Untrusted = 2,

    /// <summary>Malformed, wrong tag, bad signature, or an algorithm not allowed or not matching the key.</summary>
    Invalid = 3,

    /// <summary>A claim fails: expired, not yet valid, audience, intent, policy set, replay, scope, obligation.</summary>
    Rejected = 4,

    /// <summary>An input needed to decide is missing (for example no artifact, or the key store failed).</summary>
    CannotEvaluate = 5,
}
