using GovernedExecution.Lineage;

namespace GovernedExecution.Tests.Lineage;

/// <summary>Opens real segment files wrapped in a fault: every append or flush after a countdown throws, or each is slow.</summary>
internal sealed class FaultySegments(int healthyWrites = 0, bool failSync = false, bool failWrite = false)
{
    private int _left = healthyWrites;

    public bool FailSync { get; } = failSync;

    public bool FailWrite { get; } = failWrite;

    public int Syncs;

    public LineageSegmentFile Open(string path) => new Segment(LineageSegmentFile.Open(path), this);

    private sealed class Segment(LineageSegmentFile inner, FaultySegments owner) : LineageSegmentFile
    {
        internal override long Length => inner.Length;

        internal override void Append(ReadOnlySpan<byte> bytes)
        {
            if (owner.FailWrite && Interlocked.Decrement(ref owner._left) < 0)
            {
                // Half the bytes reach the file, as when the disk fills mid-write.
                inner.Append(bytes[..(bytes.Length / 2)]);
                throw new IOException("No space left on device (injected)");
            }

            inner.Append(bytes);
        }

        internal override void Sync()
        {
            if (owner.FailSync && Interlocked.Decrement(ref owner._left) < 0)
            {
                throw new IOException("fsync failed (injected)");
            }

            Interlocked.Increment(ref owner.Syncs);
            inner.Sync();
        }


        protected override void Dispose(bool disposing) => inner.Dispose();
    }
}

/// <summary>Real segment files whose flushes take a fixed time, as on a slow disk.</summary>
internal sealed class SlowSegments(TimeSpan delay)
{
    public LineageSegmentFile Open(string path) => new Segment(LineageSegmentFile.Open(path), delay);

    private sealed class Segment(LineageSegmentFile inner, TimeSpan delay) : LineageSegmentFile
    {
        internal override long Length => inner.Length;

        internal override void Append(ReadOnlySpan<byte> bytes) => inner.Append(bytes);

        internal override void Sync()
        {
            Thread.Sleep(delay);
            inner.Sync();
        }


        protected override void Dispose(bool disposing) => inner.Dispose();
    }
}

/// <summary>
/// Real segment files on a disk that can fill up: once <see cref="Fill"/> leaves it a few bytes of room, a write
/// writes what fits and throws "No space left on device", as write(2) does; later writes write nothing, until
/// <see cref="Free"/> makes room again. Flushes of what was written succeed.
/// </summary>
internal sealed class DiskFullSegments
{
    private readonly Lock _lock = new();
    private long _room = long.MaxValue;

    public void Fill(long bytesLeft = 0)
    {
        lock (_lock)
        {
            _room = bytesLeft;
        }
    }

    public void Free()
    {
        lock (_lock)
        {
            _room = long.MaxValue;
        }
    }

    public LineageSegmentFile Open(string path) => new Segment(LineageSegmentFile.Open(path), this);

    private sealed class Segment(LineageSegmentFile inner, DiskFullSegments disk) : LineageSegmentFile
    {
        internal override long Length => inner.Length;

        internal override void Append(ReadOnlySpan<byte> bytes)
        {
            lock (disk._lock)
            {
                if (bytes.Length <= disk._room)
                {
                    disk._room -= bytes.Length;
                    inner.Append(bytes);
                    return;
                }

                var fits = (int)disk._room;
                disk._room = 0;
                if (fits > 0)
                {
                    inner.Append(bytes[..fits]);
                }

                throw new IOException("No space left on device (simulated)");
            }
        }

        internal override void Sync() => inner.Sync();

        protected override void Dispose(bool disposing) => inner.Dispose();
    }
}
