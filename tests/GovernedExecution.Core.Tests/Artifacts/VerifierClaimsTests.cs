using System.Formats.Cbor;
using GovernedExecution.Artifacts;
using GovernedExecution.Execution;
using GovernedExecution.Intents;
using GovernedExecution.Testing;

namespace GovernedExecution.Tests.Artifacts;

/// <summary>
/// Section 2 of the format: every required claim, nothing after the claims map, a defined decision, the token id in
/// RFC 9562 byte order, obligations honoured as documented, and a delegated scope in exactly its set form.
/// </summary>
public sealed class VerifierClaimsTests : IDisposable
{
    private readonly VerifierBench _bench = new();
    private readonly ExecutionIntent _intent = GovernedTestHost.Intent("read");

    public void Dispose() => _bench.Dispose();

    [Fact]
    public async Task Verified_result_says_verified_and_lists_every_check()
    {
        var result = await _bench.VerifyAsync(_bench.Forge(_intent).Sign(_bench.Key), _intent);

        VerifierBench.AssertVerified(result);
        Assert.Equal("verified", result.Detail);
        Assert.Equal(14, result.Checks.Count);
    }

    [Fact]
    public async Task Bytes_after_the_claims_map_are_malformed_claims_even_though_signed()
    {
        var forge = _bench.Forge(_intent);
        forge.PayloadSuffix = [0x00];

        VerifierBench.AssertMalformedClaims(await _bench.VerifyAsync(forge.Sign(_bench.Key), _intent));
    }

    [Theory]
    [InlineData(ArtifactFormat.Iss)]
    [InlineData(ArtifactFormat.Sub)]
    [InlineData(ArtifactFormat.Aud)]
    [InlineData(ArtifactFormat.Exp)]
    [InlineData(ArtifactFormat.Nbf)]
    [InlineData(ArtifactFormat.Iat)]
    [InlineData(ArtifactFormat.Cti)]
    [InlineData(ArtifactFormat.IntentDigest)]
    [InlineData(ArtifactFormat.Decision)]
    [InlineData(ArtifactFormat.PolicySetDigest)]
    [InlineData(ArtifactFormat.DeterminingPolicies)]
    [InlineData(ArtifactFormat.Obligations)]
    public async Task Each_required_claim_is_required_even_when_an_optional_claim_keeps_the_map_at_twelve_entries(int claim)
    {
        // An optional claim takes the missing one's place, so the map still has as many entries as a complete one.
        var forge = _bench.Forge(_intent).Remove(claim).Set(ArtifactFormat.Approvals, VerifierBench.WriteOneApproval);

        VerifierBench.AssertMalformedClaims(await _bench.VerifyAsync(forge.Sign(_bench.Key), _intent));
    }

    [Theory]
    [InlineData("0s", false)]
    [InlineData("0ms", false)]
    [InlineData("1ms", true)]
    [InlineData("30s", true)]
    [InlineData("5 m", false)]
    public async Task A_max_duration_obligation_is_satisfiable_only_for_a_positive_duration(string value, bool satisfiable)
    {
        var forge = _bench.Forge(_intent).Set(ArtifactFormat.Obligations, w => VerifierBench.WriteObligation(w, "max_duration", value));

        var result = await _bench.VerifyAsync(forge.Sign(_bench.Key), _intent);

        if (satisfiable)
        {
            VerifierBench.AssertVerified(result);
        }
        else
        {
            VerifierBench.AssertRefused(result, ArtifactVerdict.Rejected, DenialReason.ObligationUnsatisfied, "obligation 'max_duration' cannot be satisfied here");
        }
    }

    [Fact]
    public async Task Decision_outside_the_documented_values_is_malformed_claims_not_a_refused_permit()
    {
        var forge = _bench.Forge(_intent).Set(ArtifactFormat.Decision, w => w.WriteInt32(7));

        VerifierBench.AssertMalformedClaims(await _bench.VerifyAsync(forge.Sign(_bench.Key), _intent));
    }

    [Fact]
    public async Task Token_id_is_read_in_RFC_9562_byte_order()
    {
        byte[] cti = [0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0A, 0x0B, 0x0C, 0x0D, 0x0E, 0x0F];
        var forge = _bench.Forge(_intent).Set(ArtifactFormat.Cti, w => w.WriteByteString(cti));

        var result = await _bench.VerifyAsync(forge.Sign(_bench.Key), _intent);

        VerifierBench.AssertVerified(result);
        Assert.Equal(Guid.Parse("00010203-0405-0607-0809-0a0b0c0d0e0f"), result.Claims!.TokenId);
    }

    [Fact]
    public async Task Single_use_obligation_is_satisfied()
    {
        var forge = _bench.Forge(_intent).Set(ArtifactFormat.Obligations, w => VerifierBench.WriteObligation(w, "max_uses", "1"));

        VerifierBench.AssertVerified(await _bench.VerifyAsync(forge.Sign(_bench.Key), _intent));
    }

