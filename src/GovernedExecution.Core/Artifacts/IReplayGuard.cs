namespace GovernedExecution.Artifacts;

/// <summary>Remembers used artifact token ids (never signature bytes: ECDSA signatures are malleable).</summary>
public interface IReplayGuard
{
    /// <summary>Marks a token id used, unless it already was.</summary>
    /// <param name="tokenId">The artifact's token id.</param>
    /// <param name="expiresAt">
    /// The last instant the verifier accepts the artifact (its expiry plus the clock skew); the id may be forgotten after it,
    /// never before.
    /// </param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns><see langword="true"/> when this is the first use; <see langword="false"/> for a replay.</returns>
    ValueTask<bool> TryConsumeAsync(Guid tokenId, DateTimeOffset expiresAt, CancellationToken cancellationToken);
}
