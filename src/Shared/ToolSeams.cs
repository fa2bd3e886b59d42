using System.Text.Json;
using GovernedExecution.Intents;

namespace GovernedExecution.Integrations;

/// <summary>
/// The host's code that the integrations call while describing a call (principal, resource and artifact selectors):
/// whatever it throws or returns empty is a refusal, never a crash of the host and never a run. The details are a
/// fixed set, naming the seam and the exception type only. Shared, as source, by the integration packages.
/// </summary>
internal static class ToolSeams
{
    public const string PrincipalSelector = "principal selector";

    public const string ResourceSelector = "resource selector";

    public const string ArtifactSelector = "artifact selector";

    /// <summary>The principal that the lineage record of a refusal names when the caller could not be identified.</summary>
    public static readonly EntityReference UnresolvedPrincipal = new("Unresolved", "principal");

    public static string Failed(string seam, Exception exception) => $"the {seam} failed: {exception.GetType().Name}";

    public static string ReturnedNull(string seam) => $"the {seam} returned null";

    /// <summary>Calls a selector; a throw or a <see langword="null"/> becomes <paramref name="fault"/> (the first one is kept).</summary>
    public static T? Select<TInput, T>(Func<TInput, T?> selector, TInput input, string seam, ref ToolSeamFault? fault, bool nullIsFault = true)
        where T : class
    {
        try
        {
            var selected = selector(input);
            if (selected is null && nullIsFault)
            {
                fault ??= new ToolSeamFault(ReturnedNull(seam), null);
            }

            return selected;
        }
#pragma warning disable CA1031 // the host's code may throw anything: each is a refusal
        catch (Exception ex)
#pragma warning restore CA1031
        {
            fault ??= new ToolSeamFault(Failed(seam, ex), ex);
            return null;
        }
    }

    /// <summary>
    /// The digest of arguments as they came, for the lineage record of a refused call; the digest of no arguments if
    /// they cannot be written.
    /// </summary>
    public static byte[] RawDigest(IEnumerable<KeyValuePair<string, JsonElement>> arguments)
    {
        try
        {
            return ToolArguments.ComputeDigest(arguments);
        }
        catch (Exception ex) when (ex is ArgumentException or InvalidOperationException)
        {
            // A name twice, or text that is not UTF-16 (a lone surrogate escape): arguments no binder reads one way.
            return ToolArguments.ComputeDigest([]);
        }
    }
}

/// <summary>Why a call could not be described: the documented detail and, when a seam threw, its exception.</summary>
internal sealed record ToolSeamFault(string Detail, Exception? Exception);