    [Fact]
    public async Task Approval_obligation_with_a_referenced_approval_is_satisfied()
    {
        var forge = _bench.Forge(_intent)
            .Set(ArtifactFormat.Obligations, w => VerifierBench.WriteObligation(w, "requires_approval", "finance"))
            .Set(ArtifactFormat.Approvals, VerifierBench.WriteOneApproval);

        VerifierBench.AssertVerified(await _bench.VerifyAsync(forge.Sign(_bench.Key), _intent));
    }

    [Fact]
    public async Task Approval_obligation_naming_no_approver_is_unsatisfiable_even_with_an_approval_referenced()
    {
        var forge = _bench.Forge(_intent)
            .Set(ArtifactFormat.Obligations, w => VerifierBench.WriteObligation(w, "requires_approval", string.Empty))
            .Set(ArtifactFormat.Approvals, VerifierBench.WriteOneApproval);

        VerifierBench.AssertRefused(await _bench.VerifyAsync(forge.Sign(_bench.Key), _intent), ArtifactVerdict.Rejected, DenialReason.ObligationUnsatisfied, "obligation 'requires_approval' cannot be satisfied here");
    }

    [Fact]
    public async Task Scope_followed_by_approvals_is_read_as_two_claims()
    {
        // Approvals (-65544) is the one claim encoded after the scope (-65543): the scope map must be closed first.
        var forge = _bench.Forge(_intent)
            .Set(ArtifactFormat.Scope, w => VerifierBench.WriteScope(w, new DelegationScope([_intent.Action], [_intent.Resource])))
            .Set(ArtifactFormat.Approvals, VerifierBench.WriteOneApproval);

        var result = await _bench.VerifyAsync(forge.Sign(_bench.Key), _intent);

        VerifierBench.AssertVerified(result);
        Assert.Equal([_intent.Action], result.Claims!.Scope!.Actions);
        Assert.Single(result.Claims.Approvals);
    }

    [Fact]
    public async Task Largest_claim_set_the_issuer_writes_is_verified()
    {
        // Twelve required claims, a parent digest, a scope and approvals: fifteen, with the parent presented along.
        var scope = new DelegationScope([_intent.Action], [_intent.Resource]);
        var parent = _bench.Forge(_intent).Set(ArtifactFormat.Scope, w => VerifierBench.WriteScope(w, scope)).Sign(_bench.Key);
        var child = _bench.Forge(_intent)
            .Set(ArtifactFormat.Obligations, w => VerifierBench.WriteObligation(w, "requires_approval", "finance"))
            .Set(ArtifactFormat.ParentArtifact, w => w.WriteByteString(parent.ComputeDigestBytes()))
            .Set(ArtifactFormat.Scope, w => VerifierBench.WriteScope(w, scope))
            .Set(ArtifactFormat.Approvals, VerifierBench.WriteOneApproval)
            .Sign(_bench.Key);

        var result = await _bench.VerifyAsync(child.WithParent(parent), _intent);

        VerifierBench.AssertVerified(result);
        Assert.Single(result.Claims!.Approvals);
    }

    [Fact]
    public async Task Sixteenth_claim_beyond_the_largest_claim_set_is_malformed_claims()
    {
        // All fifteen claims the format defines (as above, verified) and one more: an unknown key, whatever its place.
        var scope = new DelegationScope([_intent.Action], [_intent.Resource]);
        var parent = _bench.Forge(_intent).Set(ArtifactFormat.Scope, w => VerifierBench.WriteScope(w, scope)).Sign(_bench.Key);
        var child = _bench.Forge(_intent)
            .Set(ArtifactFormat.Obligations, w => VerifierBench.WriteObligation(w, "requires_approval", "finance"))
            .Set(ArtifactFormat.ParentArtifact, w => w.WriteByteString(parent.ComputeDigestBytes()))
            .Set(ArtifactFormat.Scope, w => VerifierBench.WriteScope(w, scope))
            .Set(ArtifactFormat.Approvals, VerifierBench.WriteOneApproval)
            .Set(ArtifactFormat.Approvals - 1, w => w.WriteTextString("extra"))
            .Sign(_bench.Key);

        VerifierBench.AssertMalformedClaims(await _bench.VerifyAsync(child.WithParent(parent), _intent));
    }

    [Fact]
    public async Task Eleven_claims_are_malformed_claims()
    {
        var forge = _bench.Forge(_intent).Remove(ArtifactFormat.Obligations);

        VerifierBench.AssertMalformedClaims(await _bench.VerifyAsync(forge.Sign(_bench.Key), _intent));
    }

