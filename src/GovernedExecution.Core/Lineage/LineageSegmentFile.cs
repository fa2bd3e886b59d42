using Microsoft.Win32.SafeHandles;

namespace GovernedExecution.Lineage;

/// <summary>One file of a log, open for appending. An abstract class so that tests can inject disk faults.</summary>
internal abstract class LineageSegmentFile : IDisposable
{
    /// <summary>The file's length in bytes, as this writer made it.</summary>
    internal abstract long Length { get; }

    /// <summary>
    /// Opens (or creates) a file for appending. On Linux: append-only (O_APPEND, so a file under <c>chattr +a</c>
    /// opens), an exclusive lock on the file itself, and refused when the path is a symbolic link or the file has
    /// another hard link: one writer, by any path.
    /// </summary>
    /// <exception cref="IOException">The file is linked, locked by another writer, or cannot be opened.</exception>
    internal static LineageSegmentFile Open(string path) => NativeMethods.Supported ? new AppendOnlySegment(path) : new FileSegment(path);

    /// <summary>Appends bytes at the end.</summary>
    /// <exception cref="IOException">The write failed, or (on Linux) the path no longer names this file at the length this writer left it.</exception>
    internal abstract void Append(ReadOnlySpan<byte> bytes);

    /// <summary>Makes every appended byte durable (fsync).</summary>
    internal abstract void Sync();

    public void Dispose()
    {
        Dispose(true);
        GC.SuppressFinalize(this);
    }

    protected abstract void Dispose(bool disposing);

    /// <summary>The Linux file: O_APPEND writes, an open file description lock, and identity checked before every write.</summary>
    private sealed class AppendOnlySegment : LineageSegmentFile
    {
        private readonly string _path;
        private readonly SafeFileHandle _handle;
        private readonly NativeMethods.FileIdentity _identity;
        private long _length;

        internal AppendOnlySegment(string path)
        {
            _path = Path.GetFullPath(path);
            if (NativeMethods.Identity(_path) is { IsSymbolicLink: true })
            {
                throw new IOException($"The lineage file '{_path}' is a symbolic link: refused, so that no two paths write one log.");
            }

            _handle = NativeMethods.OpenAppend(_path);
            try
            {
                // A lock just released can stay held for a moment by a child process this one is starting (it holds a
                // copy of every descriptor until it executes), so a refusal is retried briefly; a real writer holds on.
                for (var attempt = 0; !NativeMethods.TryLockExclusive(_handle); attempt++)
                {
                    if (attempt == 50)
                    {
                        throw new IOException($"The lineage file '{_path}' is open in another writer.");
                    }

                    Thread.Sleep(20);
                }

                _identity = NativeMethods.Identity(_handle);
                if (_identity.Links > 1)
                {
                    throw new IOException($"The lineage file '{_path}' has {_identity.Links} hard links: refused, so that no two paths write one log.");
                }

                if (NativeMethods.Identity(_path) is not { } named || !named.SameFile(_identity) || named.IsSymbolicLink)
                {
                    throw new IOException($"The lineage file '{_path}' was replaced while it was being opened.");
                }

                _length = _identity.Size;
            }
            catch
            {
                _handle.Dispose();
                throw;
            }
        }

        internal override long Length => _length;

        internal override void Append(ReadOnlySpan<byte> bytes)
        {
            CheckIdentity();
            RandomAccess.Write(_handle, bytes, _length);
            _length += bytes.Length;
        }

        internal override void Sync() => NativeMethods.Sync(_handle);

        /// <summary>No write into the void: the path still names the open file, and nobody else changed its length.</summary>
        private void CheckIdentity()
        {
            var open = NativeMethods.Identity(_handle);
            if (open.Size != _length)
            {
                throw new IOException($"The lineage file '{_path}' is {open.Size} bytes where this writer left {_length}: someone else truncated or wrote it.");
            }

            if (NativeMethods.Identity(_path) is not { } named || !named.SameFile(open))
            {
                throw new IOException($"The lineage file '{_path}' was deleted, moved or replaced under the open sink.");
            }
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                _handle.Dispose();
            }
        }
    }

    /// <summary>Elsewhere: a file stream positioned at the end, readable by others, writable by no one else.</summary>
    private sealed class FileSegment : LineageSegmentFile
    {
        private readonly FileStream _stream;

        internal FileSegment(string path)
        {
            _stream = new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.Read, bufferSize: 0, FileOptions.None);
            _stream.Seek(0, SeekOrigin.End);
        }

        internal override long Length => _stream.Length;

        internal override void Append(ReadOnlySpan<byte> bytes) => _stream.Write(bytes);

        internal override void Sync() => _stream.Flush(flushToDisk: true);

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                _stream.Dispose();
            }
        }
    }
}
