using System.Text.Json;
using GovernedExecution.Lineage;

namespace GovernedExecution.Tests.Lineage;

/// <summary>
/// Rotated files can be archived: each starts with the signed checkpoint of everything before it, so the sink resumes
/// from the newest file alone and a file verifies from its first checkpoint; the log is never restarted in place.
/// </summary>
public sealed class LineageSegmentArchiveTests : IDisposable
{
    private readonly LineageTestLog _log = new();

    public void Dispose() => _log.Dispose();

    private static string LogIdOf(string line) => JsonDocument.Parse(line).RootElement.GetProperty("log").GetString()!;

    [Fact]
    public async Task Break6_moving_rotated_files_to_an_archive_does_not_start_a_new_log_in_their_place()
    {
        await _log.WriteAsync(60, o => o.RotateAtBytes = 3000);
        var files = _log.Files();
        Assert.True(files.Count >= 3, string.Join(", ", files));
        var logId = LogIdOf(_log.Lines()[0]);
        var archive = Path.Combine(_log.Directory, "archive");
        Directory.CreateDirectory(archive);
        var archived = files[..^1].Select(f => Path.Combine(archive, Path.GetFileName(f))).ToList();
        foreach (var (from, to) in files[..^1].Zip(archived))
        {
            File.Move(from, to);
        }

        await _log.WriteAsync(60, o => o.RotateAtBytes = 3000);

        var current = Directory.GetFiles(_log.Directory, "lineage*.jsonl");
        Assert.All(current, f => Assert.Equal(logId, LogIdOf(File.ReadLines(f).First())));
        var whole = LineageVerifier.VerifyFiles([.. archived, .. current], _log.Trusted);
        Assert.True(whole.IsValid, whole.ToString());
        Assert.Equal(1, whole.FirstRecord);
    }

    [Fact]
    public async Task Every_rotated_file_starts_with_a_signed_checkpoint_and_verifies_on_its_own_from_it()
    {
        await _log.WriteAsync(60, o => o.RotateAtBytes = 3000);
        var files = _log.Files();
        Assert.True(files.Count >= 3);
        foreach (var file in files.Skip(1))
        {
            Assert.Contains("\"kind\":\"checkpoint\"", _log.Lines(file)[0], StringComparison.Ordinal);
            var alone = LineageVerifier.VerifyFiles([file], _log.Trusted);
            Assert.True(alone.IsValid, alone.ToString());
            Assert.True(alone.FirstRecord > 1);
        }

        var tail = LineageVerifier.VerifyFiles(files[1..], _log.Trusted);
        Assert.True(tail.IsValid, tail.ToString());
        Assert.Equal(LineageVerifier.VerifyFiles(files, _log.Trusted).Records, tail.Records);
        Assert.Contains(tail.Notices, n => n.Contains("earlier files", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_file_missing_from_the_files_given_is_reported_by_verification()
    {
        await _log.WriteAsync(60, o => o.RotateAtBytes = 3000);
        var files = _log.Files();
        Assert.True(files.Count >= 3);
        var result = LineageVerifier.VerifyFiles([files[0], .. files[2..]], _log.Trusted);
        Assert.False(result.IsValid);
        Assert.Contains("missing", result.Error, StringComparison.Ordinal);
    }
}
