using System.Text.Json;
using GovernedExecution.Artifacts;
using GovernedExecution.Integrations;
using GovernedExecution.Intents;
using Microsoft.Extensions.AI;

namespace GovernedExecution.Extensions.AI;

/// <summary>A validated snapshot of <see cref="GovernedToolOptions"/>, taken when a tool is wrapped.</summary>
internal sealed class GovernedToolSettings
{
    private static readonly JsonElement NullElement = JsonDocument.Parse("null").RootElement.Clone();

    private GovernedToolSettings(GovernedToolOptions options)
    {
        Principal = options.Principal;
        PrincipalSelector = options.PrincipalSelector;
        ActionType = options.ActionType;
        ResourceSelector = options.ResourceSelector;
        ArtifactSelector = options.ArtifactSelector;
        ThrowOnDenial = options.ThrowOnDenial;
    }

    public EntityReference? Principal { get; }

    public Func<GovernedToolCall, EntityReference>? PrincipalSelector { get; }

    public string ActionType { get; }

    public Func<GovernedToolCall, EntityReference>? ResourceSelector { get; }

    public Func<GovernedToolCall, AuthorizationArtifact?>? ArtifactSelector { get; }

    public bool ThrowOnDenial { get; }

    public static GovernedToolSettings From(GovernedToolOptions? options)
    {
        options ??= new GovernedToolOptions();
        if (options.ActionType is null || !IsValidTypeName(options.ActionType))
        {
            throw new ArgumentException($"The action type '{options.ActionType}' is not a valid entity type name.", nameof(options));
        }

        return new GovernedToolSettings(options);
    }

    public static GovernedToolCall Describe(AIFunction tool, AIFunctionArguments arguments)
    {
        var serializerOptions = tool.JsonSerializerOptions ?? AIJsonUtilities.DefaultOptions;
        var json = new SortedDictionary<string, JsonElement>(StringComparer.Ordinal);
        foreach (var (name, value) in arguments)
        {
            json.Add(name, ToJson(value, serializerOptions));
        }

        return new GovernedToolCall(tool, arguments, json);
    }

    public ExecutionIntent CreateIntent(GovernedToolCall call)
    {
        var context = ToolArguments.ToContext(call.JsonArguments);
        var digest = ToolArguments.ComputeDigest(call.JsonArguments);
        var principal = (PrincipalSelector is not null ? PrincipalSelector(call) : Principal ?? GovernedAgent.Current)
            ?? throw new InvalidOperationException(
                $"The call to tool '{call.ToolName}' has no principal: set {nameof(GovernedToolOptions.Principal)} or {nameof(GovernedToolOptions.PrincipalSelector)}, or run it inside a {nameof(GovernedAgent)} scope.");
        var resource = ResourceSelector is not null
            ? ResourceSelector(call) ?? throw new InvalidOperationException($"The resource selector returned null for tool '{call.ToolName}'.")
            : new EntityReference("Tool", call.ToolName);
        return new ExecutionIntent(principal, new EntityReference(ActionType, call.ToolName), resource)
        {
            Context = context,
            ArgumentsDigest = digest,
        };
    }

    private static JsonElement ToJson(object? value, JsonSerializerOptions options) => value switch
    {
        JsonElement element => element.Clone(),
        null => NullElement,
        _ => JsonSerializer.SerializeToElement(value, options.GetTypeInfo(value.GetType())),
    };

    private static bool IsValidTypeName(string type)
    {
        try
        {
            _ = new EntityReference(type, string.Empty);
            return true;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }
}
