using GovernedExecution.Artifacts;
using GovernedExecution.Execution;
using GovernedExecution.Intents;

namespace GovernedExecution.Extensions.AI;

/// <summary>
/// How a governed tool describes its calls to the executor and how a refusal reaches the caller. The options are read
/// once, when the tool is wrapped; later changes do not affect tools already wrapped.
/// </summary>
public sealed class GovernedToolOptions
{
    /// <summary>
    /// The principal of every call, for example <c>Agent::"support-bot"</c>, when <see cref="PrincipalSelector"/> is not
    /// set. When neither is set, the ambient <see cref="GovernedAgent.Current"/> is the principal, and a call made with no
    /// ambient agent is refused (<see cref="DenialReason.GovernanceFault"/>; the tool does not run).
    /// </summary>
    public EntityReference? Principal { get; set; }

    /// <summary>
    /// Chooses the principal from the call (for example from <see cref="Microsoft.Extensions.AI.AIFunctionArguments.Services"/>);
    /// takes precedence over <see cref="Principal"/>. A selector that throws or returns <see langword="null"/> refuses
    /// the call (<see cref="DenialReason.GovernanceFault"/>). For a call whose arguments do not bind, it is asked with no
    /// arguments at all, only to name the principal in the refusal's lineage record.
    /// </summary>
    public Func<GovernedToolCall, EntityReference>? PrincipalSelector { get; set; }

    /// <summary>The entity type of the action, whose id is the tool's name: <c>Action::"&lt;tool name&gt;"</c> by default.</summary>
    public string ActionType { get; set; } = "Action";

    /// <summary>
    /// Chooses the resource from the call, for example <c>call =&gt; new("Order", call.JsonArguments["orderId"].GetString()!)</c>;
    /// by default the tool itself, <c>Tool::"&lt;tool name&gt;"</c>. One selector may serve several tools by switching on
    /// <see cref="GovernedToolCall.ToolName"/>. It sees the bound arguments only; a selector that throws or returns
    /// <see langword="null"/> refuses the call (<see cref="DenialReason.GovernanceFault"/>).
    /// </summary>
    public Func<GovernedToolCall, EntityReference>? ResourceSelector { get; set; }

    /// <summary>
    /// When set, calls run on an artifact minted elsewhere (for example by an orchestrator with
    /// <see cref="IGovernedExecutor.IssueAsync(ExecutionIntent, string?, CancellationToken)"/> for <see cref="GovernedToolIntent.Create"/>) instead of being decided
    /// here: the selector returns the artifact presented for the call, and <see langword="null"/> is a denial
    /// (<see cref="DenialReason.ArtifactMissing"/>), as is a selector that throws (<see cref="DenialReason.GovernanceFault"/>).
    /// An artifact minted for other arguments is refused (<see cref="DenialReason.IntentMismatch"/>).
    /// </summary>
    public Func<GovernedToolCall, AuthorizationArtifact?>? ArtifactSelector { get; set; }

    /// <summary>
    /// Whether a denial throws <see cref="ExecutionDeniedException"/>. By default (<see langword="false"/>) the call
    /// returns a refusal instead: a JSON object <c>{"refused": true, "tool", "reason", "reasonCode", "detail",
    /// "determiningPolicies", "executionId", "message"}</c> that the model receives as the tool's result and can adapt to.
    /// </summary>
    public bool ThrowOnDenial { get; set; }
}
