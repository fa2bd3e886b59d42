using GovernedExecution.Artifacts;
using GovernedExecution.Artifacts.Keys;
using GovernedExecution.DependencyInjection;
using GovernedExecution.Execution;
using GovernedExecution.Intents;
using GovernedExecution.Lineage;
using GovernedExecution.Policies;
using GovernedExecution.Policies.Rules;
using GovernedExecution.Testing;
using GovernedExecution.Tests.Execution;
using Microsoft.Extensions.Time.Testing;

namespace GovernedExecution.Tests.Artifacts;

/// <summary>
/// Every verdict and every rejection reason of artifact verification, each reached through the executor with a presented
/// artifact, each proving that the delegate did not run (and that the verdict was recorded in lineage).
/// </summary>
public sealed class ArtifactVerdictTests : IDisposable
{
    private static readonly DateTimeOffset Start = new(2026, 11, 26, 12, 0, 0, TimeSpan.Zero);
    private readonly GovernedTestHost _issuer = new();
    private readonly FakeTimeProvider _time;
    private readonly InMemoryLineageSink _lineage = new();

    public ArtifactVerdictTests() => _time = _issuer.FakeTime!;

    public void Dispose() => _issuer.Dispose();

    [Fact]
    public async Task Artifact_from_IssueAsync_is_Verified_after_every_check()
    {
        var intent = GovernedTestHost.Intent("read");
        var artifact = await MintAsync(intent);

        var (outcome, ran) = await RunAsync(Worker(), intent, artifact);

        Assert.True(ran);
        Assert.True(outcome.IsSuccess);
        Assert.Equal(nameof(ArtifactVerdict.Verified), Verdict());
        Assert.Equal("structure,headers,algorithm,key,signature,claims,decision,validity,audience,intent,policy-set,scope,obligations,replay", Checks());
    }

    [Fact]
    public async Task No_artifact_is_ArtifactMissing_and_nothing_is_verified()
    {
        var (outcome, ran) = await RunAsync(Worker(), GovernedTestHost.Intent("read"), null);

        AssertDenied(outcome, ran, DenialReason.ArtifactMissing);
        Assert.DoesNotContain(_lineage.Records, r => r.Event.Kind == LineageEventKind.ArtifactVerified);
    }

    // ---- Invalid ----

    [Fact]
    public async Task Flipped_signature_bit_is_Invalid()
    {
        var intent = GovernedTestHost.Intent("read");
        var bytes = (await MintAsync(intent)).Encoded.ToArray();
        bytes[^1] ^= 0x01;

        await AssertVerdictAsync(Worker(), intent, AuthorizationArtifact.FromBytes(bytes), ArtifactVerdict.Invalid, DenialReason.SignatureInvalid, "signature");
    }

    [Fact]
    public async Task Untagged_message_is_Invalid()
    {
        var intent = GovernedTestHost.Intent("read");
        var forge = Forge(intent);
        forge.Tagged = false;

        await AssertVerdictAsync(Worker(), intent, forge.Sign(_issuer.SigningKey), ArtifactVerdict.Invalid, DenialReason.SignatureInvalid, "structure");
    }

    [Fact]
    public async Task Trailing_bytes_after_the_message_are_Invalid()
    {
        var intent = GovernedTestHost.Intent("read");
        var bytes = (await MintAsync(intent)).Encoded.ToArray();

        await AssertVerdictAsync(Worker(), intent, AuthorizationArtifact.FromBytes([.. bytes, 0x00]), ArtifactVerdict.Invalid, DenialReason.SignatureInvalid, "structure");
    }

    [Fact]
    public async Task Alg_only_in_the_unprotected_header_is_Invalid()
    {
        var intent = GovernedTestHost.Intent("read");
        var forge = Forge(intent);
        forge.OmitAlgorithm = true;
        forge.Unprotected.Add((1, w => w.WriteInt32(-7)));

        await AssertVerdictAsync(Worker(), intent, forge.Sign(_issuer.SigningKey), ArtifactVerdict.Invalid, DenialReason.SignatureInvalid, "structure", "headers");
    }

