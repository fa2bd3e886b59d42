using GovernedExecution.Approvals;
using GovernedExecution.Artifacts;
using GovernedExecution.Artifacts.Keys;
using GovernedExecution.DependencyInjection;
using GovernedExecution.Execution;
using GovernedExecution.Intents;
using GovernedExecution.Lineage;
using GovernedExecution.Policies.Rules;
using GovernedExecution.Testing;
using GovernedExecution.Tests.Execution;

namespace GovernedExecution.Tests.Artifacts;

/// <summary>
/// Child artifacts for sub-tasks: minted inside a governed delegate, bound to the parent's digest, never wider nor longer
/// lived than the parent; a valid chain runs and each violation is a ScopeViolation with the delegate not run.
/// </summary>
public sealed class DelegationTests : IDisposable
{
    private static readonly EntityReference Planner = new("Agent", "planner");
    private static readonly EntityReference Admin = new("Agent", "admin");
    private static readonly EntityReference Booker = new("Agent", "booker");
    private static readonly EntityReference Plan = new("Action", "plan");
    private static readonly EntityReference Search = new("Action", "search");
    private static readonly EntityReference Book = new("Action", "book");
    private static readonly EntityReference Trip = new("Trip", "t-1");
    private static readonly EntityReference FlightOne = new("Flight", "f-1");
    private static readonly EntityReference FlightTwo = new("Flight", "f-2");

    private readonly GovernedTestHost _host = new(policies: new RulePolicyEvaluator(
        [PolicyRule.Permit("agents", i => i.Principal.Type == "Agent"), PolicyRule.Forbid("no-delete", i => i.Action.Id == "delete")]));

    private readonly DelegationScope _parentScope = new([Plan, Search, Book], [Trip, FlightOne, FlightTwo]);

    public void Dispose() => _host.Dispose();

    [Fact]
    public async Task Valid_chain_runs_inside_the_parent_and_on_a_worker_given_the_parent_along()
    {
        var parentIntent = Intent(Plan, Trip);
        var parent = await IssueParentAsync(parentIntent);
        ArtifactIssuance? child = null;
        ExecutionIntent? childIntent = null;
        var childRanInside = false;

        var outcome = await _host.Executor.RunOutcomeAsync(parentIntent, parent, 0, async (s, ctx, ct) =>
        {
            // The child's intent names this execution as its parent; whoever runs the child runs exactly this intent.
            childIntent = new ExecutionIntent(Planner, Search, FlightOne) { ParentExecutionId = ctx.ExecutionId };
            child = await ctx.DelegateAsync(childIntent, new DelegationScope([Search], [FlightOne]), cancellationToken: ct);
            Assert.True(child.IsIssued, child.Denial?.ToString());

            // Inside the parent the runtime knows the parent artifact: the child alone is enough.
            var bare = AuthorizationArtifact.FromBytes(child.Artifact!.Encoded.Span);
            var inner = await _host.Executor.RunOutcomeAsync(childIntent, bare, 0, (s2, c2, ct2) =>
            {
                childRanInside = true;
                Assert.Equal(ctx.ExecutionId, c2.ParentExecutionId);
                return ValueTask.FromResult(s2);
            }, ct);
            Assert.True(inner.IsSuccess, inner.Denial?.ToString());
            return s;
        });

        Assert.True(outcome.IsSuccess, outcome.Denial?.ToString());
        Assert.True(childRanInside);
        var claims = await ClaimsOfAsync(child!.Artifact!, childIntent!);
        Assert.Equal(parent.ComputeDigest(), Convert.ToHexStringLower(claims.ParentArtifactDigest.Span));
        Assert.Equal([Search], claims.Scope!.Actions);
        Assert.Equal(parent.Encoded.ToArray(), child.Artifact!.Parent!.Encoded.ToArray());
        Assert.Contains(_host.Lineage.Records, r => r.Event.Kind == GovernedExecution.Lineage.LineageEventKind.ArtifactIssued
            && r.Event["parent_artifact_digest"] == parent.ComputeDigest() && r.Event["artifact_digest"] == child.Artifact.ComputeDigest());

        // A verify-only worker elsewhere: refuses the child alone, runs it when the parent is presented along.
        var worker = Worker();
        var workerRan = false;
        var (fresh, freshIntent) = await IssueChildOutsideAsync(parentIntent, new DelegationScope([Search], [FlightOne]));
        var alone = await worker.RunOutcomeAsync(freshIntent, AuthorizationArtifact.FromBytes(fresh.Encoded.Span), 0, (s, c, ct) => { workerRan = true; return ValueTask.FromResult(s); });
        DenialDetails.AssertDenied(alone.Denial, DenialReason.ScopeViolation);
        Assert.False(workerRan);

        var withParent = await worker.RunOutcomeAsync(freshIntent, fresh, 0, (s, c, ct) => { workerRan = true; return ValueTask.FromResult(s); });
        Assert.True(withParent.IsSuccess, withParent.Denial?.ToString());
        Assert.True(workerRan);
    }

