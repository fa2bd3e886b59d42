namespace GovernedExecution.Lineage;

/// <summary>Splits a stream into lines at line feeds, keeping each line's offset; the last line may lack its line feed.</summary>
internal sealed class LineageLineReader
{
    private readonly Stream _stream;
    private byte[] _buffer = new byte[1 << 16];
    private int _start;
    private int _end;
    private bool _eof;

    internal LineageLineReader(Stream stream, long offset)
    {
        _stream = stream;
        Offset = offset;
    }

    /// <summary>The file offset of the next line.</summary>
    internal long Offset { get; private set; }

    /// <summary>
    /// After a line that is not a good record: whether the next line is the repair record that seals it as a torn line
    /// (its <c>cut_bytes</c> and <c>cut_sha256</c> are this line's length and digest). The next line is then returned
    /// by the next <see cref="TryRead"/> call either way.
    /// </summary>
    internal bool NextSeals(ReadOnlySpan<byte> badLine)
    {
        var length = badLine.Length.ToString(System.Globalization.CultureInfo.InvariantCulture);
        var digest = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(badLine));
        if (!TryRead(out var next, out var offset, out var terminated))
        {
            return false;
        }

        _pushed = (next.ToArray(), offset, terminated);
        return terminated
            && LineageRecordLine.TryParse(next.Span, out _) is { Kind: LineageEventKind.Repair } repair
            && LineageRepairs.Seals(repair[LineageRepairs.Reason])
            && string.Equals(repair["cut_bytes"], length, StringComparison.Ordinal)
            && string.Equals(repair["cut_sha256"], digest, StringComparison.Ordinal);
    }

    private (byte[] Line, long Offset, bool Terminated)? _pushed;

    /// <summary>Reads the next line (without its line feed); the memory is valid until the next call.</summary>
    internal bool TryRead(out ReadOnlyMemory<byte> line, out long offset, out bool terminated)
    {
        if (_pushed is { } pushed)
        {
            _pushed = null;
            (line, offset, terminated) = (pushed.Line, pushed.Offset, pushed.Terminated);
            return true;
        }

        while (true)
        {
            var index = _buffer.AsSpan(_start, _end - _start).IndexOf((byte)'\n');
            if (index >= 0)
            {
                line = _buffer.AsMemory(_start, index);
                offset = Offset;
                terminated = true;
                _start += index + 1;
                Offset += index + 1;
                return true;
            }

            if (_eof)
            {
                if (_end > _start)
                {
                    line = _buffer.AsMemory(_start, _end - _start);
                    offset = Offset;
                    terminated = false;
                    Offset += _end - _start;
                    _start = _end;
                    return true;
                }

                line = default;
                offset = Offset;
                terminated = false;
                return false;
            }

            Fill();
        }
    }

    private void Fill()
    {
        if (_start > 0)
        {
            _buffer.AsSpan(_start, _end - _start).CopyTo(_buffer);
            _end -= _start;
            _start = 0;
        }

        if (_end == _buffer.Length)
        {
            Array.Resize(ref _buffer, _buffer.Length * 2);
        }

        var read = _stream.Read(_buffer, _end, _buffer.Length - _end);
        if (read == 0)
        {
            _eof = true;
        }

        _end += read;
    }
}