    [Theory]
    [InlineData(ArtifactFormat.Iss)]
    [InlineData(ArtifactFormat.Exp)]
    [InlineData(ArtifactFormat.Obligations)]
    public async Task Claim_given_twice_is_malformed_claims_not_the_first_or_last_one_wins(int claim)
    {
        var forge = _bench.Forge(_intent);
        forge.DuplicateClaim = claim;

        VerifierBench.AssertMalformedClaims(await _bench.VerifyAsync(forge.Sign(_bench.Key), _intent));
    }

    [Fact]
    public async Task Claims_map_of_indefinite_length_is_malformed_claims()
    {
        var forge = _bench.Forge(_intent);
        forge.IndefiniteMap = true;

        VerifierBench.AssertMalformedClaims(await _bench.VerifyAsync(forge.Sign(_bench.Key), _intent));
    }

    [Theory]
    [InlineData(ArtifactFormat.DeterminingPolicies)]
    [InlineData(ArtifactFormat.Obligations)]
    [InlineData(ArtifactFormat.Approvals)]
    [InlineData(ArtifactFormat.Scope)]
    public async Task Array_or_map_of_indefinite_length_inside_the_claims_is_malformed_claims(int claim)
    {
        // The same content as a definite-length item that verifies; only the length encoding differs.
        Action<CborWriter> write = claim switch
        {
            ArtifactFormat.DeterminingPolicies => w => { w.WriteStartArray(null); w.WriteTextString("allow-read"); w.WriteEndArray(); },
            ArtifactFormat.Obligations => w => { w.WriteStartArray(null); w.WriteEndArray(); },
            ArtifactFormat.Approvals => w => { w.WriteStartArray(null); w.WriteByteString(new byte[32]); w.WriteEndArray(); },
            _ => w =>
            {
                w.WriteStartMap(null);
                w.WriteTextString("actions");
                w.WriteStartArray(1);
                VerifierBench.WriteEntity(w, _intent.Action.Type, _intent.Action.Id);
                w.WriteEndArray();
                w.WriteTextString("resources");
                w.WriteStartArray(null);
                VerifierBench.WriteEntity(w, _intent.Resource.Type, _intent.Resource.Id);
                w.WriteEndArray();
                w.WriteEndMap();
            },
        };
        var forge = _bench.Forge(_intent).Set(claim, write);

        VerifierBench.AssertMalformedClaims(await _bench.VerifyAsync(forge.Sign(_bench.Key), _intent));
    }

    [Fact]
    public async Task Subject_other_than_the_intent_principal_is_IntentMismatch()
    {
        // The intent digest names support-bot; sub claims the artifact was minted for an administrator.
        var forge = _bench.Forge(_intent).Set(ArtifactFormat.Sub, w => w.WriteTextString("Agent::\"admin\""));

        var result = await _bench.VerifyAsync(forge.Sign(_bench.Key), _intent);

        VerifierBench.AssertRefused(result, ArtifactVerdict.Rejected, DenialReason.IntentMismatch, "the artifact's subject is not the intent's principal");
        Assert.Equal("intent", result.Checks[^1]);
    }

    [Theory]
    [InlineData("well-formed")]
    [InlineData("well-formed-with-principals")]
    public async Task Well_formed_scope_written_by_hand_is_verified_so_the_malformed_ones_below_fail_for_their_flaw(string form)
    {
        var forge = _bench.Forge(_intent).Set(ArtifactFormat.Scope, w => WriteScope(w, form));

        var result = await _bench.VerifyAsync(forge.Sign(_bench.Key), _intent);

        VerifierBench.AssertVerified(result);
        Assert.Equal(form == "well-formed" ? [] : [_intent.Principal], result.Claims!.Scope!.Principals);
    }

    [Theory]
    [InlineData("actions-only")]
    [InlineData("third-entry")]
    [InlineData("empty-principals")]
    [InlineData("fourth-entry")]
    [InlineData("first-key-misspelled")]
    [InlineData("second-key-misspelled")]
    [InlineData("keys-swapped")]
    [InlineData("wrong-tag")]
    [InlineData("entity-of-three")]
    [InlineData("duplicate-action")]
    [InlineData("empty-resources")]
    [InlineData("empty-actions")]
    [InlineData("unsorted-actions")]
    [InlineData("untagged-action")]
    [InlineData("entity-of-one")]
    [InlineData("actions-not-an-array")]
    [InlineData("indefinite-actions")]
    [InlineData("malformed-principals")]
    [InlineData("principals-not-an-array")]
    [InlineData("scope-not-a-map")]
    [InlineData("empty-map")]
    public async Task Malformed_scope_is_malformed_claims(string flaw)
    {
        var forge = _bench.Forge(_intent).Set(ArtifactFormat.Scope, w => WriteScope(w, flaw));

        VerifierBench.AssertMalformedClaims(await _bench.VerifyAsync(forge.Sign(_bench.Key), _intent));
    }

