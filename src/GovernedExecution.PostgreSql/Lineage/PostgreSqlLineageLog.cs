using Microsoft.Extensions.Logging;

namespace GovernedExecution.PostgreSql.Lineage;

/// <summary>The PostgreSQL lineage sink's log events (1210 to 1219).</summary>
internal static partial class PostgreSqlLineageLog
{
    [LoggerMessage(EventId = 1210, Level = LogLevel.Error, Message = "PostgreSQL lineage writer {WriterId}: the database cannot be written; appends fail (a required sink denies every call) until it can")]
    internal static partial void Unavailable(ILogger logger, string writerId, Exception exception);

    [LoggerMessage(EventId = 1211, Level = LogLevel.Information, Message = "PostgreSQL lineage writer {WriterId}: the database can be written again; the chain continues after record {Sequence}")]
    internal static partial void Recovered(ILogger logger, string writerId, long sequence);

    [LoggerMessage(EventId = 1212, Level = LogLevel.Critical, Message = "PostgreSQL lineage writer {WriterId}: faulted; the sink refuses every append until it is reopened")]
    internal static partial void Faulted(ILogger logger, string writerId, Exception exception);
}
