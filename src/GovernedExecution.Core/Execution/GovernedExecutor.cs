using System.Diagnostics;
using System.Security.Cryptography;
using GovernedExecution.Approvals;
using GovernedExecution.Artifacts;
using GovernedExecution.Artifacts.Keys;
using GovernedExecution.Diagnostics;
using GovernedExecution.Intents;
using GovernedExecution.Lineage;
using GovernedExecution.Policies;
using Microsoft.Extensions.Logging;

namespace GovernedExecution.Execution;

/// <summary>
/// The executor: the only path to a governed delegate. Every phase that can fail ends in a denial; the delegate is
/// invoked only after the last check has passed.
/// </summary>
internal sealed partial class GovernedExecutor : IGovernedExecutor
{
    private readonly IPolicyEvaluator? _evaluator;
    private readonly IPolicyEvaluator? _policySet;
    private readonly IArtifactIssuer? _issuer;
    private readonly IArtifactVerifier _verifier;
    private readonly LineageSinkRegistration[] _sinks;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly string _audience;
    private readonly TimeSpan _lifetime;
    private readonly TimeSpan _skew;
    private readonly TimeSpan _timeout;
    private readonly TimeSpan _approvalTimeout;
    private readonly IApprovalProvider? _approvals;
    private readonly bool _recordEntities;
    private readonly AuthorizationMonitor? _monitor;
    private readonly bool _ensureEvaluatesPolicy;

    internal GovernedExecutor(
        IPolicyEvaluator? evaluator,
        IArtifactIssuer? issuer,
        IArtifactVerifier verifier,
        IEnumerable<LineageSinkRegistration> sinks,
        TimeProvider time,
        ILogger logger,
        GovernedExecutionOptions options,
        IApprovalProvider? approvals,
        IPolicyEvaluator? policySet,
        IExecutionRevocation? revocation = null)
    {
        _evaluator = evaluator;
        // The policies in force here: what an artifact's policy-set digest must equal (a verify-only worker may hold
        // them without deciding with them).
        _policySet = policySet;
        _issuer = issuer;
        _verifier = verifier;
        _sinks = [.. sinks];
        _time = time;
        _logger = new SafeLogger(logger); // a logger already wrapped is wrapped again, harmlessly
        _audience = options.Audience;
        _lifetime = options.ArtifactLifetime;
        _skew = options.ClockSkew;
        _timeout = options.DependencyTimeout;
        _approvalTimeout = options.ApprovalTimeout;
        _approvals = approvals;
        _recordEntities = options.Lineage.RecordEntities;
        _ensureEvaluatesPolicy = options.EnsureAuthorizedEvaluatesPolicy;
        // Only with a source of revocations or reloads: without one, nothing but the bound itself is kept per call.
        var reloadable = policySet as Policies.Cedar.CedarPolicyDirectory;
        _monitor = revocation is null && reloadable is null ? null : new AuthorizationMonitor(revocation, reloadable, ReevaluateAsync);
    }

    public ValueTask<GovernedOutcome<TResult>> RunOutcomeAsync<TState, TResult>(
        ExecutionIntent intent,
        TState state,
        Func<TState, GovernedContext, CancellationToken, ValueTask<TResult>> operation,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(intent);
        ArgumentNullException.ThrowIfNull(operation);
        return RunCoreAsync(intent, presented: false, null, state, operation, cancellationToken);
    }

    public ValueTask<GovernedOutcome<TResult>> RunOutcomeAsync<TState, TResult>(
        ExecutionIntent intent,
        AuthorizationArtifact? artifact,
        TState state,
        Func<TState, GovernedContext, CancellationToken, ValueTask<TResult>> operation,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(intent);
        ArgumentNullException.ThrowIfNull(operation);
        return RunCoreAsync(intent, presented: true, artifact, state, operation, cancellationToken);
    }

    public ValueTask<ArtifactIssuance> IssueAsync(ExecutionIntent intent, string? audience = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(intent);
        return IssueCoreAsync(ResolveParent(intent), audience, null, null, false, cancellationToken);
    }

    public ValueTask<ArtifactIssuance> IssueAsync(ExecutionIntent intent, string? audience, DelegationScope scope, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(intent);
        ArgumentNullException.ThrowIfNull(scope);
        return IssueCoreAsync(ResolveParent(intent), audience, scope, null, false, cancellationToken);
    }

    internal ValueTask<ArtifactIssuance> DelegateAsync(GovernedContext parent, ExecutionIntent childIntent, DelegationScope scope, string? audience, CancellationToken cancellationToken)
    {
        // A child is recorded under the execution that delegates it; one that names another parent is refused, and its
        // refusal is recorded where it happened, not in the tree it named.
        var namesAnotherParent = childIntent.ParentExecutionId is { } named && named != parent.ExecutionId;
        var intent = childIntent.WithParent(parent.ExecutionId);
        return IssueCoreAsync(intent, audience, scope, parent, namesAnotherParent, cancellationToken);
    }

