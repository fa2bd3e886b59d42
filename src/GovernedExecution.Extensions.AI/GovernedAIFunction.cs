using GovernedExecution.Execution;
using GovernedExecution.Integrations;
using Microsoft.Extensions.AI;

namespace GovernedExecution.Extensions.AI;

/// <summary>
/// A tool whose every invocation runs through the executor. It keeps the inner tool's name, description and schemas.
/// The inner tool receives the arguments as the JSON values the intent was built from, so that what was authorized
/// is exactly what runs.
/// </summary>
internal sealed class GovernedAIFunction : DelegatingAIFunction
{
    private readonly IGovernedExecutor _executor;
    private readonly GovernedToolSettings _settings;

    public GovernedAIFunction(AIFunction inner, IGovernedExecutor executor, GovernedToolSettings settings)
        : base(inner)
    {
        _executor = executor;
        _settings = settings;
    }

    protected override async ValueTask<object?> InvokeCoreAsync(AIFunctionArguments arguments, CancellationToken cancellationToken)
    {
        var call = GovernedToolSettings.Describe(InnerFunction, arguments);
        var intent = _settings.CreateIntent(call);
        var authorized = new AIFunctionArguments(call.JsonArguments.ToDictionary(static p => p.Key, static p => (object?)p.Value), StringComparer.Ordinal)
        {
            Services = arguments.Services,
            Context = arguments.Context,
        };
        var state = (Tool: InnerFunction, Arguments: authorized);
        var outcome = _settings.ArtifactSelector is { } selectArtifact
            ? await _executor.RunOutcomeAsync(intent, selectArtifact(call), state, static (s, _, ct) => s.Tool.InvokeAsync(s.Arguments, ct), cancellationToken).ConfigureAwait(false)
            : await _executor.RunOutcomeAsync(intent, state, static (s, _, ct) => s.Tool.InvokeAsync(s.Arguments, ct), cancellationToken).ConfigureAwait(false);
        if (outcome.IsDenied && !_settings.ThrowOnDenial)
        {
            return ToolRefusal.ToJsonElement(Name, outcome.Denial!);
        }

        // The result, the tool's own exception unchanged, or ExecutionDeniedException.
        return outcome.GetResultOrThrow();
    }
}