    [Fact]
    public async Task Three_level_chain_runs_nested_and_the_grandchild_carries_the_whole_chain_to_a_worker()
    {
        var rootIntent = Intent(Plan, Trip);
        var root = await IssueParentAsync(rootIntent);
        AuthorizationArtifact? grandchild = null;
        ExecutionIntent? grandchildIntent = null;

        var outcome = await _host.Executor.RunOutcomeAsync(rootIntent, root, 0, async (s, rootContext, ct) =>
        {
            var childIntent = new ExecutionIntent(Planner, Search, FlightOne) { ParentExecutionId = rootContext.ExecutionId };
            var child = await rootContext.DelegateAsync(childIntent, new DelegationScope([Search, Book], [FlightOne]), cancellationToken: ct);
            var bareChild = AuthorizationArtifact.FromBytes(child.Artifact!.Encoded.Span);
            var inner = await _host.Executor.RunOutcomeAsync(childIntent, bareChild, 0, async (s2, childContext, ct2) =>
            {
                grandchildIntent = new ExecutionIntent(Planner, Book, FlightOne) { ParentExecutionId = childContext.ExecutionId };
                var issued = await childContext.DelegateAsync(grandchildIntent, new DelegationScope([Book], [FlightOne]), cancellationToken: ct2);
                Assert.True(issued.IsIssued, issued.Denial?.ToString());
                grandchild = issued.Artifact;
                return s2;
            }, ct);
            Assert.True(inner.IsSuccess, inner.Denial?.ToString());
            return s;
        });

        Assert.True(outcome.IsSuccess, outcome.Denial?.ToString());
        Assert.Equal(root.Encoded.ToArray(), grandchild!.Parent!.Parent!.Encoded.ToArray());
        var ran = false;
        var onWorker = await Worker().RunOutcomeAsync(grandchildIntent!, grandchild, 0, (s, c, ct) => { ran = true; return ValueTask.FromResult(s); });
        Assert.True(onWorker.IsSuccess, onWorker.Denial?.ToString());
        Assert.True(ran);
    }

    [Fact]
    public async Task A_child_presented_with_a_stray_parent_keeps_the_verified_parent_for_what_it_delegates()
    {
        var rootIntent = Intent(Plan, Trip);
        var root = await IssueParentAsync(rootIntent);
        var stray = await IssueParentAsync(Intent(Plan, FlightTwo));
        string? keptParent = null;
        AuthorizationArtifact? grandchild = null;
        ExecutionIntent? grandchildIntent = null;

        var outcome = await _host.Executor.RunOutcomeAsync(rootIntent, root, 0, async (s, rootContext, ct) =>
        {
            var childIntent = new ExecutionIntent(Planner, Search, FlightOne) { ParentExecutionId = rootContext.ExecutionId };
            var child = await rootContext.DelegateAsync(childIntent, new DelegationScope([Search, Book], [FlightOne]), cancellationToken: ct);
            // The child's bytes with another valid artifact attached as its parent: the verifier finds the parent the
            // child names among the artifacts in scope, and that verified parent is the one the context must carry.
            var strayed = AuthorizationArtifact.FromBytes(child.Artifact!.Encoded.Span).WithParent(stray);
            var inner = await _host.Executor.RunOutcomeAsync(childIntent, strayed, 0, async (s2, childContext, ct2) =>
            {
                keptParent = childContext.Artifact.Parent?.ComputeDigest();
                grandchildIntent = new ExecutionIntent(Planner, Book, FlightOne) { ParentExecutionId = childContext.ExecutionId };
                var issued = await childContext.DelegateAsync(grandchildIntent, new DelegationScope([Book], [FlightOne]), cancellationToken: ct2);
                Assert.True(issued.IsIssued, issued.Denial?.ToString());
                grandchild = issued.Artifact;
                return s2;
            }, ct);
            Assert.True(inner.IsSuccess, inner.Denial?.ToString());
            return s;
        });

        Assert.True(outcome.IsSuccess, outcome.Denial?.ToString());
        Assert.Equal(root.ComputeDigest(), keptParent);
        Assert.Equal(root.Encoded.ToArray(), grandchild!.Parent!.Parent!.Encoded.ToArray());
        var ran = false;
        var onWorker = await Worker().RunOutcomeAsync(grandchildIntent!, grandchild, 0, (s, c, ct) => { ran = true; return ValueTask.FromResult(s); });
        Assert.True(onWorker.IsSuccess, onWorker.Denial?.ToString());
        Assert.True(ran);
    }

