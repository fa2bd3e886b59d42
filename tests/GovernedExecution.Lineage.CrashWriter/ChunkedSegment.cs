namespace GovernedExecution.Lineage.CrashWriter;

/// <summary>
/// A lineage file whose appends reach the kernel in 97-byte pieces with a pause between them, as a write the system
/// splits on a slow disk: most kills then land inside a line.
/// </summary>
internal sealed class ChunkedSegment(LineageSegmentFile inner) : LineageSegmentFile
{
    private const int Piece = 97;

    internal override long Length => inner.Length;

    internal override void Append(ReadOnlySpan<byte> bytes)
    {
        for (var at = 0; at < bytes.Length; at += Piece)
        {
            if (at > 0)
            {
                Thread.Sleep(1);
            }

            inner.Append(bytes[at..Math.Min(bytes.Length, at + Piece)]);
        }
    }

    internal override void Sync() => inner.Sync();


    protected override void Dispose(bool disposing) => inner.Dispose();
}
