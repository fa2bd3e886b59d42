using System.Collections.Immutable;
using GovernedExecution.Intents;

namespace GovernedExecution.Artifacts;

/// <summary>
/// The actions and resources that an artifact, and every artifact delegated from it, may authorize
/// (docs/artifact-format.md, section 5). A scope only narrows: the policies still decide every child intent.
/// </summary>
public sealed class DelegationScope
{
    /// <summary>Creates a scope; duplicates are removed.</summary>
    /// <param name="actions">The actions; at least one.</param>
    /// <param name="resources">The resources; at least one.</param>
    /// <exception cref="ArgumentNullException">A collection or an item is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">A collection is empty.</exception>
    public DelegationScope(IEnumerable<EntityReference> actions, IEnumerable<EntityReference> resources)
    {
        Actions = Distinct(actions, nameof(actions));
        Resources = Distinct(resources, nameof(resources));
    }

    /// <summary>The actions an authorized intent may have.</summary>
    public IReadOnlyList<EntityReference> Actions { get; }

    /// <summary>The resources an authorized intent may act on.</summary>
    public IReadOnlyList<EntityReference> Resources { get; }

    /// <summary>Whether the intent's action and resource are in this scope.</summary>
    /// <param name="intent">The intent.</param>
    /// <returns><see langword="true"/> when both are.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="intent"/> is <see langword="null"/>.</exception>
    public bool Allows(ExecutionIntent intent)
    {
        ArgumentNullException.ThrowIfNull(intent);
        return Actions.Contains(intent.Action) && Resources.Contains(intent.Resource);
    }

    /// <summary>Whether every action and resource of this scope is also in <paramref name="other"/>.</summary>
    /// <param name="other">The wider scope (a parent's).</param>
    /// <returns><see langword="true"/> when this scope is a subset of the other.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="other"/> is <see langword="null"/>.</exception>
    public bool IsWithin(DelegationScope other)
    {
        ArgumentNullException.ThrowIfNull(other);
        return Actions.All(other.Actions.Contains) && Resources.All(other.Resources.Contains);
    }

    /// <summary>A readable form.</summary>
    public override string ToString() => $"actions [{string.Join(", ", Actions)}] on resources [{string.Join(", ", Resources)}]";

    private static ImmutableArray<EntityReference> Distinct(IEnumerable<EntityReference> items, string name)
    {
        ArgumentNullException.ThrowIfNull(items, name);
        var builder = ImmutableArray.CreateBuilder<EntityReference>();
        foreach (var item in items)
        {
            ArgumentNullException.ThrowIfNull(item, name);
            if (!builder.Contains(item))
            {
                builder.Add(item);
            }
        }

        if (builder.Count == 0)
        {
            throw new ArgumentException("A delegation scope needs at least one action and one resource.", name);
        }

        return builder.ToImmutable();
    }
}