    [Fact]
    public async Task Child_expiry_is_capped_at_the_parent_expiry()
    {
        var parentIntent = Intent(Plan, Trip);
        var parent = await IssueParentAsync(parentIntent);
        var parentClaims = await ClaimsOfAsync(parent, parentIntent, consume: false);

        var childIntent = Intent(Book, FlightTwo);
        var child = await _host.Executor.RunOutcomeAsync(parentIntent, parent, 0, async (s, ctx, ct) =>
        {
            _host.FakeTime!.Advance(TimeSpan.FromSeconds(50));
            childIntent = new ExecutionIntent(Planner, Book, FlightTwo) { ParentExecutionId = ctx.ExecutionId };
            var issued = await ctx.DelegateAsync(childIntent, new DelegationScope([Book], [FlightTwo]), cancellationToken: ct);
            return issued.Artifact!;
        });

        var childClaims = await ClaimsOfAsync(child.Result, childIntent);
        Assert.Equal(parentClaims.ExpiresAt, childClaims.ExpiresAt);
        Assert.True(childClaims.ExpiresAt - childClaims.IssuedAt < TimeSpan.FromSeconds(60));
    }

    [Theory]
    [InlineData("wider-action")]
    [InlineData("wider-resource")]
    [InlineData("intent-outside-scope")]
    [InlineData("policy-forbids")]
    [InlineData("other-principal")]
    public async Task Delegation_refuses_to_mint_a_child_outside_the_rules(string violation)
    {
        var parentIntent = Intent(Plan, Trip);
        var parent = await IssueParentAsync(parentIntent);
        var (childIntent, scope, reason) = violation switch
        {
            "wider-action" => (Intent(new EntityReference("Action", "cancel"), FlightOne), new DelegationScope([new EntityReference("Action", "cancel")], [FlightOne]), DenialReason.ScopeViolation),
            "wider-resource" => (Intent(Search, new EntityReference("Flight", "f-3")), new DelegationScope([Search], [new EntityReference("Flight", "f-3")]), DenialReason.ScopeViolation),
            "intent-outside-scope" => (Intent(Book, FlightOne), new DelegationScope([Search], [FlightOne]), DenialReason.ScopeViolation),
            // The planner's delegate asks for a child that acts as someone else, inside the parent's actions and resources.
            "other-principal" => (new ExecutionIntent(Admin, Search, FlightOne), new DelegationScope([Search], [FlightOne]), DenialReason.ScopeViolation),
            _ => (Intent(new EntityReference("Action", "delete"), FlightOne), new DelegationScope([new EntityReference("Action", "delete")], [FlightOne]), DenialReason.PolicyDenied),
        };

        var outcome = await _host.Executor.RunOutcomeAsync(parentIntent, parent, 0, async (s, ctx, ct) => await ctx.DelegateAsync(childIntent, scope, cancellationToken: ct));

        Assert.False(outcome.Result.IsIssued);
        DenialDetails.AssertDenied(outcome.Result.Denial, reason);
    }

