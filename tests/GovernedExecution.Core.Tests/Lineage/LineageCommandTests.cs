using System.Text.Json;
using GovernedExecution.Tests.Cli;

namespace GovernedExecution.Tests.Lineage;

/// <summary><c>govexec lineage ...</c> run as a process: output and exit codes.</summary>
public sealed class LineageCommandTests : IDisposable
{
    private readonly LineageTestLog _log = new();
    private readonly string _publicKey;

    public LineageCommandTests()
    {
        _log.WriteAsync(20, o => { o.CheckpointEveryRecords = 6; o.RotateAtBytes = 4000; }).GetAwaiter().GetResult();
        _publicKey = Path.Combine(_log.Directory, "pub.pem");
        File.WriteAllText(_publicKey, _log.Trusted[0].ExportPublicKeyPem());
    }

    public void Dispose() => _log.Dispose();

    [Fact]
    public async Task Verify_with_trust_prints_the_result_and_exits_zero()
    {
        var (code, stdout, _) = await GovexecAsync(["lineage", "verify", .. _log.Files().AsEnumerable().Reverse(), "--trust", _publicKey]);
        Assert.Equal(0, code);
        var result = JsonDocument.Parse(stdout).RootElement;
        Assert.True(result.GetProperty("valid").GetBoolean());
        Assert.True(result.GetProperty("records").GetInt64() > 20);
        Assert.True(result.GetProperty("checkpoints").GetInt64() >= 3);
        Assert.Equal(JsonValueKind.Null, result.GetProperty("firstError").ValueKind);
    }

