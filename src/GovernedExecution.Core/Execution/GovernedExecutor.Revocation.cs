using GovernedExecution.Artifacts;
using GovernedExecution.Intents;
using GovernedExecution.Policies;

namespace GovernedExecution.Execution;

// The executor's side of authorization-bound cancellation (docs/architecture.md): the host's revocations, the policies
// decided again, and GovernedContext.EnsureAuthorizedAsync.
internal sealed partial class GovernedExecutor
{
    /// <summary>The host's revocation of this execution, its parent or its key, as the cause it amounts to; null when none.</summary>
    private async ValueTask<RevocationCause?> FindRevocationAsync(GovernedContext context, CancellationToken cancellationToken)
    {
        if (_monitor?.Source is not { } source)
        {
            return null;
        }

        var keyId = context.Claims.KeyId;
        var notice = await GuardAsync(source.CheckAsync(context.ExecutionId, keyId, cancellationToken), cancellationToken).ConfigureAwait(false);
        if (notice is null && context.ParentExecutionId is { } parentId)
        {
            notice = await GuardAsync(source.CheckAsync(parentId, keyId, cancellationToken), cancellationToken).ConfigureAwait(false);
        }

        return notice switch
        {
            null => null,
            { KeyId: not null } => RevocationCause.KeyRevoked,
            _ when notice.ExecutionId == context.ExecutionId => RevocationCause.ExecutionRevoked,
            _ => RevocationCause.ParentEnded,
        };
    }

    /// <summary>The policies in force decide a running operation's intent again (after a reload).</summary>
    private async ValueTask<PolicyDecision?> ReevaluateAsync(ExecutionIntent intent)
    {
        if ((_evaluator ?? _policySet) is not { } policies)
        {
            return null;
        }

        return await GuardAsync(policies.EvaluateAsync(intent, _time.GetUtcNow(), CancellationToken.None), CancellationToken.None).ConfigureAwait(false);
    }

    /// <summary>The operations the monitor watches now (0 without one): nothing stays registered after a call.</summary>
    internal int LiveBounds => _monitor?.Count ?? 0;

    internal async ValueTask EnsureAuthorizedAsync(GovernedContext context, CancellationToken cancellationToken)
    {
        var denial = await CheckAuthorizationAsync(context, cancellationToken).ConfigureAwait(false);
        if (denial is not null)
        {
            // What the check found ends the authorization for the operation's token too, with the same cause.
            context.Bound?.TryRevoke(RevocationCause.FromCheck(denial));
            throw new ExecutionDeniedException(denial);
        }
    }

    private async ValueTask<ExecutionDenial?> CheckAuthorizationAsync(GovernedContext context, CancellationToken cancellationToken)
    {
        var id = context.ExecutionId;
        if (context.Bound?.Cause is { } ended)
        {
            return ended.ToDenial(id, context.Decision);
        }

        if (context.HasEnded)
        {
            return new ExecutionDenial(DenialReason.Revoked, "the execution has ended: its authorization no longer holds", id, context.Decision);
        }

        var phase = "verifier";
        try
        {
            var verification = new ArtifactVerificationContext(IntentEncoding.Digest(context.Intent), _audience, context.Intent) { Recheck = true };
            var result = await _verifier.VerifyAsync(context.Artifact, verification, cancellationToken).ConfigureAwait(false)
                ?? throw new InvalidOperationException("The verifier returned no result.");
            if (!result.IsVerified)
            {
                return new ExecutionDenial(result.Reason == DenialReason.Unspecified ? DenialReason.GovernanceFault : result.Reason, result.Detail, id, context.Decision);
            }

            phase = "revocation";
            if (await FindRevocationAsync(context, cancellationToken).ConfigureAwait(false) is { } revoked)
            {
                return revoked.ToDenial(id, context.Decision);
            }

            if (_ensureEvaluatesPolicy && (_evaluator ?? _policySet) is { } policies)
            {
                phase = "policy";
                var decision = await GuardAsync(policies.EvaluateAsync(context.Intent, _time.GetUtcNow(), cancellationToken), cancellationToken).ConfigureAwait(false)
                    ?? throw new InvalidOperationException("The policy evaluator returned no decision.");
                if (!decision.IsPermitted)
                {
                    return new ExecutionDenial(ReasonFor(decision), decision.Kind == PolicyDecisionKind.Forbidden ? "a forbid policy applied"
                        : decision.Errors.Count == 0 ? "no permit policy applied" : "a policy could not be evaluated", id, context.Decision);
                }
            }

            return null;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (TimeoutException)
        {
            return new ExecutionDenial(DenialReason.GovernanceFault, phase + " timed out", id, context.Decision);
        }
        catch (Exception ex)
        {
            return new ExecutionDenial(DenialReason.GovernanceFault, phase + " failed: " + ex.GetType().Name, id, context.Decision);
        }
    }
}