    [Fact]
    public async Task Alg_repeated_in_the_unprotected_header_is_Invalid()
    {
        var intent = GovernedTestHost.Intent("read");
        var forge = Forge(intent);
        forge.Unprotected.Add((1, w => w.WriteInt32(-7)));

        await AssertVerdictAsync(Worker(), intent, forge.Sign(_issuer.SigningKey), ArtifactVerdict.Invalid, DenialReason.SignatureInvalid, "structure", "headers");
    }

    [Fact]
    public async Task Crit_naming_an_unknown_label_is_Invalid()
    {
        var intent = GovernedTestHost.Intent("read");
        var forge = Forge(intent);
        forge.ExtraProtected.Add((2, w => { w.WriteStartArray(1); w.WriteInt32(-70000); w.WriteEndArray(); }));
        forge.ExtraProtected.Add((-70000, w => w.WriteTextString("must-understand")));

        await AssertVerdictAsync(Worker(), intent, forge.Sign(_issuer.SigningKey), ArtifactVerdict.Invalid, DenialReason.SignatureInvalid, "structure", "headers");
    }

    [Fact]
    public async Task Unknown_protected_header_is_Invalid()
    {
        var intent = GovernedTestHost.Intent("read");
        var forge = Forge(intent);
        forge.ExtraProtected.Add((33, w => w.WriteByteString([1, 2, 3])));

        await AssertVerdictAsync(Worker(), intent, forge.Sign(_issuer.SigningKey), ArtifactVerdict.Invalid, DenialReason.SignatureInvalid, "headers");
    }

    [Fact]
    public async Task Informational_unprotected_header_is_ignored()
    {
        var intent = GovernedTestHost.Intent("read");
        var forge = Forge(intent);
        forge.Unprotected.Add((-70001, w => w.WriteTextString("note")));

        var (outcome, ran) = await RunAsync(Worker(), intent, forge.Sign(_issuer.SigningKey));

        Assert.True(ran);
        Assert.True(outcome.IsSuccess);
    }

    [Fact]
    public async Task Wrong_content_type_is_Invalid()
    {
        var intent = GovernedTestHost.Intent("read");
        var forge = Forge(intent);
        forge.ContentType = "application/cwt";

        await AssertVerdictAsync(Worker(), intent, forge.Sign(_issuer.SigningKey), ArtifactVerdict.Invalid, DenialReason.SignatureInvalid, "headers");
    }

    [Fact]
    public async Task Algorithm_not_allowed_here_is_Invalid()
    {
        using var es384 = SigningKey.Generate(ArtifactAlgorithm.ES384);
        var intent = GovernedTestHost.Intent("read");

        await AssertVerdictAsync(Worker(new InMemoryTrustedKeyStore(es384.ToTrustedKey())), intent, Forge(intent).Sign(es384), ArtifactVerdict.Invalid, DenialReason.SignatureInvalid, "algorithm");
    }

    [Fact]
    public async Task P256_key_labelled_ES384_is_Invalid_because_keys_are_pinned()
    {
        // A correct ECDSA signature over SHA-384 with the trusted P-256 key: only the pinning refuses it.
        var intent = GovernedTestHost.Intent("read");
        var bytes = Forge(intent).SignBytes(_issuer.SigningKey.Key, ArtifactAlgorithm.ES384, _issuer.SigningKey.KeyId);
        var worker = Worker(configure: o => o.AllowedAlgorithms.Add(ArtifactAlgorithm.ES384));

        await AssertVerdictAsync(worker, intent, AuthorizationArtifact.FromBytes(bytes), ArtifactVerdict.Invalid, DenialReason.SignatureInvalid, "key");
        Assert.Contains("pinned to ES256", _lineage.Records.Last(r => r.Event.Kind == LineageEventKind.ExecutionDenied).Event["detail"], StringComparison.Ordinal);
    }

    [Fact]
    public async Task Unknown_claim_is_Invalid()
    {
        var intent = GovernedTestHost.Intent("read");
        var forge = Forge(intent).Set(-65600, w => w.WriteTextString("surprise"));

        await AssertVerdictAsync(Worker(), intent, forge.Sign(_issuer.SigningKey), ArtifactVerdict.Invalid, DenialReason.SignatureInvalid, "claims");
    }

