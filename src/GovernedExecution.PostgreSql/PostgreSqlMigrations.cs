using System.Buffers.Binary;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;

namespace GovernedExecution.PostgreSql;

/// <summary>
/// The schema of the package as an ordered list of numbered steps. The script creates the schema and its
/// <c>schema_version</c> table, takes a transaction-scoped advisory lock (so that two processes migrating at once run
/// one after the other), and runs each step not yet recorded there, recording it in the same transaction: applying it
/// twice, or from two processes at once, changes nothing the second time.
/// </summary>
/// <remarks>
/// Steps are never edited once released: a change is a new step. Numbers 1 to 99 belong to the replay guard and the
/// checkpoint witness (this block); 100 and above are reserved for the lineage sink, in its own block below.
/// </remarks>
internal static partial class PostgreSqlMigrations
{
    internal const string DefaultSchema = "governed_execution";

    /// <summary>One step: its number, what it does (recorded in <c>schema_version</c>), and its SQL for a schema (already quoted).</summary>
    internal sealed record Step(int Version, string Description, Func<string, string> Sql);

    // ---- Replay guard and checkpoint witness: steps 1 to 99. -------------------------------------------------------
    private static readonly Step[] GuardAndWitnessSteps =
    [
        new(1, "replay guard: used artifact token ids", s => $"""
            CREATE TABLE {s}.replay_tokens (
                token_id    uuid        PRIMARY KEY,
                expires_at  timestamptz NOT NULL,
                consumed_at timestamptz NOT NULL DEFAULT statement_timestamp()
            );
            CREATE INDEX replay_tokens_expires_at ON {s}.replay_tokens (expires_at);
            -- One round trip per check. The database's clock decides: an id whose window (exp + skew + retention) is over
            -- by the database's clock is refused (-1), never inserted, since cleanup may already have forgotten it.
            -- 1: first use; 0: already used.
            CREATE FUNCTION {s}.consume_replay_token(p_token uuid, p_expires timestamptz) RETURNS integer
                LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $fn$
            BEGIN
                IF p_expires <= statement_timestamp() THEN
                    RETURN -1;
                END IF;
                INSERT INTO {s}.replay_tokens (token_id, expires_at) VALUES (p_token, p_expires) ON CONFLICT (token_id) DO NOTHING;
                IF FOUND THEN
                    RETURN 1;
                END IF;
                RETURN 0;
            END
            $fn$;
            -- Forgets ids only once their window is over by the database's clock (never a worker's), at most p_limit per call.
            CREATE FUNCTION {s}.remove_expired_replay_tokens(p_limit integer) RETURNS integer
                LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $fn$
            DECLARE
                removed integer;
            BEGIN
                DELETE FROM {s}.replay_tokens WHERE token_id IN (
                    SELECT token_id FROM {s}.replay_tokens WHERE expires_at < statement_timestamp()
                    ORDER BY expires_at LIMIT greatest(p_limit, 0) FOR UPDATE SKIP LOCKED);
                GET DIAGNOSTICS removed = ROW_COUNT;
                RETURN removed;
            END
            $fn$;
            REVOKE ALL ON FUNCTION {s}.consume_replay_token(uuid, timestamptz) FROM PUBLIC;
            REVOKE ALL ON FUNCTION {s}.remove_expired_replay_tokens(integer) FROM PUBLIC;
            """),
        new(2, "checkpoint witness: latest accepted checkpoint per log", s => $"""
            CREATE TABLE {s}.witnessed_checkpoints (
                log_id       text        PRIMARY KEY,
                tree_size    bigint      NOT NULL CHECK (tree_size >= 1),
                root         bytea       NOT NULL CHECK (octet_length(root) = 32),
                signature    bytea       NOT NULL,
                witnessed_at timestamptz NOT NULL DEFAULT statement_timestamp()
            );
            """),
    ];

