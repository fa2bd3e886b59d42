using GovernedExecution.Lineage;

namespace GovernedExecution.PostgreSql.Lineage;

/// <summary>
/// What the lineage tables say about a record besides its bytes, derived by one rule from the record itself (written
/// so, and checked so by verification): a column that disagrees with the record's bytes is tampering, not data.
/// </summary>
internal static class LineageSql
{
    /// <summary>The schema the tables are in when the options name none: the package's one schema.</summary>
    internal const string DefaultSchema = PostgreSqlMigrations.DefaultSchema;

    /// <summary>Whether a schema name is acceptable: the migration's rule.</summary>
    internal static bool IsValidSchema(string? schema) => PostgreSqlMigrations.IsValidSchema(schema);

    /// <summary>The schema as a quoted identifier.</summary>
    /// <exception cref="ArgumentException">The name is not acceptable.</exception>
    internal static string QuoteSchema(string schema) => PostgreSqlMigrations.QuoteSchema(schema);

    /// <summary>The principal, action and outcome columns of a record of <paramref name="kind"/> with these data members.</summary>
    internal static (string? Principal, string? Action, string? Outcome) Describe(LineageEventKind kind, Func<string, string?> data)
    {
        var intent = kind == LineageEventKind.IntentSubmitted;
        var outcome = kind switch
        {
            LineageEventKind.ExecutionCompleted => "completed",
            LineageEventKind.ExecutionFailed => "failed",
            LineageEventKind.ExecutionRevoked => "revoked",
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