    [Fact]
    public async Task Missing_claim_is_Invalid()
    {
        var intent = GovernedTestHost.Intent("read");
        var forge = Forge(intent).Remove(ArtifactFormat.Nbf);

        await AssertVerdictAsync(Worker(), intent, forge.Sign(_issuer.SigningKey), ArtifactVerdict.Invalid, DenialReason.SignatureInvalid, "claims");
    }

    [Fact]
    public async Task Claims_not_in_deterministic_encoding_are_Invalid()
    {
        var intent = GovernedTestHost.Intent("read");
        var forge = Forge(intent).Set(ArtifactFormat.Exp, w => w.WriteEncodedValue(new byte[] { 0x1B, 0, 0, 0, 0, 0x69, 0x26, 0xE7, 0x40 }));

        await AssertVerdictAsync(Worker(), intent, forge.Sign(_issuer.SigningKey), ArtifactVerdict.Invalid, DenialReason.SignatureInvalid, "claims");
    }

    [Fact]
    public async Task Detached_payload_is_Invalid()
    {
        var intent = GovernedTestHost.Intent("read");
        var forge = Forge(intent);
        var bytes = forge.SignBytes(_issuer.SigningKey.Key, ArtifactAlgorithm.ES256, _issuer.SigningKey.KeyId);
        var reader = new System.Formats.Cbor.CborReader(bytes);
        reader.ReadTag();
        reader.ReadStartArray();
        var writer = new System.Formats.Cbor.CborWriter();
        writer.WriteTag((System.Formats.Cbor.CborTag)18);
        writer.WriteStartArray(4);
        writer.WriteEncodedValue(reader.ReadEncodedValue().Span);
        writer.WriteEncodedValue(reader.ReadEncodedValue().Span);
        reader.SkipValue();
        writer.WriteNull();
        writer.WriteEncodedValue(reader.ReadEncodedValue().Span);
        writer.WriteEndArray();

        await AssertVerdictAsync(Worker(), intent, AuthorizationArtifact.FromBytes(writer.Encode()), ArtifactVerdict.Invalid, DenialReason.SignatureInvalid, "structure");
    }

    [Theory]
    [InlineData("unsorted")]
    [InlineData("empty")]
    [InlineData("not-entities")]
    public async Task Malformed_delegated_scope_is_Invalid(string how)
    {
        var intent = GovernedTestHost.Intent("read");
        var forge = Forge(intent).Set(ArtifactFormat.Scope, w =>
        {
            w.WriteStartMap(2);
            w.WriteTextString("actions");
            switch (how)
            {
                case "unsorted":
                    w.WriteStartArray(2);
                    WriteEntity(w, "Action", "audit"); // 5 letters: its encoding sorts after "read"
                    WriteEntity(w, "Action", "read");
                    w.WriteEndArray();
                    break;
                case "empty":
                    w.WriteStartArray(0);
                    w.WriteEndArray();
                    break;
                default:
                    w.WriteStartArray(1);
                    w.WriteTextString("Action::\"read\"");
                    w.WriteEndArray();
                    break;
            }

            w.WriteTextString("resources");
            w.WriteStartArray(1);
            WriteEntity(w, "Ticket", "ticket-1");
            w.WriteEndArray();
            w.WriteEndMap();
        });

        await AssertVerdictAsync(Worker(), intent, forge.Sign(_issuer.SigningKey), ArtifactVerdict.Invalid, DenialReason.SignatureInvalid, "claims");
    }

    // ---- The same verdicts on the executor's own mint-and-verify path (no presented artifact) ----

    [Fact]
    public async Task Own_artifact_with_an_untrusted_signing_key_is_Untrusted()
    {
        using var host = new GovernedTestHost(b => b.UseTrustedKeyStore(new InMemoryTrustedKeyStore()));
        var ran = false;
        var outcome = await host.Executor.RunOutcomeAsync(GovernedTestHost.Intent("read"), (ctx, ct) => { ran = true; return ValueTask.FromResult(1); });

        AssertDenied(outcome, ran, DenialReason.UntrustedKey);
        Assert.Equal(nameof(ArtifactVerdict.Untrusted), host.Lineage.Records.Last(r => r.Event.Kind == LineageEventKind.ArtifactVerified).Event["verdict"]);
    }

