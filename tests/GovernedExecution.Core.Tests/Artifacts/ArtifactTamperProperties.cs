using System.Formats.Cbor;
using GovernedExecution.Artifacts;
using GovernedExecution.Artifacts.Keys;
using GovernedExecution.Intents;
using GovernedExecution.Testing;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Microsoft.Extensions.Time.Testing;

namespace GovernedExecution.Tests.Artifacts;

/// <summary>
/// Any single-bit flip, truncation, extension, or move of a protected header to the unprotected bucket (with the
/// original signature, or re-signed by the trusted key) turns a valid artifact into one that is never Verified.
/// </summary>
public sealed class ArtifactTamperProperties
{
    public enum MutationKind
    {
        FlipBit,
        Truncate,
        Extend,
        MoveHeader,
        MoveHeaderAndResign,
    }

    private static readonly Fixture Valid = new();

    [Fact]
    public void The_untampered_artifact_is_Verified_by_the_same_verifier()
    {
        Assert.Equal(ArtifactVerdict.Verified, Verify(Valid.Encoded).Verdict);
        Assert.Equal(ArtifactVerdict.Verified, Verify(Valid.Encoded).Verdict); // the property's verifier never counts as a replay
    }

    [Property(MaxTest = 10_000)]
    public Property Any_single_mutation_is_never_Verified() =>
        Prop.ForAll(Mutations().ToArbitrary(), mutation =>
        {
            var tampered = Apply(mutation);
            return tampered.Length == 0 || Verify(tampered).Verdict != ArtifactVerdict.Verified;
        });

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(4)]
    public void Moving_a_protected_header_and_re_signing_is_still_refused(int label)
    {
        var result = Verify(Apply(new Mutation(MutationKind.MoveHeaderAndResign, 0, 0, [], label)));

        Assert.Equal(ArtifactVerdict.Invalid, result.Verdict);
    }

    public static Gen<Mutation> Mutations()
    {
        var length = Valid.Encoded.Length;
        var flip = Gen.Choose(0, length - 1).SelectMany(p => Gen.Choose(0, 7), (p, b) => new Mutation(MutationKind.FlipBit, p, b, [], 0));
        var truncate = Gen.Choose(0, length - 1).Select(n => new Mutation(MutationKind.Truncate, n, 0, [], 0));
        var extend = Gen.Choose(1, 16).SelectMany(n => Gen.ArrayOf(Gen.Choose(0, 255).Select(i => (byte)i), n), (n, bytes) => new Mutation(MutationKind.Extend, 0, 0, bytes, 0));
        var move = Gen.Elements(1, 3, 4).SelectMany(l => Gen.Elements(MutationKind.MoveHeader, MutationKind.MoveHeaderAndResign), (l, k) => new Mutation(k, 0, 0, [], l));
        return Gen.Frequency((12, flip), (3, truncate), (3, extend), (2, move));
    }

    private static byte[] Apply(Mutation mutation)
    {
        var bytes = Valid.Encoded.ToArray();
        switch (mutation.Kind)
        {
            case MutationKind.FlipBit:
                bytes[mutation.Position] ^= (byte)(1 << mutation.Bit);
                return bytes;
            case MutationKind.Truncate:
                return bytes[..mutation.Position];
            case MutationKind.Extend:
                return [.. bytes, .. mutation.Extra];
            default:
                return MoveHeader(bytes, mutation.Label, mutation.Kind == MutationKind.MoveHeaderAndResign);
        }
    }

    private static byte[] MoveHeader(byte[] encoded, int label, bool resign)
    {
        var reader = new CborReader(encoded);
        reader.ReadTag();
        reader.ReadStartArray();
        var protectedReader = new CborReader(reader.ReadByteString());
        reader.SkipValue(); // the (empty) unprotected map
        var payload = reader.ReadByteString();
        var signature = reader.ReadByteString();

        var kept = new List<(int Label, ReadOnlyMemory<byte> Value)>();
        (int Label, ReadOnlyMemory<byte> Value) moved = default;
        var count = protectedReader.ReadStartMap();
        for (var i = 0; i < count; i++)
        {
            var entry = (protectedReader.ReadInt32(), protectedReader.ReadEncodedValue());
            if (entry.Item1 == label)
            {
                moved = entry;
            }
            else
            {
                kept.Add(entry);
            }
        }

        var header = new CborWriter();
        header.WriteStartMap(kept.Count);
        foreach (var (l, v) in kept)
        {
            header.WriteInt32(l);
            header.WriteEncodedValue(v.Span);
        }

        header.WriteEndMap();
        var protectedBytes = header.Encode();
        if (resign)
        {
            var tbs = new CborWriter();
            tbs.WriteStartArray(4);
            tbs.WriteTextString("Signature1");
            tbs.WriteByteString(protectedBytes);
            tbs.WriteByteString([]);
            tbs.WriteByteString(payload);
            tbs.WriteEndArray();
            signature = ArtifactForge.SignData(Valid.Key.Key, Valid.Key.Algorithm, tbs.Encode());
        }

        var writer = new CborWriter();
        writer.WriteTag((CborTag)18);
        writer.WriteStartArray(4);
        writer.WriteByteString(protectedBytes);
        writer.WriteStartMap(1);
        writer.WriteInt32(moved.Label);
        writer.WriteEncodedValue(moved.Value.Span);
        writer.WriteEndMap();
        writer.WriteByteString(payload);
        writer.WriteByteString(signature);
        writer.WriteEndArray();
        return writer.Encode();
    }

    private static ArtifactVerificationResult Verify(byte[] encoded)
    {
        var pending = Valid.Verifier.VerifyAsync(AuthorizationArtifact.FromBytes(encoded), Valid.Context, CancellationToken.None);
        return pending.IsCompletedSuccessfully ? pending.Result : pending.AsTask().GetAwaiter().GetResult();
    }

    public sealed record Mutation(MutationKind Kind, int Position, int Bit, byte[] Extra, int Label);

    /// <summary>One valid artifact and a verifier whose replay guard never refuses, so that only tampering can deny.</summary>
    private sealed class Fixture
    {
        public Fixture()
        {
            var time = new FakeTimeProvider(new DateTimeOffset(2026, 11, 26, 12, 0, 0, TimeSpan.Zero));
            var intent = GovernedTestHost.Intent("read");
            var decision = new GovernedExecution.Policies.PolicyDecision(GovernedExecution.Policies.PolicyDecisionKind.Permitted, ["allow-read"], [], [], new string('0', 64));
            var issuer = new CoseArtifactIssuer(new StaticSigningKeyProvider(Key), time, "governed-execution", TimeSpan.FromSeconds(60));
            Encoded = issuer.IssueAsync(ArtifactRequest.ForIntent(intent, "tests", decision), CancellationToken.None).AsTask().GetAwaiter().GetResult().Encoded.ToArray();
            Verifier = new CoseArtifactVerifier(new InMemoryTrustedKeyStore(Key.ToTrustedKey()), new AlwaysFirstUse(), time, TimeSpan.FromSeconds(30), [ArtifactAlgorithm.ES256]);
            Context = new ArtifactVerificationContext(IntentEncoding.Digest(intent), "tests", intent);
        }

        public SigningKey Key { get; } = SigningKey.Generate();

        public byte[] Encoded { get; }

        public CoseArtifactVerifier Verifier { get; }

        public ArtifactVerificationContext Context { get; }
    }

    private sealed class AlwaysFirstUse : IReplayGuard
    {
        public ValueTask<bool> TryConsumeAsync(Guid tokenId, DateTimeOffset expiresAt, CancellationToken cancellationToken) => ValueTask.FromResult(true);
    }
}
