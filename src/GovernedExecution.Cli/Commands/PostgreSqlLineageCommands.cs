using System.Globalization;
using GovernedExecution.Artifacts.Keys;
using GovernedExecution.Internal;
using GovernedExecution.PostgreSql.Lineage;
using Npgsql;

namespace GovernedExecution.Cli.Commands;

/// <summary><c>govexec lineage verify|show --postgres</c>: every writer's chain in a database, and an execution tree across writers.</summary>
internal static class PostgreSqlLineageCommands
{
    internal static int Verify(string connectionString, string? schema, List<TrustedKey> keys, bool noSignatures, TextWriter output, TextWriter error) => WithDatabase(connectionString, schema, error, store =>
    {
        var result = store.VerifyAsync(keys.Count == 0 ? null : keys).GetAwaiter().GetResult();
        output.WriteLine(result.ToJson());
        if (!result.IsValid)
        {
            CliGuard.Report(error, result.Error ?? "the lineage is not valid: " + string.Join("; ", result.Chains.Where(c => !c.IsValid).Select(c => string.Create(CultureInfo.InvariantCulture, $"writer {c.WriterId:D} ({c.Name}) record {c.FailedAt}: {c.Error}"))));
            return ExitCodes.Error;
        }

        foreach (var chain in result.Chains)
        {
            foreach (var notice in chain.Notices)
            {
                error.WriteLine($"notice: writer {chain.WriterId:D} ({TerminalText.Escape(chain.Name)}): {TerminalText.Escape(notice)}");
            }
        }

        if (!result.SignaturesChecked)
        {
            error.WriteLine(noSignatures
                ? "warning: checkpoint signatures were not checked (--no-signatures)"
                : "error: checkpoint signatures were not checked: give --trust PUB.pem, or --no-signatures to accept that");
            if (!noSignatures)
            {
                return ExitCodes.Error;
            }
        }

        if (result.RecordsLost > 0)
        {
            error.WriteLine($"warning: the lineage is valid, and records that {result.RecordsLost} acknowledged record(s) were lost (records_lost notices above)");
            return ExitCodes.RecordsLost;
        }

        return ExitCodes.Ok;
    });

    internal static int Show(string connectionString, string? schema, string execution, TextWriter output, TextWriter error)
    {
        if (!Guid.TryParse(execution, out var id))
        {
            CliGuard.Report(error, $"Execution '{execution}' is not an execution id.");
            return ExitCodes.Error;
        }

        return WithDatabase(connectionString, schema, error, store =>
        {
            var writers = store.WriteTreeAsync(id, output).GetAwaiter().GetResult();
            foreach (var (writer, name) in writers)
            {
                error.WriteLine($"writer {writer:D}: {TerminalText.Escape(name)}");
            }

            error.WriteLine("note: shown as recorded; the lineage was not verified (use 'govexec lineage verify --postgres')");
            return ExitCodes.Ok;
        });
    }

    /// <summary>
    /// Runs <paramref name="action"/> on the database. A database that cannot be read is exit code 1 with the reason;
    /// the connection string is never echoed (it may hold a password).
    /// </summary>
    private static int WithDatabase(string connectionString, string? schema, TextWriter error, Func<PostgreSqlLineageStore, int> action)
    {
        NpgsqlDataSource dataSource;
        try
        {
            dataSource = NpgsqlDataSource.Create(connectionString);
        }
        catch (ArgumentException)
        {
            CliGuard.Report(error, "--postgres: not a valid connection string");
            return ExitCodes.Error;
        }

        using (dataSource)
        {
            try
            {
                return action(new PostgreSqlLineageStore(dataSource, schema ?? GovernedExecution.PostgreSql.GovernedExecutionPostgreSql.DefaultSchema));
            }
            catch (NpgsqlException ex)
            {
                CliGuard.Report(error, "cannot read the lineage from the database: " + (ex is PostgresException pg ? pg.MessageText : ex.Message));
                return ExitCodes.Error;
            }
        }
    }
}
