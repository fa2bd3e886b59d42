using Microsoft.Extensions.Logging;

namespace GovernedExecution.Testing;

/// <summary>One log call: its event id, level, structured state and exception.</summary>
public sealed record LogEntry(int EventId, LogLevel Level, IReadOnlyDictionary<string, object?> State, Exception? Exception);

/// <summary>A logger factory whose every logger records each call, for tests that check event ids and fields.</summary>
public sealed class CapturingLoggerFactory : ILoggerFactory, ILogger
{
    private readonly List<LogEntry> _entries = [];

    public LogEntry[] Entries
    {
        get
        {
            lock (_entries)
            {
                return [.. _entries];
            }
        }
    }

    public ILogger CreateLogger(string categoryName) => this;

    public void AddProvider(ILoggerProvider provider) => throw new NotSupportedException();

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        var values = new Dictionary<string, object?>(StringComparer.Ordinal);
        if (state is IEnumerable<KeyValuePair<string, object?>> pairs)
        {
            foreach (var pair in pairs)
            {
                values[pair.Key] = pair.Value;
            }
        }

        lock (_entries)
        {
            _entries.Add(new LogEntry(eventId.Id, logLevel, values, exception));
        }
    }

    public void Dispose()
    {
    }
}
