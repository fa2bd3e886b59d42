using GovernedExecution.Artifacts;
using GovernedExecution.Artifacts.Keys;
using GovernedExecution.DependencyInjection;
using GovernedExecution.Execution;
using GovernedExecution.Intents;
using GovernedExecution.Lineage;
using GovernedExecution.Policies.Rules;

namespace GovernedExecution.Testing;

/// <summary>
/// A governed executor for tests: it decides with C# rules (<see cref="PolicyRule"/>, Cedar's semantics: a forbid
/// overrides every permit, and nothing is permitted that no rule permits), signs and verifies real artifacts with a
/// throwaway ES256 key, writes its lineage to memory, and records every call. Nothing is faked but the configuration,
/// so the code under test meets the executor it will meet in production: contexts, claims, denials and exceptions.
/// </summary>
/// <example>
/// <code>
/// using var executor = new FakeGovernedExecutor(
///     PolicyRule.Permit("refunds-up-to-100", intent => intent.Context["amount"].AsLong() &lt;= 100));
/// await service.RefundAsync("A-1", 5000);
/// Assert.Equal(DenialReason.NotPermitted, executor.Calls.Single().Denial?.Reason);
/// </code>
/// </example>
public sealed class FakeGovernedExecutor : IGovernedExecutor, IDisposable
{
    private readonly SigningKey _key = SigningKey.Generate();
    private readonly IGovernedExecutor _inner;
    private readonly List<FakeGovernedCall> _calls = [];

    /// <summary>Creates an executor deciding by the rules; with none, it denies everything (<see cref="DenialReason.NotPermitted"/>).</summary>
    /// <param name="rules">The rules.</param>
    /// <exception cref="ArgumentNullException"><paramref name="rules"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">Two rules have one id.</exception>
    public FakeGovernedExecutor(params IEnumerable<PolicyRule> rules)
        : this("tests", rules)
    {
    }

    /// <summary>Creates an executor for an audience, deciding by the rules.</summary>
    /// <param name="audience">The audience its artifacts are minted for and verified against.</param>
    /// <param name="rules">The rules.</param>
    /// <exception cref="ArgumentNullException"><paramref name="rules"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="audience"/> is empty, or two rules have one id.</exception>
    public FakeGovernedExecutor(string audience, params IEnumerable<PolicyRule> rules)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(audience);
        ArgumentNullException.ThrowIfNull(rules);
        Policies = new RulePolicyEvaluator(rules);
        _inner = new GovernedExecutorBuilder()
            .Configure(o => o.Audience = audience)
            .UsePolicies(Policies)
            .UseSigningKey(_key)
            .UseTrustedKeys(_key.ToTrustedKey())
            .AddLineageSink(Lineage)
            .Build();
    }

    /// <summary>An executor that permits every call (rule <c>permit-all</c>).</summary>
    /// <returns>The executor.</returns>
    public static FakeGovernedExecutor PermitAll() => new(PolicyRule.Permit("permit-all", static _ => true));

    /// <summary>The rules, as the evaluator the executor decides with.</summary>
    public RulePolicyEvaluator Policies { get; }

    /// <summary>The lineage written so far (every phase of every call, hash-chained).</summary>
    public InMemoryLineageSink Lineage { get; } = new();

    /// <summary>The public key that verifies the artifacts this executor signs.</summary>
    public TrustedKey TrustedKey => _key.ToTrustedKey();

    /// <summary>Every call to <c>RunOutcomeAsync</c> (and so <c>RunAsync</c>), in order, with what became of it.</summary>
    public IReadOnlyList<FakeGovernedCall> Calls
    {
        get
        {
            lock (_calls)
            {
                return [.. _calls];
            }
        }
    }

    /// <inheritdoc />
    public ValueTask<GovernedOutcome<TResult>> RunOutcomeAsync<TState, TResult>(ExecutionIntent intent, TState state, Func<TState, GovernedContext, CancellationToken, ValueTask<TResult>> operation, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(operation);
        var call = new Call<TState, TResult>(state, operation);
        return RecordAsync(intent, call, _inner.RunOutcomeAsync(intent, call, Call<TState, TResult>.Invoke, cancellationToken));
    }

    /// <inheritdoc />
    public ValueTask<GovernedOutcome<TResult>> RunOutcomeAsync<TState, TResult>(ExecutionIntent intent, AuthorizationArtifact? artifact, TState state, Func<TState, GovernedContext, CancellationToken, ValueTask<TResult>> operation, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(operation);
        var call = new Call<TState, TResult>(state, operation);
        return RecordAsync(intent, call, _inner.RunOutcomeAsync(intent, artifact, call, Call<TState, TResult>.Invoke, cancellationToken));
    }

    /// <inheritdoc />
    public ValueTask<ArtifactIssuance> IssueAsync(ExecutionIntent intent, string? audience = null, CancellationToken cancellationToken = default) =>
        _inner.IssueAsync(intent, audience, cancellationToken);

    /// <inheritdoc />
    public ValueTask<ArtifactIssuance> IssueAsync(ExecutionIntent intent, string? audience, DelegationScope scope, CancellationToken cancellationToken = default) =>
        _inner.IssueAsync(intent, audience, scope, cancellationToken);

    /// <inheritdoc />
    public ValueTask<ExecutionDenial> RefuseAsync(ExecutionIntent intent, DenialReason reason, string detail) =>
        _inner.RefuseAsync(intent, reason, detail);

    /// <inheritdoc />
    public ValueTask<AuthorizationResult> AuthorizeAsync(ExecutionIntent intent, CancellationToken cancellationToken = default) =>
        _inner.AuthorizeAsync(intent, cancellationToken);

    /// <summary>Disposes the throwaway signing key.</summary>
    public void Dispose() => _key.Dispose();

    private async ValueTask<GovernedOutcome<TResult>> RecordAsync<TState, TResult>(ExecutionIntent intent, Call<TState, TResult> call, ValueTask<GovernedOutcome<TResult>> pending)
    {
        var outcome = await pending.ConfigureAwait(false);
        lock (_calls)
        {
            _calls.Add(new FakeGovernedCall(intent, outcome.ExecutionId, outcome.Kind, call.Ran, outcome.Denial, outcome.Exception));
        }

        return outcome;
    }

    /// <summary>The caller's state and operation, and whether the executor invoked it.</summary>
    private sealed class Call<TState, TResult>(TState state, Func<TState, GovernedContext, CancellationToken, ValueTask<TResult>> operation)
    {
        public static readonly Func<Call<TState, TResult>, GovernedContext, CancellationToken, ValueTask<TResult>> Invoke = static (call, context, ct) =>
        {
            call.Ran = true;
            return call.Operation(call.State, context, ct);
        };

        public TState State { get; } = state;

        public Func<TState, GovernedContext, CancellationToken, ValueTask<TResult>> Operation { get; } = operation;

        public bool Ran { get; private set; }
    }
}

/// <summary>One governed call a <see cref="FakeGovernedExecutor"/> received, and what became of it.</summary>
/// <param name="Intent">The intent.</param>
/// <param name="ExecutionId">The execution id.</param>
/// <param name="Kind">Succeeded, denied or faulted.</param>
/// <param name="OperationRan">Whether the operation was invoked.</param>
/// <param name="Denial">The denial, when denied.</param>
/// <param name="Exception">What the operation threw, when faulted.</param>
public sealed record FakeGovernedCall(ExecutionIntent Intent, Guid ExecutionId, GovernedOutcomeKind Kind, bool OperationRan, ExecutionDenial? Denial, Exception? Exception);