    private async ValueTask<ArtifactIssuance> IssueCoreAsync(ExecutionIntent intent, string? audience, DelegationScope? scope, GovernedContext? parent, bool namesAnotherParent, CancellationToken cancellationToken)
    {
        var run = new Run(this, intent, LineageEventKind.ArtifactIssued);
        using var root = run.StartCall("governed.issue ");
        try
        {
            if (_issuer is null)
            {
                run.Deny(DenialReason.KeyUnavailable, "this executor is verify-only: it holds no signing key and refuses to mint");
            }
            else if (parent is not null && parent.HasEnded)
            {
                // A context kept past its operation (by a timer, a task, a field) delegates nothing.
                run.Deny(DenialReason.ScopeViolation, "the parent execution has ended: nothing can be delegated from it");
            }
            else if (parent?.Bound?.Cause is not null)
            {
                // An operation that ignores its canceled token cannot hand its authorization on either.
                run.Deny(DenialReason.ScopeViolation, "the parent execution's authorization has ended: nothing can be delegated from it");
            }
            else if (namesAnotherParent)
            {
                run.Deny(DenialReason.ScopeViolation, "the child intent names another parent execution");
            }

            var decision = await run.DecideAsync(cancellationToken).ConfigureAwait(false);
            if (run.Denial is null)
            {
                run.CheckScope(scope, parent);
            }

            if (run.Denial is null)
            {
                var artifact = await run.MintAsync(decision!, audience ?? _audience, scope, parent, cancellationToken).ConfigureAwait(false);
                if (run.Denial is null)
                {
                    await run.AppendAsync(required: true, cancellationToken).ConfigureAwait(false);
                    if (run.Denial is null)
                    {
                        run.EndCall("succeeded");
                        return new ArtifactIssuance(parent is null ? artifact : artifact!.WithParent(parent.Artifact), null);
                    }
                }
            }
        }
        catch (Exception ex)
        {
            run.Fault(ex, cancellationToken);
        }

        await run.RecordDenialAsync().ConfigureAwait(false);
        run.EndCall("denied");
        return new ArtifactIssuance(null, run.Denial);
    }

    public async ValueTask<AuthorizationResult> AuthorizeAsync(ExecutionIntent intent, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(intent);
        var run = new Run(this, ResolveParent(intent), LineageEventKind.DryRun);
        using var root = run.StartCall("governed.authorize ");
        PolicyDecision? decision = null;
        try
        {
            decision = await run.DecideAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            run.Fault(ex, cancellationToken);
        }

        run.Add(LineageEventKind.DryRun, [new("allowed", run.Denial is null ? "true" : "false"), .. DenialAttributes(run.Denial)]);
        await run.AppendAsync(required: false, CancellationToken.None).ConfigureAwait(false);
        run.EndCall(run.Denial is null ? "succeeded" : "denied");
        return new AuthorizationResult(run.ExecutionId, decision, run.Denial);
    }

    public ValueTask<ExecutionDenial> RefuseAsync(ExecutionIntent intent, DenialReason reason, string detail)
    {
        ArgumentNullException.ThrowIfNull(intent);
        ArgumentException.ThrowIfNullOrEmpty(detail);
        if (reason == DenialReason.Unspecified || !Enum.IsDefined(reason))
        {
            throw new ArgumentOutOfRangeException(nameof(reason), reason, "A refusal needs a defined reason.");
        }

        return RefuseCoreAsync(ResolveParent(intent), reason, detail);
    }

    private async ValueTask<ExecutionDenial> RefuseCoreAsync(ExecutionIntent intent, DenialReason reason, string detail)
    {
        var run = new Run(this, intent, LineageEventKind.ExecutionDenied);
        using var root = run.StartCall("governed.refuse ");
        try
        {
            run.SubmitRefusal();
        }
        catch (Exception ex)
        {
            run.Fault(ex, CancellationToken.None);
        }

        run.Deny(reason, detail);
        await run.RecordDenialAsync().ConfigureAwait(false);
        run.EndCall("denied");
        return run.Denial!;
    }

