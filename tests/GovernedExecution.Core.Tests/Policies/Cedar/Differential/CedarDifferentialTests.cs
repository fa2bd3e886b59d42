using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using GovernedExecution.Testing;
using Xunit.Abstractions;

namespace GovernedExecution.Tests.Policies.Cedar.Differential;

/// <summary>
/// Differential testing against the official Cedar engine: generated cases (policies, entities, requests) are evaluated
/// by @cedar-policy/cedar-wasm under Node.js (installed by .ci/setup-node-tools) and by this library, which must agree
/// on the decision, the reason set and the error set of every request. The seed and size come from
/// GOVEXEC_DIFF_SEED (one seed or a comma-separated list) and GOVEXEC_DIFF_COUNT (cases per seed); every disagreement
/// is shrunk and printed, and written to GOVEXEC_DIFF_OUT (a folder) when that is set. Every disagreement ever found is
/// kept in regressions.json and checked by <see cref="CedarDifferentialRegressionTests"/> without Node.js.
/// </summary>
public sealed class CedarDifferentialTests
{
    private const int DefaultSeed = 20_260_101;
    private const int DefaultCount = 2_000;
    private const int MaxShrunk = 5;

    /// <summary>The share of cases generated with a schema (GOVEXEC_DIFF_SCHEMAS, 0 to 1).</summary>
    private const double DefaultSchemaShare = 0.5;

    private readonly ITestOutputHelper _output;

    public CedarDifferentialTests(ITestOutputHelper output) => _output = output;

    [SkippableFact]
    public void Generated_cases_agree_with_the_official_engine()
    {
        var unavailable = CedarDifferential.OracleUnavailable();
        Skip.If(unavailable is not null, unavailable);

        var seeds = (Environment.GetEnvironmentVariable("GOVEXEC_DIFF_SEED") ?? DefaultSeed.ToString(CultureInfo.InvariantCulture))
            .Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(s => int.Parse(s, CultureInfo.InvariantCulture))
            .ToArray();
        var count = int.Parse(Environment.GetEnvironmentVariable("GOVEXEC_DIFF_COUNT") ?? DefaultCount.ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);
        var outDir = Environment.GetEnvironmentVariable("GOVEXEC_DIFF_OUT");
        var schemaShare = double.Parse(Environment.GetEnvironmentVariable("GOVEXEC_DIFF_SCHEMAS") ?? DefaultSchemaShare.ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);
        if (outDir is not null)
        {
            Directory.CreateDirectory(outDir);
        }


        var maxShrunk = int.Parse(Environment.GetEnvironmentVariable("GOVEXEC_DIFF_SHRINK") ?? MaxShrunk.ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);
        var failures = new List<string>();
        foreach (var seed in seeds)
        {
            var watch = Stopwatch.StartNew();
            var generator = new CedarCaseGenerator(seed, parserGaps: Environment.GetEnvironmentVariable("GOVEXEC_DIFF_PARSER_GAPS") != "0");
            var withSchema = new CedarSchemaCaseGenerator(seed);
            var cases = Enumerable.Range(0, count)
                .Select(i => Math.Floor((i + 1) * schemaShare) > Math.Floor(i * schemaShare)
                    ? withSchema.Next(string.Create(CultureInfo.InvariantCulture, $"seed{seed}-schema-case{i}"))
                    : generator.Next(string.Create(CultureInfo.InvariantCulture, $"seed{seed}-case{i}")))
                .ToList();
            var oracle = CedarDifferential.RunOracle(cases, outDir is null ? null : Path.Combine(outDir, string.Create(CultureInfo.InvariantCulture, $"batch-{seed}.json")));
            var oracleTime = watch.Elapsed;
            int requests = 0, allow = 0, withErrors = 0, refused = 0, disagreements = 0, shrunk = 0, schemaCases = 0, invalidPolicies = 0, policies = 0;
            var seen = new HashSet<string>(StringComparer.Ordinal);
            var signatures = new Dictionary<string, int>(StringComparer.Ordinal);
            for (int i = 0; i < cases.Count; i++)
            {
                var ours = CedarDifferential.RunOurs(cases[i]);
                if (cases[i].Schema is not null)
                {
                    schemaCases++;
                    policies += cases[i].Policies.Count;
                }

                foreach (var o in oracle[i])
                {
                    if (o.IsValidation)
                    {
                        invalidPolicies += o.Reasons.Length;
                        continue;
                    }

                    requests++;
                    allow += o.Decision == "allow" ? 1 : 0;
                    withErrors += o.Errors.Length > 0 ? 1 : 0;
                    refused += o.IsFailure ? 1 : 0;
                }

                int at = CedarDifferential.FirstDifference(oracle[i], ours);
                if (at < 0)
                {
                    continue;
                }

                disagreements++;
                signatures[Signature(oracle[i][at], at < ours.Count ? ours[at] : CedarOutcome.Failed("missing"))] =
                    signatures.GetValueOrDefault(Signature(oracle[i][at], at < ours.Count ? ours[at] : CedarOutcome.Failed("missing"))) + 1;
                if (shrunk >= maxShrunk)
                {
                    continue;
                }

                shrunk++;
                var small = CedarDifferential.Shrink(cases[i], at);
                var smallOracleAll = CedarDifferential.RunOracle([small])[0];
                var smallOursAll = CedarDifferential.RunOurs(small);
                int where = Math.Max(0, CedarDifferential.FirstDifference(smallOracleAll, smallOursAll));
                var smallOracle = smallOracleAll[where];
                var smallOurs = where < smallOursAll.Count ? smallOursAll[where] : CedarOutcome.Failed("missing");
                var text = CedarDifferential.Describe(small, where, smallOracle, smallOurs);
                if (!seen.Add(text[text.IndexOf('\n', StringComparison.Ordinal)..]))
                {
                    continue;
                }

                failures.Add(text);
                _output.WriteLine("DISAGREEMENT (shrunk from " + cases[i].Name + ")\n" + text);
                if (outDir is not null)
                {
                    File.WriteAllText(Path.Combine(outDir, small.Name + ".json"), CedarDifferential.ToRegression(small, smallOracleAll).ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
                }
            }

            foreach (var (signature, n) in signatures.OrderByDescending(kv => kv.Value))
            {
                _output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {n} x {signature}"));
            }

            _output.WriteLine(string.Create(
                CultureInfo.InvariantCulture,
                $"seed {seed}: {cases.Count} cases, {requests} requests ({allow} allow, {withErrors} with policy errors, {refused} refused input); {schemaCases} cases with a schema ({invalidPolicies} of {policies} policies invalid); {disagreements} cases disagree; oracle {oracleTime.TotalSeconds:F1} s, total {watch.Elapsed.TotalSeconds:F1} s"));
        }

        Assert.True(failures.Count == 0, failures.Count + " disagreement(s) with the official Cedar engine (shrunk):\n" + string.Join("\n", failures));
    }

    /// <summary>What kind of disagreement this is (for the summary): the outcomes without ids, or the validation kinds one engine reports and the other does not.</summary>
    private static string Signature(CedarOutcome oracle, CedarOutcome ours)
    {
        if (oracle.IsValidation && ours.IsValidation)
        {
            static IEnumerable<string> Kinds(CedarOutcome o) => o.Reasons.SelectMany(r => r[(r.IndexOf(':', StringComparison.Ordinal) + 2)..].Split(", ").Select(k => r[..r.IndexOf(':', StringComparison.Ordinal)] + ":" + k));
            var a = Kinds(oracle).ToHashSet(StringComparer.Ordinal);
            var b = Kinds(ours).ToHashSet(StringComparer.Ordinal);
            static string Strip(string k) => k[(k.IndexOf(':', StringComparison.Ordinal) + 1)..];
            return "validation: official only [" + string.Join(",", a.Except(b).Select(Strip).Distinct().Order(StringComparer.Ordinal)) + "] ours only [" + string.Join(",", b.Except(a).Select(Strip).Distinct().Order(StringComparer.Ordinal)) + "]";
        }

        static string Shape(CedarOutcome o) => o.IsFailure ? "failure" : o.IsValidation ? "validation" : o.Decision + (o.Errors.Length > 0 ? "+errors" : string.Empty);
        return "request: official " + Shape(oracle) + ", ours " + Shape(ours);
    }
}

/// <summary>
/// Every disagreement the differential tests found, with the official engine's outcome recorded; runs without Node.js.
/// A case with "skip" is a known disagreement in an area being changed elsewhere (the parser); it is run too when
/// GOVEXEC_DIFF_NO_SKIP=1.
/// </summary>
public sealed class CedarDifferentialRegressionTests
{
    private static readonly string File_ = Path.Combine(TestPaths.RepositoryRoot, "tests", "GovernedExecution.Core.Tests", "Policies", "Cedar", "Differential", "regressions.json");

