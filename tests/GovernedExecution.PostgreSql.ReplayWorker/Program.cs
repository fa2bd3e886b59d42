// A verify-only worker process that shares its replay guard through PostgreSQL. It builds its executor, prints
// "ready", waits for a line on standard input (so that every worker starts at once), runs the artifact once, and
// prints "ran" or "denied REASON DETAIL". The operation records the run as a row in public.runs, which the test counts.
// Usage: replay-worker CONNECTION_STRING SCHEMA ARTIFACT_FILE PUBLIC_KEY_PEM WORKER_NAME
using GovernedExecution.Artifacts;
using GovernedExecution.Artifacts.Keys;
using GovernedExecution.DependencyInjection;
using GovernedExecution.Lineage;
using GovernedExecution.PostgreSql.Replay;
using GovernedExecution.Testing;
using Npgsql;

var (connection, schema, artifactPath, keyPath, name) = (args[0], args[1], args[2], args[3], args[4]);
await using var dataSource = NpgsqlDataSource.Create(connection);
using var key = TrustedKey.FromPem(File.ReadAllText(keyPath));
var executor = new GovernedExecutorBuilder()
    .Configure(o => { o.Audience = "worker"; o.VerifyOnly = true; })
    .UseTrustedKeys(key)
    .UsePostgreSqlReplayGuard(dataSource, o => o.Schema = schema)
    .AddLineageSink(new InMemoryLineageSink())
    .Build();
var artifact = AuthorizationArtifact.FromBytes(File.ReadAllBytes(artifactPath));

// Warm the pool, so that the start line finds every worker one round trip away from its check.
await using (var warm = dataSource.CreateCommand("SELECT 1"))
{
    await warm.ExecuteScalarAsync();
}

Console.WriteLine("ready");
Console.Out.Flush();
_ = Console.ReadLine();

var outcome = await executor.RunOutcomeAsync(GovernedTestHost.Intent("refund"), artifact, dataSource, static async (source, context, ct) =>
{
    await using var insert = source.CreateCommand("INSERT INTO public.runs (worker) VALUES ($1)");
    insert.Parameters.AddWithValue(Environment.GetCommandLineArgs()[^1]);
    await insert.ExecuteNonQueryAsync(ct);
    return 1;
});
Console.WriteLine(outcome.IsSuccess ? "ran" : $"denied {outcome.Denial!.Reason} {outcome.Denial.Detail}");
return 0;
