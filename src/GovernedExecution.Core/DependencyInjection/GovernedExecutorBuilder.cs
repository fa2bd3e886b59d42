using GovernedExecution.Artifacts;
using GovernedExecution.Artifacts.Keys;
using GovernedExecution.Diagnostics;
using GovernedExecution.Execution;
using GovernedExecution.Lineage;
using GovernedExecution.Policies;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace GovernedExecution.DependencyInjection;

/// <summary>
/// Builds a governed executor: standalone with <see cref="Build()"/>, or inside a host's dependency injection through
/// <see cref="GovernedExecutionServiceCollectionExtensions.AddGovernedExecution"/>, where components not set here are
/// resolved from the container. Options and components are validated when the executor is built (at host start with
/// dependency injection), reporting every failure at once.
/// </summary>
public sealed class GovernedExecutorBuilder
{
    private readonly List<Action<GovernedExecutionOptions>> _configure = [];
    private readonly List<LineageSinkRegistration> _sinks = [];
    private IPolicyEvaluator? _evaluator;
    private ISigningKeyProvider? _signingKeys;
    private ITrustedKeyStore? _trustedKeys;
    private IReplayGuard? _replayGuard;
    private TimeProvider? _time;
    private ILoggerFactory? _loggers;
    private Approvals.IApprovalProvider? _approvals;
    private (IArtifactIssuer Issuer, IArtifactVerifier Verifier)? _artifacts;
    private bool _withoutRequiredLineage;

    /// <summary>Creates a standalone builder.</summary>
    public GovernedExecutorBuilder()
    {
    }

    internal GovernedExecutorBuilder(IServiceCollection services) => Services = services;

    /// <summary>The service collection, when the builder came from <c>AddGovernedExecution</c>.</summary>
    public IServiceCollection? Services { get; }

    /// <summary>Configures options.</summary>
    /// <param name="configure">The configuration.</param>
    /// <returns>This builder.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="configure"/> is <see langword="null"/>.</exception>
    public GovernedExecutorBuilder Configure(Action<GovernedExecutionOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        _configure.Add(configure);
        Services?.Configure(configure);
        return this;
    }

    /// <summary>
    /// Sets the policy evaluator. Its <see cref="IPolicyEvaluator.PolicySetDigest"/> is the policy set artifacts must
    /// have been decided by, also on a verify-only executor (which decides nothing with it); an evaluator without a
    /// digest is a build error.
    /// </summary>
    /// <param name="evaluator">The evaluator.</param>
    /// <returns>This builder.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="evaluator"/> is <see langword="null"/>.</exception>
    public GovernedExecutorBuilder UsePolicies(IPolicyEvaluator evaluator) => Set(ref _evaluator, evaluator);

    /// <summary>Decides with Cedar policies (the embedded engine) over a fixed entity store.</summary>
    /// <param name="policies">The policy set.</param>
    /// <param name="entities">The entities; none by default.</param>
    /// <returns>This builder.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="policies"/> is <see langword="null"/>.</exception>
    public GovernedExecutorBuilder UseCedarPolicies(Policies.Cedar.CedarPolicySet policies, Policies.Cedar.CedarEntities? entities = null) =>
        Set(ref _evaluator, new Policies.Cedar.CedarPolicyEvaluator(policies, entities));

    /// <summary>Decides with Cedar policies whose entities come from a provider.</summary>
    /// <param name="policies">The policy set.</param>
    /// <param name="entityProvider">The entity provider.</param>
    /// <returns>This builder.</returns>
    /// <exception cref="ArgumentNullException">A parameter is <see langword="null"/>.</exception>
    public GovernedExecutorBuilder UseCedarPolicies(Policies.Cedar.CedarPolicySet policies, IEntityProvider entityProvider) =>
        Set(ref _evaluator, new Policies.Cedar.CedarPolicyEvaluator(policies, entityProvider));

    /// <summary>Signs artifacts with a fixed key (the builder does not take ownership).</summary>
    /// <param name="key">The key.</param>
    /// <returns>This builder.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="key"/> is <see langword="null"/>.</exception>
    public GovernedExecutorBuilder UseSigningKey(SigningKey key) => Set(ref _signingKeys, new StaticSigningKeyProvider(key));

    /// <summary>Sets the signing key provider.</summary>
    /// <param name="provider">The provider.</param>
    /// <returns>This builder.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="provider"/> is <see langword="null"/>.</exception>
    public GovernedExecutorBuilder UseSigningKeyProvider(ISigningKeyProvider provider) => Set(ref _signingKeys, provider);

    /// <summary>Trusts the given public keys (in an <see cref="InMemoryTrustedKeyStore"/>).</summary>
    /// <param name="keys">The keys.</param>
    /// <returns>This builder.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="keys"/> is <see langword="null"/>.</exception>
    public GovernedExecutorBuilder UseTrustedKeys(params IEnumerable<TrustedKey> keys) => Set(ref _trustedKeys, new InMemoryTrustedKeyStore(keys));

