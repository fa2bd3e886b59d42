using System.Security.Cryptography;
using System.Text.Json;

namespace GovernedExecution.Lineage;

/// <summary>Verifies a hash-chained lineage from its lines as written, trusting nothing but the bytes.</summary>
public static class LineageVerifier
{
    /// <summary>Verifies records (their <see cref="LineageRecord.Line"/> bytes) in order.</summary>
    /// <param name="records">The records.</param>
    /// <returns>The result.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="records"/> is <see langword="null"/>.</exception>
    public static LineageVerificationResult Verify(IEnumerable<LineageRecord> records)
    {
        ArgumentNullException.ThrowIfNull(records);
        return VerifyLines(records.Select(r => r.Line));
    }

    /// <summary>Verifies JSON lines (UTF-8, without line feeds) in order: shape, hash, sequence without gaps, and links.</summary>
    /// <param name="lines">The lines.</param>
    /// <returns>The result.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="lines"/> is <see langword="null"/>.</exception>
    public static LineageVerificationResult VerifyLines(IEnumerable<ReadOnlyMemory<byte>> lines)
    {
        ArgumentNullException.ThrowIfNull(lines);
        var head = LineageChain.GenesisHash;
        long position = 0;
        foreach (var line in lines)
        {
            position++;
            if (!LineageChain.TrySplitLine(line.Span, out var body, out var stated))
            {
                return Invalid(position - 1, head, position, "malformed record (no trailing hash member)");
            }

            if (!string.Equals(Convert.ToHexStringLower(SHA256.HashData(body)), stated, StringComparison.Ordinal))
            {
                return Invalid(position - 1, head, position, "hash mismatch: the record was altered");
            }

            try
            {
                using var doc = JsonDocument.Parse(body);
                var root = doc.RootElement;
                if (root.GetProperty("v").GetInt32() != LineageChain.FormatVersion)
                {
                    return Invalid(position - 1, head, position, "unknown format version");
                }

                if (root.GetProperty("seq").GetInt64() != position)
                {
                    return Invalid(position - 1, head, position, "sequence gap or reordering");
                }

                if (!string.Equals(root.GetProperty("prev").GetString(), head, StringComparison.Ordinal))
                {
                    return Invalid(position - 1, head, position, "broken chain: prev does not match the previous record");
                }
            }
            catch (Exception ex) when (ex is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
            {
                return Invalid(position - 1, head, position, "malformed record JSON");
            }

            head = stated;
        }

        return new LineageVerificationResult(true, position, head, null, null);
    }

    private static LineageVerificationResult Invalid(long records, string head, long at, string error) => new(false, records, head, at, error);
}