    private async ValueTask<GovernedOutcome<TResult>> RunCoreAsync<TState, TResult>(
        ExecutionIntent intent,
        bool presented,
        AuthorizationArtifact? artifact,
        TState state,
        Func<TState, GovernedContext, CancellationToken, ValueTask<TResult>> operation,
        CancellationToken cancellationToken)
    {
        var run = new Run(this, ResolveParent(intent), LineageEventKind.IntentSubmitted);
        using var root = run.StartCall("governed ");
        GovernedContext? context = null;
        AuthorizationBound? bound = null;
        try
        {
            context = presented
                ? await run.VerifyPresentedAsync(artifact, cancellationToken).ConfigureAwait(false)
                : await run.AuthorizeAndMintAsync(cancellationToken).ConfigureAwait(false);
            if (context is not null)
            {
                bound = await run.BindAsync(context, cancellationToken).ConfigureAwait(false);
            }

            if (context is not null && run.Denial is null)
            {
                run.Add(LineageEventKind.ExecutionStarted, []);
                await run.AppendAsync(required: true, cancellationToken).ConfigureAwait(false);
                if (run.Denial is null && cancellationToken.IsCancellationRequested)
                {
                    run.Deny(DenialReason.Canceled, "cancellation was requested before the operation started");
                }
                else
                {
                    // The authorization may have ended while the records were written: then the operation does not start.
                    run.DenyIfEnded(bound!);
                }
            }
        }
        catch (Exception ex)
        {
            run.Fault(ex, cancellationToken);
        }

        if (run.Denial is not null || context is null || bound is null)
        {
            bound?.Dispose();
            // Every path that ends without a context has denied already (the first denial stands); should one not, this denies.
            run.Deny(DenialReason.GovernanceFault, "no verified context");
            await run.RecordDenialAsync().ConfigureAwait(false);
            run.EndCall("denied");
            return GovernedOutcome<TResult>.Denied(run.Denial!);
        }

        // Every check passed: the only place the operation is invoked.
        run.LogPermitted();
        var started = run.Timestamp();
        GovernedOutcome<TResult> outcome;
        var previous = context.Enter();
        // The span is outside the try: only what the operation throws is the operation's exception.
        var invoke = GovernedPhase.Start("governed.invoke", "operation", _time);
        RevocationCause? revoked = null;
        try
        {
            var result = await operation(state, context, bound.Token).ConfigureAwait(false);
            outcome = bound.TryComplete() ? GovernedOutcome<TResult>.Success(result, run.ExecutionId) : default;
        }
        catch (Exception ex)
        {
            outcome = bound.TryComplete() ? GovernedOutcome<TResult>.Faulted(ex, run.ExecutionId) : GovernedOutcome<TResult>.Faulted(ex, Guid.Empty);
        }
        finally
        {
            // One swap decided it: a revocation that won is the outcome, whatever the operation did after it.
            revoked = bound.Cause;
            context.End(previous);
            bound.Dispose();
        }

        if (revoked is not null)
        {
            outcome = GovernedOutcome<TResult>.Revoked(revoked.ToDenial(run.ExecutionId, run.Decision), outcome.Exception);
        }

        if (outcome.Exception is { } thrown)
        {
            invoke.Span.RecordException(thrown);
        }

        invoke.Dispose();

        var micros = run.MicrosecondsSince(started);
        var kind = outcome.IsSuccess ? "succeeded" : revoked is null ? "faulted" : "revoked";
        await run.RecordOutcomeAsync(outcome.IsSuccess, outcome.Exception, micros, revoked).ConfigureAwait(false);
        GovernedTelemetry.Executions.Add(1, new KeyValuePair<string, object?>("outcome", kind));
        run.EndCall(kind, outcome.Exception);
        return outcome;
    }

    private static ExecutionIntent ResolveParent(ExecutionIntent intent) =>
        intent.ParentExecutionId is null && GovernedContext.Current is { } current ? intent.WithParent(current.ExecutionId) : intent;

    private static KeyValuePair<string, string>[] DenialAttributes(ExecutionDenial? denial) => denial is null
        ? []
        : [new("reason", Name(denial.Reason)), new("reason_code", ((int)denial.Reason).ToString(System.Globalization.CultureInfo.InvariantCulture)), new("detail", denial.Detail)];

    internal static DenialReason ReasonFor(PolicyDecision decision)
    {
        if (decision.Kind == PolicyDecisionKind.Forbidden)
        {
            return DenialReason.PolicyDenied;
        }

        // An erroring forbid might have applied; an erroring permit might have been the one that permits.
        return decision.Errors.Count == 0 ? DenialReason.NotPermitted : DenialReason.PolicyError;
    }

    /// <summary>The name of an enum value, as ToString gives it, without boxing the value.</summary>
    private static string Name<TEnum>(TEnum value)
        where TEnum : struct, Enum => Enum.GetName(value) ?? value.ToString();

    /// <summary>Policy ids as lineage records them, comma-separated (no text is built for none or one).</summary>
    internal static string Joined(IReadOnlyList<string> ids) => ids.Count switch
    {
        0 => string.Empty,
        1 => ids[0] ?? string.Empty,
        _ => string.Join(",", ids),
    };

    private static string ErrorPolicies(IReadOnlyList<PolicyEvaluationError> errors)
    {
        if (errors.Count == 0)
        {
            return string.Empty;
        }

        var ids = new string[errors.Count];
        for (var i = 0; i < ids.Length; i++)
        {
            ids[i] = errors[i].PolicyId;
        }

        return string.Join(",", ids);
    }

    /// <summary>The state of one execution: its id, intent, digest, collected lineage events and denial.</summary>
    private sealed class Run
    {
        private readonly GovernedExecutor _owner;
        private LineageEvent[] _pending = new LineageEvent[3]; // a denial records three events, a permitted call five and one
        private int _pendingCount;
        private readonly DateTimeOffset _startTime;
        private readonly string _mode;
        private string _phase = "clock";
        private GovernedSpan _root;
        private long _callStarted = -1;

        internal Run(GovernedExecutor owner, ExecutionIntent intent, LineageEventKind mode)
        {
            _owner = owner;
            Intent = intent;
            // How the execution came about, as the intent record names it (docs/lineage-format.md).
            _mode = mode switch
            {
                LineageEventKind.ArtifactIssued => "issue",
                LineageEventKind.DryRun => "dry_run",
                LineageEventKind.ExecutionDenied => "refused",
                _ => "run",
            };
            ExecutionId = Internal.RandomIds.NewGuid();
            try
            {
                _startTime = owner._time.GetUtcNow();
            }
            catch (Exception ex)
            {
                _startTime = DateTimeOffset.UnixEpoch;
                Fault(ex, CancellationToken.None);
            }
        }

        internal Guid ExecutionId { get; }

        internal ExecutionIntent Intent { get; }

        internal byte[]? IntentDigest { get; private set; }

        internal ExecutionDenial? Denial { get; private set; }

        internal PolicyDecision? Decision { get; private set; }

