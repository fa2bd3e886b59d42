using System.Globalization;
using System.Text;
using GovernedExecution.Policies.Cedar;

namespace GovernedExecution.Lineage;

/// <summary>
/// The attributes of a <c>policy_evaluated</c> record that make its decision replayable (docs/lineage-format.md):
/// digests always, the data itself when <see cref="LineageOptions.RecordEntities"/> is set.
/// </summary>
internal static class LineageDecisionInputs
{
    internal const string EntitiesDigest = "entities_digest";
    internal const string EntitiesCount = "entities_count";
    internal const string Entities = "entities";
    internal const string ContextDigest = "context_digest";
    internal const string Context = "context";

    /// <summary>The longest entities or context JSON written into a record (bytes); a larger one is left to its digest.</summary>
    internal const int MaxRecordedBytes = 256 * 1024;

    internal static KeyValuePair<string, string>[] Attributes(CedarEntitySlice? slice, bool record)
    {
        if (slice is null)
        {
            return [];
        }

        var attributes = new List<KeyValuePair<string, string>>(5)
        {
            new(EntitiesCount, slice.Count.ToString(CultureInfo.InvariantCulture)),
        };
        if (slice.EntitiesDigest is { } digest)
        {
            attributes.Add(new(EntitiesDigest, digest));
        }

        attributes.Add(new(ContextDigest, slice.ContextDigest));
        if (record && slice.EntitiesJson is { Length: <= MaxRecordedBytes } entities)
        {
            attributes.Add(new(Entities, Encoding.UTF8.GetString(entities)));
        }

        if (record && slice.ContextJson.Length <= MaxRecordedBytes)
        {
            attributes.Add(new(Context, Encoding.UTF8.GetString(slice.ContextJson)));
        }

        return [.. attributes];
    }
}