    [Fact]
    public async Task Parent_scope_listing_principals_lets_a_child_act_as_one_of_them_inside_and_on_a_worker()
    {
        var parentIntent = Intent(Plan, Trip);
        var issued = await _host.Executor.IssueAsync(parentIntent, GovernedTestHost.Audience, new DelegationScope(_parentScope.Actions, _parentScope.Resources, [Planner, Booker]));
        Assert.True(issued.IsIssued, issued.Denial?.ToString());
        var childIntent = new ExecutionIntent(Booker, Book, FlightTwo);
        var ranInside = false;

        var outcome = await _host.Executor.RunOutcomeAsync(parentIntent, issued.Artifact!, 0, async (s, ctx, ct) =>
        {
            childIntent = new ExecutionIntent(Booker, Book, FlightTwo) { ParentExecutionId = ctx.ExecutionId };
            var child = await ctx.DelegateAsync(childIntent, new DelegationScope([Book], [FlightTwo]), cancellationToken: ct);
            Assert.True(child.IsIssued, child.Denial?.ToString());
            var inner = await _host.Executor.RunOutcomeAsync(childIntent, AuthorizationArtifact.FromBytes(child.Artifact!.Encoded.Span), 0, (s2, c2, ct2) =>
            {
                ranInside = true;
                Assert.Equal(Booker.ToString(), c2.Claims.Subject);
                return ValueTask.FromResult(s2);
            }, ct);
            Assert.True(inner.IsSuccess, inner.Denial?.ToString());
            return child.Artifact;
        });

        Assert.True(outcome.IsSuccess, outcome.Denial?.ToString());
        Assert.True(ranInside);
        var onWorker = await Worker().RunOutcomeAsync(childIntent, AuthorizationArtifact.FromBytes(outcome.Result!.Encoded.Span).WithParent(issued.Artifact!), 0, (s, c, ct) => ValueTask.FromResult(s));
        Assert.True(onWorker.IsSuccess, onWorker.Denial?.ToString());
    }

    [Fact]
    public async Task Child_listing_a_principal_the_parent_does_not_delegate_to_is_refused_at_mint()
    {
        var parentIntent = Intent(Plan, Trip);
        var issued = await _host.Executor.IssueAsync(parentIntent, GovernedTestHost.Audience, new DelegationScope(_parentScope.Actions, _parentScope.Resources, [Planner, Booker]));
        Assert.True(issued.IsIssued, issued.Denial?.ToString());
        var childIntent = new ExecutionIntent(Booker, Book, FlightTwo);
        var childScope = new DelegationScope([Book], [FlightTwo], [Booker, Admin]);

        var outcome = await _host.Executor.RunOutcomeAsync(parentIntent, issued.Artifact!, 0, async (s, ctx, ct) => await ctx.DelegateAsync(childIntent, childScope, cancellationToken: ct));

        Assert.False(outcome.Result.IsIssued);
        DenialDetails.AssertDenied(outcome.Result.Denial, DenialReason.ScopeViolation);
        Assert.Equal("the principal is not one the parent delegates to", outcome.Result.Denial.Detail);
    }

    [Fact]
    public async Task Root_scope_listing_principals_must_list_the_root_intent_principal()
    {
        var refused = await _host.Executor.IssueAsync(Intent(Plan, Trip), GovernedTestHost.Audience, new DelegationScope(_parentScope.Actions, _parentScope.Resources, [Booker]));

        DenialDetails.AssertDenied(refused.Denial, DenialReason.ScopeViolation);
        Assert.Equal("the intent is outside the scope it asks for", refused.Denial.Detail);
    }

    [Fact]
    public async Task A_parent_without_a_scope_cannot_delegate()
    {
        var outcome = await _host.Executor.RunOutcomeAsync(Intent(Plan, Trip), async (ctx, ct) =>
            await ctx.DelegateAsync(Intent(Search, FlightOne), new DelegationScope([Search], [FlightOne]), cancellationToken: ct));

        DenialDetails.AssertDenied(outcome.Result.Denial, DenialReason.ScopeViolation);
    }

    [Fact]
    public async Task The_root_intent_must_be_inside_the_scope_it_grants()
    {
        var issued = await _host.Executor.IssueAsync(Intent(Plan, Trip), GovernedTestHost.Audience, new DelegationScope([Search], [Trip]));

        DenialDetails.AssertDenied(issued.Denial, DenialReason.ScopeViolation);
    }

