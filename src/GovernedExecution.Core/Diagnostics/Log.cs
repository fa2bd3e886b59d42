using GovernedExecution.Execution;
using GovernedExecution.Intents;
using Microsoft.Extensions.Logging;

namespace GovernedExecution.Diagnostics;

/// <summary>Source-generated log methods with fixed event ids. They never log keys, arguments or context values.</summary>
internal static partial class Log
{
    [LoggerMessage(EventId = 1000, Level = LogLevel.Debug, Message = "Execution {ExecutionId} permitted for {Principal} -> {Action} on {Resource}")]
    internal static partial void ExecutionPermitted(ILogger logger, Guid executionId, EntityReference principal, EntityReference action, EntityReference resource);

    [LoggerMessage(EventId = 1001, Level = LogLevel.Information, Message = "Execution {ExecutionId} denied ({Reason}): {Detail}")]
    internal static partial void ExecutionDenied(ILogger logger, Guid executionId, DenialReason reason, string detail);

    [LoggerMessage(EventId = 1002, Level = LogLevel.Warning, Message = "Execution {ExecutionId}: governance fault in {Phase}, denied")]
    internal static partial void GovernanceFault(ILogger logger, Guid executionId, string phase, Exception exception);

    [LoggerMessage(EventId = 1003, Level = LogLevel.Warning, Message = "Lineage sink {Sink} ({Mode}) failed to accept {Count} event(s) of execution {ExecutionId}")]
    internal static partial void LineageSinkFailed(ILogger logger, string sink, string mode, int count, Guid executionId, Exception exception);

    [LoggerMessage(EventId = 1004, Level = LogLevel.Warning, Message = "The policy set has no policies: every execution will be denied (NotPermitted)")]
    internal static partial void EmptyPolicySet(ILogger logger);

    [LoggerMessage(EventId = 1005, Level = LogLevel.Warning, Message = "No required lineage sink ({SinkCount} best-effort): operations run with nothing on record before they start, as allowed by AllowExecutionsWithoutRequiredLineage")]
    internal static partial void NoRequiredLineageSink(ILogger logger, int sinkCount);

    [LoggerMessage(EventId = 1006, Level = LogLevel.Warning, Message = "The signing key could not be checked against the trusted keys at start ({ExceptionType}): the key provider or the trusted-key store failed or did not answer; calls are denied (KeyUnavailable) while that lasts")]
    internal static partial void SigningKeyNotChecked(ILogger logger, string exceptionType);

    [LoggerMessage(EventId = 1100, Level = LogLevel.Warning, Message = "Lineage file {File}: cut a torn last line of {Bytes} byte(s) at offset {Offset} after a crash; a repair record follows")]
    internal static partial void LineageRepaired(ILogger logger, string file, long bytes, long offset);

    [LoggerMessage(EventId = 1101, Level = LogLevel.Error, Message = "Lineage file {File}: write or flush failed; the sink refuses every append until it is reopened")]
    internal static partial void LineageFileFaulted(ILogger logger, string file, Exception exception);

    [LoggerMessage(EventId = 1103, Level = LogLevel.Error, Message = "Lineage file {File}: a write or flush failed in Buffered mode; {Count} acknowledged event(s) of this write may not be on disk; the sink keeps accepting appends and records what was lost (records_lost) once it can write again")]
    internal static partial void LineageBufferedWriteFailed(ILogger logger, string file, int count, Exception exception);

    [LoggerMessage(EventId = 1104, Level = LogLevel.Warning, Message = "Lineage file {File}: {Count} lost record(s) recorded in records_lost record {Sequence}")]
    internal static partial void LineageLossRecorded(ILogger logger, string file, long count, long sequence);

    [LoggerMessage(EventId = 1105, Level = LogLevel.Error, Message = "Lineage file {File}: closed with {Count} acknowledged record(s) lost that could not be recorded in the file (it could not be written); executions: {Executions}")]
    internal static partial void LineageLossUnrecorded(ILogger logger, string file, long count, string executions);

    [LoggerMessage(EventId = 1102, Level = LogLevel.Information, Message = "Lineage {Kind} execution {ExecutionId} parent {ParentExecutionId} at {Time:O}: {Data}")]
    internal static partial void LineageEventRecorded(ILogger logger, string kind, Guid executionId, Guid? parentExecutionId, DateTimeOffset time, string data);
}