    [Fact]
    public async Task Own_artifact_when_the_key_store_fails_is_CannotEvaluate()
    {
        using var host = new GovernedTestHost(b => b.UseTrustedKeyStore(new FaultyTrustedKeyStore(new InMemoryTrustedKeyStore(), FaultKind.Throws)));
        var ran = false;
        var outcome = await host.Executor.RunOutcomeAsync(GovernedTestHost.Intent("read"), (ctx, ct) => { ran = true; return ValueTask.FromResult(1); });

        AssertDenied(outcome, ran, DenialReason.KeyUnavailable);
        Assert.Equal(nameof(ArtifactVerdict.CannotEvaluate), host.Lineage.Records.Last(r => r.Event.Kind == LineageEventKind.ArtifactVerified).Event["verdict"]);
    }

    [Fact]
    public async Task Own_artifact_signed_with_an_algorithm_not_allowed_is_Invalid()
    {
        using var es512 = SigningKey.Generate(ArtifactAlgorithm.ES512);
        using var host = new GovernedTestHost(b => b.UseSigningKey(es512).UseTrustedKeys(es512.ToTrustedKey()));
        var ran = false;
        var outcome = await host.Executor.RunOutcomeAsync(GovernedTestHost.Intent("read"), (ctx, ct) => { ran = true; return ValueTask.FromResult(1); });

        AssertDenied(outcome, ran, DenialReason.SignatureInvalid);
        Assert.Equal(nameof(ArtifactVerdict.Invalid), host.Lineage.Records.Last(r => r.Event.Kind == LineageEventKind.ArtifactVerified).Event["verdict"]);
    }

    // ---- Untrusted ----

    [Fact]
    public async Task Unknown_key_id_is_Untrusted()
    {
        using var stranger = SigningKey.Generate();
        var intent = GovernedTestHost.Intent("read");

        await AssertVerdictAsync(Worker(), intent, Forge(intent).Sign(stranger), ArtifactVerdict.Untrusted, DenialReason.UntrustedKey, "key");
    }

    [Fact]
    public async Task Revoked_key_is_Untrusted()
    {
        var intent = GovernedTestHost.Intent("read");
        var artifact = await MintAsync(intent);
        var store = new InMemoryTrustedKeyStore(_issuer.SigningKey.ToTrustedKey());
        store.Revoke(_issuer.SigningKey.KeyId);

        await AssertVerdictAsync(Worker(store), intent, artifact, ArtifactVerdict.Untrusted, DenialReason.UntrustedKey, "key");
    }

    [Fact]
    public async Task Key_past_its_NotAfter_is_Untrusted()
    {
        var intent = GovernedTestHost.Intent("read");
        var artifact = await MintAsync(intent);
        using var retired = _issuer.SigningKey.ToTrustedKey().WithValidity(null, Start.AddSeconds(-1));

        await AssertVerdictAsync(Worker(new InMemoryTrustedKeyStore(retired)), intent, artifact, ArtifactVerdict.Untrusted, DenialReason.UntrustedKey, "key");
    }

    // ---- CannotEvaluate ----

    [Fact]
    public async Task Failing_key_store_is_CannotEvaluate_with_KeyUnavailable()
    {
        var intent = GovernedTestHost.Intent("read");
        var artifact = await MintAsync(intent);
        var store = new FaultyTrustedKeyStore(_issuer.TrustStore, FaultKind.Throws);

        await AssertVerdictAsync(Worker(store), intent, artifact, ArtifactVerdict.CannotEvaluate, DenialReason.KeyUnavailable, "key");
    }

    [Fact]
    public async Task Hanging_key_store_is_CannotEvaluate_with_KeyUnavailable_as_a_throwing_one_is()
    {
        var intent = GovernedTestHost.Intent("read");
        var artifact = await MintAsync(intent);
        var store = new FaultyTrustedKeyStore(_issuer.TrustStore, FaultKind.Hangs);

        var pending = RunAsync(Worker(store), intent, artifact);
        _time.Advance(TimeSpan.FromSeconds(5)); // the default DependencyTimeout
        var (outcome, ran) = await pending.WaitAsync(TimeSpan.FromMinutes(1));

        AssertDenied(outcome, ran, DenialReason.KeyUnavailable);
        Assert.Equal("the trusted-key store timed out", outcome.Denial!.Detail);
        Assert.Equal(nameof(ArtifactVerdict.CannotEvaluate), Verdict());
    }

