using GovernedExecution.Artifacts;
using GovernedExecution.Execution;
using GovernedExecution.Intents;
using GovernedExecution.Testing;

namespace GovernedExecution.Tests.Artifacts;

/// <summary>
/// Section 5 of the format at its limits: a parent's validity window at both edges, a chain of exactly the maximum
/// depth and one beyond it, and a scoped artifact verified without knowing the intent.
/// </summary>
public sealed class VerifierDelegationChainTests : IDisposable
{
    private static readonly TimeSpan Skew = TimeSpan.FromSeconds(30);
    private static readonly EntityReference Search = new("Action", "search");
    private static readonly EntityReference FlightOne = new("Flight", "f-1");
    private static readonly ExecutionIntent ChildIntent = new(new EntityReference("Agent", "planner"), Search, FlightOne);
    private static readonly DelegationScope ParentScope = new([new EntityReference("Action", "plan"), Search], [new EntityReference("Trip", "t-1"), FlightOne]);
    private static readonly DelegationScope ChildScope = new([Search], [FlightOne]);

    private readonly VerifierBench _bench = new();

    public void Dispose() => _bench.Dispose();

    [Fact]
    public async Task Parent_at_the_last_second_of_its_skew_still_delegates()
    {
        // Child and parent expire together (the latest a child may); both are checked at exp + skew exactly.
        var parent = Parent();
        var child = Child(parent);
        _bench.Time.Advance(TimeSpan.FromSeconds(60) + Skew);

        VerifierBench.AssertVerified(await VerifyAsync(child));
    }

    [Fact]
    public async Task Parent_one_second_past_its_skew_is_outside_its_validity_window_while_the_child_is_still_valid()
    {
        // A forged child that outlives its parent keeps itself valid, so only the parent's window can refuse it first.
        var parent = Parent();
        var child = Child(parent, f => f.Set(ArtifactFormat.Exp, w => w.WriteInt64(_bench.Now + 120)));
        _bench.Time.Advance(TimeSpan.FromSeconds(60 + 1) + Skew);

        VerifierBench.AssertRefused(await VerifyAsync(child), ArtifactVerdict.Rejected, DenialReason.ScopeViolation, "the parent artifact is outside its validity window");
    }

    [Fact]
    public async Task Parent_whose_not_before_is_exactly_the_skew_ahead_still_delegates()
    {
        var parent = Parent(f => f.Set(ArtifactFormat.Nbf, w => w.WriteInt64(_bench.Now + (long)Skew.TotalSeconds)));

        VerifierBench.AssertVerified(await VerifyAsync(Child(parent)));
    }

    [Fact]
    public async Task Parent_not_valid_until_one_second_beyond_the_skew_is_outside_its_validity_window()
    {
        var parent = Parent(f => f.Set(ArtifactFormat.Nbf, w => w.WriteInt64(_bench.Now + (long)Skew.TotalSeconds + 1)));

        VerifierBench.AssertRefused(await VerifyAsync(Child(parent)), ArtifactVerdict.Rejected, DenialReason.ScopeViolation, "the parent artifact is outside its validity window");
    }

    [Fact]
    public async Task Parent_living_longer_than_the_maximum_cannot_delegate_even_to_a_short_lived_child()
    {
        // A thirty-day parent (minted before issuers were capped), a 60 s child on day 29.
        var parent = Parent(f => f.Set(ArtifactFormat.Exp, w => w.WriteInt64(_bench.Now + (long)TimeSpan.FromDays(30).TotalSeconds)));
        _bench.Time.Advance(TimeSpan.FromDays(29));
        var child = Child(parent);

        VerifierBench.AssertRefused(await VerifyAsync(child), ArtifactVerdict.Rejected, DenialReason.ScopeViolation, "the parent artifact lives longer than this runtime accepts");
    }

    [Fact]
    public async Task Parent_outliving_its_ttl_cannot_delegate()
    {
        var parent = Parent(f => f
            .Set(ArtifactFormat.Exp, w => w.WriteInt64(_bench.Now + 3600))
            .Set(ArtifactFormat.Obligations, w => VerifierBench.WriteObligation(w, "ttl", "30s")));
        _bench.Time.Advance(TimeSpan.FromMinutes(50));
        var child = Child(parent);

        VerifierBench.AssertRefused(await VerifyAsync(child), ArtifactVerdict.Rejected, DenialReason.ScopeViolation, "the parent artifact lives longer than its ttl obligation allows");
    }

    [Fact]
    public async Task Parent_issued_at_the_far_edge_of_the_skew_is_inside_its_validity_window()
    {
        var parent = Parent(f => f
            .Set(ArtifactFormat.Iat, w => w.WriteInt64(_bench.Now + (long)Skew.TotalSeconds))
            .Set(ArtifactFormat.Exp, w => w.WriteInt64(_bench.Now + 120)));

        VerifierBench.AssertVerified(await VerifyAsync(Child(parent)));
    }

    [Fact]
    public async Task Parent_issued_beyond_the_skew_in_the_future_is_outside_its_validity_window()
    {
        // nbf has passed, iat has not: the same rule as for the artifact that runs.
        var parent = Parent(f => f
            .Set(ArtifactFormat.Iat, w => w.WriteInt64(_bench.Now + (long)Skew.TotalSeconds + 1))
            .Set(ArtifactFormat.Exp, w => w.WriteInt64(_bench.Now + 120)));

        VerifierBench.AssertRefused(await VerifyAsync(Child(parent)), ArtifactVerdict.Rejected, DenialReason.ScopeViolation, "the parent artifact is outside its validity window");
    }

