using System.Text;
using GovernedExecution.Artifacts;
using GovernedExecution.Artifacts.Keys;
using GovernedExecution.Execution;
using GovernedExecution.Intents;
using GovernedExecution.Lineage;
using GovernedExecution.Policies.Cedar;
using GovernedExecution.Testing;

namespace GovernedExecution.Tests.FailClosed;

/// <summary>
/// Every parser that takes outside input fails with its documented error on hostile input: deep nesting, huge
/// strings, invalid UTF-8, duplicate keys, numbers out of range. Never a crash (stack overflow, null reference,
/// index out of range), never a hang.
/// </summary>
public sealed class BadInputTests
{
    private static readonly string Deep = new('[', 100_000);
    private static readonly string DeepParens = "permit(principal, action, resource) when { " + new string('(', 100_000) + "true" + new string(')', 100_000) + " };";
    private static readonly string HugeString = "permit(principal, action, resource) when { context.s == \"" + new string('a', 8_000_000) + "\" };";
    private static readonly string InvalidUtf8 = Encoding.UTF8.GetString([0x70, 0x65, 0x72, 0xC3, 0x28, 0xFF, 0xFE, 0x6D]);

    /// <summary>Runs the parse on another thread, bounded in time, and requires one of the documented exceptions.</summary>
    private static void FailsCleanly(Action parse, params Type[] documented)
    {
        // A parser that hangs fails the test here; the bound is liveness, not performance.
        var task = Task.Run(parse);
#pragma warning disable xUnit1031 // the wait is bounded and runs on a pool thread
        var completed = task.ContinueWith(_ => { }, TaskScheduler.Default).Wait(TimeSpan.FromSeconds(30));
#pragma warning restore xUnit1031
        Assert.True(completed, "the parser did not finish (hang)");
        var error = Assert.IsAssignableFrom<Exception>(task.Exception?.InnerException);
        Assert.Contains(documented, t => t.IsInstanceOfType(error));
        Assert.False(string.IsNullOrWhiteSpace(error.Message));
    }

    public static TheoryData<string, string> CedarTexts => new()
    {
        { "deep parentheses", DeepParens },
        { "deep sets", "permit(principal, action, resource) when { " + string.Concat(Enumerable.Repeat("[", 50_000)) + " };" },
        { "long integer out of range", "permit(principal, action, resource) when { 9223372036854775808 == 1 };" },
        { "invalid UTF-8 decoded", InvalidUtf8 },
        { "unterminated string", "permit(principal, action, resource) when { \"abc };" },
        { "unknown operator", "permit(principal, action, resource) when { 1 <=> 2 };" },
        { "huge garbage", new string('\u0001', 2_000_000) },
    };

    [Theory]
    [MemberData(nameof(CedarTexts))]
    public void Cedar_text(string name, string text)
    {
        Assert.NotNull(name);
        FailsCleanly(() => CedarPolicySet.Parse(text), typeof(CedarParseException));
    }

    [Fact]
    public void Cedar_text_huge_string_literal_parses_or_fails_cleanly()
    {
        // An 8 MB string literal is legal Cedar: it must parse, not crash.
        var set = CedarPolicySet.Parse(HugeString);
        Assert.Single(set.PolicyIds);
    }

    public static TheoryData<string, string> Jsons => new()
    {
        { "deep arrays", Deep },
        { "deep objects", string.Concat(Enumerable.Repeat("{\"a\":", 10_000)) },
        { "duplicate keys", "{\"staticPolicies\":{},\"staticPolicies\":{}}" },
        { "number out of range", "[{\"uid\":{\"type\":\"A\",\"id\":\"a\"},\"attrs\":{\"n\":99999999999999999999999},\"parents\":[]}]" },
        { "invalid UTF-8", InvalidUtf8 },
        { "not JSON", "permit(principal, action, resource);" },
    };

    [Theory]
    [MemberData(nameof(Jsons))]
    public void Cedar_json_policies(string name, string json)
    {
        Assert.NotNull(name);
        FailsCleanly(() => CedarPolicySet.ParseJson(json), typeof(CedarParseException));
    }

