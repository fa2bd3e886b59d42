using System.Security.Cryptography;
using System.Text.Json;

namespace GovernedExecution.Lineage;

/// <summary>
/// One record line read back from a log: the members a verifier or a resuming sink needs. Parsing checks the line's
/// shape and its hash; the caller checks its place in the chain.
/// </summary>
internal sealed class LineageRecordLine
{
    // The members of a record, in the order they are written (the hash member is cut off before parsing).
    private static readonly string[] Members = ["v", "log", "seq", "time", "exec", "parent", "kind", "data", "prev"];

    private LineageRecordLine(string logId, long sequence, string time, Guid executionId, Guid? parentExecutionId, LineageEventKind kind, KeyValuePair<string, string>[] data, string previousHash, string hash)
    {
        LogId = logId;
        Sequence = sequence;
        Time = time;
        ExecutionId = executionId;
        ParentExecutionId = parentExecutionId;
        Kind = kind;
        Data = data;
        PreviousHash = previousHash;
        Hash = hash;
    }

    internal string LogId { get; }

    internal long Sequence { get; }

    internal string Time { get; }

    internal Guid ExecutionId { get; }

    internal Guid? ParentExecutionId { get; }

    internal LineageEventKind Kind { get; }

    internal KeyValuePair<string, string>[] Data { get; }

    internal string PreviousHash { get; }

    /// <summary>The record's hash, lowercase hex, as stated in the line and checked against its bytes.</summary>
    internal string Hash { get; }

    internal string? this[string name]
    {
        get
        {
            foreach (var pair in Data)
            {
                if (string.Equals(pair.Key, name, StringComparison.Ordinal))
                {
                    return pair.Value;
                }
            }

            return null;
        }
    }

    /// <summary>Parses a line (without its line feed); on failure says why, in words fit for a verification report.</summary>
    internal static LineageRecordLine? TryParse(ReadOnlySpan<byte> line, out string error)
    {
        if (!LineageChain.TrySplitLine(line, out var body, out var stated))
        {
            error = "malformed record: it does not end with the hash member";
            return null;
        }

        if (!string.Equals(Convert.ToHexStringLower(SHA256.HashData(body)), stated, StringComparison.Ordinal))
        {
            error = "hash mismatch: the record was altered";
            return null;
        }

        try
        {
            using var doc = JsonDocument.Parse(body, new JsonDocumentOptions { AllowDuplicateProperties = false });
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                error = "malformed record JSON: not an object";
                return null;
            }

            if (!HasMembersInOrder(root))
            {
                error = "malformed record JSON: the members are not v, log, seq, time, exec, parent, kind, data, prev, in that order";
                return null;
            }

            if (!root.TryGetProperty("v", out var v) || v.ValueKind != JsonValueKind.Number || v.GetInt32() != LineageChain.FormatVersion)
            {
                error = "unknown format version";
                return null;
            }

            var logId = root.GetProperty("log").GetString();
            var sequence = root.GetProperty("seq").GetInt64();
            var time = root.GetProperty("time").GetString();
            var exec = Guid.ParseExact(root.GetProperty("exec").GetString()!, "D");
            var parentElement = root.GetProperty("parent");
            Guid? parent = parentElement.ValueKind == JsonValueKind.Null ? null : Guid.ParseExact(parentElement.GetString()!, "D");
            if (!LineageChain.TryParseKind(root.GetProperty("kind").GetString(), out var kind))
            {
                error = "unknown event kind";
                return null;
            }

            var dataElement = root.GetProperty("data");
            if (dataElement.ValueKind != JsonValueKind.Object)
            {
                error = "malformed record JSON: data is not an object";
                return null;
            }

            var data = new List<KeyValuePair<string, string>>();
            foreach (var member in dataElement.EnumerateObject())
            {
                if (member.Value.ValueKind != JsonValueKind.String)
                {
                    error = "malformed record JSON: a data value is not a string";
                    return null;
                }

                data.Add(new(member.Name, member.Value.GetString()!));
            }

            var prev = root.GetProperty("prev").GetString();
            if (string.IsNullOrEmpty(logId) || time is null || prev is null || sequence < 1)
            {
                error = "malformed record JSON: a required member is empty";
                return null;
            }

            error = string.Empty;
            return new LineageRecordLine(logId, sequence, time, exec, parent, kind, [.. data], prev, stated);
        }
        catch (Exception ex) when (ex is JsonException or KeyNotFoundException or InvalidOperationException or FormatException or ArgumentNullException)
        {
            error = "malformed record JSON";
            return null;
        }
    }

    private static bool HasMembersInOrder(JsonElement root)
    {
        var index = 0;
        foreach (var member in root.EnumerateObject())
        {
            if (index == Members.Length || !member.NameEquals(Members[index]))
            {
                return false;
            }

            index++;
        }

        return index == Members.Length;
    }
}
