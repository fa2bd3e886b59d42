using System.Text.Json;

namespace GovernedExecution.Lineage;

/// <summary>The result of verifying a lineage log. The default state is not valid.</summary>
public sealed class LineageVerificationResult
{
    internal LineageVerificationResult(bool isValid, long records, long checkpoints, bool signaturesChecked, string headHash, long? failedAt, string? error, string? failedFile, long? failedLine, IReadOnlyList<string>? notices = null)
    {
        Notices = notices ?? [];
        IsValid = isValid;
        Records = records;
        Checkpoints = checkpoints;
        SignaturesChecked = signaturesChecked;
        HeadHash = headHash;
        FailedAt = failedAt;
        Error = error;
        FailedFile = failedFile;
        FailedLine = failedLine;
    }

    /// <summary>Whether every record is well formed, in sequence, correctly hashed and linked, and every checkpoint matches (and verifies, when keys were given).</summary>
    public bool IsValid { get; }

    /// <summary>
    /// The sequence number of the first record verified: 1 for a whole log; later when the files given start with a
    /// later file (earlier ones archived), verified from the signed checkpoint that file starts with.
    /// </summary>
    public long FirstRecord { get; internal init; } = 1;

    /// <summary>How many records were checked and found good (counted from <see cref="FirstRecord"/>'s position: the last good sequence number).</summary>
    public long Records { get; }

    /// <summary>How many of them are checkpoints.</summary>
    public long Checkpoints { get; }

    /// <summary>Whether checkpoint signatures were checked against trusted keys.</summary>
    public bool SignaturesChecked { get; }

    /// <summary>
    /// What the log itself records about its own repairs, in order: records adopted without a signature covering them,
    /// torn lines sealed after a crash, damage sealed by an operator, records lost. Empty for a log that never needed one.
    /// </summary>
    public IReadOnlyList<string> Notices { get; }

    /// <summary>
    /// How many acknowledged records the log itself says were lost (the sum of its <c>records_lost</c> records: a
    /// Buffered sink's failed writes). A log can be valid and still have lost records; <c>govexec lineage verify</c>
    /// exits with 5 then.
    /// </summary>
    public long RecordsLost { get; internal init; }

    /// <summary>The hash of the last good record (the chain head).</summary>
    public string HeadHash { get; }

    /// <summary>The position in the log (1-based, across files) of the first bad record, when not valid.</summary>
    public long? FailedAt { get; }

    /// <summary>What is wrong, when not valid.</summary>
    public string? Error { get; }

    /// <summary>The file holding the first error, when files were verified.</summary>
    public string? FailedFile { get; }

    /// <summary>The line (1-based, in <see cref="FailedFile"/>) of the first error, when files were verified.</summary>
    public long? FailedLine { get; }

    /// <summary>
    /// The result as one JSON object: <c>{"valid":..,"records":..,"checkpoints":..,"signaturesChecked":..,"recordsLost":..,"notices":[..],"firstError":{"file":..,"line":..,"reason":..}}</c>
    /// (<c>firstError</c> is <see langword="null"/> when valid).
    /// </summary>
    /// <returns>The JSON text.</returns>
    public string ToJson()
    {
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream))
        {
            writer.WriteStartObject();
            writer.WriteBoolean("valid", IsValid);
            writer.WriteNumber("records", Records);
            writer.WriteNumber("checkpoints", Checkpoints);
            writer.WriteBoolean("signaturesChecked", SignaturesChecked);
            writer.WriteNumber("recordsLost", RecordsLost);
            writer.WriteStartArray("notices");
            foreach (var notice in Notices)
            {
                writer.WriteStringValue(notice);
            }

            writer.WriteEndArray();
            if (IsValid)
            {
                writer.WriteNull("firstError");
            }
            else
            {
                writer.WriteStartObject("firstError");
                writer.WriteString("file", FailedFile);
                if (FailedLine is { } line)
                {
                    writer.WriteNumber("line", line);
                }
                else
                {
                    writer.WriteNumber("line", FailedAt ?? 0);
                }

                writer.WriteString("reason", Error);
                writer.WriteEndObject();
            }

            writer.WriteEndObject();
        }

        return System.Text.Encoding.UTF8.GetString(stream.ToArray());
    }

    /// <inheritdoc />
    public override string ToString() => IsValid
        ? $"valid: {Records} records, {Checkpoints} checkpoints, head {HeadHash}"
        : $"invalid at {(FailedFile is null ? FailedAt?.ToString(System.Globalization.CultureInfo.InvariantCulture) : FailedFile + ":" + FailedLine)}: {Error}";
}