    [Fact]
    public async Task Failing_replay_guard_is_CannotEvaluate()
    {
        var intent = GovernedTestHost.Intent("read");
        var artifact = await MintAsync(intent);
        var worker = Worker(customize: b => b.UseReplayGuard(new FaultyReplayGuard(new InMemoryReplayGuard(_time), FaultKind.Throws)));

        await AssertVerdictAsync(worker, intent, artifact, ArtifactVerdict.CannotEvaluate, DenialReason.GovernanceFault, "replay");
    }

    // ---- Rejected ----

    [Fact]
    public async Task Artifact_carrying_a_forbid_is_Rejected_NotPermitted()
    {
        var intent = GovernedTestHost.Intent("read");
        var forge = Forge(intent).Set(ArtifactFormat.Decision, w => w.WriteInt32((int)PolicyDecisionKind.Forbidden));

        await AssertVerdictAsync(Worker(), intent, forge.Sign(_issuer.SigningKey), ArtifactVerdict.Rejected, DenialReason.NotPermitted, "decision");
    }

    [Fact]
    public async Task Expired_artifact_is_Rejected()
    {
        var intent = GovernedTestHost.Intent("read");
        var artifact = await MintAsync(intent);
        _time.Advance(TimeSpan.FromSeconds(60 + 30 + 1)); // lifetime + skew + 1

        await AssertVerdictAsync(Worker(), intent, artifact, ArtifactVerdict.Rejected, DenialReason.Expired, "validity");
    }

    [Fact]
    public async Task Artifact_living_thirty_days_is_Rejected_Expired_on_day_29()
    {
        var intent = GovernedTestHost.Intent("read");
        var forge = Forge(intent).Set(ArtifactFormat.Exp, w => w.WriteInt64(_time.GetUtcNow().AddDays(30).ToUnixTimeSeconds()));
        var artifact = forge.Sign(_issuer.SigningKey);
        _time.Advance(TimeSpan.FromDays(29));

        await AssertVerdictAsync(Worker(), intent, artifact, ArtifactVerdict.Rejected, DenialReason.Expired, "validity");
    }

    [Fact]
    public async Task Worker_configured_with_a_lower_maximum_refuses_a_longer_lived_artifact_and_runs_one_at_the_maximum()
    {
        var intent = GovernedTestHost.Intent("read");
        AuthorizationArtifact Lasting(int minutes) => Forge(intent).Set(ArtifactFormat.Exp, w => w.WriteInt64(_time.GetUtcNow().AddMinutes(minutes).ToUnixTimeSeconds())).Sign(_issuer.SigningKey);
        var worker = Worker(configure: o => o.MaxArtifactLifetime = TimeSpan.FromMinutes(5));

        var (atMaximum, ran) = await RunAsync(worker, intent, Lasting(5));
        Assert.True(ran && atMaximum.IsSuccess, atMaximum.Denial?.ToString());

        await AssertVerdictAsync(worker, intent, Lasting(6), ArtifactVerdict.Rejected, DenialReason.Expired, "validity");
        Assert.Equal("the artifact lives longer than this runtime accepts", _lineage.Records.Last(r => r.Event.Kind == LineageEventKind.ExecutionDenied).Event["detail"]);
    }

    [Fact]
    public async Task Artifact_outliving_its_ttl_obligation_is_Rejected_50_minutes_later()
    {
        var intent = GovernedTestHost.Intent("read");
        var forge = Forge(intent)
            .Set(ArtifactFormat.Exp, w => w.WriteInt64(_time.GetUtcNow().AddHours(1).ToUnixTimeSeconds()))
            .Set(ArtifactFormat.Obligations, w => VerifierBench.WriteObligation(w, "ttl", "30s"));
        var artifact = forge.Sign(_issuer.SigningKey);
        _time.Advance(TimeSpan.FromMinutes(50));

        await AssertVerdictAsync(Worker(), intent, artifact, ArtifactVerdict.Rejected, DenialReason.ObligationUnsatisfied, "obligations");
    }

    [Fact]
    public async Task Artifact_from_the_future_is_Rejected_NotYetValid()
    {
        var intent = GovernedTestHost.Intent("read");
        var artifact = await MintAsync(intent);
        var earlier = new FakeTimeProvider(Start.AddMinutes(-5));

        await AssertVerdictAsync(Worker(time: earlier), intent, artifact, ArtifactVerdict.Rejected, DenialReason.NotYetValid, "validity");
    }

