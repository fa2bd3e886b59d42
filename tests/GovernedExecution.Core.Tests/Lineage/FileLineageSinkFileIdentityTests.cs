using System.Diagnostics;
using GovernedExecution.Lineage;
using GovernedExecution.Testing;

namespace GovernedExecution.Tests.Lineage;

/// <summary>
/// One writer by any path, and no write into the void: a second writer through a link, without the side lock file or
/// with .NET's file locking disabled is refused; a file deleted, truncated or replaced under an open sink faults it;
/// and a log under the kernel's append-only flag (<c>chattr +a</c>) works, torn tail included.
/// </summary>
public sealed class FileLineageSinkFileIdentityTests : IDisposable
{
    private readonly LineageTestLog _log = new();

    public void Dispose()
    {
        if (OperatingSystem.IsLinux())
        {
            foreach (var file in Directory.GetFiles(_log.Directory))
            {
                Run("chattr", "-a", file);
            }
        }

        _log.Dispose();
    }

    private static int Run(string program, params string[] arguments)
    {
        try
        {
            var start = new ProcessStartInfo(program) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
            foreach (var argument in arguments)
            {
                start.ArgumentList.Add(argument);
            }

            using var process = Process.Start(start)!;
            process.WaitForExit();
            return process.ExitCode;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return -1;
        }
    }

    private static async Task AppendAsync(FileLineageSink sink, int count)
    {
        for (var i = 0; i < count; i++)
        {
            await sink.AppendAsync([LineageTestLog.Event(i)], CancellationToken.None);
        }
    }

    [SkippableFact]
    public async Task Break3_a_second_writer_through_a_symbolic_link_is_refused()
    {
        Skip.IfNot(OperatingSystem.IsLinux(), "Linux file identity");
        await using var first = _log.Open();
        var link = Path.Combine(_log.Directory, "link.jsonl");
        File.CreateSymbolicLink(link, _log.Path);
        Assert.ThrowsAny<IOException>(() => _log.Open(o => o.Path = link));
    }

    [SkippableFact]
    public async Task Break3_a_hard_linked_log_is_refused()
    {
        Skip.IfNot(OperatingSystem.IsLinux(), "Linux file identity");
        await _log.WriteAsync(3);
        var link = Path.Combine(_log.Directory, "hard.jsonl");
        Assert.Equal(0, Run("ln", _log.Path, link));
        var ex = Assert.ThrowsAny<IOException>(() => _log.Open());
        Assert.Contains("hard link", ex.Message, StringComparison.Ordinal);
    }

    [SkippableFact]
    public async Task Break3_a_second_writer_after_the_lock_file_was_deleted_is_refused()
    {
        Skip.IfNot(OperatingSystem.IsLinux(), "Linux file identity");
        await using var first = _log.Open();
        File.Delete(_log.Path + ".lock");
        Assert.ThrowsAny<IOException>(() => _log.Open());
        await AppendAsync(first, 3);
    }

    [SkippableFact]
    public async Task Break3_a_writer_with_dotnet_file_locking_disabled_still_excludes_a_second_one()
    {
        Skip.IfNot(OperatingSystem.IsLinux(), "Linux file identity");
        var keyPath = Path.Combine(_log.Directory, "key.pem");
        await File.WriteAllTextAsync(keyPath, _log.Key.ExportPrivateKeyPem());
        var start = new ProcessStartInfo("dotnet") { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        start.Environment["DOTNET_SYSTEM_IO_DISABLEFILELOCKING"] = "1";
        foreach (var argument in new[] { CrashWriter.Path, _log.Path, keyPath, "1" })
        {
            start.ArgumentList.Add(argument);
        }

        using var child = Process.Start(start)!;
        try
        {
            Assert.Equal("open", await child.StandardError.ReadLineAsync());
            Assert.ThrowsAny<IOException>(() => _log.Open());
        }
        finally
        {
            child.Kill();
            await child.WaitForExitAsync();
        }
    }

    [SkippableFact]
    public async Task Break4_a_log_deleted_under_an_open_sink_faults_it_and_nothing_is_acknowledged_into_the_void()
    {
        Skip.IfNot(OperatingSystem.IsLinux(), "Linux file identity");
        await using var sink = _log.Open();
        await AppendAsync(sink, 3);
        File.Delete(_log.Path);
        await Assert.ThrowsAnyAsync<IOException>(() => AppendAsync(sink, 1));
        await Assert.ThrowsAnyAsync<IOException>(() => AppendAsync(sink, 1));
    }

    [SkippableFact]
    public async Task Break4_a_log_truncated_under_an_open_sink_as_copytruncate_does_faults_it()
    {
        Skip.IfNot(OperatingSystem.IsLinux(), "Linux file identity");
        await using var sink = _log.Open();
        await AppendAsync(sink, 3);
        Assert.Equal(0, Run("truncate", "-s", "0", _log.Path));
        await Assert.ThrowsAnyAsync<IOException>(() => AppendAsync(sink, 1));
        Assert.DoesNotContain((byte)0, await File.ReadAllBytesAsync(_log.Path));
    }

    [SkippableFact]
    public async Task Break4_a_log_replaced_under_an_open_sink_faults_it()
    {
        Skip.IfNot(OperatingSystem.IsLinux(), "Linux file identity");
        await using var sink = _log.Open();
        await AppendAsync(sink, 3);
        var other = Path.Combine(_log.Directory, "other.jsonl");
        File.Copy(_log.Path, other);
        File.Move(other, _log.Path, overwrite: true);
        await Assert.ThrowsAnyAsync<IOException>(() => AppendAsync(sink, 1));
    }

    [SkippableFact]
    public async Task Break8_a_log_under_chattr_append_only_opens_appends_seals_a_torn_tail_and_verifies()
    {
        Skip.IfNot(OperatingSystem.IsLinux(), "Linux file identity");
        await _log.WriteAsync(5);
        var torn = "{\"v\":1,\"log\":\"x\",\"se"u8.ToArray();
        await File.AppendAllTextAsync(_log.Path, System.Text.Encoding.UTF8.GetString(torn));
        Skip.IfNot(Run("chattr", "+a", _log.Path) == 0, "chattr +a is not available here (needs root and a file system that supports it)");
        Assert.ThrowsAny<UnauthorizedAccessException>(() => File.WriteAllText(_log.Path, string.Empty));

        await _log.WriteAsync(5);

        var result = _log.Verify();
        Assert.True(result.IsValid, result.ToString());
        Assert.Contains(result.Notices, n => n.Contains("torn", StringComparison.Ordinal));
        Assert.Contains(_log.Lines(), l => l == System.Text.Encoding.UTF8.GetString(torn));
    }

    private static class CrashWriter
    {
        internal static string Path
        {
            get
            {
                var configuration = new DirectoryInfo(AppContext.BaseDirectory).Parent!.Name;
                return System.IO.Path.Combine(TestPaths.RepositoryRoot, "tests", "GovernedExecution.Lineage.CrashWriter", "bin", configuration, "net10.0", "GovernedExecution.Lineage.CrashWriter.dll");
            }
        }
    }
}
