using GovernedExecution.Artifacts;
using GovernedExecution.Execution;
using GovernedExecution.Policies;

namespace GovernedExecution.Testing;

/// <summary>
/// Creates the results an <see cref="IGovernedExecutor"/> returns, for tests of code that consumes them (a stub or a
/// mock of the executor returns these). They are plain values: nothing is signed, decided or recorded.
/// </summary>
public static class GovernedResults
{
    /// <summary>The detail of a denial made here when the test gives none.</summary>
    public const string TestDetail = "denied by a test";

    /// <summary>A successful outcome.</summary>
    /// <typeparam name="TResult">The operation's result type.</typeparam>
    /// <param name="result">The operation's result.</param>
    /// <param name="executionId">The execution id; a new one by default.</param>
    /// <returns>The outcome.</returns>
    public static GovernedOutcome<TResult> Succeeded<TResult>(TResult result, Guid? executionId = null) =>
        GovernedOutcome<TResult>.Success(result, executionId ?? Guid.NewGuid());

    /// <summary>An outcome whose operation ran and threw.</summary>
    /// <typeparam name="TResult">The operation's result type.</typeparam>
    /// <param name="exception">What the operation threw.</param>
    /// <param name="executionId">The execution id; a new one by default.</param>
    /// <returns>The outcome.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="exception"/> is <see langword="null"/>.</exception>
    public static GovernedOutcome<TResult> Faulted<TResult>(Exception exception, Guid? executionId = null)
    {
        ArgumentNullException.ThrowIfNull(exception);
        return GovernedOutcome<TResult>.Faulted(exception, executionId ?? Guid.NewGuid());
    }

    /// <summary>A denied outcome: the operation did not run.</summary>
    /// <typeparam name="TResult">The operation's result type.</typeparam>
    /// <param name="denial">The denial (see <see cref="Denial"/>).</param>
    /// <returns>The outcome.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="denial"/> is <see langword="null"/>.</exception>
    public static GovernedOutcome<TResult> Denied<TResult>(ExecutionDenial denial)
    {
        ArgumentNullException.ThrowIfNull(denial);
        return GovernedOutcome<TResult>.Denied(denial);
    }

    /// <summary>A denial.</summary>
    /// <param name="reason">The reason.</param>
    /// <param name="detail">The detail; <see cref="TestDetail"/> by default.</param>
    /// <param name="executionId">The execution id; a new one by default.</param>
    /// <param name="decision">The policy decision behind it, if any (its determining policies are the denial's).</param>
    /// <returns>The denial.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="reason"/> is not a defined reason.</exception>
    public static ExecutionDenial Denial(DenialReason reason, string? detail = null, Guid? executionId = null, PolicyDecision? decision = null)
    {
        if (!Enum.IsDefined(reason))
        {
            throw new ArgumentOutOfRangeException(nameof(reason), reason, "Unknown denial reason.");
        }

        return new ExecutionDenial(reason, detail ?? TestDetail, executionId ?? Guid.NewGuid(), decision);
    }

    /// <summary>The result of an <see cref="IGovernedExecutor.AuthorizeAsync"/> that allows.</summary>
    /// <param name="decision">A permitting decision.</param>
    /// <param name="executionId">The execution id; a new one by default.</param>
    /// <returns>The result.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="decision"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">The decision does not permit.</exception>
    public static AuthorizationResult Allowed(PolicyDecision decision, Guid? executionId = null)
    {
        ArgumentNullException.ThrowIfNull(decision);
        if (!decision.IsPermitted)
        {
            throw new ArgumentException("An allowing result needs a permitting decision.", nameof(decision));
        }

        return new AuthorizationResult(executionId ?? Guid.NewGuid(), decision, null);
    }

    /// <summary>The result of an <see cref="IGovernedExecutor.AuthorizeAsync"/> that denies.</summary>
    /// <param name="denial">The denial; its execution id and decision are the result's.</param>
    /// <returns>The result.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="denial"/> is <see langword="null"/>.</exception>
    public static AuthorizationResult NotAllowed(ExecutionDenial denial)
    {
        ArgumentNullException.ThrowIfNull(denial);
        return new AuthorizationResult(denial.ExecutionId, denial.Decision, denial);
    }

    /// <summary>A permitting decision, as a policy set would return it.</summary>
    /// <param name="determiningPolicies">The policies that permitted; <c>test-permit</c> by default.</param>
    /// <returns>The decision.</returns>
    public static PolicyDecision Permit(params IEnumerable<string> determiningPolicies) =>
        new(PolicyDecisionKind.Permitted, determiningPolicies.DefaultIfEmpty("test-permit"), [], [], "test-policy-set");

    /// <summary>A forbidding decision, as a policy set would return it.</summary>
    /// <param name="determiningPolicies">The policies that forbade; <c>test-forbid</c> by default.</param>
    /// <returns>The decision.</returns>
    public static PolicyDecision Forbid(params IEnumerable<string> determiningPolicies) =>
        new(PolicyDecisionKind.Forbidden, determiningPolicies.DefaultIfEmpty("test-forbid"), [], [], "test-policy-set");

    /// <summary>An issuance that issued an artifact.</summary>
    /// <param name="artifact">The artifact (for example from <see cref="AuthorizationArtifact.FromBytes"/>).</param>
    /// <returns>The issuance.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="artifact"/> is <see langword="null"/>.</exception>
    public static ArtifactIssuance Issued(AuthorizationArtifact artifact)
    {
        ArgumentNullException.ThrowIfNull(artifact);
        return new ArtifactIssuance(artifact, null);
    }

    /// <summary>An issuance that was refused.</summary>
    /// <param name="denial">The denial.</param>
    /// <returns>The issuance.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="denial"/> is <see langword="null"/>.</exception>
    public static ArtifactIssuance NotIssued(ExecutionDenial denial)
    {
        ArgumentNullException.ThrowIfNull(denial);
        return new ArtifactIssuance(null, denial);
    }
}