    [Theory]
    [MemberData(nameof(Jsons))]
    public void Cedar_entities(string name, string json)
    {
        Assert.NotNull(name);
        FailsCleanly(() => CedarEntities.ParseJson(json), typeof(CedarParseException));
    }

    [Theory]
    [InlineData("{\"__entity\":\"User\"}")] // found by fuzzing: an escape whose value is not an object
    [InlineData("{\"__entity\":[\"User\",\"bob\"]}")]
    [InlineData("{\"__entity\":null}")]
    [InlineData("{\"__extn\":\"ip\"}")]
    [InlineData("{\"__extn\":{\"fn\":\"ip\",\"arg\":{\"__entity\":1}}}")]
    public void Cedar_entities_with_a_malformed_escape_in_an_attribute_are_refused(string value)
    {
        FailsCleanly(() => CedarEntities.ParseJson("[{\"uid\":{\"type\":\"A\",\"id\":\"a\"},\"attrs\":{\"x\":" + value + "},\"parents\":[]}]"), typeof(CedarParseException));
    }

    [Fact]
    public void Cedar_entities_with_duplicate_attribute_keys_are_refused()
    {
        FailsCleanly(() => CedarEntities.ParseJson("[{\"uid\":{\"type\":\"A\",\"id\":\"a\"},\"attrs\":{\"x\":1,\"x\":2},\"parents\":[]}]"), typeof(CedarParseException));
    }

    [Fact]
    public void Cycles_in_entity_parents_are_refused_without_hanging()
    {
        // Cedar refuses a hierarchy with a cycle when it computes the closure; so do we, after a closure that terminates.
        var links = string.Join(",", Enumerable.Range(0, 500).Select(i => $$"""{"uid":{"type":"Team","id":"{{i}}"},"attrs":{},"parents":[{"type":"Team","id":"{{(i + 1) % 500}}"}]}"""));
        FailsCleanly(() => CedarEntities.ParseJson("[" + links + """,{"uid":{"type":"Agent","id":"x"},"attrs":{},"parents":[{"type":"Team","id":"0"}]}]"""), typeof(CedarParseException));
    }

    [Fact]
    public void Cedar_schema_deep_nesting()
    {
        Assert.Throws<CedarParseException>(() => CedarSchema.Parse("entity A { a: " + string.Concat(Enumerable.Repeat("Set<", 100_000)) + "Long" + new string('>', 100_000) + " };"));
    }

    public static TheoryData<string, string> Requests => new()
    {
        { "deep context", "{\"principal\":{\"type\":\"A\",\"id\":\"a\"},\"action\":{\"type\":\"Action\",\"id\":\"a\"},\"resource\":{\"type\":\"R\",\"id\":\"r\"},\"context\":" + Deep + "}" },
        { "duplicate keys", "{\"principal\":{\"type\":\"A\",\"id\":\"a\"},\"principal\":{\"type\":\"B\",\"id\":\"b\"},\"action\":{\"type\":\"Action\",\"id\":\"a\"},\"resource\":{\"type\":\"R\",\"id\":\"r\"}}" },
        { "number out of range", "{\"principal\":{\"type\":\"A\",\"id\":\"a\"},\"action\":{\"type\":\"Action\",\"id\":\"a\"},\"resource\":{\"type\":\"R\",\"id\":\"r\"},\"context\":{\"n\":1e400}}" },
        { "invalid UTF-8", InvalidUtf8 },
        { "bad entity type", "{\"principal\":{\"type\":\"1bad\",\"id\":\"a\"},\"action\":{\"type\":\"Action\",\"id\":\"a\"},\"resource\":{\"type\":\"R\",\"id\":\"r\"}}" },
    };

    [Theory]
    [MemberData(nameof(Requests))]
    public void Request_json(string name, string json)
    {
        Assert.NotNull(name);
        FailsCleanly(() => IntentJson.Parse(json), typeof(FormatException));
    }

