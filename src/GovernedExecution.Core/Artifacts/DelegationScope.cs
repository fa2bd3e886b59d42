using System.Collections.Immutable;
using GovernedExecution.Intents;

namespace GovernedExecution.Artifacts;

/// <summary>
/// The actions and resources that an artifact, and every artifact delegated from it, may authorize, and the principals
/// they may act as (docs/artifact-format.md, section 5). A scope only narrows: the policies still decide every child
/// intent. A scope that lists no principals keeps every delegated artifact to the principal of the artifact it is in.
/// </summary>
public sealed class DelegationScope
{
    /// <summary>Creates a scope for the artifact's own principal only; duplicates are removed.</summary>
    /// <param name="actions">The actions; at least one.</param>
    /// <param name="resources">The resources; at least one.</param>
    /// <exception cref="ArgumentNullException">A collection or an item is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">A collection is empty.</exception>
    public DelegationScope(IEnumerable<EntityReference> actions, IEnumerable<EntityReference> resources)
    {
        Actions = Distinct(actions, nameof(actions));
        Resources = Distinct(resources, nameof(resources));
        Principals = [];
    }

    /// <summary>
    /// Creates a scope whose artifacts may act as any of <paramref name="principals"/> (the artifact's own principal
    /// included only if listed); duplicates are removed.
    /// </summary>
    /// <param name="actions">The actions; at least one.</param>
    /// <param name="resources">The resources; at least one.</param>
    /// <param name="principals">The principals; at least one.</param>
    /// <exception cref="ArgumentNullException">A collection or an item is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">A collection is empty.</exception>
    public DelegationScope(IEnumerable<EntityReference> actions, IEnumerable<EntityReference> resources, IEnumerable<EntityReference> principals)
        : this(actions, resources)
    {
        Principals = Distinct(principals, nameof(principals));
    }

    /// <summary>The actions an authorized intent may have.</summary>
    public IReadOnlyList<EntityReference> Actions { get; }

    /// <summary>The resources an authorized intent may act on.</summary>
    public IReadOnlyList<EntityReference> Resources { get; }

    /// <summary>
    /// The principals an authorized intent, and every artifact delegated from this one, may name; empty when the scope
    /// lists none, and then only the principal of the artifact that carries the scope.
    /// </summary>
    public IReadOnlyList<EntityReference> Principals { get; }

    /// <summary>Whether the intent's action and resource are in this scope, and its principal too when the scope lists principals.</summary>
    /// <param name="intent">The intent.</param>
    /// <returns><see langword="true"/> when they are.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="intent"/> is <see langword="null"/>.</exception>
    public bool Allows(ExecutionIntent intent)
    {
        ArgumentNullException.ThrowIfNull(intent);
        return Actions.Contains(intent.Action) && Resources.Contains(intent.Resource) && (Principals.Count == 0 || Principals.Contains(intent.Principal));
    }

    /// <summary>
    /// Whether every action and resource of this scope is also in <paramref name="other"/>. Principals are not compared
    /// here: a scope that lists none stands for its artifact's principal, so the verifier compares them with the artifacts.
    /// </summary>
    /// <param name="other">The wider scope (a parent's).</param>
    /// <returns><see langword="true"/> when this scope is a subset of the other.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="other"/> is <see langword="null"/>.</exception>
    public bool IsWithin(DelegationScope other)
    {
        ArgumentNullException.ThrowIfNull(other);
        return Actions.All(other.Actions.Contains) && Resources.All(other.Resources.Contains);
    }

    /// <summary>A readable form.</summary>
    public override string ToString() => Principals.Count == 0
        ? $"actions [{string.Join(", ", Actions)}] on resources [{string.Join(", ", Resources)}]"
        : $"actions [{string.Join(", ", Actions)}] on resources [{string.Join(", ", Resources)}] as principals [{string.Join(", ", Principals)}]";

    /// <summary>
    /// The principal rule of delegation: the principals a child may act as (those its scope lists, else its own) are
    /// among those its parent delegates to (those the parent's scope lists, else the parent's own). Principals are
    /// compared in their Cedar form, as the <c>sub</c> claim holds them.
    /// </summary>
    internal static bool PrincipalsWithin(DelegationScope child, string childPrincipal, DelegationScope parent, string parentPrincipal)
    {
        if (child.Principals.Count == 0)
        {
            return IsDelegatedTo(childPrincipal, parent, parentPrincipal);
        }

        foreach (var principal in child.Principals)
        {
            if (!IsDelegatedTo(principal.ToString(), parent, parentPrincipal))
            {
                return false;
            }
        }

        return true;
    }

    private static bool IsDelegatedTo(string principal, DelegationScope parent, string parentPrincipal)
    {
        if (parent.Principals.Count == 0)
        {
            return string.Equals(principal, parentPrincipal, StringComparison.Ordinal);
        }

        foreach (var allowed in parent.Principals)
        {
            if (string.Equals(principal, allowed.ToString(), StringComparison.Ordinal))
            {
                return true;
            }
        }

        return false;
    }

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
