using System.Diagnostics;

namespace GovernedExecution.Lineage;

/// <summary>
/// One phase event of one execution, before a log has given it a place in its chain. Attribute values are digests,
/// ids, names and codes: never argument values or key material.
/// </summary>
public sealed class LineageEvent
{
    /// <summary>Creates an event.</summary>
    /// <param name="kind">The phase.</param>
    /// <param name="executionId">The execution.</param>
    /// <param name="parentExecutionId">The parent execution, if nested or delegated.</param>
    /// <param name="time">When it happened (from the executor's clock).</param>
    /// <param name="attributes">The event's data, as ordered name-value pairs.</param>
    /// <exception cref="ArgumentNullException"><paramref name="attributes"/> is <see langword="null"/>.</exception>
    public LineageEvent(LineageEventKind kind, Guid executionId, Guid? parentExecutionId, DateTimeOffset time, IEnumerable<KeyValuePair<string, string>> attributes)
    {
        ArgumentNullException.ThrowIfNull(attributes);
        Kind = kind;
        ExecutionId = executionId;
        ParentExecutionId = parentExecutionId;
        Time = time;
        Attributes = [.. attributes];
    }

    /// <summary>
    /// An event over attributes that nobody can change: a read-only list over an array the caller built for it alone
    /// (or shares only with events of the same attributes), kept without another copy.
    /// </summary>
    internal static LineageEvent Owning(LineageEventKind kind, Guid executionId, Guid? parentExecutionId, DateTimeOffset time, System.Collections.ObjectModel.ReadOnlyCollection<KeyValuePair<string, string>> attributes) =>
        new(kind, executionId, parentExecutionId, time, attributes, owned: true);

    private LineageEvent(LineageEventKind kind, Guid executionId, Guid? parentExecutionId, DateTimeOffset time, System.Collections.ObjectModel.ReadOnlyCollection<KeyValuePair<string, string>> attributes, bool owned)
    {
        Debug.Assert(owned, "only Owning hands its array over");
        Kind = kind;
        ExecutionId = executionId;
        ParentExecutionId = parentExecutionId;
        Time = time;
        Attributes = attributes;
    }

    /// <summary>The phase.</summary>
    public LineageEventKind Kind { get; }

    /// <summary>The execution.</summary>
    public Guid ExecutionId { get; }

    /// <summary>The parent execution.</summary>
    public Guid? ParentExecutionId { get; }

    /// <summary>When it happened.</summary>
    public DateTimeOffset Time { get; }

    /// <summary>The event's data.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Attributes { get; }

    /// <summary>Gets an attribute value by name.</summary>
    /// <param name="name">The name.</param>
    /// <returns>The value, or <see langword="null"/>.</returns>
    public string? this[string name]
    {
        get
        {
            foreach (var pair in Attributes)
            {
                if (string.Equals(pair.Key, name, StringComparison.Ordinal))
                {
                    return pair.Value;
                }
            }

            return null;
        }
    }

    /// <inheritdoc />
    public override string ToString() => $"{Kind} {ExecutionId}";
}