    /// <summary>Sets the trusted-key store.</summary>
    /// <param name="store">The store.</param>
    /// <returns>This builder.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="store"/> is <see langword="null"/>.</exception>
    public GovernedExecutorBuilder UseTrustedKeyStore(ITrustedKeyStore store) => Set(ref _trustedKeys, store);

    /// <summary>Sets the replay guard (an <see cref="InMemoryReplayGuard"/> by default).</summary>
    /// <param name="guard">The guard.</param>
    /// <returns>This builder.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="guard"/> is <see langword="null"/>.</exception>
    public GovernedExecutorBuilder UseReplayGuard(IReplayGuard guard) => Set(ref _replayGuard, guard);

    /// <summary>Sets the approver asked for <c>@requires_approval</c> obligations (none by default: such intents are denied).</summary>
    /// <param name="provider">The approval provider.</param>
    /// <returns>This builder.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="provider"/> is <see langword="null"/>.</exception>
    public GovernedExecutorBuilder UseApprovalProvider(Approvals.IApprovalProvider provider) => Set(ref _approvals, provider);

    /// <summary>Sets the clock (<see cref="TimeProvider.System"/> by default).</summary>
    /// <param name="timeProvider">The clock.</param>
    /// <returns>This builder.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="timeProvider"/> is <see langword="null"/>.</exception>
    public GovernedExecutorBuilder UseTimeProvider(TimeProvider timeProvider) => Set(ref _time, timeProvider);

    /// <summary>Sets the logger factory (none by default).</summary>
    /// <param name="loggerFactory">The factory.</param>
    /// <returns>This builder.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="loggerFactory"/> is <see langword="null"/>.</exception>
    public GovernedExecutorBuilder UseLoggerFactory(ILoggerFactory loggerFactory) => Set(ref _loggers, loggerFactory);

    /// <summary>
    /// Adds a lineage sink. At least one sink must be required (or in the container as a required
    /// <see cref="LineageSinkRegistration"/>), unless <see cref="AllowExecutionsWithoutRequiredLineage"/> is called.
    /// </summary>
    /// <param name="sink">The sink.</param>
    /// <param name="mode">Required (its failure denies; the default) or best effort.</param>
    /// <returns>This builder.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="sink"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="mode"/> is not a defined mode.</exception>
    public GovernedExecutorBuilder AddLineageSink(ILineageSink sink, LineageSinkMode mode = LineageSinkMode.Required)
    {
        _sinks.Add(new LineageSinkRegistration(sink, mode));
        return this;
    }

    /// <summary>
    /// Lets the executor be built without a required lineage sink: operations then run with nothing accepted on record
    /// before they start, and best-effort sinks (if any) may lose records. Without this call such an executor is a
    /// build (or host start) error. The choice is logged as a warning, event 1005, when the executor is built.
    /// </summary>
    /// <returns>This builder.</returns>
    public GovernedExecutorBuilder AllowExecutionsWithoutRequiredLineage()
    {
        _withoutRequiredLineage = true;
        return this;
    }

    /// <summary>Replaces the COSE issuer and verifier (tests and benchmarks measure the pipeline without cryptography).</summary>
    internal GovernedExecutorBuilder UseArtifactCodec(IArtifactIssuer issuer, IArtifactVerifier verifier)
    {
        _artifacts = (issuer, verifier);
        return this;
    }

    /// <summary>Builds a standalone executor.</summary>
    /// <returns>The executor.</returns>
    /// <exception cref="OptionsValidationException">The options or components are invalid; every failure is listed.</exception>
    public IGovernedExecutor Build()
    {
        var options = new GovernedExecutionOptions();
        foreach (var configure in _configure)
        {
            configure(options);
        }

        return Build(options, null);
    }

