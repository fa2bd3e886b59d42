namespace GovernedExecution.PostgreSql;

/// <summary>
/// A component found its tables missing: the schema was not migrated (run
/// <see cref="GovernedExecutionPostgreSql.MigrateAsync"/> or <c>govexec postgres migrate</c>). The replay guard's
/// failure denies the execution (<c>GovernanceFault</c>); the witness's makes a file sink refuse to open.
/// </summary>
public sealed class PostgreSqlSchemaNotMigratedException : Exception
{
    /// <summary>Creates the exception.</summary>
    public PostgreSqlSchemaNotMigratedException()
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    /// <param name="message">What is missing.</param>
    public PostgreSqlSchemaNotMigratedException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and a cause.</summary>
    /// <param name="message">What is missing.</param>
    /// <param name="innerException">The database's error.</param>
    public PostgreSqlSchemaNotMigratedException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
