using GovernedExecution.Intents;

namespace GovernedExecution.Extensions.AI;

/// <summary>
/// The ambient agent identity: the principal of governed tool calls made on this asynchronous flow when
/// <see cref="GovernedToolOptions"/> names none. An orchestrator sets it around an agent's run, and a sub-agent
/// started by a tool sets its own inside the tool.
/// </summary>
public static class GovernedAgent
{
    private static readonly AsyncLocal<EntityReference?> Ambient = new();

    /// <summary>The agent acting on this asynchronous flow, if any.</summary>
    public static EntityReference? Current => Ambient.Value;

    /// <summary>Makes <paramref name="agent"/> the acting agent until the returned scope is disposed.</summary>
    /// <param name="agent">The agent, for example <c>Agent::"support-bot"</c>.</param>
    /// <returns>A scope whose disposal restores the previous agent.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="agent"/> is <see langword="null"/>.</exception>
    public static IDisposable BeginScope(EntityReference agent)
    {
        ArgumentNullException.ThrowIfNull(agent);
        var scope = new Scope(Ambient.Value);
        Ambient.Value = agent;
        return scope;
    }

    private sealed class Scope(EntityReference? previous) : IDisposable
    {
        private bool _disposed;

        public void Dispose()
        {
            if (!_disposed)
            {
                _disposed = true;
                Ambient.Value = previous;
            }
        }
    }
}