    [Fact]
    public async Task Artifact_for_another_audience_is_Rejected()
    {
        var intent = GovernedTestHost.Intent("read");
        var artifact = await MintAsync(intent, audience: "billing");

        await AssertVerdictAsync(Worker(), intent, artifact, ArtifactVerdict.Rejected, DenialReason.AudienceMismatch, "audience");
    }

    [Fact]
    public async Task Artifact_for_another_intent_is_Rejected()
    {
        var artifact = await MintAsync(GovernedTestHost.Intent("read", "ticket-1"));

        await AssertVerdictAsync(Worker(), GovernedTestHost.Intent("read", "ticket-2"), artifact, ArtifactVerdict.Rejected, DenialReason.IntentMismatch, "intent");
    }

    [Fact]
    public async Task Artifact_decided_by_another_policy_set_is_Rejected()
    {
        using var other = new GovernedTestHost(policies: new RulePolicyEvaluator([PolicyRule.Permit("allow-everything", _ => true)]), time: _time);
        var intent = GovernedTestHost.Intent("read");
        var artifact = (await other.Executor.IssueAsync(intent, GovernedTestHost.Audience)).Artifact!;
        _issuer.TrustStore.Add(other.SigningKey.ToTrustedKey());

        // The issuer's own executor has policies, so it only accepts artifacts decided by them.
        var ran = false;
        var outcome = await _issuer.Executor.RunOutcomeAsync(intent, artifact, 0, (s, ctx, ct) => { ran = true; return ValueTask.FromResult(s); });

        AssertDenied(outcome, ran, DenialReason.PolicySetMismatch);
        Assert.Equal(nameof(ArtifactVerdict.Rejected), _issuer.Lineage.Records.Last(r => r.Event.Kind == LineageEventKind.ArtifactVerified).Event["verdict"]);
    }

    [Theory]
    [InlineData("requires_approval", "finance")] // an approval is required but the artifact references none
    [InlineData("max_uses", "2")]
    [InlineData("ttl", "0s")]
    [InlineData("ttl", "soon")]
    public async Task Obligation_the_artifact_cannot_satisfy_is_Rejected(string name, string value)
    {
        var intent = GovernedTestHost.Intent("read");
        var forge = Forge(intent).Set(ArtifactFormat.Obligations, w => VerifierBench.WriteObligation(w, name, value));

        await AssertVerdictAsync(Worker(), intent, forge.Sign(_issuer.SigningKey), ArtifactVerdict.Rejected, DenialReason.ObligationUnsatisfied, "obligations");
    }

    [Fact]
    public async Task Issued_in_the_future_is_NotYetValid_even_when_not_before_has_passed()
    {
        var intent = GovernedTestHost.Intent("read");
        var now = _time.GetUtcNow().ToUnixTimeSeconds();
        var forge = Forge(intent).Set(ArtifactFormat.Iat, w => w.WriteInt64(now + 600)).Set(ArtifactFormat.Exp, w => w.WriteInt64(now + 900));

        await AssertVerdictAsync(Worker(), intent, forge.Sign(_issuer.SigningKey), ArtifactVerdict.Rejected, DenialReason.NotYetValid, "validity");
    }

    [Fact]
    public async Task Unknown_obligation_is_Rejected()
    {
        var intent = GovernedTestHost.Intent("read");
        var forge = Forge(intent).Set(ArtifactFormat.Obligations, w =>
        {
            w.WriteStartArray(1);
            w.WriteStartArray(3);
            w.WriteTextString("requires_hardware_token");
            w.WriteTextString("yes");
            w.WriteTextString("allow-read");
            w.WriteEndArray();
            w.WriteEndArray();
        });

        await AssertVerdictAsync(Worker(), intent, forge.Sign(_issuer.SigningKey), ArtifactVerdict.Rejected, DenialReason.ObligationUnsatisfied, "obligations");
    }

