using GovernedExecution.Approvals;
using GovernedExecution.Artifacts;
using GovernedExecution.Artifacts.Keys;
using GovernedExecution.Intents;
using GovernedExecution.Policies;
using GovernedExecution.Testing;
using Microsoft.Extensions.Time.Testing;

namespace GovernedExecution.Tests.Artifacts;

/// <summary>
/// Every claim set the issuer can write is one the verifier reads: each combination of the optional claims (parent
/// digest, delegated scope, approvals), with the obligations that go with them, minted by the real issuer and verified.
/// </summary>
public sealed class IssuerClaimSetTests : IDisposable
{
    private static readonly EntityReference Search = new("Action", "search");
    private static readonly EntityReference FlightOne = new("Flight", "f-1");
    private static readonly ExecutionIntent Intent = new(new EntityReference("Agent", "planner"), Search, FlightOne);
    private static readonly DelegationScope Scope = new([Search], [FlightOne]);

    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 11, 26, 12, 0, 0, TimeSpan.Zero));
    private readonly SigningKey _key = SigningKey.Generate();

    public void Dispose() => _key.Dispose();

    [Theory]
    [InlineData(false, false, 0)]
    [InlineData(false, true, 0)]
    [InlineData(false, false, 1)]
    [InlineData(false, true, 2)]
    [InlineData(true, true, 0)]
    [InlineData(true, true, 1)] // the largest: 15 claims
    [InlineData(true, true, 3)]
    public async Task Claim_set_minted_by_the_issuer_is_verified(bool parent, bool scope, int approvals)
    {
        var issuer = CoseArtifacts.CreateIssuer(new StaticSigningKeyProvider(_key), _time);
        AuthorizationArtifact? parentArtifact = null;
        if (parent)
        {
            parentArtifact = await issuer.IssueAsync(With(Request([]), scope: Scope), default);
        }

        var obligations = Enumerable.Range(0, approvals).Select(i => new PolicyObligation("requires_approval", "group-" + i, "approved")).ToArray();
        var request = With(Request(obligations), scope: scope ? Scope : null, parent: parentArtifact, approvals: [.. obligations.Select(Approval)]);

        var artifact = await issuer.IssueAsync(request, default);
        var verifier = CoseArtifacts.CreateVerifier(new InMemoryTrustedKeyStore(_key.ToTrustedKey()), timeProvider: _time);
        var presented = parentArtifact is null ? artifact : artifact.WithParent(parentArtifact);
        var result = await verifier.VerifyAsync(presented, new ArtifactVerificationContext(Intent, GovernedTestHost.Audience), default);

        VerifierBench.AssertVerified(result);
        Assert.Equal(parent, !result.Claims!.ParentArtifactDigest.IsEmpty);
        Assert.Equal(scope, result.Claims.Scope is not null);
        Assert.Equal(approvals, result.Claims.Approvals.Count);
    }

    private static ArtifactRequest Request(PolicyObligation[] obligations) =>
        ArtifactRequest.ForIntent(Intent, GovernedTestHost.Audience, new PolicyDecision(PolicyDecisionKind.Permitted, ["approved"], [], obligations, "policy-set"));

    private static ArtifactRequest With(ArtifactRequest request, DelegationScope? scope = null, AuthorizationArtifact? parent = null, ApprovalDecision[]? approvals = null) =>
        new(request.IntentDigest, request.Subject, request.Audience, request.Decision)
        {
            Scope = scope,
            Parent = parent,
            Approvals = approvals ?? [],
        };

    private ApprovalDecision Approval(PolicyObligation obligation) => ApprovalDecision.Approve(
        new ApprovalRequest(Guid.NewGuid(), Intent, IntentEncoding.Digest(Intent), obligation.Value, obligation.PolicyId, _time.GetUtcNow()),
        "alice@" + obligation.Value,
        _time.GetUtcNow().AddMinutes(10));
}
