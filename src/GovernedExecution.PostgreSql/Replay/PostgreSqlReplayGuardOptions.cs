namespace GovernedExecution.PostgreSql.Replay;

/// <summary>Options of a <see cref="PostgreSqlReplayGuard"/>.</summary>
public sealed class PostgreSqlReplayGuardOptions
{
    /// <summary>The schema the guard's table is in (<see cref="GovernedExecutionPostgreSql.DefaultSchema"/> by default).</summary>
    public string Schema { get; set; } = GovernedExecutionPostgreSql.DefaultSchema;

    /// <summary>
    /// How long one check may take, connection included (2 seconds by default): past it the check fails with a
    /// <see cref="TimeoutException"/>, which denies the execution. The executor's own
    /// <c>DependencyTimeout</c> bounds it too.
    /// </summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// How long an id is kept past the instant the verifier gives it (its expiry plus the verifier's clock skew); 5
    /// minutes by default. It must exceed the largest difference between a worker's clock and the database's: a worker
    /// whose clock is further behind is refused (the check fails) rather than trusted with an id that may be forgotten.
    /// </summary>
    public TimeSpan Retention { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// After how many checks the guard removes expired ids in the background (1,000 by default; 0 never, for hosts
    /// that call <see cref="PostgreSqlReplayGuard.RemoveExpiredAsync"/> on a schedule of their own).
    /// </summary>
    public int CleanupEvery { get; set; } = 1_000;

    /// <summary>The most ids one cleanup removes (10,000 by default), so that a cleanup is a short transaction.</summary>
    public int CleanupBatchSize { get; set; } = 10_000;
}