        internal void Add(LineageEventKind kind, KeyValuePair<string, string>[] attributes) =>
            AddShared(kind, attributes.Length == 0 ? System.Collections.ObjectModel.ReadOnlyCollection<KeyValuePair<string, string>>.Empty : Array.AsReadOnly(attributes));

        private void AddShared(LineageEventKind kind, System.Collections.ObjectModel.ReadOnlyCollection<KeyValuePair<string, string>> attributes) =>
            Pend(LineageEvent.Owning(kind, ExecutionId, Intent.ParentExecutionId, Now(), attributes));

        private void Pend(LineageEvent e)
        {
            if (_pendingCount == _pending.Length)
            {
                Array.Resize(ref _pending, _pending.Length == 0 ? 1 : _pending.Length + 2);
            }

            _pending[_pendingCount++] = e;
        }

        internal void Deny(DenialReason reason, string detail) => Denial ??= new ExecutionDenial(reason, detail, ExecutionId, Decision);

        /// <summary>
        /// Starts the root span of the call, named <paramref name="name"/> and the action's id, and times the call.
        /// Only what is bounded and not personal goes on spans: the principal's type, never its id; no argument.
        /// </summary>
        internal GovernedSpan StartCall(string name)
        {
            _callStarted = GovernedTelemetry.ExecutionDuration.Start(_owner._time);
            _root = GovernedSpan.Start(name, Intent.Action.Id);
            if (_root.IsRecording)
            {
                _root.SetTag(GovernedTelemetry.ExecutionIdTag, ExecutionId.ToString()); // the "D" format
                _root.SetTag(GovernedTelemetry.ModeTag, _mode);
                _root.SetTag(GovernedTelemetry.ActionTag, Intent.Action.ToString());
                _root.SetTag(GovernedTelemetry.PrincipalTypeTag, Intent.Principal.Type);
            }

            return _root;
        }

        /// <summary>
        /// Describes how the call ended on its root span and records its duration. A denied run, issue or refusal is an
        /// error (the caller did not get what it asked for); a dry run answers either way and never is.
        /// </summary>
        internal void EndCall(string outcome, Exception? exception = null)
        {
            var seconds = GuardedHistogram.Elapsed(_owner._time, _callStarted);
            // Named only for a listener: nothing is formatted when nobody listens.
            var reason = Denial is { } denial && (_root.IsRecording || seconds is not null) ? denial.Reason.ToString() : null;
            if (_root.IsRecording)
            {
                _root.SetTag(GovernedTelemetry.DecisionTag, Denial is null ? "permit" : "deny");
                if (Decision is { } decision)
                {
                    _root.SetTag(GovernedTelemetry.DeterminingPoliciesTag, decision.DeterminingPolicies.ToArray());
                    _root.SetTag(GovernedTelemetry.PolicySetDigestTag, decision.PolicySetDigest);
                }

                _root.SetTag(GovernedTelemetry.OutcomeTag, outcome);
                if (reason is not null)
                {
                    _root.SetTag(GovernedTelemetry.DenialReasonTag, reason);
                    if (_mode != "dry_run")
                    {
                        _root.SetError(reason, reason);
                    }
                }

                if (exception is not null)
                {
                    _root.RecordException(exception);
                }
            }

            if (seconds is not null)
            {
                var tags = new TagList { { GovernedTelemetry.ModeTag, _mode }, { GovernedTelemetry.OutcomeTag, outcome } };
                if (reason is not null)
                {
                    tags.Add(GovernedTelemetry.DenialReasonTag, reason);
                }

                GovernedTelemetry.ExecutionDuration.Record(seconds.Value, in tags);
            }
        }

        /// <summary>Event 1000, just before the operation runs (the entities are formatted only when debug logging is on).</summary>
        internal void LogPermitted() => Log.ExecutionPermitted(_owner._logger, ExecutionId, Intent.Principal, Intent.Action, Intent.Resource);

        internal void Fault(Exception ex, CancellationToken cancellationToken)
        {
            switch (ex)
            {
                case OperationCanceledException when cancellationToken.IsCancellationRequested:
                    Deny(DenialReason.Canceled, "cancellation was requested during " + _phase);
                    break;
                case Policies.Cedar.CedarSchemaViolationException violation:
                    Deny(DenialReason.RequestInvalid, violation.IsEntities ? "the entities do not conform to the policy schema" : "the request does not conform to the policy schema");
                    break;
                case KeyUnavailableException:
                    Deny(DenialReason.KeyUnavailable, "the signing key is unavailable");
                    Log.GovernanceFault(_owner._logger, ExecutionId, _phase, ex);
                    break;
                case TimeoutException:
                    // The issuer's only dependency is the signing key provider.
                    Deny(_phase switch { "lineage" => DenialReason.LineageUnavailable, "issuer" => DenialReason.KeyUnavailable, _ => DenialReason.GovernanceFault }, _phase + " timed out");
                    Log.GovernanceFault(_owner._logger, ExecutionId, _phase, ex);
                    break;
                default:
                    Deny(_phase == "lineage" ? DenialReason.LineageUnavailable : DenialReason.GovernanceFault, _phase + " failed: " + ex.GetType().Name);
                    Log.GovernanceFault(_owner._logger, ExecutionId, _phase, ex);
                    break;
            }
        }

