using GovernedExecution.Execution;
using GovernedExecution.Integrations;
using GovernedExecution.Intents;
using ModelContextProtocol.Protocol;
using ModelContextProtocol.Server;

namespace GovernedExecution.ModelContextProtocol;

/// <summary>
/// The call-tool filter: describes the request as an intent and calls the rest of the pipeline (the tool) only inside
/// an authorized execution; a denial becomes a tool error result.
/// </summary>
internal sealed class GovernedCallToolFilter
{
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
        var toolName = request.Params?.Name ?? throw new InvalidOperationException("The tools/call request names no tool.");
        var intent = CreateIntent(request, toolName);
        var executor = _executor(request);
        var outcome = await executor.RunOutcomeAsync(
            intent,
            (Next: next, Request: request),
            static (s, _, ct) => s.Next(s.Request, ct),
            cancellationToken).ConfigureAwait(false);
        if (outcome.IsDenied)
        {
            return new CallToolResult
            {
                IsError = true,
                Content = [new TextContentBlock { Text = ToolRefusal.ToJsonText(toolName, outcome.Denial!) }],
            };
        }

        return outcome.GetResultOrThrow();
    }

    private ExecutionIntent CreateIntent(RequestContext<CallToolRequestParams> request, string toolName)
    {
        var arguments = request.Params!.Arguments ?? new Dictionary<string, System.Text.Json.JsonElement>();
        var context = ToolArguments.ToContext(arguments);
        var digest = ToolArguments.ComputeDigest(arguments);
        var principal = _principal is not null
            ? _principal(request) ?? throw new InvalidOperationException("The principal selector returned null.")
            : new EntityReference(_principalType, request.Server.ClientInfo?.Name is { Length: > 0 } name
                ? name
                : throw new InvalidOperationException("The client declared no name, and no principal selector is configured."));
        var resource = _resource is not null
            ? _resource(request) ?? throw new InvalidOperationException("The resource selector returned null.")
            : new EntityReference("Tool", toolName);
        return new ExecutionIntent(principal, new EntityReference(_actionType, toolName), resource)
        {
            Context = context,
            ArgumentsDigest = digest,
        };
    }

    private static string ValidTypeName(string? type, string name)
    {
        try
        {
            _ = new EntityReference(type ?? throw new ArgumentException($"{name} is null.", name), string.Empty);
            return type;
        }
        catch (ArgumentException ex) when (ex.ParamName != name)
        {
            throw new ArgumentException($"{name} '{type}' is not a valid entity type name.", name, ex);
        }
    }
}
