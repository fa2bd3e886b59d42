namespace GovernedExecution.Lineage;

/// <summary>One file of a log, open for appending. An abstract class so that tests can inject disk faults.</summary>
internal abstract class LineageSegmentFile : IDisposable
{
    /// <summary>The file's length in bytes.</summary>
    internal abstract long Length { get; }

    /// <summary>Opens (or creates) a file for appending, positioned at its end, readable by others, writable by no one else.</summary>
    internal static LineageSegmentFile Open(string path) => new FileSegment(path);

    /// <summary>Appends bytes at the end.</summary>
    internal abstract void Append(ReadOnlySpan<byte> bytes);

    /// <summary>Makes every appended byte durable (fsync).</summary>
    internal abstract void Sync();

    /// <summary>Cuts the file to <paramref name="length"/> bytes and makes that durable.</summary>
    internal abstract void Truncate(long length);

    public void Dispose()
    {
        Dispose(true);
        GC.SuppressFinalize(this);
    }

    protected abstract void Dispose(bool disposing);

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

        internal override void Truncate(long length)
        {
            _stream.SetLength(length);
            _stream.Seek(0, SeekOrigin.End);
            _stream.Flush(flushToDisk: true);
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                _stream.Dispose();
            }
        }
    }
}