        /// <summary>Computes the intent digest and records the intent, the first event of every execution.</summary>
        private void SubmitIntent(string mode, string? artifactDigest, CancellationToken cancellationToken)
        {
            _phase = "intent";
            cancellationToken.ThrowIfCancellationRequested();
            IntentDigest = Intent.ComputeDigest();
            var traceId = Activity.Current is { } trace ? trace.TraceId.ToHexString() : string.Empty;
            if (artifactDigest is null && traceId.Length == 0)
            {
                // Outside a trace, the intent record of an intent in one mode has the same attributes every time: built once.
                var cached = Intent.IntentRecord;
                if (cached is null || !ReferenceEquals(cached.Mode, mode))
                {
                    Intent.IntentRecord = cached = new ExecutionIntent.IntentRecordAttributes(mode, Array.AsReadOnly(IntentAttributes(mode, traceId)));
                }

                AddShared(LineageEventKind.IntentSubmitted, cached.Attributes);
                return;
            }

            var attributes = IntentAttributes(mode, traceId);
            Add(LineageEventKind.IntentSubmitted, artifactDigest is null ? attributes : [.. attributes, new("artifact_digest", artifactDigest)]);
        }

        private KeyValuePair<string, string>[] IntentAttributes(string mode, string traceId) =>
            [
                new("mode", mode),
                new("principal", Intent.Principal.ToString()),
                new("action", Intent.Action.ToString()),
                new("resource", Intent.Resource.ToString()),
                new("intent_digest", Intent.DigestText),
                new("arguments_digest", Intent.ArgumentsDigestText),
                new("trace_id", traceId),
            ];

        /// <summary>Records the intent of a call refused before authorization (<see cref="RefuseAsync"/>).</summary>
        internal void SubmitRefusal()
        {
            if (Denial is null)
            {
                SubmitIntent(_mode, null, CancellationToken.None);
            }
        }

        internal async ValueTask<PolicyDecision?> DecideAsync(CancellationToken cancellationToken)
        {
            if (Denial is not null)
            {
                return null;
            }

            SubmitIntent(_mode, null, cancellationToken);

            _phase = "policy";
            using var phase = GovernedPhase.Start("governed.policy", "evaluate", _owner._time);
            if (_owner._evaluator is null)
            {
                Deny(DenialReason.NotPermitted, "this executor has no policies: it only runs presented artifacts");
                return null;
            }

            var decision = await _owner.GuardAsync(_owner._evaluator.EvaluateAsync(Intent, _startTime, cancellationToken), cancellationToken).ConfigureAwait(false)
                ?? throw new InvalidOperationException("The policy evaluator returned no decision.");
            Decision = decision;
            if (phase.Span.IsRecording)
            {
                phase.Span.SetTag(GovernedTelemetry.DecisionTag, decision.IsPermitted ? "permit" : "deny");
                phase.Span.SetTag(GovernedTelemetry.DeterminingPoliciesTag, decision.DeterminingPolicies.ToArray());
                phase.Span.SetTag(GovernedTelemetry.PolicySetDigestTag, decision.PolicySetDigest);
            }

            KeyValuePair<string, string>[] attributes =
            [
                new("decision", Name(decision.Kind)),
                new("policies", Joined(decision.DeterminingPolicies)),
                new("errors", ErrorPolicies(decision.Errors)),
                new("policy_set", decision.PolicySetDigest),
            ];

            // A spread in the literal above would build through a list on every call, inputs or not.
            var inputs = LineageDecisionInputs.Attributes(decision.ConsultedEntities, _owner._recordEntities);
            Add(LineageEventKind.PolicyEvaluated, inputs.Length == 0 ? attributes : [.. attributes, .. inputs]);
            if (!decision.IsPermitted)
            {
                Deny(ReasonFor(decision), decision.Kind == PolicyDecisionKind.Forbidden ? "a forbid policy applied"
                    : decision.Errors.Count == 0 ? "no permit policy applied" : "a policy could not be evaluated");
                return null;
            }

            foreach (var obligation in decision.Obligations)
            {
                if (!CoseArtifactVerifier.IsSatisfiable(obligation))
                {
                    Deny(DenialReason.ObligationUnsatisfied, $"obligation '{obligation.Name}' of policy '{obligation.PolicyId}' is unknown or cannot be satisfied");
                    return null;
                }
            }

            return decision;
        }

        /// <summary>The scope rules of delegation, checked before minting (the verifier checks them again).</summary>
        internal void CheckScope(DelegationScope? scope, GovernedContext? parent)
        {
            if (scope is not null && !scope.Allows(Intent))
            {
                Deny(DenialReason.ScopeViolation, "the intent is outside the scope it asks for");
            }
            else if (parent is not null && parent.Claims.Scope is null)
            {
                Deny(DenialReason.ScopeViolation, "the parent artifact grants no delegation scope");
            }
            else if (parent is not null && !scope!.IsWithin(parent.Claims.Scope!))
            {
                Deny(DenialReason.ScopeViolation, "the requested scope is not within the parent's");
            }
            else if (parent is not null && !DelegationScope.PrincipalsWithin(scope!, Intent.Principal.ToString(), parent.Claims.Scope!, parent.Claims.Subject))
            {
                Deny(DenialReason.ScopeViolation, "the principal is not one the parent delegates to");
            }
        }

