using GovernedExecution.Lineage;

namespace GovernedExecution.PostgreSql.Lineage;

/// <summary>
/// What the lineage tables say about a record besides its bytes, derived by one rule from the record itself (written
/// so, and checked so by verification): a column that disagrees with the record's bytes is tampering, not data.
/// </summary>
internal static class LineageSql
{
    /// <summary>The schema the tables are in when the options name none.</summary>
    internal const string DefaultSchema = "govexec";

    /// <summary>Whether a schema name is a plain lowercase identifier (the only names accepted: they need no escaping beyond quotes).</summary>
    internal static bool IsValidSchema(string? schema)
    {
        if (string.IsNullOrEmpty(schema) || schema.Length > 63 || !(char.IsAsciiLetterLower(schema[0]) || schema[0] == '_'))
        {
            return false;
        }

        foreach (var c in schema)
        {
            if (!(char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c == '_'))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>The schema as a quoted identifier.</summary>
    /// <exception cref="ArgumentException">The name is not a plain lowercase identifier.</exception>
    internal static string QuoteSchema(string schema) => IsValidSchema(schema)
        ? "\"" + schema + "\""
        : throw new ArgumentException($"The schema name must be a lowercase identifier (a-z, 0-9, _; at most 63 characters, not starting with a digit).", nameof(schema));

    /// <summary>The principal, action and outcome columns of a record of <paramref name="kind"/> with these data members.</summary>
    internal static (string? Principal, string? Action, string? Outcome) Describe(LineageEventKind kind, Func<string, string?> data)
    {
        var intent = kind == LineageEventKind.IntentSubmitted;
        var outcome = kind switch
        {
            LineageEventKind.ExecutionCompleted => "completed",
            LineageEventKind.ExecutionFailed => "failed",
            LineageEventKind.ExecutionDenied => "denied",
            LineageEventKind.DryRun => data("allowed") == "true" ? "allowed" : "denied",
            _ => null,
        };
        return (intent ? data("principal") : null, intent ? data("action") : null, outcome);
    }

    /// <summary>A record time as the column holds it: microseconds (PostgreSQL's precision), UTC.</summary>
    internal static DateTime ColumnTime(DateTimeOffset time)
    {
        var utc = time.UtcDateTime;
        return new DateTime(utc.Ticks - (utc.Ticks % 10), DateTimeKind.Utc);
    }
}
