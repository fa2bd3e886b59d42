using System.Formats.Cbor;
using System.Text.Json;
using GovernedExecution.Intents;
using GovernedExecution.Testing;

namespace GovernedExecution.Tests.Intents;

/// <summary>The published intent vectors (docs/vectors/intent-vectors.json) against <see cref="IntentEncoding"/>.</summary>
public sealed class IntentVectorTests
{
    private static readonly string VectorFile = Path.Combine(TestPaths.RepositoryRoot, "docs", "vectors", "intent-vectors.json");

    public static TheoryData<string> VectorNames()
    {
        var data = new TheoryData<string>();
        foreach (var vector in Load())
        {
            data.Add(vector.GetProperty("name").GetString()!);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(VectorNames))]
    public void Encoding_and_digest_match_the_published_vector(string name)
    {
        var vector = Load().Single(v => v.GetProperty("name").GetString() == name);
        var intent = IntentJson.Parse(vector.GetProperty("intent").GetRawText());

        Assert.Equal(vector.GetProperty("cbor").GetString(), Convert.ToHexStringLower(IntentEncoding.Encode(intent)));
        Assert.Equal(vector.GetProperty("sha256").GetString(), Convert.ToHexStringLower(IntentEncoding.Digest(intent)));
    }

    [Fact]
    public void Vectors_cover_every_value_kind()
    {
        var kinds = new HashSet<IntentValueKind>();
        foreach (var vector in Load())
        {
            foreach (var value in IntentJson.Parse(vector.GetProperty("intent").GetRawText()).Context.Values)
            {
                Collect(value, kinds);
            }
        }

        Assert.Equal(Enum.GetValues<IntentValueKind>().ToHashSet(), kinds);
    }

    [Fact]
    public void Every_encoding_is_core_deterministic_cbor()
    {
        foreach (var vector in Load())
        {
            var bytes = Convert.FromHexString(vector.GetProperty("cbor").GetString()!);
            var reader = new CborReader(bytes, CborConformanceMode.Canonical);
            reader.SkipValue();
            Assert.Equal(0, reader.BytesRemaining);
        }
    }

    [Fact]
    public void Key_order_is_bytewise_over_utf8_not_utf16_ordinal()
    {
        // U+E000 sorts after U+1F600 in UTF-16 (surrogates come first) but before it in UTF-8.
        var intent = new ExecutionIntent(GovernedTestHost.Agent(), new EntityReference("Action", "a"), new EntityReference("R", "r"))
        {
            Context = new Dictionary<string, IntentValue> { ["\U0001F600"] = 1L, ["\uE000a"] = 2L },
        };
        var encoded = Convert.ToHexStringLower(IntentEncoding.Encode(intent));

        Assert.True(encoded.IndexOf("64ee8080" + "61", StringComparison.Ordinal) < encoded.IndexOf("64f09f9880", StringComparison.Ordinal));
    }

    [Fact]
    public void Set_order_and_duplicates_do_not_change_the_digest()
    {
        static ExecutionIntent With(IntentValue tags) => new(GovernedTestHost.Agent(), new EntityReference("Action", "a"), new EntityReference("R", "r"))
        {
            Context = new Dictionary<string, IntentValue> { ["tags"] = tags },
        };

        var one = IntentEncoding.Digest(With(IntentValue.Set("b", "a", 3L)));
        var two = IntentEncoding.Digest(With(IntentValue.Set(3L, "a", "b", "a")));
        var other = IntentEncoding.Digest(With(IntentValue.Set(3L, "a")));

        Assert.Equal(one, two);
        Assert.NotEqual(one, other);
    }

    [Theory]
    [InlineData("{}", "principal")]
    [InlineData("""{"principal":{"type":"A","id":"x"},"action":{"type":"Action","id":"y"},"resource":{"type":"R","id":"z"},"context":{"n":1.5}}""", "integer")]
    [InlineData("""{"principal":{"type":"A","id":"x"},"action":{"type":"Action","id":"y"},"resource":{"type":"R","id":"z"},"context":{"n":null}}""", "null")]
    [InlineData("""{"principal":{"type":"A","id":"x"},"action":{"type":"Action","id":"y"},"resource":{"type":"R","id":"z"},"context":{"ip":{"__extn":{"fn":"ip","arg":"1.2.3.4"}}}}""", "ip")]
    [InlineData("""{"principal":{"type":"A","id":"x"},"action":{"type":"Action","id":"y"},"resource":{"type":"R","id":"z"},"extra":1}""", "extra")]
    [InlineData("""{"principal":{"type":"1A","id":"x"},"action":{"type":"Action","id":"y"},"resource":{"type":"R","id":"z"}}""", "principal")]
    [InlineData("""{"principal":{"type":"A","id":"x"},"action":{"type":"Action","id":"y"},"resource":{"type":"R","id":"z"},"arguments":"00"}""", "arguments")]
    [InlineData("""{"principal":{"type":"A","id":"x"},"action":{"type":"Action","id":"y"},"resource":{"type":"R","id":"z"},"context":{"e":{"__entity":{"type":"A","id":"x"},"extra":1}}}""", "only member")]
    public void Malformed_requests_are_refused_with_the_path(string json, string mentioned)
    {
        var ex = Assert.Throws<FormatException>(() => IntentJson.Parse(json));
        Assert.Contains(mentioned, ex.Message, StringComparison.Ordinal);
    }

    private static void Collect(IntentValue value, HashSet<IntentValueKind> kinds)
    {
        kinds.Add(value.Kind);
        if (value.Kind == IntentValueKind.Set)
        {
            foreach (var item in value.AsSet())
            {
                Collect(item, kinds);
            }
        }
        else if (value.Kind == IntentValueKind.Record)
        {
            foreach (var field in value.AsRecord().Values)
            {
                Collect(field, kinds);
            }
        }
    }

    private static List<JsonElement> Load()
    {
        using var document = JsonDocument.Parse(File.ReadAllText(VectorFile));
        return [.. document.RootElement.GetProperty("vectors").EnumerateArray().Select(v => v.Clone())];
    }
}