    internal IGovernedExecutor Build(GovernedExecutionOptions options, IServiceProvider? services)
    {
        var evaluator = _evaluator ?? services?.GetService<IPolicyEvaluator>();
        var signingKeys = _signingKeys ?? services?.GetService<ISigningKeyProvider>();
        var trustedKeys = _trustedKeys ?? services?.GetService<ITrustedKeyStore>();
        var sinks = Sinks(services);
        var failures = Validate(options, evaluator, signingKeys, trustedKeys, sinks);
        if (failures.Count > 0)
        {
            throw new OptionsValidationException(Options.DefaultName, typeof(GovernedExecutionOptions), failures);
        }

        var time = _time ?? services?.GetService<TimeProvider>() ?? TimeProvider.System;
        var loggers = _loggers ?? services?.GetService<ILoggerFactory>() ?? NullLoggerFactory.Instance;
        var replay = _replayGuard ?? services?.GetService<IReplayGuard>() ?? new InMemoryReplayGuard(time);

        var logger = CreateLogger(loggers);
        if (!options.VerifyOnly && PolicyCount(evaluator) == 0)
        {
            Diagnostics.Log.EmptyPolicySet(logger);
        }

        if (!HasRequiredSink(sinks))
        {
            // Only reachable after the explicit opt-out (validation refuses it otherwise).
            Diagnostics.Log.NoRequiredLineageSink(logger, sinks.Count);
        }

        IArtifactIssuer? issuer = options.VerifyOnly ? null : _artifacts?.Issuer ?? new CoseArtifactIssuer(signingKeys!, time, options.Issuer, options.ArtifactLifetime);
        var verifier = _artifacts?.Verifier ?? new CoseArtifactVerifier(trustedKeys!, replay, time, options.ClockSkew, options.AllowedAlgorithms, options.MaxArtifactLifetime, options.DependencyTimeout);
        // A verify-only worker decides nothing, but the policies it was given are the ones its artifacts must have been decided by.
        return new GovernedExecutor(options.VerifyOnly ? null : evaluator, issuer, verifier, sinks, time, logger, options, _approvals ?? services?.GetService<Approvals.IApprovalProvider>(), evaluator);
    }

    internal List<string> Validate(GovernedExecutionOptions options, IServiceProvider? services) => Validate(
        options,
        _evaluator ?? services?.GetService<IPolicyEvaluator>(),
        _signingKeys ?? services?.GetService<ISigningKeyProvider>(),
        _trustedKeys ?? services?.GetService<ITrustedKeyStore>(),
        Sinks(services));

    private static bool HasRequiredSink(List<LineageSinkRegistration> sinks) => sinks.Exists(s => s.Mode == LineageSinkMode.Required);

    private List<LineageSinkRegistration> Sinks(IServiceProvider? services)
    {
        var sinks = new List<LineageSinkRegistration>(_sinks);
        if (services is not null)
        {
            sinks.AddRange(services.GetServices<LineageSinkRegistration>());
        }

        return sinks;
    }

    private List<string> Validate(GovernedExecutionOptions options, IPolicyEvaluator? evaluator, ISigningKeyProvider? signingKeys, ITrustedKeyStore? trustedKeys, List<LineageSinkRegistration> sinks)
    {
        var failures = options.Validate();
        if (!_withoutRequiredLineage && !HasRequiredSink(sinks))
        {
            failures.Add("A required lineage sink is needed: without one, operations run with nothing on record before they start (AddLineageSink with LineageSinkMode.Required, a required LineageSinkRegistration in the container, or AllowExecutionsWithoutRequiredLineage to opt out explicitly).");
        }

        if (trustedKeys is null)
        {
            failures.Add("A trusted-key store is required: artifacts are verified before every execution (UseTrustedKeys or UseTrustedKeyStore).");
        }

        if (!options.VerifyOnly)
        {
            if (signingKeys is null)
            {
                failures.Add("A signing key is required to mint artifacts (UseSigningKey), unless VerifyOnly is set.");
            }

            if (evaluator is null)
            {
                failures.Add("A policy evaluator is required (UsePolicies), unless VerifyOnly is set.");
            }
        }

        if (evaluator is not null && PolicySetDigestFailure(evaluator) is { } digestFailure)
        {
            failures.Add(digestFailure);
        }

        return failures;
    }

    /// <summary>The executor's logger; a logging provider that fails never stops the build (logs are diagnostics, lineage is the record).</summary>
    private static SafeLogger CreateLogger(ILoggerFactory loggers)
    {
        try
        {
            return new SafeLogger(loggers.CreateLogger("GovernedExecution"));
        }
        catch (Exception)
        {
            return new SafeLogger(NullLogger.Instance);
        }
    }

    /// <summary>Why the evaluator's digest cannot be checked against artifacts, or null when it can.</summary>
    private static string? PolicySetDigestFailure(IPolicyEvaluator evaluator)
    {
        string? digest;
        try
        {
            digest = evaluator.PolicySetDigest;
        }
        catch (Exception ex)
        {
            return $"The policy evaluator's PolicySetDigest failed ({ex.GetType().Name}): artifacts could not be checked against the policies in force.";
        }

        return string.IsNullOrWhiteSpace(digest)
            ? "The policy evaluator has no PolicySetDigest: artifacts could not be checked against the policies in force (the digest of its policy set is required)."
            : null;
    }

    private static int? PolicyCount(IPolicyEvaluator? evaluator) => evaluator switch
    {
        Policies.Cedar.CedarPolicyEvaluator cedar => cedar.Policies.PolicyIds.Count,
        Policies.Rules.RulePolicyEvaluator rules => rules.Count,
        _ => null,
    };

    private GovernedExecutorBuilder Set<T>(ref T? field, T value)
        where T : class
    {
        ArgumentNullException.ThrowIfNull(value);
        field = value;
        return this;
    }
}
