using System.Text.Json;
using GovernedExecution.Execution;
using GovernedExecution.Integrations;
using GovernedExecution.Intents;
using ModelContextProtocol.Protocol;
using ModelContextProtocol.Server;

namespace GovernedExecution.ModelContextProtocol;

/// <summary>
/// The call-tool filter: binds the request's arguments to the matched tool's parameters, describes the bound call as an
/// intent and calls the rest of the pipeline (the tool) only inside an authorized execution, with the bound arguments;
/// a call that cannot be described or is denied becomes a tool error result, and its refusal is recorded.
/// </summary>
internal sealed class GovernedCallToolFilter
{
    /// <summary>The detail of a refusal when the principal is the client's self-declared name and it declared none.</summary>
    public const string NoClientName = "the client declared no name";

    private readonly Func<RequestContext<CallToolRequestParams>, IGovernedExecutor> _executor;
    private readonly Func<RequestContext<CallToolRequestParams>, EntityReference>? _principal;
    private readonly string _principalType;
    private readonly string _actionType;
    private readonly Func<RequestContext<CallToolRequestParams>, EntityReference>? _resource;

    private GovernedCallToolFilter(Func<RequestContext<CallToolRequestParams>, IGovernedExecutor> executor, GovernedMcpOptions options)
    {
        _executor = executor;
        _principal = options.PrincipalSelector;
        _principalType = ValidTypeName(options.PrincipalType, nameof(options.PrincipalType));
        _actionType = ValidTypeName(options.ActionType, nameof(options.ActionType));
        _resource = options.ResourceSelector;
        if (_principal is null && !options.AllowSelfDeclaredClientName)
        {
            throw new ArgumentException(
                $"No {nameof(GovernedMcpOptions.PrincipalSelector)} is set. Map the principal from the authenticated caller, or set "
                + $"{nameof(GovernedMcpOptions.AllowSelfDeclaredClientName)} to take the name a client declares for itself (any client can claim any name).",
                nameof(options));
        }
    }

    public static McpRequestFilter<CallToolRequestParams, CallToolResult> Create(
        Func<RequestContext<CallToolRequestParams>, IGovernedExecutor> executor, GovernedMcpOptions? options)
    {
        var filter = new GovernedCallToolFilter(executor, options ?? new GovernedMcpOptions());
        return next => (request, cancellationToken) => filter.InvokeAsync(request, next, cancellationToken);
    }

    private async ValueTask<CallToolResult> InvokeAsync(
        RequestContext<CallToolRequestParams> request, McpRequestHandler<CallToolRequestParams, CallToolResult> next, CancellationToken cancellationToken)
    {
        var parameters = request.Params ?? throw new InvalidOperationException("The tools/call request names no tool.");
        var executor = _executor(request);

        // The tool that runs is the one the SDK matched: bind by it and name it.
        var tool = request.MatchedPrimitive as McpServerTool;
        var toolName = tool?.ProtocolTool.Name ?? parameters.Name;
        var action = new EntityReference(_actionType, toolName);
        var raw = parameters.Arguments ?? new Dictionary<string, JsonElement>();
        var binding = McpToolBinders.For(tool).Bind(raw.Select(static p => KeyValuePair.Create(p.Key, (object?)p.Value)));
        if (binding.Arguments is not { } bound)
        {
            // The selectors never see values that did not bind: the principal of the refusal's record is asked about the
            // request with no arguments at all.
            parameters.Arguments = new Dictionary<string, JsonElement>();
            var refused = new ExecutionIntent(SelectPrincipal(request, out _) ?? ToolSeams.UnresolvedPrincipal, action, new EntityReference("Tool", toolName))
            {
                ArgumentsDigest = ToolSeams.RawDigest(raw),
            };
            return Refusal(toolName, await executor.RefuseAsync(refused, DenialReason.ArgumentsInvalid, binding.Refusal!).ConfigureAwait(false));
        }

        parameters.Arguments = Copy(bound);
        var principal = SelectPrincipal(request, out var fault);
        var resource = _resource is null ? new EntityReference("Tool", toolName) : ToolSeams.Select(_resource, request, ToolSeams.ResourceSelector, ref fault);
        var intent = new ExecutionIntent(principal ?? ToolSeams.UnresolvedPrincipal, action, resource ?? new EntityReference("Tool", toolName))
        {
            Context = binding.Context!,
            ArgumentsDigest = binding.Digest!,
        };
        if (fault is not null)
        {
            return Refusal(toolName, await executor.RefuseAsync(intent, DenialReason.GovernanceFault, fault.Detail).ConfigureAwait(false));
        }

        var outcome = await executor.RunOutcomeAsync(
            intent,
            (Next: next, Request: request, Tool: tool, Arguments: bound),
            static (s, _, ct) =>
            {
                // What runs is what was authorized, whatever a selector did to the request: the bound arguments, the
                // matched tool.
                s.Request.Params!.Arguments = Copy(s.Arguments);
                if (s.Tool is not null)
                {
                    s.Request.MatchedPrimitive = s.Tool;
                }

                return s.Next(s.Request, ct);
            },
            cancellationToken).ConfigureAwait(false);
        return outcome.IsDenied ? Refusal(toolName, outcome.Denial!) : outcome.GetResultOrThrow();
    }

    /// <summary>The principal, chosen before any other selector is asked: its fault, if any, is the call's first.</summary>
    private EntityReference? SelectPrincipal(RequestContext<CallToolRequestParams> request, out ToolSeamFault? fault)
    {
        fault = null;
        if (_principal is not null)
        {
            return ToolSeams.Select(_principal, request, ToolSeams.PrincipalSelector, ref fault);
        }

        if (request.Server.ClientInfo?.Name is { Length: > 0 } name)
        {
            return new EntityReference(_principalType, name);
        }

        fault = new ToolSeamFault(NoClientName, null);
        return null;
    }

    private static Dictionary<string, JsonElement> Copy(IReadOnlyDictionary<string, JsonElement> arguments) =>
        arguments.ToDictionary(static p => p.Key, static p => p.Value, StringComparer.Ordinal);

    private static CallToolResult Refusal(string toolName, ExecutionDenial denial) => new()
    {
        IsError = true,
        Content = [new TextContentBlock { Text = ToolRefusal.ToJsonText(toolName, denial) }],
    };

    private static string ValidTypeName(string? type, string name)
    {
        try
        {
            _ = new EntityReference(type ?? throw new ArgumentException($"{name} is null.", name), type);
            return type;
        }
        catch (ArgumentException ex) when (ex.ParamName != name)
        {
            throw new ArgumentException($"{name} '{type}' is not a valid entity type name.", name, ex);
        }
    }
}