    // ---- Lineage sink: steps 100 and above (Lineage/LineageMigrationSteps.cs). --------------------------------------
    private static readonly Step[] LineageSteps =
        [.. Lineage.LineageMigrationSteps.Steps.Select(step => new Step(step.Number, step.Description, s => step.Sql.Replace(Lineage.LineageMigrationSteps.SchemaPlaceholder, s, StringComparison.Ordinal)))];

    /// <summary>Every step, in order.</summary>
    internal static IReadOnlyList<Step> Steps { get; } = [.. GuardAndWitnessSteps, .. LineageSteps];

    /// <summary>The highest step number the replay guard needs.</summary>
    internal const int ReplayGuardVersion = 1;

    /// <summary>The highest step number the checkpoint witness needs.</summary>
    internal const int WitnessVersion = 2;

    /// <summary>
    /// Lowercase letters, digits and underscores, starting with a letter or underscore, at most 63 bytes (PostgreSQL's
    /// identifier limit), and not <c>pg_</c> (reserved for system schemas): a name that needs no quoting, so what is
    /// validated is exactly what the server uses.
    /// </summary>
    [GeneratedRegex("^[a-z_][a-z0-9_]{0,62}$", RegexOptions.CultureInvariant, matchTimeoutMilliseconds: 1000)]
    private static partial Regex SchemaPattern();

    /// <summary>Whether a schema name is acceptable (see <see cref="SchemaPattern"/>).</summary>
    internal static bool IsValidSchema(string? schema) =>
        schema is not null && SchemaPattern().IsMatch(schema) && !schema.StartsWith("pg_", StringComparison.Ordinal);

    /// <summary>Returns the schema name quoted for SQL, or throws when it is not an acceptable name.</summary>
    /// <exception cref="ArgumentNullException"><paramref name="schema"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="schema"/> is not an acceptable schema name.</exception>
    internal static string QuoteSchema(string schema, string parameterName = "schema")
    {
        ArgumentNullException.ThrowIfNull(schema, parameterName);
        if (!IsValidSchema(schema))
        {
            throw new ArgumentException(
                "A schema name is 1 to 63 characters among lowercase letters, digits and underscores, starts with a letter or an underscore, and does not start with 'pg_'.",
                parameterName);
        }

        return "\"" + schema + "\"";
    }

    /// <summary>The advisory lock key of one schema's migration: the same in every process.</summary>
    internal static long LockKey(string schema) =>
        BinaryPrimitives.ReadInt64BigEndian(SHA256.HashData(Encoding.UTF8.GetBytes("governed_execution.migrate:" + schema)));

    /// <summary>The whole migration as one transaction, ready for psql or for <c>MigrateAsync</c>.</summary>
    internal static string Script(string schema)
    {
        var s = QuoteSchema(schema);
        var sql = new StringBuilder();
        sql.Append(CultureInfo.InvariantCulture, $"""
            -- GovernedExecution.PostgreSql schema {schema}: idempotent, safe to run again or from several processes at once.
            BEGIN;
            SELECT pg_advisory_xact_lock({LockKey(schema)});
            CREATE SCHEMA IF NOT EXISTS {s};
            CREATE TABLE IF NOT EXISTS {s}.schema_version (
                version     integer     PRIMARY KEY,
                description text        NOT NULL,
                applied_at  timestamptz NOT NULL DEFAULT statement_timestamp()
            );

            """);
        foreach (var step in Steps)
        {
            var body = step.Sql(s);
            if (body.Contains("$step$", StringComparison.Ordinal) || step.Description.Contains('\'', StringComparison.Ordinal))
            {
                throw new InvalidOperationException($"Migration step {step.Version} cannot be quoted.");
            }

            sql.Append(CultureInfo.InvariantCulture, $"""

                -- Step {step.Version}: {step.Description}
                DO $step$
                BEGIN
                IF NOT EXISTS (SELECT 1 FROM {s}.schema_version WHERE version = {step.Version}) THEN
                {body}
                INSERT INTO {s}.schema_version (version, description) VALUES ({step.Version}, '{step.Description}');
                END IF;
                END
                $step$;

                """);
        }

        sql.Append("\nCOMMIT;\n");
        return sql.ToString();
    }
}
