using System.Globalization;
using System.Text;
using GovernedExecution.Lineage;
using GovernedExecution.Tests.Artifacts;

namespace GovernedExecution.Tests.Lineage;

/// <summary>
/// A checkpoint whose signature is a COSE_Sign1 message with header labels or values beyond the integer types the
/// reader uses is reported as a malformed signature at its line: by the verifier, by proofs, never as an exception.
/// </summary>
public sealed class CheckpointSignatureDecodingTests : IDisposable
{
    private readonly LineageTestLog _log = new();

    public CheckpointSignatureDecodingTests() => _log.WriteAsync(6, o => o.CheckpointEveryRecords = 4).GetAwaiter().GetResult();

    public void Dispose() => _log.Dispose();

    // Refused by the decoder, refused when a header is read, or (for an unknown header the checkpoint does not read)
    // refused by the signature: each is a report about the signature, at its line.
    private static readonly string[] Reports = ["checkpoint signature is not a COSE_Sign1 message", "checkpoint signature has malformed headers", "checkpoint signature does not verify"];

    public static TheoryData<string> Shapes() => HostileCose.Theory();

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Verify_reports_the_checkpoint_as_malformed_at_its_line(string shape)
    {
        var (path, line) = WithHostileCheckpointSignature(_log, shape);

        var result = LineageVerifier.VerifyFiles([path], _log.Trusted);

        Assert.False(result.IsValid);
        Assert.Equal(line, result.FailedLine);
        Assert.Contains(result.Error, Reports);
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Checking_a_proof_whose_checkpoint_signature_is_hostile_reports_it(string shape)
    {
        var trusted = _log.Trusted.ToDictionary(k => k.KeyId, StringComparer.Ordinal);
        var proof = System.Text.Json.Nodes.JsonNode.Parse(LineageProofs.CreateInclusion(_log.Files(), 2, trusted))!.AsObject();
        var checkpoint = LineageRecordLine.TryParse(Encoding.UTF8.GetBytes(proof["checkpoint"]!.GetValue<string>()), out _)!;
        var previous = checkpoint.PreviousHash;
        proof["checkpoint"] = Encoding.UTF8.GetString(WithSignature(checkpoint, Hostile(_log, shape, checkpoint), previous));

        var error = LineageProofs.Verify(proof.ToJsonString(), trusted);

        Assert.Contains(error, Reports);
    }

    private static string Hostile(LineageTestLog log, string shape, LineageRecordLine checkpoint) => System.Buffers.Text.Base64Url.EncodeToString(HostileCose.Message(
        shape, LineageCheckpoint.ContentType, log.Key.KeyId, LineageCheckpoint.EncodePayload(checkpoint.LogId, checkpoint.Sequence - 1, Convert.FromHexString(checkpoint[LineageCheckpoint.Root]!), 0, checkpoint.Sequence)));

    private static byte[] WithSignature(LineageRecordLine record, string? signature, string previousHash)
    {
        var data = signature is null ? record.Data : [.. record.Data.Select(p => p.Key == LineageCheckpoint.Signature ? new KeyValuePair<string, string>(p.Key, signature) : p)];
        var e = new LineageEvent(record.Kind, record.ExecutionId, record.ParentExecutionId, DateTimeOffset.Parse(record.Time, CultureInfo.InvariantCulture), data);
        return LineageChain.Create(record.Sequence, record.LogId, e, previousHash).Line.ToArray();
    }

    /// <summary>
    /// Rewrites the first checkpoint's signature as the hostile message, and rehashes it and every later record (as
    /// anyone who can write the log can), so that the signature is the first thing wrong. Returns the file and the line.
    /// </summary>
    internal static (string Path, long Line) WithHostileCheckpointSignature(LineageTestLog log, string shape)
    {
        var lines = File.ReadAllLines(log.Path).Select(Encoding.UTF8.GetBytes).ToArray();
        var output = new List<byte[]>();
        string? head = null;
        long target = 0;
        foreach (var bytes in lines)
        {
            var record = LineageRecordLine.TryParse(bytes, out var error) ?? throw new InvalidOperationException(error);
            string? signature = null;
            if (target == 0 && record.Kind == LineageEventKind.Checkpoint)
            {
                target = record.Sequence;
                signature = Hostile(log, shape, record);
            }

            var line = target == 0 ? bytes : WithSignature(record, signature, head ?? record.PreviousHash);
            head = LineageRecordLine.TryParse(line, out _)!.Hash;
            output.Add(line);
        }

        var path = Path.Combine(log.Directory, "hostile-" + Guid.NewGuid().ToString("N") + ".jsonl");
        File.WriteAllLines(path, output.Select(Encoding.UTF8.GetString));
        return (path, target);
    }
}