    public static TheoryData<string> Cases()
    {
        var data = new TheoryData<string>();
        using var doc = JsonDocument.Parse(File.ReadAllText(File_));
        foreach (var c in doc.RootElement.GetProperty("cases").EnumerateArray())
        {
            data.Add(c.GetProperty("name").GetString()!);
        }

        return data;
    }

    [SkippableTheory]
    [MemberData(nameof(Cases))]
    public void Recorded_disagreement_now_agrees(string name)
    {
        var node = JsonNode.Parse(File.ReadAllText(File_))!["cases"]!.AsArray().Single(c => (string)c!["name"]! == name)!;
        var skip = (string?)node["skip"];
        // GOVEXEC_DIFF_NO_SKIP=1 runs the cases kept as known disagreements too (to check a fix in their area).
        Skip.If(skip is not null && Environment.GetEnvironmentVariable("GOVEXEC_DIFF_NO_SKIP") != "1", skip);
        var requests = node["requests"]!.AsArray();
        var expected = requests.Select(r => CedarDifferential.ReadOutcome(JsonDocument.Parse(r!.ToJsonString()).RootElement)).ToList();
        // With a schema, the entries are the requests, then (when recorded) the validation result, which ours gives last too.
        var schema = (string?)node["schema"];
        var realRequests = requests.Where(r => r!["validated"] is null).Select(r => r!.ToJsonString()).ToList();
        var ours = schema is null
            ? CedarDifferential.RunOurs((string)node["policies"]!, node["entities"]!.ToJsonString(), realRequests)
            : CedarDifferential.RunOursWithSchema((string)node["policies"]!, schema, node["entities"]!.ToJsonString(), realRequests);
        for (int i = 0; i < expected.Count; i++)
        {
            Assert.True(CedarDifferential.Agrees(expected[i], ours[i]), $"{name} request {i} ({node["note"]}): official engine {expected[i]}, this library {ours[i]}");
        }
    }
}