    /// <summary>The scope {actions: [read, audit], resources: [ticket-1]} (read sorts first: shorter), with one flaw.</summary>
    private static void WriteScope(CborWriter w, string flaw)
    {
        if (flaw == "scope-not-a-map")
        {
            w.WriteTextString("actions");
            return;
        }

        if (flaw == "empty-map")
        {
            w.WriteStartMap(0);
            w.WriteEndMap();
            return;
        }

        w.WriteStartMap(flaw switch { "actions-only" => 1, "third-entry" or "empty-principals" or "malformed-principals" or "principals-not-an-array" or "well-formed-with-principals" => 3, "fourth-entry" => 4, _ => 2 });
        if (flaw == "keys-swapped")
        {
            w.WriteTextString("resources");
            WriteResources(w, flaw);
            w.WriteTextString("actions");
            WriteActions(w, flaw);
            w.WriteEndMap();
            return;
        }

        w.WriteTextString(flaw == "first-key-misspelled" ? "action" : "actions");
        WriteActions(w, flaw);
        if (flaw == "actions-only")
        {
            w.WriteEndMap();
            return;
        }

        w.WriteTextString(flaw == "second-key-misspelled" ? "resource" : "resources");
        WriteResources(w, flaw);
        if (flaw == "malformed-principals")
        {
            // The principals of a well-formed scope, unsorted: a set whose every entity is valid but not in set form.
            w.WriteTextString("principals");
            w.WriteStartArray(2);
            VerifierBench.WriteEntity(w, "Agent", "support-bot");
            VerifierBench.WriteEntity(w, "Agent", "bot");
            w.WriteEndArray();
        }

        if (flaw == "principals-not-an-array")
        {
            w.WriteTextString("principals");
            VerifierBench.WriteEntity(w, "Agent", "support-bot");
        }

        if (flaw is "third-entry" or "empty-principals" or "fourth-entry" or "well-formed-with-principals")
        {
            // A key of ten letters, as long as "principals", so that only its name is wrong.
            w.WriteTextString(flaw == "third-entry" ? "delegatees" : "principals");
            w.WriteStartArray(flaw == "empty-principals" ? 0 : 1);
            if (flaw != "empty-principals")
            {
                VerifierBench.WriteEntity(w, "Agent", "support-bot");
            }

            w.WriteEndArray();
        }

        if (flaw == "fourth-entry")
        {
            w.WriteTextString("principals2");
            w.WriteStartArray(1);
            VerifierBench.WriteEntity(w, "Agent", "support-bot");
            w.WriteEndArray();
        }

        w.WriteEndMap();
    }

    private static void WriteActions(CborWriter w, string flaw)
    {
        switch (flaw)
        {
            case "empty-actions":
                w.WriteStartArray(0);
                w.WriteEndArray();
                return;
            case "unsorted-actions":
                w.WriteStartArray(2);
                VerifierBench.WriteEntity(w, "Action", "audit");
                VerifierBench.WriteEntity(w, "Action", "read");
                w.WriteEndArray();
                return;
            case "untagged-action":
                w.WriteStartArray(1);
                w.WriteStartArray(2);
                w.WriteTextString("Action");
                w.WriteTextString("read");
                w.WriteEndArray();
                w.WriteEndArray();
                return;
            case "entity-of-one":
                w.WriteStartArray(1);
                w.WriteTag((CborTag)39001);
                w.WriteStartArray(1);
                w.WriteTextString("Action");
                w.WriteEndArray();
                w.WriteEndArray();
                return;
            case "actions-not-an-array":
                VerifierBench.WriteEntity(w, "Action", "read");
                return;
            case "indefinite-actions":
                w.WriteStartArray(null);
                VerifierBench.WriteEntity(w, "Action", "read");
                w.WriteEndArray();
                return;
        }

        w.WriteStartArray(2);
        VerifierBench.WriteEntity(w, "Action", "read");
        if (flaw == "entity-of-three")
        {
            w.WriteTag((CborTag)39001);
            w.WriteStartArray(3);
            w.WriteTextString("Action");
            w.WriteTextString("audit");
            w.WriteTextString("extra");
            w.WriteEndArray();
        }
        else
        {
            // A tag one above the entity tag still sorts after "read" (its tag bytes are greater), so only the tag is wrong.
            VerifierBench.WriteEntity(w, "Action", flaw == "duplicate-action" ? "read" : "audit", flaw == "wrong-tag" ? 39002UL : 39001UL);
        }

        w.WriteEndArray();
    }

    private static void WriteResources(CborWriter w, string flaw)
    {
        if (flaw == "empty-resources")
        {
            w.WriteStartArray(0);
            w.WriteEndArray();
            return;
        }

        w.WriteStartArray(1);
        VerifierBench.WriteEntity(w, "Ticket", "ticket-1");
        w.WriteEndArray();
    }

}
