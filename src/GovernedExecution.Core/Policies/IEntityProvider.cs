using GovernedExecution.Intents;
using GovernedExecution.Policies.Cedar;

namespace GovernedExecution.Policies;

/// <summary>
/// Supplies the entities (attributes and parents of principals, resources and their groups) that Cedar policies
/// read for one intent. Anything it throws, or a null it returns, denies the execution.
/// </summary>
public interface IEntityProvider
{
    /// <summary>Gets the entities for an intent.</summary>
    /// <param name="intent">The intent being decided.</param>
    /// <param name="cancellationToken">Cancels the lookup.</param>
    /// <returns>The entities.</returns>
    ValueTask<CedarEntities> GetEntitiesAsync(ExecutionIntent intent, CancellationToken cancellationToken);
}
