using System.Text.Json;
using GovernedExecution.Artifacts;
using GovernedExecution.Execution;
using GovernedExecution.Integrations;
using GovernedExecution.Intents;
using Microsoft.Extensions.AI;

namespace GovernedExecution.Extensions.AI;

/// <summary>A validated snapshot of <see cref="GovernedToolOptions"/>, taken when a tool is wrapped.</summary>
internal sealed class GovernedToolSettings
{
    /// <summary>The detail of a refusal for a call that has no principal at all.</summary>
    public const string NoPrincipal = "no principal: none is configured and no agent is in scope";

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

    /// <summary>
    /// Describes a call as the governed tool does: binds the arguments to the tool's parameters, then asks the selectors
    /// about the bound call. A call that cannot be described is a refusal, with the intent its lineage record names.
    /// </summary>
    public DescribedToolCall Describe(AIFunction tool, ToolArgumentBinder binder, AIFunctionArguments arguments)
    {
        var binding = binder.Bind(arguments);
        if (binding.Arguments is not { } bound)
        {
            return RefuseUnbound(tool, arguments, binding.Refusal!);
        }

        var call = new GovernedToolCall(tool, Authorized(bound, arguments), bound);
        var principal = SelectPrincipal(call, out var fault);
        var resource = ResourceSelector is null ? DefaultResource(tool) : ToolSeams.Select(ResourceSelector, call, ToolSeams.ResourceSelector, ref fault);
        var intent = new ExecutionIntent(principal ?? ToolSeams.UnresolvedPrincipal, Action(tool), resource ?? DefaultResource(tool))
        {
            Context = binding.Context!,
            ArgumentsDigest = binding.Digest!,
        };
        return new DescribedToolCall(call, intent, fault is null ? null : DenialReason.GovernanceFault, fault);
    }

    private DescribedToolCall RefuseUnbound(AIFunction tool, AIFunctionArguments arguments, string detail)
    {
        // The selectors never see values that did not bind: the principal of the refusal's record is asked about the
        // call with no arguments at all.
        var unbound = new GovernedToolCall(tool, Authorized(new Dictionary<string, JsonElement>(), arguments), new Dictionary<string, JsonElement>());
        var intent = new ExecutionIntent(SelectPrincipal(unbound, out _) ?? ToolSeams.UnresolvedPrincipal, Action(tool), DefaultResource(tool))
        {
            ArgumentsDigest = ToolSeams.RawDigest(RawJson(arguments, tool.JsonSerializerOptions)),
        };
        return new DescribedToolCall(null, intent, DenialReason.ArgumentsInvalid, new ToolSeamFault(detail, null));
    }

    /// <summary>The arguments a tool receives: the bound canonical JSON, with the caller's services and context.</summary>
    public static AIFunctionArguments Authorized(IReadOnlyDictionary<string, JsonElement> bound, AIFunctionArguments original) =>
        new(bound.ToDictionary(static p => p.Key, static p => (object?)p.Value, StringComparer.Ordinal), StringComparer.Ordinal)
        {
            Services = original.Services,
            Context = original.Context,
        };

    /// <summary>The principal, chosen before any other selector is asked: its fault, if any, is the call's first.</summary>
    private EntityReference? SelectPrincipal(GovernedToolCall call, out ToolSeamFault? fault)
    {
        fault = null;
        if (PrincipalSelector is not null)
        {
            return ToolSeams.Select(PrincipalSelector, call, ToolSeams.PrincipalSelector, ref fault);
        }

        var principal = Principal ?? GovernedAgent.Current;
        if (principal is null)
        {
            fault = new ToolSeamFault(NoPrincipal, null);
        }

        return principal;
    }

    private EntityReference Action(AIFunction tool) => new(ActionType, tool.Name);

    private static EntityReference DefaultResource(AIFunction tool) => new("Tool", tool.Name);

    private static List<KeyValuePair<string, JsonElement>> RawJson(AIFunctionArguments arguments, JsonSerializerOptions? options)
    {
        var raw = new List<KeyValuePair<string, JsonElement>>();
        foreach (var (name, value) in arguments)
        {
            try
            {
                raw.Add(KeyValuePair.Create(name, value switch
                {
                    JsonElement element => element,
                    null => ToolArguments.Null,
                    _ => JsonSerializer.SerializeToElement(value, (options ?? AIJsonUtilities.DefaultOptions).GetTypeInfo(value.GetType())),
                }));
            }
#pragma warning disable CA1031 // a value that cannot be written is left out of the record's digest
            catch (Exception)
#pragma warning restore CA1031
            {
                return [];
            }
        }

        return raw;
    }

    private static bool IsValidTypeName(string type)
    {
        try
        {
            _ = new EntityReference(type, type);
            return true;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }
}

/// <summary>
/// A described call: the bound call and its intent; or a refusal (its reason and why), and the intent its lineage
/// record names.
/// </summary>
internal sealed record DescribedToolCall(GovernedToolCall? Call, ExecutionIntent Intent, DenialReason? Refusal, ToolSeamFault? Fault);