    // Children forged and signed by the trusted key, skipping the mint-time checks: the verifier must catch each.
    [Theory]
    [InlineData("wider-scope", "the delegated scope is not within the parent's")]
    [InlineData("outlives-parent", "the artifact expires after its parent")]
    [InlineData("parent-not-presented", "the parent artifact was neither presented nor known here")]
    [InlineData("parent-has-no-scope", "the parent artifact grants no delegation scope")]
    [InlineData("child-has-no-scope", "the delegated scope is not within the parent's")]
    [InlineData("intent-outside-child-scope", "the intent is outside the artifact's delegated scope")]
    [InlineData("parent-untrusted", "the parent artifact does not verify: the key id is unknown or revoked")]
    [InlineData("parent-not-a-permit", "the parent artifact does not carry a permit")]
    [InlineData("other-principal", "the principal is not one the parent delegates to")]
    public async Task Verifier_rejects_a_broken_chain_with_ScopeViolation(string violation, string detail)
    {
        var now = _host.Time.GetUtcNow();
        var parentIntent = Intent(Plan, Trip);
        var childIntent = violation == "other-principal" ? new ExecutionIntent(Admin, Search, FlightOne) : Intent(Search, FlightOne);
        using var stranger = SigningKey.Generate();
        var parentForge = Forge(parentIntent).Set(ArtifactFormat.Scope, w => VerifierBench.WriteScope(w, _parentScope));
        if (violation == "parent-has-no-scope")
        {
            parentForge.Remove(ArtifactFormat.Scope);
        }

        if (violation == "parent-not-a-permit")
        {
            parentForge.Set(ArtifactFormat.Decision, w => w.WriteInt32(1));
        }

        var parent = parentForge.Sign(violation == "parent-untrusted" ? stranger : _host.SigningKey);
        var childScope = violation switch
        {
            "wider-scope" => new DelegationScope([Search], [FlightOne, new EntityReference("Flight", "f-9")]),
            "intent-outside-child-scope" => new DelegationScope([Book], [FlightOne]),
            _ => new DelegationScope([Search], [FlightOne]),
        };
        var childForge = Forge(childIntent)
            .Set(ArtifactFormat.ParentArtifact, w => w.WriteByteString(parent.ComputeDigestBytes()))
            .Set(ArtifactFormat.Scope, w => VerifierBench.WriteScope(w, childScope));
        if (violation == "outlives-parent")
        {
            childForge.Set(ArtifactFormat.Exp, w => w.WriteInt64(now.ToUnixTimeSeconds() + 61));
        }

        if (violation == "child-has-no-scope")
        {
            childForge.Remove(ArtifactFormat.Scope);
        }

        var child = childForge.Sign(_host.SigningKey);
        var presented = violation == "parent-not-presented" ? child : child.WithParent(parent);
        var ran = false;

        var outcome = await Worker().RunOutcomeAsync(childIntent, presented, 0, (s, c, ct) => { ran = true; return ValueTask.FromResult(s); });

        Assert.False(ran);
        DenialDetails.AssertDenied(outcome.Denial, DenialReason.ScopeViolation);
        Assert.Equal(detail, outcome.Denial!.Detail);
    }

    [Fact]
    public async Task A_forged_child_with_a_valid_chain_is_accepted_so_the_rejections_above_are_the_violations()
    {
        var parentIntent = Intent(Plan, Trip);
        var childIntent = Intent(Search, FlightOne);
        var parent = Forge(parentIntent).Set(ArtifactFormat.Scope, w => VerifierBench.WriteScope(w, _parentScope)).Sign(_host.SigningKey);
        var child = Forge(childIntent)
            .Set(ArtifactFormat.ParentArtifact, w => w.WriteByteString(parent.ComputeDigestBytes()))
            .Set(ArtifactFormat.Scope, w => VerifierBench.WriteScope(w, new DelegationScope([Search], [FlightOne])))
            .Sign(_host.SigningKey);

        var outcome = await Worker().RunOutcomeAsync(childIntent, child.WithParent(parent), 0, (s, c, ct) => ValueTask.FromResult(7));

        Assert.True(outcome.IsSuccess, outcome.Denial?.ToString());
    }

