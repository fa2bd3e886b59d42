using System.Text.Json;
using System.Text.Json.Nodes;
using GovernedExecution.Lineage;

namespace GovernedExecution.Tests.Lineage;

/// <summary>Inclusion and consistency proofs: generated from a log, checked from their JSON form alone.</summary>
public sealed class LineageProofTests : IDisposable
{
    private readonly LineageTestLog _log = new();
    private readonly Dictionary<string, GovernedExecution.Artifacts.Keys.TrustedKey> _trusted;

    public LineageProofTests()
    {
        _log.WriteAsync(40, o => { o.CheckpointEveryRecords = 6; o.RotateAtBytes = 6000; }).GetAwaiter().GetResult();
        _trusted = _log.Trusted.ToDictionary(k => k.KeyId);
    }

    public void Dispose() => _log.Dispose();

    [Fact]
    public void Every_record_has_an_inclusion_proof_that_round_trips_through_json()
    {
        var files = _log.Files();
        var records = files.Sum(f => _log.Lines(f).Length);
        for (long sequence = 1; sequence < records; sequence++)
        {
            var json = LineageProofs.CreateInclusion(files, sequence, _trusted);
            Assert.Null(LineageProofs.Verify(json, _trusted));

            // The JSON is the whole proof: parsed and written again, it still verifies.
            var again = JsonNode.Parse(json)!.ToJsonString();
            Assert.Null(LineageProofs.Verify(again, _trusted));
        }
    }

    [Fact]
    public void The_closing_checkpoint_cannot_prove_itself()
    {
        var files = _log.Files();
        var records = files.Sum(f => _log.Lines(f).Length);
        Assert.Throws<InvalidDataException>(() => LineageProofs.CreateInclusion(files, records, _trusted));
    }

    [Theory]
    [InlineData("root")]
    [InlineData("leafHash")]
    [InlineData("path")]
    [InlineData("sequence")]
    [InlineData("record")]
    [InlineData("checkpoint")]
    public void A_tampered_inclusion_proof_fails(string member)
    {
        var proof = JsonNode.Parse(LineageProofs.CreateInclusion(_log.Files(), 5, _trusted))!.AsObject();
        Tamper(proof, member);
        Assert.NotNull(LineageProofs.Verify(proof.ToJsonString(), _trusted));
    }

    [Fact]
    public void Consistency_proofs_between_every_pair_of_checkpoints_round_trip()
    {
        var checkpoints = _log.Files().SelectMany(f => _log.Lines(f))
            .Select(l => JsonDocument.Parse(l).RootElement)
            .Where(r => r.GetProperty("kind").GetString() == "checkpoint")
            .Select(r => r.GetProperty("seq").GetInt64()).ToArray();
        Assert.True(checkpoints.Length >= 5);
        foreach (var from in checkpoints)
        {
            foreach (var to in checkpoints.Where(c => c >= from))
            {
                var json = LineageProofs.CreateConsistency(_log.Files(), from, to, _trusted);
                Assert.Null(LineageProofs.Verify(JsonNode.Parse(json)!.ToJsonString(), _trusted));
            }
        }
    }

    [Theory]
    [InlineData("root1")]
    [InlineData("root2")]
    [InlineData("path")]
    [InlineData("size1")]
    [InlineData("checkpoint2")]
    public void A_tampered_consistency_proof_fails(string member)
    {
        var proof = JsonNode.Parse(LineageProofs.CreateConsistency(_log.Files(), 7, null, _trusted))!.AsObject();
        Tamper(proof, member);
        Assert.NotNull(LineageProofs.Verify(proof.ToJsonString(), _trusted));
    }

    [Fact]
    public void A_proof_whose_checkpoint_is_signed_by_another_key_fails_with_those_keys()
    {
        using var other = new LineageTestLog();
        var json = LineageProofs.CreateInclusion(_log.Files(), 3, _trusted);
        Assert.Contains("untrusted", LineageProofs.Verify(json, other.Trusted.ToDictionary(k => k.KeyId)), StringComparison.Ordinal);
    }

    private static void Tamper(JsonObject proof, string member)
    {
        switch (proof[member])
        {
            case JsonArray path:
                var first = path[0]!.GetValue<string>();
                path[0] = (first[0] == '0' ? "1" : "0") + first[1..];
                break;
            case JsonValue value when value.TryGetValue<long>(out var number):
                proof[member] = number + 1;
                break;
            case JsonValue value:
                var text = value.GetValue<string>();
                var at = text.Length / 2;
                proof[member] = text[..at] + (text[at] == 'a' ? 'b' : 'a') + text[(at + 1)..];
                break;
        }
    }
}
