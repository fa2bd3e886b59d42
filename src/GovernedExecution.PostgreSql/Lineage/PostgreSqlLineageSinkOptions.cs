using GovernedExecution.Artifacts.Keys;
using Microsoft.Extensions.Logging;

namespace GovernedExecution.PostgreSql.Lineage;

/// <summary>Options of a <see cref="PostgreSqlLineageSink"/>. Validated when the sink is created; every failure is reported at once.</summary>
public sealed class PostgreSqlLineageSinkOptions
{
    /// <summary>The schema holding the lineage tables (created by the package's migration); <c>govexec</c> by default.</summary>
    public string Schema { get; set; } = LineageSql.DefaultSchema;

    /// <summary>
    /// A name for this writer instance, stored with its chain (for example the service and host); by default the
    /// machine name and process id. Names are for people: each open sink starts a chain of its own under a new writer id.
    /// </summary>
    public string? WriterName { get; set; }

    /// <summary>
    /// The key that signs checkpoints (COSE_Sign1), as a <see cref="GovernedExecution.Lineage.FileLineageSink"/> signs
    /// them. The sink does not take ownership; keep the key undisposed while the sink is open (a checkpoint that cannot
    /// be signed faults the sink). Without a key, checkpoints are unsigned and fail verification with trusted keys.
    /// </summary>
    public SigningKey? CheckpointKey { get; set; }

    /// <summary>A checkpoint is written after this many records of the chain; 1000 by default.</summary>
    public int CheckpointEveryRecords { get; set; } = 1000;

    /// <summary>A checkpoint is written when records are this old without one; ten seconds by default.</summary>
    public TimeSpan CheckpointEvery { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>The bound of the append queue, in appends; 4096 by default. A full queue makes appends wait.</summary>
    public int QueueCapacity { get; set; } = 4096;

    /// <summary>The most records written in one statement (one round trip, one commit); 2048 by default.</summary>
    public int MaxBatchRecords { get; set; } = 2048;

    /// <summary>How long one statement may take before it fails (and the appends it carries with it); ten seconds by default.</summary>
    public TimeSpan CommandTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>The clock for record and checkpoint times; <see cref="TimeProvider.System"/> by default.</summary>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;

    /// <summary>Receives failures and recoveries; none by default.</summary>
    public ILogger? Logger { get; set; }

    internal List<string> Validate()
    {
        var failures = new List<string>();
        if (!LineageSql.IsValidSchema(Schema))
        {
            failures.Add("Schema must be a lowercase identifier (a-z, 0-9, _; at most 63 characters, not starting with a digit).");
        }

        if (WriterName is { } name && (name.Length == 0 || name.Length > 200))
        {
            failures.Add("WriterName must be 1 to 200 characters.");
        }

        if (CheckpointEveryRecords < 1)
        {
            failures.Add("CheckpointEveryRecords must be at least 1.");
        }

        if (CheckpointEvery <= TimeSpan.Zero)
        {
            failures.Add("CheckpointEvery must be positive.");
        }

        if (QueueCapacity < 1)
        {
            failures.Add("QueueCapacity must be at least 1.");
        }

        if (MaxBatchRecords < 1)
        {
            failures.Add("MaxBatchRecords must be at least 1.");
        }

        if (CommandTimeout < TimeSpan.FromSeconds(1) || CommandTimeout > TimeSpan.FromHours(1))
        {
            failures.Add("CommandTimeout must be between one second and one hour.");
        }

        if (TimeProvider is null)
        {
            failures.Add("TimeProvider is required.");
        }

        return failures;
    }
}