        internal async ValueTask<AuthorizationArtifact?> MintAsync(PolicyDecision decision, string audience, DelegationScope? scope, GovernedContext? parent, CancellationToken cancellationToken)
        {
            if (_owner._issuer is null)
            {
                Deny(DenialReason.KeyUnavailable, "this executor has no signing key: it only runs presented artifacts");
                return null;
            }

            // The issuer shortens the lifetime by every ttl obligation of the decision (one rule, ArtifactLifetime).
            var lifetime = _owner._lifetime;
            if (parent is not null && parent.Claims.ExpiresAt <= Now())
            {
                Deny(DenialReason.ScopeViolation, "the parent artifact has expired: nothing can be delegated from it");
                return null;
            }

            var approvals = await ApproveAsync(decision, cancellationToken).ConfigureAwait(false);
            if (approvals is null)
            {
                return null;
            }

            _phase = "issuer";
            using var phase = GovernedPhase.Start("governed.artifact.mint", "issue", _owner._time);
            // The earliest end of the parent and every approval; none when there is neither.
            var notLaterThan = parent?.Claims.ExpiresAt;
            foreach (var approval in approvals)
            {
                if (notLaterThan is not { } earliest || approval.ExpiresAt < earliest)
                {
                    notLaterThan = approval.ExpiresAt;
                }
            }

            var request = new ArtifactRequest(IntentDigest!, Intent.Principal.ToString(), audience, decision)
            {
                Lifetime = lifetime,
                Scope = scope,
                Parent = parent?.Artifact,
                ExpiresNoLaterThan = notLaterThan,
                Approvals = approvals,
            };
            var artifact = await _owner.GuardAsync(_owner._issuer.IssueAsync(request, cancellationToken), cancellationToken).ConfigureAwait(false)
                ?? throw new InvalidOperationException("The issuer returned no artifact.");
            Add(LineageEventKind.ArtifactIssued, parent is null
                ? [new("artifact_digest", artifact.ComputeDigest()), new("audience", audience)]
                : [new("artifact_digest", artifact.ComputeDigest()), new("audience", audience), new("parent_artifact_digest", parent.Artifact.ComputeDigest())]);
            return artifact;
        }

        /// <summary>Asks the approval provider for every <c>requires_approval</c> obligation; null when denied.</summary>
        private async ValueTask<List<ApprovalDecision>?> ApproveAsync(PolicyDecision decision, CancellationToken cancellationToken)
        {
            var approvals = new List<ApprovalDecision>();
            foreach (var obligation in decision.Obligations)
            {
                if (obligation.Name != "requires_approval")
                {
                    continue;
                }

                _phase = "approval";
                using var phase = GovernedPhase.Start("governed.approval", "approval", _owner._time);
                if (_owner._approvals is null)
                {
                    Deny(DenialReason.ApprovalRequired, $"policy '{obligation.PolicyId}' requires approval by '{obligation.Value}' and no approver is configured");
                    return null;
                }

                // A copy: the digest minted for and verified against is never memory a provider was handed.
                var request = new ApprovalRequest(ExecutionId, Intent, IntentDigest!.ToArray(), obligation.Value, obligation.PolicyId, Now());
                ApprovalDecision? answer;
                try
                {
                    answer = await _owner._approvals.RequestApprovalAsync(request, cancellationToken).AsTask()
                        .WaitAsync(_owner._approvalTimeout, _owner._time, cancellationToken).ConfigureAwait(false);
                }
                catch (TimeoutException)
                {
                    Deny(DenialReason.ApprovalTimedOut, $"no approval by '{obligation.Value}' within {_owner._approvalTimeout}");
                    return null;
                }

                if (answer is null)
                {
                    throw new InvalidOperationException("The approval provider returned no decision.");
                }

                var valid = answer.IsApproved
                    && CryptographicOperations.FixedTimeEquals(answer.IntentDigest.Span, IntentDigest)
                    && string.Equals(answer.Group, obligation.Value, StringComparison.Ordinal)
                    && answer.ExpiresAt > Now();
                Add(LineageEventKind.ApprovalRecorded,
                [
                    new("group", obligation.Value),
                    new("policy", obligation.PolicyId),
                    new("approver", answer.Approver),
                    new("approved", valid ? "true" : "false"),
                    new("expires", answer.IsApproved ? answer.ExpiresAt.UtcDateTime.ToString("O", System.Globalization.CultureInfo.InvariantCulture) : string.Empty),
                    new("approval_digest", Convert.ToHexStringLower(answer.ComputeDigest())),
                ]);
                if (!answer.IsApproved)
                {
                    Deny(DenialReason.ApprovalRefused, $"'{obligation.Value}' refused: {answer.Reason ?? "no reason given"}");
                    return null;
                }

                if (!valid)
                {
                    Deny(DenialReason.ApprovalRefused, "the approval is not valid for this intent (another intent, group, or expired)");
                    return null;
                }

                approvals.Add(answer);
            }

            return approvals;
        }

        internal async ValueTask<GovernedContext?> AuthorizeAndMintAsync(CancellationToken cancellationToken)
        {
            var decision = await DecideAsync(cancellationToken).ConfigureAwait(false);
            if (decision is null)
            {
                return null;
            }

            var artifact = await MintAsync(decision, _owner._audience, null, null, cancellationToken).ConfigureAwait(false);
            return artifact is null ? null : await VerifyAsync(artifact, decision, cancellationToken).ConfigureAwait(false);
        }