    [Fact]
    public async Task Delegated_child_whose_policy_requires_an_approval_carries_every_claim_and_runs_inside_and_on_a_worker()
    {
        // Parent digest, scope and approvals: the largest claim set the issuer writes (15 claims).
        using var host = new GovernedTestHost(
            b => b.UseApprovalProvider(new DelegateApprovalProvider((request, ct) =>
                ValueTask.FromResult(ApprovalDecision.Approve(request, "alice@finance", request.RequestedAt.AddMinutes(10))))),
            new RulePolicyEvaluator(
            [
                PolicyRule.Permit("agents", i => i.Principal.Type == "Agent"),
                PolicyRule.Permit("approved-bookings", i => i.Action == Book, [new("requires_approval", "finance")]),
            ]));
        var parentIntent = Intent(Plan, Trip);
        var parent = await host.Executor.IssueAsync(parentIntent, GovernedTestHost.Audience, _parentScope);
        Assert.True(parent.IsIssued, parent.Denial?.ToString());
        ArtifactIssuance? child = null;
        ExecutionIntent? childIntent = null;
        ArtifactClaims? ranWith = null;

        var outcome = await host.Executor.RunOutcomeAsync(parentIntent, parent.Artifact!, 0, async (s, ctx, ct) =>
        {
            childIntent = new ExecutionIntent(Planner, Book, FlightTwo) { ParentExecutionId = ctx.ExecutionId };
            child = await ctx.DelegateAsync(childIntent, new DelegationScope([Book], [FlightTwo]), cancellationToken: ct);
            Assert.True(child.IsIssued, child.Denial?.ToString());
            var inner = await host.Executor.RunOutcomeAsync(childIntent, AuthorizationArtifact.FromBytes(child.Artifact!.Encoded.Span), 0, (s2, c2, ct2) =>
            {
                ranWith = c2.Claims;
                return ValueTask.FromResult(s2);
            }, ct);
            Assert.True(inner.IsSuccess, inner.Denial?.ToString());
            return s;
        });

        Assert.True(outcome.IsSuccess, outcome.Denial?.ToString());
        Assert.NotNull(ranWith);
        Assert.False(ranWith.ParentArtifactDigest.IsEmpty);
        Assert.NotNull(ranWith.Scope);
        Assert.Single(ranWith.Approvals);
        var worker = new GovernedExecutorBuilder()
            .Configure(o => { o.Audience = GovernedTestHost.Audience; o.VerifyOnly = true; })
            .UseTrustedKeys(host.SigningKey.ToTrustedKey())
            .UseTimeProvider(host.Time)
            .AddLineageSink(new GovernedExecution.Lineage.InMemoryLineageSink())
            .Build();
        var onWorker = await worker.RunOutcomeAsync(childIntent!, child!.Artifact!, 0, (s, c, ct) => ValueTask.FromResult(s));
        Assert.True(onWorker.IsSuccess, onWorker.Denial?.ToString());
    }

    private static ExecutionIntent Intent(EntityReference action, EntityReference resource) => new(Planner, action, resource);


    private ArtifactForge Forge(ExecutionIntent intent) => new(intent, GovernedTestHost.Audience, _host.Time.GetUtcNow(), _host.Policies.PolicySetDigest);

    private async Task<AuthorizationArtifact> IssueParentAsync(ExecutionIntent intent)
    {
        var issued = await _host.Executor.IssueAsync(intent, GovernedTestHost.Audience, _parentScope);
        Assert.True(issued.IsIssued, issued.Denial?.ToString());
        return issued.Artifact!;
    }

    /// <summary>A fresh parent run on the host, which delegates a search child and hands it out (with its parent) unrun.</summary>
    private async Task<(AuthorizationArtifact Child, ExecutionIntent Intent)> IssueChildOutsideAsync(ExecutionIntent parentIntent, DelegationScope scope)
    {
        var parent = await IssueParentAsync(parentIntent);
        var outcome = await _host.Executor.RunOutcomeAsync(parentIntent, parent, 0, async (s, ctx, ct) =>
        {
            var intent = new ExecutionIntent(Planner, Search, FlightOne) { ParentExecutionId = ctx.ExecutionId };
            return ((await ctx.DelegateAsync(intent, scope, cancellationToken: ct)).Artifact!, intent);
        });
        Assert.NotNull(outcome.Result.Item1.Parent);
        return outcome.Result;
    }

    private IGovernedExecutor Worker() => new GovernedExecutorBuilder()
        .Configure(o => { o.Audience = GovernedTestHost.Audience; o.VerifyOnly = true; })
        .UseTrustedKeys(_host.SigningKey.ToTrustedKey())
        .UseTimeProvider(_host.Time)
        .AddLineageSink(new InMemoryLineageSink())
        .Build();

    private async Task<ArtifactClaims> ClaimsOfAsync(AuthorizationArtifact artifact, ExecutionIntent intent, bool consume = true)
    {
        var verifier = CoseArtifacts.CreateVerifier(new InMemoryTrustedKeyStore(_host.SigningKey.ToTrustedKey()), timeProvider: _host.Time);
        var result = await verifier.VerifyAsync(artifact, new ArtifactVerificationContext(intent, GovernedTestHost.Audience), default);
        Assert.True(result.IsVerified || !consume, result.ToString());
        return result.Claims!;
    }
}
