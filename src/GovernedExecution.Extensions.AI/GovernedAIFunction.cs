using GovernedExecution.Artifacts;
using GovernedExecution.Execution;
using GovernedExecution.Integrations;
using Microsoft.Extensions.AI;

namespace GovernedExecution.Extensions.AI;

/// <summary>
/// A tool whose every invocation runs through the executor. It keeps the inner tool's name, description and schemas.
/// The arguments are bound to the inner tool's parameters first; the policies see the bound values and the inner tool
/// receives exactly those (as canonical JSON), so that what was authorized is what runs.
/// </summary>
internal sealed class GovernedAIFunction : DelegatingAIFunction
{
    private readonly IGovernedExecutor _executor;
    private readonly GovernedToolSettings _settings;
    private readonly ToolArgumentBinder _binder;

    public GovernedAIFunction(AIFunction inner, IGovernedExecutor executor, GovernedToolSettings settings)
        : base(inner)
    {
        _executor = executor;
        _settings = settings;
        _binder = ToolArgumentBinder.For(inner);
    }

    /// <summary>
    /// Offers only the governed tool itself. Whatever the inner tool offers (the inner tool, a tool behind it, a client
    /// that could call it) would run ungoverned, so none of it is handed out; a tool that asks its invoker for a human
    /// approval still does, as a marker around the governed tool.
    /// </summary>
    public override object? GetService(Type serviceType, object? serviceKey = null)
    {
        ArgumentNullException.ThrowIfNull(serviceType);
        if (serviceKey is null && serviceType.IsInstanceOfType(this))
        {
            return this;
        }

        return serviceType == typeof(ApprovalRequiredAIFunction) && InnerFunction.GetService(serviceType, serviceKey) is ApprovalRequiredAIFunction
            ? new ApprovalRequiredAIFunction(this)
            : null;
    }

    protected override async ValueTask<object?> InvokeCoreAsync(AIFunctionArguments arguments, CancellationToken cancellationToken)
    {
        var described = _settings.Describe(InnerFunction, _binder, arguments);
        var fault = described.Fault;
        AuthorizationArtifact? artifact = null;
        if (described.Refusal is null && _settings.ArtifactSelector is { } selectArtifact)
        {
            artifact = ToolSeams.Select(selectArtifact, described.Call!, ToolSeams.ArtifactSelector, ref fault, nullIsFault: false);
        }

        if (described.Refusal is not null || fault is not null)
        {
            var denial = await _executor.RefuseAsync(described.Intent, described.Refusal ?? DenialReason.GovernanceFault, fault!.Detail).ConfigureAwait(false);
            return _settings.ThrowOnDenial ? throw new ExecutionDeniedException(denial) : ToolRefusal.ToJsonElement(Name, denial);
        }

        // A fresh copy of the bound arguments: nothing a selector did to the call's dictionary reaches the tool.
        var state = (Tool: InnerFunction, Arguments: GovernedToolSettings.Authorized(described.Call!.JsonArguments, arguments));
        var outcome = _settings.ArtifactSelector is not null
            ? await _executor.RunOutcomeAsync(described.Intent, artifact, state, static (s, _, ct) => s.Tool.InvokeAsync(s.Arguments, ct), cancellationToken).ConfigureAwait(false)
            : await _executor.RunOutcomeAsync(described.Intent, state, static (s, _, ct) => s.Tool.InvokeAsync(s.Arguments, ct), cancellationToken).ConfigureAwait(false);
        if (outcome.IsDenied && !_settings.ThrowOnDenial)
        {
            return ToolRefusal.ToJsonElement(Name, outcome.Denial!);
        }

        // The result, the tool's own exception unchanged, or ExecutionDeniedException.
        return outcome.GetResultOrThrow();
    }
}
