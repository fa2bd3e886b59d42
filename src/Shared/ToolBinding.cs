using System.Text.Json;
using GovernedExecution.Intents;

namespace GovernedExecution.Integrations;

/// <summary>
/// The arguments of one tool call bound to the tool's parameters, as canonical JSON by parameter name (ordinal, every
/// parameter the tool binds from its arguments, defaults of omitted ones included); or why they could not be bound.
/// The policies see these values and the tool receives them: nothing of the raw arguments goes further.
/// </summary>
internal sealed class ToolBinding
{
    private ToolBinding(IReadOnlyDictionary<string, JsonElement>? arguments, Dictionary<string, IntentValue>? context, byte[]? digest, string? refusal)
    {
        Arguments = arguments;
        Context = context;
        Digest = digest;
        Refusal = refusal;
    }

    /// <summary>The bound arguments; <see langword="null"/> when refused.</summary>
    public IReadOnlyDictionary<string, JsonElement>? Arguments { get; }

    /// <summary>The bound arguments as the policies see them (context attributes); <see langword="null"/> when refused.</summary>
    public Dictionary<string, IntentValue>? Context { get; }

    /// <summary>The arguments digest of the bound arguments; <see langword="null"/> when refused.</summary>
    public byte[]? Digest { get; }

    /// <summary>The documented reason the arguments were refused (a <see cref="ToolBindingRefusals"/> sentence); <see langword="null"/> when bound.</summary>
    public string? Refusal { get; }

    /// <summary>
    /// Bound arguments, described as the policies see them and as the digest binds them. Arguments that cannot be
    /// described (a member twice anywhere in a value) are refused here, before any selector sees them.
    /// </summary>
    public static ToolBinding Bound(SortedDictionary<string, JsonElement> arguments) =>
        ToolArguments.ToContext(arguments) is { } context
            ? new(new System.Collections.ObjectModel.ReadOnlyDictionary<string, JsonElement>(arguments), context, ToolArguments.ComputeDigest(arguments), null)
            : Refused(ToolBindingRefusals.NotBindable);

    public static ToolBinding Refused(string refusal) => new(null, null, null, refusal);
}

/// <summary>
/// The details of a <c>DenialReason.ArgumentsInvalid</c> refusal: a fixed set, free of argument names and values (they
/// come from the caller, who may be an adversarial model).
/// </summary>
internal static class ToolBindingRefusals
{
    public const string UnknownArgument = "an argument is not a parameter of the tool";

    public const string MissingRequired = "a required parameter is missing";

    public const string NotBindable = "an argument does not bind to its parameter unambiguously";

    public const string Unstable = "an argument does not bind to a value that reads back the same";

    public const string NoDefault = "an omitted parameter has no default the tool describes";

    public const string Undescribed = "the tool describes no parameters to bind its arguments by";

    public const string UnsupportedSchema = "the tool's input schema uses a construct governance cannot bind by";
}
