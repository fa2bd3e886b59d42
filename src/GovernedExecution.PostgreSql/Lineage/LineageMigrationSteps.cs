using Npgsql;

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
    internal static IReadOnlyList<(int Number, string Sql)> Steps { get; } =
    [
        (100, """
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
        (101, """
            CREATE INDEX IF NOT EXISTS lineage_records_execution ON {schema}.lineage_records (execution_id);
            CREATE INDEX IF NOT EXISTS lineage_records_parent ON {schema}.lineage_records (parent_execution_id) WHERE parent_execution_id IS NOT NULL;
            CREATE INDEX IF NOT EXISTS lineage_records_principal ON {schema}.lineage_records (principal, recorded_at) WHERE principal IS NOT NULL;
            CREATE INDEX IF NOT EXISTS lineage_records_action ON {schema}.lineage_records (action, recorded_at) WHERE action IS NOT NULL;
            CREATE INDEX IF NOT EXISTS lineage_records_outcome ON {schema}.lineage_records (outcome, recorded_at) WHERE outcome IS NOT NULL;
            CREATE INDEX IF NOT EXISTS lineage_records_time ON {schema}.lineage_records (recorded_at);
            """),
    ];

    /// <summary>A step's SQL for a schema (an identifier already checked by <see cref="LineageSql.QuoteSchema"/>).</summary>
    internal static string Render(string sql, string schema) => sql.Replace(SchemaPlaceholder, LineageSql.QuoteSchema(schema), StringComparison.Ordinal);

    /// <summary>
    /// Applies the lineage steps alone (the schema and every step, in one transaction): for the tests of this folder
    /// until the package's migration runs them with its own steps.
    /// </summary>
    internal static async Task ApplyAsync(NpgsqlDataSource dataSource, string schema, CancellationToken cancellationToken = default)
    {
        var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var connectionScope = connection.ConfigureAwait(false);
        var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        await using var transactionScope = transaction.ConfigureAwait(false);
        foreach (var sql in (string[])["CREATE SCHEMA IF NOT EXISTS " + LineageSql.QuoteSchema(schema), .. Steps.Select(s => Render(s.Sql, schema))])
        {
            var command = new NpgsqlCommand(sql, connection, transaction);
            await using var commandScope = command.ConfigureAwait(false);
            await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
    }
}
