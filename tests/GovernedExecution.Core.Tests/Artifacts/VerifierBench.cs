using System.Formats.Cbor;
using GovernedExecution.Artifacts;
using GovernedExecution.Artifacts.Keys;
using GovernedExecution.Execution;
using GovernedExecution.Intents;
using GovernedExecution.Testing;
using GovernedExecution.Tests.Execution;
using Microsoft.Extensions.Time.Testing;

namespace GovernedExecution.Tests.Artifacts;

/// <summary>
/// One trusted signing key, a fake clock on a whole second and a forge for artifacts signed by that key, so that a test
/// can place every claim exactly and read the verifier's verdict, reason and detail directly.
/// </summary>
internal sealed class VerifierBench : IDisposable
{
    public FakeTimeProvider Time { get; } = new(new DateTimeOffset(2026, 11, 26, 12, 0, 0, TimeSpan.Zero));

    public SigningKey Key { get; } = SigningKey.Generate();

    /// <summary>The clock in Unix seconds, the unit of exp, nbf and iat.</summary>
    public long Now => Time.GetUtcNow().ToUnixTimeSeconds();

    public void Dispose() => Key.Dispose();

    /// <summary>A forge whose claims are valid now for 60 s (iat = nbf = now, exp = now + 60).</summary>
    public ArtifactForge Forge(ExecutionIntent intent) => new(intent, GovernedTestHost.Audience, Time.GetUtcNow(), "policy-set");

    public IArtifactVerifier Verifier(TimeSpan? skew = null, ITrustedKeyStore? store = null, IReplayGuard? replay = null) =>
        CoseArtifacts.CreateVerifier(store ?? new InMemoryTrustedKeyStore(Key.ToTrustedKey()), replay, Time, skew);

    public async Task<ArtifactVerificationResult> VerifyAsync(AuthorizationArtifact artifact, ExecutionIntent intent, TimeSpan? skew = null, ITrustedKeyStore? store = null, IReplayGuard? replay = null) =>
        await Verifier(skew, store, replay).VerifyAsync(artifact, new ArtifactVerificationContext(intent, GovernedTestHost.Audience), CancellationToken.None);

    public static void AssertVerified(ArtifactVerificationResult result)
    {
        Assert.True(result.IsVerified, result.ToString());
        Assert.Equal(DenialReason.Unspecified, result.Reason);
    }

    /// <summary>The exact verdict, reason and detail; the detail must also be one the denial catalogue documents for the reason.</summary>
    public static void AssertRefused(ArtifactVerificationResult result, ArtifactVerdict verdict, DenialReason reason, string detail)
    {
        Assert.Equal(verdict, result.Verdict);
        Assert.Equal(reason, result.Reason);
        Assert.Equal(detail, result.Detail);
        Assert.True(DenialDetails.IsDocumented(reason, result.Detail), $"undocumented detail for {reason}: \"{result.Detail}\"");
    }

    public static void AssertMalformedClaims(ArtifactVerificationResult result)
    {
        AssertRefused(result, ArtifactVerdict.Invalid, DenialReason.SignatureInvalid, "malformed claims");
        Assert.Equal("claims", result.Checks[^1]);
    }

    /// <summary>An obligations claim with one obligation of the policy <c>allow-read</c>.</summary>
    public static void WriteObligation(CborWriter writer, string name, string value)
    {
        writer.WriteStartArray(1);
        writer.WriteStartArray(3);
        writer.WriteTextString(name);
        writer.WriteTextString(value);
        writer.WriteTextString("allow-read");
        writer.WriteEndArray();
        writer.WriteEndArray();
    }

    /// <summary>A scope map as the issuer writes it (section 5 of the format).</summary>
    public static void WriteScope(CborWriter writer, DelegationScope scope)
    {
        writer.WriteStartMap(scope.Principals.Count == 0 ? 2 : 3);
        writer.WriteTextString("actions");
        IntentEncoding.WriteValue(writer, IntentValue.Set(scope.Actions.Select(IntentValue.Entity)));
        writer.WriteTextString("resources");
        IntentEncoding.WriteValue(writer, IntentValue.Set(scope.Resources.Select(IntentValue.Entity)));
        if (scope.Principals.Count > 0)
        {
            writer.WriteTextString("principals");
            IntentEncoding.WriteValue(writer, IntentValue.Set(scope.Principals.Select(IntentValue.Entity)));
        }

        writer.WriteEndMap();
    }

    /// <summary>One entity written by hand: tag, array of type and id.</summary>
    public static void WriteEntity(CborWriter writer, string type, string id, ulong tag = IntentEncoding.EntityTag)
    {
        writer.WriteTag((CborTag)tag);
        writer.WriteStartArray(2);
        writer.WriteTextString(type);
        writer.WriteTextString(id);
        writer.WriteEndArray();
    }

    /// <summary>An approvals claim referencing one (all-zero) approval digest.</summary>
    public static void WriteOneApproval(CborWriter writer)
    {
        writer.WriteStartArray(1);
        writer.WriteByteString(new byte[32]);
        writer.WriteEndArray();
    }
}
