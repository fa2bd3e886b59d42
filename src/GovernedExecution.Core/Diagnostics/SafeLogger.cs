using Microsoft.Extensions.Logging;

namespace GovernedExecution.Diagnostics;

/// <summary>
/// Wraps the executor's logger so that a faulty logging provider can never change an outcome: a denial is still
/// returned and recorded, a completed operation still reports its result.
/// </summary>
internal sealed class SafeLogger(ILogger inner) : ILogger
{
    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull
    {
        try
        {
            return inner.BeginScope(state);
        }
        catch (Exception)
        {
            return null;
        }
    }

    public bool IsEnabled(LogLevel logLevel)
    {
        try
        {
            return inner.IsEnabled(logLevel);
        }
        catch (Exception)
        {
            return false;
        }
    }

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        try
        {
            inner.Log(logLevel, eventId, state, exception, formatter);
        }
        catch (Exception)
        {
            // Logging is diagnostics; the lineage is the record.
        }
    }
}
