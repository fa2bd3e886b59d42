using System.Globalization;

namespace GovernedExecution.Lineage;

/// <summary>
/// The repair records a sink (or an operator) appends about the log's own state, and the notice verification reports
/// for each (docs/lineage-format.md, "Repair records").
/// </summary>
internal static class LineageRepairs
{
    internal const string Reason = "reason";
    internal const string TornReason = "torn last line sealed after a crash";
    internal const string DamagedReason = "damaged line sealed by an operator";
    internal const string AdoptedReason = "unsigned records adopted";
    internal const string FailedWriteReason = "torn write sealed after a failed write";
    internal const string First = "first";
    internal const string Last = "last";

    /// <summary>The repair record that adopts records <paramref name="first"/> to <paramref name="last"/>, which no signed checkpoint covers.</summary>
    internal static LineageEvent Adopted(long first, long last, DateTimeOffset time) => new(LineageEventKind.Repair, Guid.Empty, null, time,
    [
        new(Reason, AdoptedReason),
        new(First, first.ToString(CultureInfo.InvariantCulture)),
        new(Last, last.ToString(CultureInfo.InvariantCulture)),
    ]);

    /// <summary>What a verifier reports for a repair record.</summary>
    /// <summary>Whether a repair record seals the line before it (a torn or damaged line), stating its length and digest.</summary>
    internal static bool Seals(string? reason) => reason is TornReason or DamagedReason or FailedWriteReason;

    internal static string Notice(LineageRecordLine repair) => repair[Reason] switch
    {
        AdoptedReason => $"records {repair[First]} to {repair[Last]} were adopted on open without a signed checkpoint covering them (record {repair.Sequence}): they are not authenticated",
        TornReason => $"a torn last line of {repair["cut_bytes"]} bytes (sha256 {repair["cut_sha256"]}) in {repair["file"]} at byte {repair["offset"]} was sealed after a crash (record {repair.Sequence})",
        FailedWriteReason => $"a line of {repair["cut_bytes"]} bytes (sha256 {repair["cut_sha256"]}) in {repair["file"]} at byte {repair["offset"]}, left by a write that failed (disk full), was sealed (record {repair.Sequence})",
        DamagedReason => $"a damaged line of {repair["cut_bytes"]} bytes (sha256 {repair["cut_sha256"]}) in {repair["file"]} at byte {repair["offset"]} was sealed by an operator (record {repair.Sequence}): what it held is lost",
        var other => $"repair record {repair.Sequence}: {other}",
    };
}
