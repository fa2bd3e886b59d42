namespace GovernedExecution.Internal;

/// <summary>
/// Writes a file the way secrets must be written: the bytes go to a new file in the same folder (created exclusively,
/// so never through a link, with its mode set before any byte is written), are flushed to disk, and the file is then
/// renamed over the target in one step. The target is replaced as a name, never written through: a link at the
/// target is replaced, not followed, and whoever holds the old file open keeps the old bytes. A failure leaves the
/// target as it was and no temporary file behind.
/// </summary>
internal static class AtomicFile
{
    /// <summary>Readable and writable by the owner only (0600): private keys, authorization artifacts.</summary>
    internal const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    /// <summary>Readable by everyone, writable by the owner (0644): public keys.</summary>
    internal const UnixFileMode Public = OwnerOnly | UnixFileMode.GroupRead | UnixFileMode.OtherRead;

    /// <summary>Writes <paramref name="content"/> to <paramref name="path"/> as described above.</summary>
    /// <param name="path">The target.</param>
    /// <param name="content">The bytes.</param>
    /// <param name="mode">The file's mode on Unix, exactly (the umask does not apply); on Windows the file takes the folder's permissions.</param>
    /// <param name="overwrite">Whether an existing entry at <paramref name="path"/> (a file or a link, even a dangling one) may be replaced.</param>
    /// <exception cref="IOException">The target exists and <paramref name="overwrite"/> is false, or the file cannot be written.</exception>
    /// <exception cref="UnauthorizedAccessException">The folder cannot be written.</exception>
    internal static void Write(string path, ReadOnlySpan<byte> content, UnixFileMode mode, bool overwrite)
    {
        var target = Path.GetFullPath(path);
        var folder = Path.GetDirectoryName(target) ?? throw new IOException($"'{path}' names no file.");
        var temporary = Path.Combine(folder, "." + Path.GetFileName(target) + "." + Guid.NewGuid().ToString("N") + ".tmp");
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Share = FileShare.None };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = mode;
        }

        if (!Directory.Exists(folder))
        {
            throw new DirectoryNotFoundException($"The folder '{folder}' does not exist.");
        }

        try
        {
            using (var stream = new FileStream(temporary, options))
            {
                if (!OperatingSystem.IsWindows())
                {
                    File.SetUnixFileMode(stream.SafeFileHandle, mode);
                }

                stream.Write(content);
                stream.Flush(flushToDisk: true);
            }

            // Without overwrite the move links the new name and fails if anything, a dangling link included, is there.
            File.Move(temporary, target, overwrite);
        }
        catch
        {
            try
            {
                File.Delete(temporary);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // Best effort: the write already failed and that is what the caller hears about.
            }

            throw;
        }
    }
}
