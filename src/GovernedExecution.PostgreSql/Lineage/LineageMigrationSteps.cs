namespace GovernedExecution.PostgreSql.Lineage;

/// <summary>
/// The lineage tables, as numbered migration steps (100 and up) whose SQL names the schema as <c>{schema}</c>: one row
/// per writer instance (one hash chain each), and one row per record with its canonical bytes and hash and the columns
/// that make it queryable. Each step is idempotent.
/// </summary>
internal static class LineageMigrationSteps
{
    /// <summary>The placeholder each step's SQL uses for the (quoted) schema name.</summary>
    internal const string SchemaPlaceholder = "{schema}";

    /// <summary>The steps, in order.</summary>
    internal static IReadOnlyList<(int Number, string Description, string Sql)> Steps { get; } =
    [
        (100, "lineage: writers (one hash chain each) and records", """
            CREATE TABLE IF NOT EXISTS {schema}.lineage_writers (
                writer_id uuid PRIMARY KEY,
                name text NOT NULL,
                host text NOT NULL,
                process_id integer NOT NULL,
                key_id text,
                opened_at timestamptz NOT NULL,
                closed_at timestamptz,
                last_sequence bigint
            );
            CREATE TABLE IF NOT EXISTS {schema}.lineage_records (
                writer_id uuid NOT NULL REFERENCES {schema}.lineage_writers (writer_id),
                sequence bigint NOT NULL,
                execution_id uuid NOT NULL,
                parent_execution_id uuid,
                kind text NOT NULL,
                principal text,
                action text,
                outcome text,
                recorded_at timestamptz NOT NULL,
                hash bytea NOT NULL,
                record bytea NOT NULL,
                PRIMARY KEY (writer_id, sequence)
            );
            """),
        (101, "lineage: indexes for queries by execution, parent, principal, action, outcome and time", """
            CREATE INDEX IF NOT EXISTS lineage_records_execution ON {schema}.lineage_records (execution_id);
            CREATE INDEX IF NOT EXISTS lineage_records_parent ON {schema}.lineage_records (parent_execution_id) WHERE parent_execution_id IS NOT NULL;
            CREATE INDEX IF NOT EXISTS lineage_records_principal ON {schema}.lineage_records (principal, recorded_at) WHERE principal IS NOT NULL;
            CREATE INDEX IF NOT EXISTS lineage_records_action ON {schema}.lineage_records (action, recorded_at) WHERE action IS NOT NULL;
            CREATE INDEX IF NOT EXISTS lineage_records_outcome ON {schema}.lineage_records (outcome, recorded_at) WHERE outcome IS NOT NULL;
            CREATE INDEX IF NOT EXISTS lineage_records_time ON {schema}.lineage_records (recorded_at);
            """),
        (102, "lineage: index of executions by start, newest first, for paged browsing", """
            CREATE INDEX IF NOT EXISTS lineage_records_intents ON {schema}.lineage_records (recorded_at DESC, writer_id DESC, sequence DESC) WHERE kind = 'intent_submitted';
            """),
    ];
}