    [Fact]
    public async Task Break7_verify_of_a_log_that_records_lost_records_exits_5_and_lists_them()
    {
        var path = Path.Combine(_log.Directory, "buffered.jsonl");
        var disk = new DiskFullSegments();
        var lost = Guid.NewGuid();
        await using (var sink = GovernedExecution.Lineage.FileLineageSink.Open(_log.Options(o => { o.Path = path; o.Durability = GovernedExecution.Lineage.LineageDurability.Buffered; o.OpenSegment = disk.Open; })))
        {
            await sink.AppendAsync([LineageTestLog.Event(1)], CancellationToken.None);
            await sink.FlushAsync();
            disk.Fill();
            await sink.AppendAsync([LineageTestLog.Event(2, lost)], CancellationToken.None);
            await Assert.ThrowsAsync<IOException>(() => sink.FlushAsync().AsTask());
            disk.Free();
        }

        var (code, stdout, stderr) = await GovexecAsync(["lineage", "verify", path, "--trust", _publicKey]);
        Assert.Equal(5, code);
        var result = JsonDocument.Parse(stdout).RootElement;
        Assert.True(result.GetProperty("valid").GetBoolean());
        Assert.Equal(1, result.GetProperty("recordsLost").GetInt64());
        Assert.Contains("1 acknowledged record was lost", result.GetProperty("notices")[0].GetString(), StringComparison.Ordinal);
        Assert.Contains("warning: the log is valid, and records that 1 acknowledged record(s) were lost", stderr, StringComparison.Ordinal);
        Assert.Contains(lost.ToString("D"), File.ReadAllText(path), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Verify_with_a_witness_fails_on_a_log_truncated_below_the_witnessed_checkpoint()
    {
        var witness = Path.Combine(_log.Directory, "witness");
        var path = Path.Combine(_log.Directory, "witnessed.jsonl");
        await _log.WriteAsync(25, o => { o.Path = path; o.Witness = new GovernedExecution.Lineage.DirectoryCheckpointWitness(witness); });
        var (code, stdout, _) = await GovexecAsync(["lineage", "verify", path, "--trust", _publicKey, "--witness", witness]);
        Assert.Equal(0, code);

        var lines = File.ReadAllLines(path);
        var cut = Array.FindLastIndex(lines, lines.Length - 2, l => l.Contains("\"kind\":\"checkpoint\"", StringComparison.Ordinal));
        File.WriteAllLines(path, lines[..(cut + 1)]);
        (code, _, _) = await GovexecAsync(["lineage", "verify", path, "--trust", _publicKey]);
        Assert.Equal(0, code);
        (code, stdout, _) = await GovexecAsync(["lineage", "verify", path, "--trust", _publicKey, "--witness", witness]);
        Assert.NotEqual(0, code);
        Assert.Contains("witness", JsonDocument.Parse(stdout).RootElement.GetProperty("firstError").GetProperty("reason").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Verify_without_trust_says_signatures_were_not_checked_and_fails_unless_told_not_to_check()
    {
        var (code, stdout, stderr) = await GovexecAsync(["lineage", "verify", .. _log.Files()]);
        Assert.NotEqual(0, code);
        Assert.False(JsonDocument.Parse(stdout).RootElement.GetProperty("signaturesChecked").GetBoolean());
        Assert.Contains("not checked", stderr, StringComparison.Ordinal);

        (code, _, _) = await GovexecAsync(["lineage", "verify", .. _log.Files(), "--no-signatures"]);
        Assert.Equal(0, code);
    }

    [Fact]
    public async Task Verify_reports_the_file_and_line_of_the_first_error_and_exits_non_zero()
    {
        var lines = File.ReadAllLines(_log.Path);
        lines[4] = lines[4].Replace("\"i\":\"", "\"i\":\"1", StringComparison.Ordinal);
        await File.WriteAllLinesAsync(_log.Path, lines);

        var (code, stdout, _) = await GovexecAsync(["lineage", "verify", .. _log.Files(), "--trust", _publicKey]);
        Assert.Equal(1, code);
        var error = JsonDocument.Parse(stdout).RootElement.GetProperty("firstError");
        Assert.Equal(_log.Path, error.GetProperty("file").GetString());
        Assert.Equal(5, error.GetProperty("line").GetInt64());
        Assert.Contains("hash", error.GetProperty("reason").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Verify_warns_about_later_files_of_the_log_that_were_not_given()
    {
        var (code, _, stderr) = await GovexecAsync(["lineage", "verify", _log.Path, "--trust", _publicKey]);
        Assert.Equal(0, code);
        Assert.Contains("lineage.1.jsonl belongs to the same log and was not given", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Prove_and_check_proof_round_trip_and_a_tampered_proof_fails()
    {
        var (code, proof, _) = await GovexecAsync(["lineage", "prove", .. _log.Files(), "--sequence", "3", "--trust", _publicKey]);
        Assert.Equal(0, code);
        var path = Path.Combine(_log.Directory, "proof.json");
        await File.WriteAllTextAsync(path, proof);
        (code, var stdout, _) = await GovexecAsync(["lineage", "check-proof", path, "--trust", _publicKey]);
        Assert.Equal(0, code);
        Assert.Contains("\"valid\":true", stdout, StringComparison.Ordinal);

        var root = JsonDocument.Parse(proof).RootElement.GetProperty("root").GetString()!;
        await File.WriteAllTextAsync(path, proof.Replace(root, (root[0] == '0' ? "1" : "0") + root[1..], StringComparison.Ordinal));
        (code, stdout, _) = await GovexecAsync(["lineage", "check-proof", path, "--trust", _publicKey]);
        Assert.Equal(1, code);
        Assert.Contains("\"valid\":false", stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Prove_consistency_between_two_checkpoints_checks()
    {
        var (code, proof, _) = await GovexecAsync(["lineage", "prove", .. _log.Files(), "--from-checkpoint", "7", "--trust", _publicKey]);
        Assert.Equal(0, code);
        var path = Path.Combine(_log.Directory, "consistency.json");
        await File.WriteAllTextAsync(path, proof);
        (code, _, _) = await GovexecAsync(["lineage", "check-proof", path, "--trust", _publicKey]);
        Assert.Equal(0, code);
    }

    [Fact]
    public async Task Seal_appends_a_signed_damage_record_after_a_corrupt_last_line_and_the_log_reopens_and_verifies_with_a_notice()
    {
        var path = Path.Combine(_log.Directory, "damaged.jsonl");
        await _log.WriteAsync(3, o => o.Path = path);
        var lines = File.ReadAllLines(path);
        lines[^1] = lines[^1].Replace("\"kind\":\"checkpoint\"", "\"kind\":\"checkpoinx\"", StringComparison.Ordinal);
        File.WriteAllLines(path, lines);
        Assert.Throws<InvalidDataException>(() => _log.Open(o => o.Path = path));
        var key = Path.Combine(_log.Directory, "key.pem");
        File.WriteAllText(key, _log.Key.ExportPrivateKeyPem());

        // The damaged line was the checkpoint: the records before it are no longer covered by a signature.
        var (code, _, stderr) = await GovexecAsync(["lineage", "seal", path, "--key", key]);
        Assert.NotEqual(0, code);
        Assert.Contains("--adopt-unsigned", stderr, StringComparison.Ordinal);

        (code, _, stderr) = await GovexecAsync(["lineage", "seal", path, "--key", key, "--adopt-unsigned"]);
        Assert.True(code == 0, stderr);
        (code, var stdout, stderr) = await GovexecAsync(["lineage", "verify", path, "--trust", _publicKey]);
        Assert.Equal(0, code);
        Assert.Contains("damaged line", stderr, StringComparison.Ordinal);
        Assert.Contains(lines[^1], File.ReadAllLines(path));
        await using (_log.Open(o => o.Path = path))
        {
        }
    }

    [Fact]
    public async Task Show_prints_one_line_per_execution()
    {
        var (code, stdout, _) = await GovexecAsync(["lineage", "show", .. _log.Files()]);
        Assert.Equal(0, code);
        Assert.EndsWith("20 execution(s)", stdout.TrimEnd(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Prove_without_trust_says_signatures_were_not_checked_and_fails_unless_told_not_to_check()
    {
        var (code, proof, stderr) = await GovexecAsync(["lineage", "prove", .. _log.Files(), "--sequence", "3"]);
        Assert.Equal(1, code);
        Assert.StartsWith("error: checkpoint signatures were not checked", stderr, StringComparison.Ordinal);
        Assert.Contains("\"type\": \"inclusion\"", proof, StringComparison.Ordinal);

        (code, _, stderr) = await GovexecAsync(["lineage", "prove", .. _log.Files(), "--sequence", "3", "--no-signatures"]);
        Assert.Equal(0, code);
        Assert.StartsWith("warning: checkpoint signatures were not checked (--no-signatures)", stderr, StringComparison.Ordinal);
    }

    private static async Task<(int Code, string Stdout, string Stderr)> GovexecAsync(string[] args)
    {
        var run = await Govexec.ProcessAsync(args);
        return (run.Code, run.Output, run.Error);
    }
}