        internal async ValueTask<GovernedContext?> VerifyPresentedAsync(AuthorizationArtifact? artifact, CancellationToken cancellationToken)
        {
            if (Denial is not null)
            {
                return null;
            }

            SubmitIntent("presented", artifact?.ComputeDigest() ?? string.Empty, cancellationToken);
            if (artifact is null)
            {
                Deny(DenialReason.ArtifactMissing, "no artifact was presented");
                return null;
            }

            return await VerifyAsync(artifact, null, cancellationToken).ConfigureAwait(false);
        }

        internal async ValueTask AppendAsync(bool required, CancellationToken cancellationToken)
        {
            _phase = "lineage";
            using var phase = GovernedPhase.Start("governed.lineage", "lineage", _owner._time);
            // A full array is handed over as it is (the next event starts another); otherwise the events are copied out.
            LineageEvent[] events;
            if (_pendingCount == _pending.Length)
            {
                events = _pending;
                _pending = [];
            }
            else
            {
                events = _pending.AsSpan(0, _pendingCount).ToArray();
                _pending.AsSpan(0, _pendingCount).Clear();
            }

            _pendingCount = 0;
            // Read-only: a sink cannot change the batch the sinks after it record (a lone sink has none after it).
            IReadOnlyList<LineageEvent> batch = _owner._sinks.Length == 1 ? events : Array.AsReadOnly(events);
            foreach (var registration in _owner._sinks)
            {
                var mustAccept = required && registration.Mode == LineageSinkMode.Required;
                try
                {
                    await _owner.GuardAsync(registration.Sink.AppendAsync(batch, mustAccept ? cancellationToken : CancellationToken.None), mustAccept ? cancellationToken : CancellationToken.None).ConfigureAwait(false);
                    GovernedTelemetry.LineageRecords.Add(events.Length);
                }
                catch (Exception ex)
                {
                    GovernedTelemetry.LineageFailures.Add(1, new KeyValuePair<string, object?>("mode", registration.Mode.ToString()));
                    Log.LineageSinkFailed(_owner._logger, registration.Sink.GetType().Name, registration.Mode.ToString(), events.Length, ExecutionId, ex);
                    // The execution is denied, but the other sinks still get the batch: none of them misses the
                    // records that explain the denial.
                    if (mustAccept)
                    {
                        GovernedTelemetry.LineageDenials.Add(1);
                        Fault(ex, cancellationToken);
                    }
                }
            }
        }

        internal async ValueTask RecordDenialAsync()
        {
            var denial = Denial!;
            GovernedTelemetry.Denials.Add(1, new KeyValuePair<string, object?>("reason", Name(denial.Reason)));
            GovernedTelemetry.Executions.Add(1, new KeyValuePair<string, object?>("outcome", "denied"));
            Log.ExecutionDenied(_owner._logger, ExecutionId, denial.Reason, denial.Detail);
            Add(LineageEventKind.ExecutionDenied, DenialAttributes(denial));

            // Best effort everywhere: the denial stands whatever the sinks do.
            await AppendAsync(required: false, CancellationToken.None).ConfigureAwait(false);
        }

        internal async ValueTask RecordOutcomeAsync(bool succeeded, Exception? exception, long micros, RevocationCause? revoked)
        {
            var duration = new KeyValuePair<string, string>("duration_us", micros.ToString(System.Globalization.CultureInfo.InvariantCulture));
            if (revoked is not null)
            {
                KeyValuePair<string, string>[] attributes =
                [
                    new("cause", revoked.Code),
                    new("reason", revoked.Reason.ToString()),
                    new("reason_code", ((int)revoked.Reason).ToString(System.Globalization.CultureInfo.InvariantCulture)),
                    new("detail", revoked.Detail),
                    duration,
                ];
                Add(LineageEventKind.ExecutionRevoked, exception is null ? attributes : [.. attributes, new("exception", exception.GetType().FullName ?? "Exception")]);
            }
            else
            {
                Add(succeeded ? LineageEventKind.ExecutionCompleted : LineageEventKind.ExecutionFailed,
                    succeeded ? [duration] : [duration, new("exception", exception!.GetType().FullName ?? "Exception")]);
            }

            await AppendAsync(required: false, CancellationToken.None).ConfigureAwait(false);
        }

