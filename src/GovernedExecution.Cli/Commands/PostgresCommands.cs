using System.CommandLine;
using GovernedExecution.PostgreSql;
using Npgsql;

namespace GovernedExecution.Cli.Commands;

/// <summary><c>govexec postgres migrate</c>: print or apply the schema of GovernedExecution.PostgreSql (docs/cli.md).</summary>
internal static class PostgresCommands
{
    internal static void Register(RootCommand root)
    {
        var connection = new Option<string?>("--connection") { Description = "The Npgsql connection string of the database (required unless --print)." };
        var schema = new Option<string>("--schema") { Description = "The schema (default governed_execution).", DefaultValueFactory = _ => GovernedExecutionPostgreSql.DefaultSchema };
        var print = new Option<bool>("--print") { Description = "Print the SQL instead of applying it (nothing is changed; no connection is made)." };
        var migrate = new Command("migrate", "Create the schema, or apply the steps it lacks (idempotent; one transaction).") { connection, schema, print };
        migrate.Validators.Add(CliGuard.Validator(result =>
        {
            if (!result.GetValue(print) && string.IsNullOrWhiteSpace(result.GetValue(connection)))
            {
                result.AddError("--connection is required to apply the migration (or give --print to print it).");
            }

            try
            {
                // An option not given reads as null here (its default is applied when the command runs).
                _ = GovernedExecutionPostgreSql.GetMigrationScript(result.GetValue(schema) ?? GovernedExecutionPostgreSql.DefaultSchema);
            }
            catch (ArgumentException)
            {
                result.AddError("--schema must be 1 to 63 characters among lowercase letters, digits and underscores, start with a letter or an underscore, and not start with 'pg_'.");
            }
        }));
        migrate.SetAction((parse, cancellationToken) => Migrate(parse, parse.GetValue(connection), parse.GetValue(schema)!, parse.GetValue(print), cancellationToken));

        var postgres = new Command("postgres", "The PostgreSQL schema of GovernedExecution.PostgreSql.");
        postgres.Subcommands.Add(migrate);
        root.Subcommands.Add(postgres);
    }

    private static async Task<int> Migrate(ParseResult parse, string? connection, string schema, bool print, CancellationToken cancellationToken)
    {
        var output = parse.InvocationConfiguration.Output;
        var error = parse.InvocationConfiguration.Error;
        if (print)
        {
            await output.WriteAsync(GovernedExecutionPostgreSql.GetMigrationScript(schema)).ConfigureAwait(false);
            return ExitCodes.Ok;
        }

        NpgsqlDataSource dataSource;
        string database;
        try
        {
            var builder = new NpgsqlConnectionStringBuilder(connection);
            database = Describe(builder);
            dataSource = NpgsqlDataSource.Create(builder);
        }
        catch (ArgumentException)
        {
            // The message of a connection string that does not parse may quote it, password and all.
            CliGuard.Report(error, "--connection is not a valid connection string");
            return ExitCodes.Error;
        }

        await using (dataSource.ConfigureAwait(false))
        {
            try
            {
                await GovernedExecutionPostgreSql.MigrateAsync(dataSource, schema, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is NpgsqlException or TimeoutException or IOException or System.Net.Sockets.SocketException)
            {
                // Npgsql's messages name the host and the database's own reason, never the password.
                CliGuard.Report(error, $"cannot migrate {database}: {(ex is PostgresException pg ? pg.SqlState + " " + pg.MessageText : ex.Message)}");
                return ExitCodes.Error;
            }
        }

        await output.WriteLineAsync($"migrated schema {schema} on {database}").ConfigureAwait(false);
        return ExitCodes.Ok;
    }

    /// <summary>Where the migration goes, for messages: host, port and database, never the password or other settings.</summary>
    private static string Describe(NpgsqlConnectionStringBuilder builder) =>
        $"{builder.Host ?? "localhost"}:{builder.Port.ToString(System.Globalization.CultureInfo.InvariantCulture)}/{builder.Database ?? builder.Username ?? "(default)"}";
}
