using Npgsql;

namespace GovernedExecution.PostgreSql;

/// <summary>
/// The database schema of the package: created or brought up to date only by an explicit call to
/// <see cref="MigrateAsync"/> (or by running <see cref="GetMigrationScript"/>, for example with
/// <c>govexec postgres migrate</c>), never implicitly when a component is first used.
/// </summary>
public static class GovernedExecutionPostgreSql
{
    /// <summary>The schema used when none is named: <c>governed_execution</c>.</summary>
    public const string DefaultSchema = PostgreSqlMigrations.DefaultSchema;

    /// <summary>
    /// Creates the schema and its tables, or applies the steps it lacks, in one transaction. Idempotent: running it again
    /// changes nothing, and processes that run it at once wait for each other (a transaction-scoped advisory lock per
    /// schema). The role needs the right to create the schema (or to create in it, when it exists).
    /// </summary>
    /// <param name="dataSource">The database.</param>
    /// <param name="schema">The schema: lowercase letters, digits and underscores, starting with a letter or an underscore, at most 63 characters, not starting with <c>pg_</c>.</param>
    /// <param name="cancellationToken">Cancels the migration (the transaction is rolled back).</param>
    /// <returns>A task that completes once the schema is up to date.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="dataSource"/> or <paramref name="schema"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="schema"/> is not an acceptable schema name.</exception>
    /// <exception cref="NpgsqlException">The database refused or could not be reached; nothing was changed.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was canceled; nothing was changed.</exception>
    public static async Task MigrateAsync(NpgsqlDataSource dataSource, string schema = DefaultSchema, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(dataSource);
        var script = PostgreSqlMigrations.Script(schema);
        var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            // The script is one transaction (BEGIN ... COMMIT): a failure part way leaves the schema as it was.
            var command = new NpgsqlCommand(script, connection) { CommandTimeout = 0 };
            await using (command.ConfigureAwait(false))
            {
                try
                {
                    await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                }
                catch
                {
                    // A failed statement leaves the session in an aborted transaction: never hand it back to the pool so.
                    NpgsqlConnection.ClearPool(connection);
                    throw;
                }
            }
        }
    }

    /// <summary>The SQL <see cref="MigrateAsync"/> runs, as one transaction (for review, or to apply with <c>psql</c>).</summary>
    /// <param name="schema">The schema (the same rules as <see cref="MigrateAsync"/>).</param>
    /// <returns>The script.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="schema"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="schema"/> is not an acceptable schema name.</exception>
    public static string GetMigrationScript(string schema = DefaultSchema) => PostgreSqlMigrations.Script(schema);
}
