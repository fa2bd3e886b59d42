using System.Text;
using GovernedExecution.Artifacts;
using GovernedExecution.Artifacts.Keys;
using GovernedExecution.Lineage;
using GovernedExecution.Policies.Cedar;

namespace GovernedExecution.Fuzz;

/// <summary>The fuzz targets; each returns normally for input that is accepted or rejected as documented.</summary>
public static class FuzzTargets
{
    // Created on first use: instrumented code must not run before the fuzzer has set up its coverage map.
    private static readonly Lazy<SigningKey> LazyKey = new(() => SigningKey.Generate());
    private static readonly Lazy<IArtifactVerifier> LazyVerifier = new(() => CoseArtifacts.CreateVerifier(new InMemoryTrustedKeyStore(Key.ToTrustedKey()), new InMemoryReplayGuard(TimeProvider.System)));
    private static readonly Lazy<ArtifactVerificationContext> LazyContext = new(() => new(new byte[32], "fuzz"));

    private static SigningKey Key => LazyKey.Value;

    private static IArtifactVerifier Verifier => LazyVerifier.Value;

    private static ArtifactVerificationContext Context => LazyContext.Value;

    public static IReadOnlyDictionary<string, Action<byte[]>> All { get; } = new Dictionary<string, Action<byte[]>>(StringComparer.Ordinal)
    {
        ["cedar-policy"] = CedarPolicy,
        ["entities-json"] = EntitiesJson,
        ["artifact"] = Artifact,
        ["lineage"] = Lineage,
    };

    public static void CedarPolicy(byte[] input)
    {
        try
        {
            var set = CedarPolicySet.Parse(Encoding.UTF8.GetString(input), "fuzz.cedar");
            // A parsed set must format and parse again (the canonical form is what the digest covers).
            CedarPolicySet.Parse(set.ToCedarText(), "fuzz-canonical.cedar");
            _ = set.Digest;
        }
        catch (CedarParseException)
        {
        }
    }

    public static void EntitiesJson(byte[] input)
    {
        try
        {
            CedarEntities.ParseJson(Encoding.UTF8.GetString(input), "fuzz.json");
        }
        catch (CedarParseException)
        {
        }
    }

    public static void Artifact(byte[] input)
    {
        if (input.Length == 0)
        {
            return;
        }

        var result = Verifier.VerifyAsync(AuthorizationArtifact.FromBytes(input), Context, CancellationToken.None).AsTask().GetAwaiter().GetResult();
        if (result.IsVerified)
        {
            throw new InvalidOperationException("a fuzzed artifact verified");
        }
    }

    public static void Lineage(byte[] input)
    {
        var path = Path.Combine(Path.GetTempPath(), "govexec-fuzz-" + Environment.ProcessId + ".jsonl");
        File.WriteAllBytes(path, input);
        try
        {
            LineageVerifier.VerifyFiles([path], null);
        }
        finally
        {
            File.Delete(path);
        }
    }

    public static void WriteSeeds(string folder)
    {
        Directory.CreateDirectory(Path.Combine(folder, "artifact"));
        var issuer = CoseArtifacts.CreateIssuer(new StaticSigningKeyProvider(Key));
        var decision = new Policies.PolicyDecision(Policies.PolicyDecisionKind.Permitted, ["p"], [], [new("ttl", "30s", "p")], new string('a', 64));
        // Minted for another intent than the one the target verifies against: the genuine seed goes through every
        // check up to the intent and is rejected there; only a forgery could ever be Verified.
        var otherIntent = Enumerable.Repeat((byte)1, 32).ToArray();
        var artifact = issuer.IssueAsync(new ArtifactRequest(otherIntent, "Agent::\"a\"", "fuzz", decision), CancellationToken.None).AsTask().GetAwaiter().GetResult();
        File.WriteAllBytes(Path.Combine(folder, "artifact", "artifact.cose"), artifact.Encoded.ToArray());

        Directory.CreateDirectory(Path.Combine(folder, "lineage"));
        var path = Path.Combine(folder, "lineage", "log.jsonl");
        using (var sink = FileLineageSink.Open(new FileLineageSinkOptions { Path = path, CheckpointKey = Key, CheckpointEveryRecords = 3 }))
        {
            for (var i = 0; i < 4; i++)
            {
                sink.AppendAsync([new LineageEvent(LineageEventKind.IntentSubmitted, Guid.NewGuid(), null, DateTimeOffset.UnixEpoch, [new("k", "v")])], CancellationToken.None).AsTask().GetAwaiter().GetResult();
            }
        }

        foreach (var extra in Directory.GetFiles(Path.Combine(folder, "lineage")).Where(f => !f.EndsWith(".jsonl", StringComparison.Ordinal)))
        {
            File.Delete(extra);
        }
    }
}
