using Npgsql;

namespace GovernedExecution.PostgreSql;

/// <summary>What every component does around one database call: a bounded time, and a missing schema named as such.</summary>
internal static class PostgreSqlCalls
{
    /// <summary>
    /// Runs <paramref name="call"/> with a token canceled after <paramref name="timeout"/> and waits for it no longer than
    /// that: a database that does not answer gives a <see cref="TimeoutException"/>, whatever the driver does meanwhile.
    /// The caller's own cancellation propagates as such.
    /// </summary>
    internal static async Task<T> RunAsync<T>(Func<CancellationToken, Task<T>> call, TimeSpan timeout, string schema, string component, CancellationToken cancellationToken)
    {
        using var bounded = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        bounded.CancelAfter(timeout);
        Task<T> pending;
        try
        {
            pending = call(bounded.Token);
        }
        catch (Exception ex)
        {
            pending = Task.FromException<T>(ex);
        }

        try
        {
            return await pending.WaitAsync(timeout, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            bounded.Cancel();
            Observe(pending);
            throw new TimeoutException($"The {component} did not answer within {timeout}.");
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested && bounded.IsCancellationRequested)
        {
            throw new TimeoutException($"The {component} did not answer within {timeout}.");
        }
        catch (PostgresException ex) when (ex.SqlState is PostgresErrorCodes.UndefinedTable or PostgresErrorCodes.InvalidSchemaName or PostgresErrorCodes.UndefinedFunction)
        {
            throw new PostgreSqlSchemaNotMigratedException(
                $"The {component} found the schema '{schema}' not migrated ({ex.SqlState}): run GovernedExecutionPostgreSql.MigrateAsync or `govexec postgres migrate` first.", ex);
        }
    }

    /// <summary>A call abandoned at its deadline may still fail later: its exception is observed, never left unobserved.</summary>
    private static void Observe(Task pending) => pending.ContinueWith(static t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
}
