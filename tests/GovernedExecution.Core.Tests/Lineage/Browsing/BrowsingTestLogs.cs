using GovernedExecution.Artifacts.Keys;
using GovernedExecution.Lineage.Browsing;
using GovernedExecution.Testing;

namespace GovernedExecution.Tests.Lineage.Browsing;

/// <summary>A temporary directory with generated logs, a checkpoint key, and a browser over them that counts the bytes it reads.</summary>
internal sealed class BrowsingTestLogs : IDisposable
{
    private long _bytesRead;

    public BrowsingTestLogs()
    {
        Directory = Path.Combine(Path.GetTempPath(), "browse-" + Guid.NewGuid().ToString("N"));
        System.IO.Directory.CreateDirectory(Directory);
    }

    public string Directory { get; }

    public SigningKey Key { get; } = SigningKey.Generate();

    public TrustedKey[] Trusted => [Key.ToTrustedKey()];

    public long BytesRead => Interlocked.Read(ref _bytesRead);

    public string PathOf(string name) => Path.Combine(Directory, name);

    /// <summary>Writes <paramref name="count"/> sample executions to a new log; returns their ids in log order.</summary>
    public List<GeneratedExecution> WriteSample(string name, int count, int rotateEvery = 0, int checkpointEvery = 100)
    {
        var executions = new List<GeneratedExecution>();
        using var log = new GeneratedLineageLog(PathOf(name), Key, checkpointEvery, rotateEvery);
        var previous = Guid.Empty;
        for (var i = 0; i < count; i++)
        {
            var e = GeneratedExecution.Sample(i, previous);
            log.Append(e);
            executions.Add(e);
            previous = e.Id;
        }

        return executions;
    }

    public FileLineageBrowser Browser(int maxLineBytes = FileLineageBrowser.DefaultMaxLineBytes, params string[] names) =>
        new(FileLineageBrowser.ResolveLogs(names.Select(PathOf).ToArray()), TimeProvider.System, Open, maxLineBytes);

    public void ResetCount() => Interlocked.Exchange(ref _bytesRead, 0);

    public void Dispose()
    {
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private Stream Open(string path) => new CountingStream(new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 1, FileOptions.None), n => Interlocked.Add(ref _bytesRead, n));

    /// <summary>A read-only stream that counts every byte read through it.</summary>
    private sealed class CountingStream(Stream inner, Action<int> counted) : Stream
    {
        public override bool CanRead => true;

        public override bool CanSeek => true;

        public override bool CanWrite => false;

        public override long Length => inner.Length;

        public override long Position { get => inner.Position; set => inner.Position = value; }

        public override void Flush()
        {
        }

        public override int Read(byte[] buffer, int offset, int count)
        {
            var n = inner.Read(buffer, offset, count);
            counted(n);
            return n;
        }

        public override int Read(Span<byte> buffer)
        {
            var n = inner.Read(buffer);
            counted(n);
            return n;
        }

        public override long Seek(long offset, SeekOrigin origin) => inner.Seek(offset, origin);

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                inner.Dispose();
            }

            base.Dispose(disposing);
        }
    }
}
