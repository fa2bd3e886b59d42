using System.Buffers;
using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;

namespace GovernedExecution.Lineage;

/// <summary>
/// Gives events their place in a hash chain: sequence, previous hash, canonical JSON line and hash. Thread-safe;
/// records are produced in the order <see cref="Append"/> is entered.
/// </summary>
internal sealed class LineageChain
{
    internal const int FormatVersion = 1;
    internal static readonly string GenesisHash = new('0', 64);
    private static readonly byte[] HashMemberPrefix = ",\"hash\":\""u8.ToArray();

    // Quotes are escaped as \" and text beyond ASCII is written as UTF-8, so that lines stay readable; control
    // characters (a line feed above all) are always escaped, so that a record is exactly one line.
    private static readonly JsonWriterOptions RecordWriterOptions = new()
    {
        Indented = false,
        SkipValidation = false,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    [ThreadStatic]
    private static ArrayBufferWriter<byte>? t_buffer;

    [ThreadStatic]
    private static Utf8JsonWriter? t_writer;

    // The middles of a batch's plain records, written before the chain is locked, and where each ends.
    [ThreadStatic]
    private static ArrayBufferWriter<byte>? t_middles;

    [ThreadStatic]
    private static int[]? t_ends;

    private static readonly JsonEncodedText VersionName = JsonEncodedText.Encode("v");
    private static readonly JsonEncodedText LogName = JsonEncodedText.Encode("log");
    private static readonly JsonEncodedText SequenceName = JsonEncodedText.Encode("seq");
    private static readonly JsonEncodedText TimeName = JsonEncodedText.Encode("time");
    private static readonly JsonEncodedText ExecutionName = JsonEncodedText.Encode("exec");
    private static readonly JsonEncodedText ParentName = JsonEncodedText.Encode("parent");
    private static readonly JsonEncodedText KindMember = JsonEncodedText.Encode("kind");
    private static readonly JsonEncodedText DataName = JsonEncodedText.Encode("data");
    private static readonly JsonEncodedText PreviousName = JsonEncodedText.Encode("prev");

    private readonly Lock _lock = new();
    private readonly byte[]? _prefix; // every record's start, {"v":1,"log":"…","seq":, when the log id is plain
    private readonly byte[] _headText = new byte[64]; // the head, as the ASCII hex digits a record's "prev" holds
    private long _sequence;
    private string? _head; // the head as text, made when asked for

    internal LineageChain(string logId, long sequence = 0, string? head = null)
    {
        LogId = logId;
        _sequence = sequence;
        _head = head ?? GenesisHash;
        if (System.Text.Encoding.ASCII.GetBytes(_head, _headText) != _headText.Length)
        {
            throw new ArgumentException("A chain head is 64 hex digits.", nameof(head));
        }

        _prefix = IsPlain(logId) ? PlainPrefix(logId) : null;
    }

    /// <summary>The id of the log every record of this chain names.</summary>
    internal string LogId { get; }

    internal long Sequence
    {
        get
        {
            lock (_lock)
            {
                return _sequence;
            }
        }
    }

    internal string Head
    {
        get
        {
            lock (_lock)
            {
                return _head ??= System.Text.Encoding.ASCII.GetString(_headText);
            }
        }
    }

    /// <summary>Chains a batch of events; the caller must hand the records to storage before chaining more from the same writer, if order matters.</summary>
    internal LineageRecord[] Append(IReadOnlyList<LineageEvent> events)
    {
        var records = new LineageRecord[events.Count];
        Span<byte> digest = stackalloc byte[SHA256.HashSizeInBytes];
        var middles = PrepareMiddles(events, out var ends);
        lock (_lock)
        {
            for (var i = 0; i < events.Count; i++)
            {
                var body = BodyInLock(events[i], i, middles, ends);
                Internal.Sha256.Hash(body, digest);
                var record = ToRecord(_sequence + 1, LogId, events[i], Head, body, digest);
                _sequence++;
                _head = record.Hash;
                System.Text.Encoding.ASCII.GetBytes(record.Hash, _headText);
                records[i] = record;
            }
        }

        return records;
    }

    /// <summary>
    /// Chains a batch of events exactly as <see cref="Append"/> does, for a holder that keeps only the head: each
    /// record is written into the thread's buffer and hashed there, and nothing is allocated per record.
    /// </summary>
    internal void Advance(IReadOnlyList<LineageEvent> events)
    {
        Span<byte> digest = stackalloc byte[SHA256.HashSizeInBytes];
        var middles = PrepareMiddles(events, out var ends);
        lock (_lock)
        {
            for (var i = 0; i < events.Count; i++)
            {
                var body = BodyInLock(events[i], i, middles, ends);
                Internal.Sha256.Hash(body, digest);
                _sequence++;
                Convert.TryToHexStringLower(digest, _headText, out _);
                _head = null;
            }
        }
    }

    /// <summary>
    /// Before the lock: the middle of every plain record (all that does not depend on its place in the chain), one
    /// after the other in the thread's second buffer; <paramref name="ends"/> holds where each ends, or -1 for a record
    /// that is written whole under the lock. Null when the log id itself is not plain.
    /// </summary>
    private ArrayBufferWriter<byte>? PrepareMiddles(IReadOnlyList<LineageEvent> events, out int[]? ends)
    {
        ends = null;
        if (_prefix is null)
        {
            return null;
        }

        var middles = t_middles ??= new ArrayBufferWriter<byte>(2048);
        middles.ResetWrittenCount();
        var reused = t_ends ??= new int[16];
        ends = events.Count <= reused.Length ? reused : new int[events.Count];
        for (var i = 0; i < events.Count; i++)
        {
            var e = events[i];
            if (ArePlain(e.Attributes))
            {
                WritePlainMiddle(middles, e);
                ends[i] = middles.WrittenCount;
            }
            else
            {
                ends[i] = -1;
            }
        }

        return middles;
    }

    /// <summary>Under the lock: record <paramref name="index"/>'s body at the next sequence after the current head.</summary>
    private ReadOnlySpan<byte> BodyInLock(LineageEvent e, int index, ArrayBufferWriter<byte>? middles, int[]? ends)
    {
        if (middles is null || ends![index] < 0)
        {
            return WriteBodyWithJsonWriter(_sequence + 1, LogId, e, _headText, null);
        }

        var start = 0;
        for (var j = index - 1; j >= 0; j--)
        {
            if (ends[j] >= 0)
            {
                start = ends[j];
                break;
            }
        }

        return Assemble(_prefix, _sequence + 1, middles.WrittenSpan[start..ends[index]], _headText);
    }

    /// <summary>Builds the record line: the canonical JSON without the hash member, hashed, then the hash member appended.</summary>
    internal static LineageRecord Create(long sequence, string logId, LineageEvent e, string previousHash)
    {
        var body = WriteBody(sequence, logId, e, default, previousHash);
        Span<byte> digest = stackalloc byte[SHA256.HashSizeInBytes];
        Internal.Sha256.Hash(body, digest);
        return ToRecord(sequence, logId, e, previousHash, body, digest);
    }

    /// <summary>The record of a body and its hash: the line is the body with the hash member appended.</summary>
    private static LineageRecord ToRecord(long sequence, string logId, LineageEvent e, string previousHash, ReadOnlySpan<byte> body, ReadOnlySpan<byte> digest)
    {
        var hash = Convert.ToHexStringLower(digest);
        var line = new byte[body.Length - 1 + HashTailLength];
        body[..^1].CopyTo(line);
        var offset = body.Length - 1;
        HashMemberPrefix.CopyTo(line.AsSpan(offset));
        offset += HashMemberPrefix.Length;
        System.Text.Encoding.ASCII.GetBytes(hash, line.AsSpan(offset));
        offset += 64;
        line[offset] = (byte)'"';
        line[offset + 1] = (byte)'}';
        return new LineageRecord(sequence, logId, e, previousHash, hash, line);
    }

    /// <summary>
    /// The canonical JSON of a record without its hash member (what is hashed), in the thread's buffer: valid until the
    /// thread writes the next record. The previous record's hash is <paramref name="previousText"/> when given, otherwise
    /// <paramref name="previousHash"/> (its hex digits as UTF-8).
    /// </summary>
    internal static ReadOnlySpan<byte> WriteBody(long sequence, string logId, LineageEvent e, ReadOnlySpan<byte> previousHash, string? previousText) =>
        IsPlain(logId) && ArePlain(e.Attributes)
            ? WritePlainBody(sequence, logId, e, previousHash, previousText)
            : WriteBodyWithJsonWriter(sequence, logId, e, previousHash, previousText);

    /// <summary>
    /// Text that <see cref="WritePlainBody"/> writes itself: printable ASCII, which the record encoder writes as it is,
    /// but for the quote and the backslash, which it writes as <c>\"</c> and <c>\\</c>. Every record whose log id, names
    /// and values are all plain is written by <see cref="WritePlainBody"/>.
    /// </summary>
    internal static bool IsPlain(ReadOnlySpan<char> text) => !text.ContainsAnyExcept(PrintableAscii);

    // Searches over fixed sets (the generic range search boxes its bounds until the code is optimised).
    private static readonly SearchValues<char> PrintableAscii = SearchValues.Create(
        " !\"#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefghijklmnopqrstuvwxyz{|}~");

    private static readonly SearchValues<char> Escaped = SearchValues.Create("\"\\");

    private static bool ArePlain(IReadOnlyList<KeyValuePair<string, string>> attributes)
    {
        for (var i = 0; i < attributes.Count; i++)
        {
            var pair = attributes[i];
            if (!IsPlain(pair.Key) || !IsPlain(pair.Value))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>
    /// The same bytes as <see cref="WriteBodyWithJsonWriter"/> for a record whose text is all plain, written directly
    /// into the thread's buffer: the chain's prefix, the sequence, the record's middle (<see cref="WritePlainMiddle"/>),
    /// the previous hash and the closing characters. LineageRecordWriterTests compares the two on every printable and
    /// unprintable character and on generated records.
    /// </summary>
    internal static ReadOnlySpan<byte> WritePlainBody(long sequence, string logId, LineageEvent e, ReadOnlySpan<byte> previousHash, string? previousText)
    {
        // A record made on its own (the durable sinks make every record this way): the prefix is written in place,
        // never allocated per record.
        var middles = t_middles ??= new ArrayBufferWriter<byte>(1024);
        middles.ResetWrittenCount();
        WritePlainMiddle(middles, e);
        var buffer = t_buffer ??= new ArrayBufferWriter<byte>(1024);
        buffer.ResetWrittenCount();
        var span = buffer.GetSpan(PrefixSize(logId) + 20 + middles.WrittenCount + 64 + 2);
        var at = 0;
        WritePrefix(span, ref at, logId);
        at += sequence.TryFormat(span[at..], out var written, default, CultureInfo.InvariantCulture) ? written : throw new InvalidOperationException();
        Put(span, ref at, middles.WrittenSpan);
        if (previousText is null)
        {
            Put(span, ref at, previousHash);
        }
        else
        {
            PutText(span, ref at, previousText);
        }

        Put(span, ref at, "\"}"u8);
        buffer.Advance(at);
        return buffer.WrittenSpan;
    }

    /// <summary>A chain's constant start of every record, <c>{"v":1,"log":"…","seq":</c>, for a plain log id.</summary>
    private static byte[] PlainPrefix(string logId)
    {
        var span = new byte[PrefixSize(logId)];
        var at = 0;
        WritePrefix(span, ref at, logId);
        return span[..at];
    }

    private static int PrefixSize(string logId) => 32 + (2 * logId.Length);

    private static void WritePrefix(Span<byte> span, ref int at, string logId)
    {
        Put(span, ref at, "{\"v\":"u8);
        at += FormatVersion.TryFormat(span[at..], out var written, default, CultureInfo.InvariantCulture) ? written : throw new InvalidOperationException();
        Put(span, ref at, ",\"log\":\""u8);
        PutText(span, ref at, logId);
        Put(span, ref at, "\",\"seq\":"u8);
    }

    /// <summary>
    /// What follows a plain record's sequence up to its previous hash: <c>,"time":…,"data":{…},"prev":"</c>. It does not
    /// depend on the record's place in the chain, so it is written before the chain is locked.
    /// </summary>
    private static void WritePlainMiddle(ArrayBufferWriter<byte> buffer, LineageEvent e)
    {
        var attributes = e.Attributes;
        // Every character of text takes at most two bytes (an escaped quote or backslash).
        var size = 256;
        for (var i = 0; i < attributes.Count; i++)
        {
            var pair = attributes[i];
            size += 6 + (2 * ((pair.Key?.Length ?? 0) + (pair.Value?.Length ?? 0)));
        }

        var span = buffer.GetSpan(size);
        var at = 0;
        Put(span, ref at, ",\"time\":\""u8);
        at += e.Time.UtcDateTime.TryFormat(span[at..], out var written, "O", CultureInfo.InvariantCulture) ? written : throw new InvalidOperationException();
        Put(span, ref at, "\",\"exec\":\""u8);
        at += e.ExecutionId.TryFormat(span[at..], out written, "D") ? written : throw new InvalidOperationException();
        if (e.ParentExecutionId is { } parent)
        {
            Put(span, ref at, "\",\"parent\":\""u8);
            at += parent.TryFormat(span[at..], out written, "D") ? written : throw new InvalidOperationException();
            Put(span, ref at, "\""u8);
        }
        else
        {
            Put(span, ref at, "\",\"parent\":null"u8);
        }

        Put(span, ref at, ",\"kind\":\""u8);
        PutText(span, ref at, KindName(e.Kind));
        Put(span, ref at, "\",\"data\":{"u8);
        for (var i = 0; i < attributes.Count; i++)
        {
            var pair = attributes[i];
            Put(span, ref at, i == 0 ? "\""u8 : ",\""u8);
            PutText(span, ref at, pair.Key ?? string.Empty);
            Put(span, ref at, "\":\""u8);
            PutText(span, ref at, pair.Value ?? string.Empty);
            Put(span, ref at, "\""u8);
        }

        Put(span, ref at, "},\"prev\":\""u8);
        buffer.Advance(at);
    }

    /// <summary>A plain record's body in the thread's buffer: prefix, sequence, middle, previous hash (64 hex digits), <c>"}</c>.</summary>
    private static ReadOnlySpan<byte> Assemble(scoped ReadOnlySpan<byte> prefix, long sequence, scoped ReadOnlySpan<byte> middle, scoped ReadOnlySpan<byte> previousHash)
    {
        var buffer = t_buffer ??= new ArrayBufferWriter<byte>(1024);
        buffer.ResetWrittenCount();
        var span = buffer.GetSpan(prefix.Length + 20 + middle.Length + previousHash.Length + 2);
        var at = 0;
        Put(span, ref at, prefix);
        at += sequence.TryFormat(span[at..], out var written, default, CultureInfo.InvariantCulture) ? written : throw new InvalidOperationException();
        Put(span, ref at, middle);
        Put(span, ref at, previousHash);
        Put(span, ref at, "\"}"u8);
        buffer.Advance(at);
        return buffer.WrittenSpan;
    }

    private static void Put(Span<byte> span, ref int at, ReadOnlySpan<byte> bytes)
    {
        bytes.CopyTo(span[at..]);
        at += bytes.Length;
    }

    /// <summary>Plain text: one byte per character, a backslash before each quote and backslash.</summary>
    private static void PutText(Span<byte> span, ref int at, string text)
    {
        var rest = text.AsSpan();
        while (true)
        {
            var next = rest.IndexOfAny(Escaped);
            var run = next < 0 ? rest : rest[..next];
            if (System.Text.Ascii.FromUtf16(run, span[at..], out var written) != OperationStatus.Done)
            {
                throw new InvalidOperationException("Only plain text is written directly.");
            }

            at += written;
            if (next < 0)
            {
                return;
            }

            span[at++] = (byte)'\\';
            span[at++] = (byte)rest[next];
            rest = rest[(next + 1)..];
        }
    }

    /// <summary>The record body through <see cref="Utf8JsonWriter"/> and the record encoder: any text, escaped as the format says.</summary>
    internal static ReadOnlySpan<byte> WriteBodyWithJsonWriter(long sequence, string logId, LineageEvent e, ReadOnlySpan<byte> previousHash, string? previousText)
    {
        // One buffer and one writer per thread: a record allocates at most its line, its hash text and itself.
        var buffer = t_buffer ??= new ArrayBufferWriter<byte>(1024);
        buffer.ResetWrittenCount();
        var writer = t_writer;
        if (writer is null)
        {
            writer = t_writer = new Utf8JsonWriter(buffer, RecordWriterOptions);
        }
        else
        {
            writer.Reset(buffer);
        }

        Span<char> text = stackalloc char[36];
        writer.WriteStartObject();
        writer.WriteNumber(VersionName, FormatVersion);
        writer.WriteString(LogName, logId);
        writer.WriteNumber(SequenceName, sequence);
        // "O" of a UTC time is yyyy-MM-ddTHH:mm:ss.fffffffZ, written without parsing a custom format.
        e.Time.UtcDateTime.TryFormat(text, out var written, "O", CultureInfo.InvariantCulture);
        writer.WriteString(TimeName, text[..written]);
        e.ExecutionId.TryFormat(text, out written, "D");
        writer.WriteString(ExecutionName, text[..written]);
        if (e.ParentExecutionId is { } parent)
        {
            parent.TryFormat(text, out written, "D");
            writer.WriteString(ParentName, text[..written]);
        }
        else
        {
            writer.WriteNull(ParentName);
        }

        writer.WriteString(KindMember, KindName(e.Kind));
        writer.WriteStartObject(DataName);
        var attributes = e.Attributes;
        for (var i = 0; i < attributes.Count; i++)
        {
            var pair = attributes[i];
            // Data values are strings, always: a null from a caller is written as empty, never as JSON null, and never
            // throws here, where it would fault a writer shared by every execution.
            writer.WriteString(pair.Key ?? string.Empty, pair.Value ?? string.Empty);
        }

        writer.WriteEndObject();
        if (previousText is null)
        {
            writer.WriteString(PreviousName, previousHash);
        }
        else
        {
            writer.WriteString(PreviousName, previousText);
        }
        writer.WriteEndObject();
        writer.Flush();
        return buffer.WrittenSpan; // ends with '}'
    }

    /// <summary>Splits a line into the hashed body (without the hash member) and the stated hash; false when the shape is wrong.</summary>
    internal static bool TrySplitLine(ReadOnlySpan<byte> line, out byte[] body, out string statedHash)
    {
        body = [];
        statedHash = string.Empty;
        var tail = HashMemberPrefix.Length + 64 + 2;
        if (line.Length < tail + 2 || line[^1] != (byte)'}' || line[^2] != (byte)'"')
        {
            return false;
        }

        var start = line.Length - tail;
        if (!line.Slice(start, HashMemberPrefix.Length).SequenceEqual(HashMemberPrefix))
        {
            return false;
        }

        var hex = line.Slice(start + HashMemberPrefix.Length, 64);
        foreach (var b in hex)
        {
            if (!((b >= '0' && b <= '9') || (b >= 'a' && b <= 'f')))
            {
                return false;
            }
        }

        statedHash = System.Text.Encoding.ASCII.GetString(hex);
        body = new byte[start + 1];
        line[..start].CopyTo(body);
        body[start] = (byte)'}';
        return true;
    }

    /// <summary>The number of bytes after the hashed body's closing brace position: <c>,"hash":"</c>, 64 hex digits, <c>"}</c>.</summary>
    internal static int HashTailLength => HashMemberPrefix.Length + 64 + 2;

    internal static bool TryParseKind(string? name, out LineageEventKind kind)
    {
        foreach (var candidate in Enum.GetValues<LineageEventKind>())
        {
            if (string.Equals(KindName(candidate), name, StringComparison.Ordinal))
            {
                kind = candidate;
                return true;
            }
        }

        kind = default;
        return false;
    }

    internal static string KindName(LineageEventKind kind) => kind switch
    {
        LineageEventKind.IntentSubmitted => "intent_submitted",
        LineageEventKind.PolicyEvaluated => "policy_evaluated",
        LineageEventKind.ArtifactIssued => "artifact_issued",
        LineageEventKind.ArtifactVerified => "artifact_verified",
        LineageEventKind.ExecutionStarted => "execution_started",
        LineageEventKind.ExecutionCompleted => "execution_completed",
        LineageEventKind.ExecutionFailed => "execution_failed",
        LineageEventKind.ExecutionDenied => "execution_denied",
        LineageEventKind.DryRun => "dry_run",
        LineageEventKind.Checkpoint => "checkpoint",
        LineageEventKind.Repair => "repair",
        LineageEventKind.ApprovalRecorded => "approval_recorded",
        LineageEventKind.RecordsLost => "records_lost",
        LineageEventKind.ExecutionRevoked => "execution_revoked",
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "Unknown lineage event kind."),
    };
}