    /// <summary>
    /// The principal rule: a scope that lists no principals delegates only to its artifact's own principal (sub); one
    /// that lists principals delegates to those (the artifact's own only if listed). The parent is the planner's.
    /// </summary>
    [Theory]
    [InlineData("", "planner", "", true)]
    [InlineData("", "admin", "", false)]
    [InlineData("", "planner", "planner", true)]
    [InlineData("", "planner", "planner admin", false)]
    [InlineData("", "admin", "planner", false)]
    [InlineData("planner booker", "booker", "", true)]
    [InlineData("planner booker", "planner", "planner booker", true)]
    [InlineData("planner booker", "admin", "", false)]
    [InlineData("planner booker", "booker", "booker admin", false)]
    [InlineData("booker", "planner", "", false)] // the parent's own principal is delegated only if listed
    public async Task Child_acts_only_as_a_principal_its_parent_delegates_to(string parentLists, string childPrincipal, string childLists, bool verified)
    {
        static DelegationScope Scope(DelegationScope basis, string principals) => principals.Length == 0
            ? basis
            : new DelegationScope(basis.Actions, basis.Resources, principals.Split(' ').Select(p => new EntityReference("Agent", p)));
        var intent = new ExecutionIntent(new EntityReference("Agent", childPrincipal), Search, FlightOne);
        var parent = Parent(f => f.Set(ArtifactFormat.Scope, w => VerifierBench.WriteScope(w, Scope(ParentScope, parentLists))));
        var child = _bench.Forge(intent)
            .Set(ArtifactFormat.ParentArtifact, w => w.WriteByteString(parent.ComputeDigestBytes()))
            .Set(ArtifactFormat.Scope, w => VerifierBench.WriteScope(w, Scope(ChildScope, childLists)))
            .Sign(_bench.Key)
            .WithParent(parent);

        var result = await _bench.VerifyAsync(child, intent, Skew);

        if (verified)
        {
            VerifierBench.AssertVerified(result);
        }
        else if (childLists.Length > 0 && !childLists.Split(' ').Contains(childPrincipal))
        {
            VerifierBench.AssertRefused(result, ArtifactVerdict.Rejected, DenialReason.ScopeViolation, "the intent is outside the artifact's delegated scope");
        }
        else
        {
            VerifierBench.AssertRefused(result, ArtifactVerdict.Rejected, DenialReason.ScopeViolation, "the principal is not one the parent delegates to");
        }
    }

    [Fact]
    public async Task Chain_of_the_maximum_eight_parents_is_verified()
    {
        VerifierBench.AssertVerified(await VerifyAsync(ChainWithParents(ArtifactFormat.MaxChainDepth)));
    }

    [Fact]
    public async Task Chain_of_nine_parents_is_refused_as_too_long()
    {
        var result = await VerifyAsync(ChainWithParents(ArtifactFormat.MaxChainDepth + 1));

        VerifierBench.AssertRefused(result, ArtifactVerdict.Rejected, DenialReason.ScopeViolation, "the delegation chain is longer than 8");
    }

    [Fact]
    public async Task Scoped_artifact_is_refused_when_the_runtime_knows_only_the_intent_digest()
    {
        var artifact = _bench.Forge(ChildIntent).Set(ArtifactFormat.Scope, w => VerifierBench.WriteScope(w, ChildScope)).Sign(_bench.Key);
        var context = new ArtifactVerificationContext(IntentEncoding.Digest(ChildIntent), GovernedTestHost.Audience);

        var result = await _bench.Verifier().VerifyAsync(artifact, context, CancellationToken.None);

        VerifierBench.AssertRefused(result, ArtifactVerdict.Rejected, DenialReason.ScopeViolation, "the artifact has a delegated scope and the intent is not known to check it");
    }

    private AuthorizationArtifact Parent(Action<ArtifactForge>? adjust = null)
    {
        var forge = _bench.Forge(new ExecutionIntent(new EntityReference("Agent", "planner"), new EntityReference("Action", "plan"), new EntityReference("Trip", "t-1")))
            .Set(ArtifactFormat.Scope, w => VerifierBench.WriteScope(w, ParentScope));
        adjust?.Invoke(forge);
        return forge.Sign(_bench.Key);
    }

    /// <summary>A child of <paramref name="parent"/> for the search intent, presented with its parent (and its parent's chain).</summary>
    private AuthorizationArtifact Child(AuthorizationArtifact parent, Action<ArtifactForge>? adjust = null)
    {
        var digest = parent.ComputeDigestBytes();
        var forge = _bench.Forge(ChildIntent)
            .Set(ArtifactFormat.ParentArtifact, w => w.WriteByteString(digest))
            .Set(ArtifactFormat.Scope, w => VerifierBench.WriteScope(w, ChildScope));
        adjust?.Invoke(forge);
        return forge.Sign(_bench.Key).WithParent(parent);
    }

    private AuthorizationArtifact ChainWithParents(int parents)
    {
        var current = Parent();
        for (var i = 1; i < parents; i++)
        {
            current = Child(current);
        }

        return Child(current);
    }

    private Task<ArtifactVerificationResult> VerifyAsync(AuthorizationArtifact artifact) => _bench.VerifyAsync(artifact, ChildIntent, Skew);
}