    public static TheoryData<string, byte[]> Artifacts()
    {
        var data = new TheoryData<string, byte[]>
        {
            { "random bytes", Enumerable.Range(0, 4096).Select(i => (byte)(i * 7919)).ToArray() },
            { "tag 18 then deep arrays", [0xD2, .. Enumerable.Repeat((byte)0x81, 100_000)] },
            { "tag 18 then a byte string claiming 2^63 bytes", [0xD2, 0x84, 0x5B, 0x7F, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF] },
            { "tag 18 then an indefinite map", [0xD2, 0xBF, 0xBF, 0xBF, 0xFF] },
            { "one byte", [0xD2] },
            // Found by fuzzing: a protected header label beyond 32 bits made the COSE decoder throw OverflowException.
            { "header label beyond 32 bits", [0xD2, 0x84, 0x4B, 0xA1, 0x1B, 0x7F, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01, 0xA0, 0x41, 0x00, 0x40] },
        };
        return data;
    }

    [Theory]
    [MemberData(nameof(Artifacts))]
    public async Task Cose_artifacts_are_refused_and_nothing_runs(string name, byte[] bytes)
    {
        Assert.NotNull(name);
        using var host = new GovernedTestHost();
        var ran = false;
        var outcome = await host.Executor.RunOutcomeAsync(GovernedTestHost.Intent("read"), AuthorizationArtifact.FromBytes(bytes), (ctx, ct) => { ran = true; return ValueTask.FromResult(0); })
            .AsTask().WaitAsync(TimeSpan.FromSeconds(30));

        Assert.False(ran);
        Assert.Equal(DenialReason.SignatureInvalid, outcome.Denial!.Reason);
    }

    [Theory]
    [InlineData("deep JSON line")]
    [InlineData("huge line")]
    [InlineData("invalid UTF-8 line")]
    [InlineData("duplicate members")]
    public async Task Lineage_files(string name)
    {
        var line = name switch
        {
            "deep JSON line" => Encoding.UTF8.GetBytes(Deep),
            "huge line" => Encoding.UTF8.GetBytes("{\"v\":1,\"x\":\"" + new string('a', 5_000_000) + "\"}"),
            "invalid UTF-8 line" => [0x7B, 0xC3, 0x28, 0xFF, 0x7D],
            _ => Encoding.UTF8.GetBytes("{\"v\":1,\"v\":1}"),
        };
        var path = Path.GetTempFileName();
        try
        {
            File.WriteAllBytes(path, [.. line, (byte)'\n']);
            var result = await Task.Run(() => LineageVerifier.VerifyFiles([path], null)).WaitAsync(TimeSpan.FromSeconds(30));
            Assert.False(result.IsValid);
            Assert.Equal(1, result.FailedLine);
            Assert.False(string.IsNullOrWhiteSpace(result.Error));
        }
        finally
        {
            File.Delete(path);
        }
    }

    public static TheoryData<string, string> Keys => new()
    {
        { "garbage PEM", "-----BEGIN PUBLIC KEY-----\nnot base64 at all!!\n-----END PUBLIC KEY-----" },
        { "huge PEM", "-----BEGIN PUBLIC KEY-----\n" + new string('A', 4_000_000) + "\n-----END PUBLIC KEY-----" },
        { "JWK duplicate keys", "{\"kty\":\"EC\",\"kty\":\"RSA\",\"crv\":\"P-256\",\"x\":\"AA\",\"y\":\"AA\"}" },
        { "JWK deep", Deep },
        { "JWK wrong sizes", "{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"AA\",\"y\":\"AA\"}" },
        { "invalid UTF-8", InvalidUtf8 },
    };

    [Theory]
    [MemberData(nameof(Keys))]
    public void Keys_in_pem_and_jwk(string name, string text)
    {
        Assert.NotNull(name);
        FailsCleanly(() => (name.StartsWith("JWK", StringComparison.Ordinal) || name.StartsWith("invalid", StringComparison.Ordinal) ? TrustedKey.FromJwk(text) : TrustedKey.FromPem(text)).Dispose(), typeof(ArgumentException));
        FailsCleanly(() => (name.StartsWith("JWK", StringComparison.Ordinal) || name.StartsWith("invalid", StringComparison.Ordinal) ? SigningKey.FromJwk(text) : SigningKey.FromPem(text)).Dispose(), typeof(ArgumentException));
    }
}
