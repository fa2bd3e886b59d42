namespace GovernedExecution.Lineage;

/// <summary>What an executor writes to lineage beyond what every record holds (docs/lineage-format.md).</summary>
public sealed class LineageOptions
{
    /// <summary>
    /// Whether each <c>policy_evaluated</c> record also carries the inputs of the decision: the entities the Cedar
    /// evaluator could have consulted (the slice, in Cedar's entity JSON) and the request context, so that
    /// <c>govexec replay</c> can re-derive the decision from the log alone. False by default: those inputs are data
    /// (entity attributes, and context values that may be call arguments) that lineage otherwise holds only as digests.
    /// </summary>
    public bool RecordEntities { get; set; }
}
