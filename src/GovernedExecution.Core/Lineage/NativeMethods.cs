using System.Runtime.InteropServices;

namespace GovernedExecution.Lineage;

/// <summary>
/// The few Linux system calls the lineage files need and .NET does not expose: append-only opens, file identity
/// (statx), locks that do not depend on .NET's advisory file locking (open file description locks), directory fsync.
/// </summary>
internal static partial class NativeMethods
{
    internal const int OWriteOnly = 0x1;
    internal const int OCreate = 0x40;
    internal const int OAppend = 0x400;
    internal const int OCloseOnExec = 0x80000;
    internal const int AtFdCwd = -100;
    internal const int AtSymlinkNoFollow = 0x100;
    internal const int AtEmptyPath = 0x1000;
    internal const uint StatxBasicStats = 0x7ff;
    internal const ulong StatxAttributeAppend = 0x20;
    private const int FOfdSetLock = 37;
    private const short FWriteLock = 1;
    private const int SIfMt = 0xF000;
    private const int SIfLnk = 0xA000;

    /// <summary>Whether these calls are available (Linux).</summary>
    internal static bool Supported => OperatingSystem.IsLinux();

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true)]
    private static partial int Open(byte[] path, int flags, int mode);

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    private static partial int Close(int fd);

    [LibraryImport("libc", EntryPoint = "fsync", SetLastError = true)]
    private static partial int FSync(int fd);

    [LibraryImport("libc", EntryPoint = "statx", SetLastError = true)]
    private static partial int Statx(int dirfd, byte[] path, int flags, uint mask, byte[] buffer);

    [LibraryImport("libc", EntryPoint = "fcntl", SetLastError = true)]
    private static partial int FcntlLock(int fd, int command, byte[] flock);

    internal static byte[] PathBytes(string path) => [.. System.Text.Encoding.UTF8.GetBytes(path), 0];

    /// <summary>Opens a file for appending only (O_APPEND): every write lands at the end, and a file under <c>chattr +a</c> opens.</summary>
    internal static Microsoft.Win32.SafeHandles.SafeFileHandle OpenAppend(string path)
    {
        var fd = Open(PathBytes(path), OWriteOnly | OCreate | OAppend | OCloseOnExec, Convert.ToInt32("644", 8));
        if (fd < 0)
        {
            throw Error($"cannot open '{path}' for appending");
        }

        return new Microsoft.Win32.SafeHandles.SafeFileHandle(fd, ownsHandle: true);
    }

    /// <summary>Makes a directory's entries durable (after a rename or a new file).</summary>
    internal static void SyncDirectory(string directory)
    {
        var fd = Open(PathBytes(directory), 0, 0);
        if (fd < 0)
        {
            throw Error($"cannot open directory '{directory}'");
        }

        try
        {
            if (FSync(fd) < 0)
            {
                throw Error($"cannot flush directory '{directory}'");
            }
        }
        finally
        {
            _ = Close(fd);
        }
    }

    internal static void Sync(Microsoft.Win32.SafeHandles.SafeFileHandle handle)
    {
        if (FSync((int)handle.DangerousGetHandle()) < 0)
        {
            throw Error("fsync failed");
        }
    }

    /// <summary>Takes an exclusive open-file-description lock on the whole file, without waiting; false when another holds one.</summary>
    internal static bool TryLockExclusive(Microsoft.Win32.SafeHandles.SafeFileHandle handle)
    {
        var flock = new byte[32];
        BitConverter.TryWriteBytes(flock.AsSpan(0, 2), FWriteLock);
        if (FcntlLock((int)handle.DangerousGetHandle(), FOfdSetLock, flock) == 0)
        {
            return true;
        }

        var errno = Marshal.GetLastPInvokeError();
        return errno is 11 or 13 ? false : throw Error("cannot lock the file", errno);
    }

    /// <summary>The identity and state of an open file (fstat).</summary>
    internal static FileIdentity Identity(Microsoft.Win32.SafeHandles.SafeFileHandle handle) =>
        StatxOrThrow((int)handle.DangerousGetHandle(), [0], AtEmptyPath, "the open file");

    /// <summary>The identity of what a path names, not following a final symbolic link (lstat); null when nothing is there.</summary>
    internal static FileIdentity? Identity(string path)
    {
        var buffer = new byte[256];
        if (Statx(AtFdCwd, PathBytes(path), AtSymlinkNoFollow, StatxBasicStats, buffer) == 0)
        {
            return FileIdentity.From(buffer);
        }

        var errno = Marshal.GetLastPInvokeError();
        return errno == 2 ? null : throw Error($"cannot stat '{path}'", errno);
    }

    private static FileIdentity StatxOrThrow(int dirfd, byte[] path, int flags, string what)
    {
        var buffer = new byte[256];
        return Statx(dirfd, path, flags, StatxBasicStats, buffer) == 0 ? FileIdentity.From(buffer) : throw Error("cannot stat " + what);
    }

    private static IOException Error(string what, int? errno = null)
    {
        var code = errno ?? Marshal.GetLastPInvokeError();
        return new IOException($"{what}: {Marshal.GetPInvokeErrorMessage(code)} (errno {code})");
    }

    /// <summary>What identifies a file and what the lineage sink checks of it.</summary>
    internal readonly record struct FileIdentity(ulong Device, ulong Inode, uint Links, long Size, bool IsSymbolicLink, bool AppendOnly)
    {
        internal static FileIdentity From(byte[] statx)
        {
            var span = statx.AsSpan();
            var attributes = BitConverter.ToUInt64(span[8..]);
            var links = BitConverter.ToUInt32(span[16..]);
            var mode = BitConverter.ToUInt16(span[28..]);
            var inode = BitConverter.ToUInt64(span[32..]);
            var size = BitConverter.ToInt64(span[40..]);
            var device = ((ulong)BitConverter.ToUInt32(span[136..]) << 32) | BitConverter.ToUInt32(span[140..]);
            return new FileIdentity(device, inode, links, size, (mode & SIfMt) == SIfLnk, (attributes & StatxAttributeAppend) != 0);
        }

        internal bool SameFile(FileIdentity other) => Device == other.Device && Inode == other.Inode;
    }
}
