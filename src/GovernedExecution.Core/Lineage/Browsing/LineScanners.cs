namespace GovernedExecution.Lineage.Browsing;

/// <summary>
/// Reads a log file's lines from an end position back to its start, newest first, holding at most one line and one
/// chunk: only lines ended by a line feed at or before the end are returned (a line still being written is not one
/// yet). A line longer than the limit is reported as too long, without its bytes.
/// </summary>
internal sealed class BackwardLineReader
{
    private readonly Stream _stream;
    private readonly int _maxLine;
    private readonly int _chunk;
    private readonly byte[] _buffer;
    private long _fileLo;   // the file offset of _buffer[_lo]: everything before it is still to read
    private int _lo;
    private int _hi;        // _buffer[_lo.._hi) holds file bytes [_fileLo, _fileLo + _hi - _lo)
    private bool _started;

    internal BackwardLineReader(Stream stream, long end, int maxLine, int chunk = 1 << 16)
    {
        _stream = stream;
        _maxLine = maxLine;
        _chunk = chunk;
        _buffer = new byte[maxLine + chunk + 1];
        _fileLo = end;
        _lo = _hi = _buffer.Length;
    }

    /// <summary>Reads the previous line (without its line feed); the memory is valid until the next call.</summary>
    /// <param name="line">The line; empty when <paramref name="tooLong"/>.</param>
    /// <param name="offset">The file offset of its first byte.</param>
    /// <param name="tooLong">Whether the line is longer than the limit (its bytes are not returned).</param>
    internal bool TryReadPrevious(out ReadOnlyMemory<byte> line, out long offset, out bool tooLong)
    {
        line = default;
        offset = 0;
        tooLong = false;
        if (!_started)
        {
            _started = true;
            if (!SeekLineFeedBack(out _))
            {
                return false;
            }
        }

        if (_hi == _lo)
        {
            return false;
        }

        // Invariant: _buffer[_hi - 1] is the line feed that ends the line to return.
        while (true)
        {
            var feed = _buffer.AsSpan(_lo, _hi - 1 - _lo).LastIndexOf((byte)'\n');
            if (feed >= 0 || _fileLo == 0)
            {
                var from = feed >= 0 ? _lo + feed + 1 : _lo;
                offset = _fileLo + (from - _lo);
                if (_hi - 1 - from > _maxLine)
                {
                    tooLong = true;
                }
                else
                {
                    line = _buffer.AsMemory(from, _hi - 1 - from);
                }

                _hi = from;
                return true;
            }

            if (_hi - 1 - _lo >= _maxLine)
            {
                // Longer than the limit: let its bytes go and find where it starts.
                tooLong = true;
                _lo = _hi = _buffer.Length;
                SeekLineFeedBack(out offset);
                return true;
            }

            Prepend();
        }
    }

    /// <summary>
    /// Drops what is held and reads back to the nearest line feed before <see cref="_fileLo"/>; afterwards the held
    /// bytes end with it. Returns false when there is none (then <paramref name="after"/> is 0: the file's start).
    /// </summary>
    private bool SeekLineFeedBack(out long after)
    {
        _lo = _hi = _buffer.Length;
        while (_fileLo > 0)
        {
            Prepend();
            var feed = _buffer.AsSpan(_lo, _hi - _lo).LastIndexOf((byte)'\n');
            if (feed >= 0)
            {
                _hi = _lo + feed + 1;
                after = _fileLo + feed + 1;
                return true;
            }

            _lo = _hi = _buffer.Length;
        }

        after = 0;
        return false;
    }

    /// <summary>Reads the chunk before the held bytes, moving them to the buffer's end first when needed.</summary>
    private void Prepend()
    {
        var held = _hi - _lo;
        var count = (int)Math.Min(_chunk, _fileLo);
        if (_lo < count)
        {
            Buffer.BlockCopy(_buffer, _lo, _buffer, _buffer.Length - held, held);
            _lo = _buffer.Length - held;
            _hi = _buffer.Length;
        }

        _stream.Position = _fileLo - count;
        _stream.ReadExactly(_buffer, _lo - count, count);
        _lo -= count;
        _fileLo -= count;
    }
}

/// <summary>
/// Reads a log file's lines forward from an offset to an end, one chunk at a time: only lines ended by a line feed
/// before the end; a line longer than the limit is reported as too long, without its bytes.
/// </summary>
internal sealed class ForwardLineReader
{
    private readonly Stream _stream;
    private readonly long _end;
    private readonly int _maxLine;
    private readonly byte[] _buffer;
    private long _bufferOffset; // the file offset of _buffer[0]
    private int _start;
    private int _count;
    private long _fileNext;

    internal ForwardLineReader(Stream stream, long offset, long end, int maxLine, int chunk = 1 << 16)
    {
        _stream = stream;
        _end = end;
        _maxLine = maxLine;
        _buffer = new byte[maxLine + chunk + 1];
        _bufferOffset = offset;
        _fileNext = offset;
    }

    /// <summary>The offset after the last line returned.</summary>
    internal long Position => _bufferOffset + _start;

    internal bool TryReadNext(out ReadOnlyMemory<byte> line, out long offset, out bool tooLong)
    {
        tooLong = false;
        long skippedFrom = 0;
        while (true)
        {
            var feed = _buffer.AsSpan(_start, _count - _start).IndexOf((byte)'\n');
            if (feed >= 0)
            {
                if (!tooLong && feed > _maxLine)
                {
                    (tooLong, skippedFrom) = (true, _bufferOffset + _start);
                }

                offset = tooLong ? skippedFrom : _bufferOffset + _start;
                line = tooLong ? ReadOnlyMemory<byte>.Empty : _buffer.AsMemory(_start, feed);
                _start += feed + 1;
                return true;
            }

            if (_count - _start > _maxLine)
            {
                if (!tooLong)
                {
                    skippedFrom = _bufferOffset + _start;
                }

                tooLong = true;
                _bufferOffset += _count;
                _start = _count = 0;
            }

            if (!Fill())
            {
                line = default;
                offset = tooLong ? skippedFrom : _bufferOffset + _start;
                return false;
            }
        }
    }

    private bool Fill()
    {
        if (_start > 0)
        {
            Buffer.BlockCopy(_buffer, _start, _buffer, 0, _count - _start);
            _count -= _start;
            _bufferOffset += _start;
            _start = 0;
        }

        var want = (int)Math.Min(_buffer.Length - _count, _end - _fileNext);
        if (want <= 0)
        {
            return false;
        }

        _stream.Position = _fileNext;
        var read = _stream.Read(_buffer, _count, want);
        if (read <= 0)
        {
            return false;
        }

        _count += read;
        _fileNext += read;
        return true;
    }
}
