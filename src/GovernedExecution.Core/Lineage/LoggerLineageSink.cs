using System.Text;
using GovernedExecution.Diagnostics;
using Microsoft.Extensions.Logging;

namespace GovernedExecution.Lineage;

/// <summary>
/// Writes lineage events to an <see cref="ILogger"/> (event id 1102), one log entry per event, with the kind, execution,
/// parent and time as structured fields and the event's data (digests, ids, names and codes, never argument values or
/// keys; the decision inputs <see cref="LineageOptions.RecordEntities"/> adds are left out, their digests kept) both
/// as a scope of name-value pairs and as text. Not tamper-evident: register it as best effort, beside a
/// durable sink.
/// </summary>
public sealed class LoggerLineageSink : ILineageSink
{
    private readonly ILogger _logger;

    /// <summary>Creates a sink that writes to <paramref name="logger"/>.</summary>
    /// <param name="logger">The logger.</param>
    /// <exception cref="ArgumentNullException"><paramref name="logger"/> is <see langword="null"/>.</exception>
    public LoggerLineageSink(ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(logger);
        _logger = logger;
    }

    /// <inheritdoc />
    /// <exception cref="ArgumentNullException"><paramref name="events"/> is <see langword="null"/>.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was canceled.</exception>
    public ValueTask AppendAsync(IReadOnlyList<LineageEvent> events, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(events);
        cancellationToken.ThrowIfCancellationRequested();
        if (!_logger.IsEnabled(LogLevel.Information))
        {
            return ValueTask.CompletedTask;
        }

        foreach (var e in events)
        {
            var scope = new List<KeyValuePair<string, object?>>(e.Attributes.Count);
            var text = new StringBuilder();
            foreach (var pair in e.Attributes)
            {
                if (pair.Key is LineageDecisionInputs.Entities or LineageDecisionInputs.Context)
                {
                    continue; // a decision's recorded inputs are data (entities, call arguments): the log gets their digests only
                }

                scope.Add(new("lineage." + pair.Key, pair.Value));
                text.Append(text.Length == 0 ? string.Empty : ", ").Append(pair.Key).Append('=').Append(pair.Value);
            }

            var kind = LineageChain.KindName(e.Kind);
            var data = text.ToString();
            using (_logger.BeginScope(scope))
            {
                Log.LineageEventRecorded(_logger, kind, e.ExecutionId, e.ParentExecutionId, e.Time, data);
            }
        }

        return ValueTask.CompletedTask;
    }
}