        private async ValueTask<GovernedContext?> VerifyAsync(AuthorizationArtifact artifact, PolicyDecision? decision, CancellationToken cancellationToken)
        {
            _phase = "verifier";
            using var phase = GovernedPhase.Start("governed.artifact.verify", "verify", _owner._time);
            string? acceptedPolicySet = null;
            if (_owner._policySet is { } policies)
            {
                // Read once: the value checked here is the value the verifier compares. A missing digest would
                // switch the comparison off, so it denies instead.
                acceptedPolicySet = policies.PolicySetDigest;
                if (string.IsNullOrWhiteSpace(acceptedPolicySet))
                {
                    Deny(DenialReason.GovernanceFault, "the policy evaluator has no policy-set digest");
                    return null;
                }
            }

            var verification = new ArtifactVerificationContext(IntentDigest!, _owner._audience, Intent)
            {
                AcceptedPolicySetDigest = acceptedPolicySet,
                KnownArtifacts = GovernedContext.Current is { } ambient ? [ambient.Artifact] : [],
            };
            // Not guarded here: the verifier bounds its own seams by DependencyTimeout and names the one that hung.
            var result = await _owner._verifier.VerifyAsync(artifact, verification, cancellationToken).ConfigureAwait(false)
                ?? throw new InvalidOperationException("The verifier returned no result.");
            Add(LineageEventKind.ArtifactVerified,
            [
                new("verdict", Name(result.Verdict)),
                new("checks", CoseArtifactVerifier.Joined(result.Checks)),
                new("artifact_digest", artifact.ComputeDigest()),
            ]);
            if (phase.Span.IsRecording)
            {
                phase.Span.SetTag(GovernedTelemetry.DecisionTag, result.IsVerified && result.Claims is not null ? "permit" : "deny");
            }

            if (!result.IsVerified || result.Claims is null)
            {
                Deny(result.Reason == DenialReason.Unspecified ? DenialReason.GovernanceFault : result.Reason, result.Detail);
                return null;
            }

            var claims = result.Claims;
            Decision = decision ?? new PolicyDecision(claims.Decision, claims.DeterminingPolicies, [], claims.Obligations, claims.PolicySetDigest);

            // A delegated artifact presented alone, or with another artifact attached as its parent, was verified with a
            // parent the runtime held: keep it with that parent, so that what it delegates in turn carries the chain
            // that verified.
            if (!claims.ParentArtifactDigest.IsEmpty
                && CoseArtifactVerifier.FindParent(artifact, claims.ParentArtifactDigest.Span, verification.KnownArtifacts) is { } parent
                && !ReferenceEquals(parent, artifact.Parent))
            {
                artifact = artifact.WithParent(parent);
            }

            return new GovernedContext(_owner, ExecutionId, Intent, Decision, artifact, claims);
        }

        /// <summary>
        /// Binds the operation's token to its authorization (docs/architecture.md, "Authorization-bound cancellation"):
        /// asks the host's revocations about this execution, its parent and its key, and arms the bound. Denies when the
        /// authorization has already ended.
        /// </summary>
        internal async ValueTask<AuthorizationBound> BindAsync(GovernedContext context, CancellationToken cancellationToken)
        {
            _phase = "revocation";
            // The enclosing execution still running on this flow: nested and delegated children end with it.
            var parent = GovernedContext.Current;
            var bound = new AuthorizationBound(context, _owner._monitor);
            try
            {
                if (_owner._monitor is { } monitor)
                {
                    monitor.Add(bound);
                    if (await _owner.FindRevocationAsync(context, cancellationToken).ConfigureAwait(false) is { } revoked)
                    {
                        Deny(revoked.Reason, revoked.Detail);
                        return bound;
                    }
                }

                TimeSpan? maxDuration = null;
                var obligations = context.Claims.Obligations;
                for (var i = 0; i < obligations.Count; i++)
                {
                    var obligation = obligations[i];
                    if (obligation.Name != "max_duration")
                    {
                        continue;
                    }

                    // Also from a verifier that let an unreadable one through: no bound is no permission.
                    if (!ObligationValues.TryParseDuration(obligation.Value, out var limit) || limit <= TimeSpan.Zero)
                    {
                        Deny(DenialReason.ObligationUnsatisfied, $"obligation '{obligation.Name}' of policy '{obligation.PolicyId}' is unknown or cannot be satisfied");
                        return bound;
                    }

                    maxDuration = maxDuration is { } earlier && earlier < limit ? earlier : limit;
                }

                // Ends when the check before the start would refuse the artifact: at exp, with the same clock skew.
                bound.Start(_owner._time, context.Claims.ExpiresAt - Now() + _owner._skew, maxDuration, cancellationToken, parent?.AuthorizationToken ?? default);
                context.Bound = bound;
                DenyIfEnded(bound);

                return bound;
            }
            catch
            {
                bound.Dispose();
                throw;
            }
        }

        /// <summary>Denies a run whose authorization ended before its operation started, with the reason of that cause.</summary>
        internal void DenyIfEnded(AuthorizationBound bound)
        {
            if (bound.Cause is { } ended)
            {
                Deny(ended.Reason, ReferenceEquals(ended, RevocationCause.Expired) ? "the artifact has expired" : ended.Detail);
            }
        }

        /// <summary>A timestamp for the duration of the operation; a failing clock must not lose the outcome record.</summary>
        internal long Timestamp()
        {
            try
            {
                return _owner._time.GetTimestamp();
            }
            catch (Exception)
            {
                return -1;
            }
        }

        /// <summary>Microseconds since <paramref name="started"/>, or -1 when the clock failed.</summary>
        internal long MicrosecondsSince(long started)
        {
            try
            {
                return started < 0 ? -1 : (long)_owner._time.GetElapsedTime(started).TotalMicroseconds;
            }
            catch (Exception)
            {
                return -1;
            }
        }

        private DateTimeOffset Now()
        {
            try
            {
                return _owner._time.GetUtcNow();
            }
            catch (Exception)
            {
                return _startTime;
            }
        }
    }

    private async ValueTask<T> GuardAsync<T>(ValueTask<T> task, CancellationToken cancellationToken)
    {
        if (task.IsCompletedSuccessfully)
        {
            return task.Result;
        }

        return await task.AsTask().WaitAsync(_timeout, _time, cancellationToken).ConfigureAwait(false);
    }

    private async ValueTask GuardAsync(ValueTask task, CancellationToken cancellationToken)
    {
        if (task.IsCompletedSuccessfully)
        {
            return;
        }

        await task.AsTask().WaitAsync(_timeout, _time, cancellationToken).ConfigureAwait(false);
    }
}