    [Fact]
    public async Task Second_use_is_Rejected_as_Replayed()
    {
        var intent = GovernedTestHost.Intent("read");
        var artifact = await MintAsync(intent);
        var worker = Worker();
        var (first, firstRan) = await RunAsync(worker, intent, artifact);
        Assert.True(firstRan && first.IsSuccess);

        await AssertVerdictAsync(worker, intent, artifact, ArtifactVerdict.Rejected, DenialReason.Replayed, "replay");
    }

    [Fact]
    public async Task Rejected_artifact_does_not_burn_its_token_id()
    {
        var intent = GovernedTestHost.Intent("read");
        var artifact = await MintAsync(intent);
        var worker = Worker();

        var (wrong, wrongRan) = await RunAsync(worker, GovernedTestHost.Intent("read", "ticket-9"), artifact);
        var (right, rightRan) = await RunAsync(worker, intent, artifact);

        AssertDenied(wrong, wrongRan, DenialReason.IntentMismatch);
        Assert.True(rightRan && right.IsSuccess);
    }

    [Fact]
    public void Default_verification_result_values_are_not_verified()
    {
        Assert.Equal(ArtifactVerdict.NotVerified, default(ArtifactVerdict));
        Assert.Equal(DenialReason.Unspecified, default(DenialReason));
    }

    private static void WriteEntity(System.Formats.Cbor.CborWriter writer, string type, string id)
    {
        writer.WriteTag((System.Formats.Cbor.CborTag)39001);
        writer.WriteStartArray(2);
        writer.WriteTextString(type);
        writer.WriteTextString(id);
        writer.WriteEndArray();
    }

    private ArtifactForge Forge(ExecutionIntent intent) => new(intent, GovernedTestHost.Audience, _time.GetUtcNow(), _issuer.Policies.PolicySetDigest);

    private async Task<AuthorizationArtifact> MintAsync(ExecutionIntent intent, string audience = GovernedTestHost.Audience)
    {
        var issuance = await _issuer.Executor.IssueAsync(intent, audience);
        Assert.True(issuance.IsIssued, issuance.Denial?.ToString());
        return issuance.Artifact!;
    }

    private IGovernedExecutor Worker(ITrustedKeyStore? store = null, TimeProvider? time = null, Action<GovernedExecutionOptions>? configure = null, Action<GovernedExecutorBuilder>? customize = null)
    {
        var builder = new GovernedExecutorBuilder()
            .Configure(o =>
            {
                o.Audience = GovernedTestHost.Audience;
                o.VerifyOnly = true;
                configure?.Invoke(o);
            })
            .UseTrustedKeyStore(store ?? new InMemoryTrustedKeyStore(_issuer.SigningKey.ToTrustedKey()))
            .UseTimeProvider(time ?? _time)
            .AddLineageSink(_lineage);
        customize?.Invoke(builder);
        return builder.Build();
    }

    private static async Task<(GovernedOutcome<int> Outcome, bool Ran)> RunAsync(IGovernedExecutor executor, ExecutionIntent intent, AuthorizationArtifact? artifact)
    {
        var ran = new StrongBox<bool>();
        var outcome = await executor.RunOutcomeAsync(intent, artifact, ran, static (r, ctx, ct) => { r.Value = true; return ValueTask.FromResult(1); });
        return (outcome, ran.Value);
    }

    private async Task AssertVerdictAsync(IGovernedExecutor executor, ExecutionIntent intent, AuthorizationArtifact artifact, ArtifactVerdict verdict, DenialReason reason, params string[] lastCheck)
    {
        var (outcome, ran) = await RunAsync(executor, intent, artifact);

        AssertDenied(outcome, ran, reason);
        Assert.Equal(verdict.ToString(), Verdict());
        Assert.Contains(Checks().Split(',')[^1], lastCheck);
    }

    private static void AssertDenied(GovernedOutcome<int> outcome, bool ran, DenialReason reason)
    {
        Assert.False(ran, "the delegate ran");
        Assert.True(outcome.IsDenied);
        DenialDetails.AssertDenied(outcome.Denial, reason);
    }

    private string? Verdict() => _lineage.Records.Last(r => r.Event.Kind == LineageEventKind.ArtifactVerified).Event["verdict"];

    private string Checks() => _lineage.Records.Last(r => r.Event.Kind == LineageEventKind.ArtifactVerified).Event["checks"]!;

    private sealed class StrongBox<T>
    {
        public T? Value { get; set; }
    }
}
