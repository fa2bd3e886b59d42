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
/// <c>services.AddGovernedExecution()</c>, where components not set here are
/// resolved from the container. Options and components are validated when the executor is built (at host start with
/// dependency injection), reporting every failure at once. A standalone builder does not take ownership of what it is
/// handed; in a container, the container owns the sinks handed to the builder (and what the factories create) and
/// disposes them after the executor.
/// </summary>
public sealed class GovernedExecutorBuilder
{
    private readonly List<Action<GovernedExecutionOptions>> _configure = [];
    private readonly List<(Func<IServiceProvider, ILineageSink> Create, LineageSinkMode Mode)> _sinks = [];
    private readonly string _name = Options.DefaultName;
    private Func<IServiceProvider, IPolicyEvaluator>? _evaluator;

    // The evaluator UseCedarPolicies(policies, schema) made, and its schema: validated when the executor is built.
    private (Policies.Cedar.CedarPolicyEvaluator Evaluator, Policies.Cedar.CedarSchema Schema)? _schemaChecked;
    private Func<IServiceProvider, ISigningKeyProvider>? _signingKeys;
    private Func<IServiceProvider, ITrustedKeyStore>? _trustedKeys;
    private IReplayGuard? _replayGuard;
    private TimeProvider? _time;
    private ILoggerFactory? _loggers;
    private Approvals.IApprovalProvider? _approvals;
    private IExecutionRevocation? _revocation;
    private (IArtifactIssuer Issuer, IArtifactVerifier Verifier)? _artifacts;
    private bool _withoutRequiredLineage;
    private bool _usesFactories;

    /// <summary>Creates a standalone builder.</summary>
    public GovernedExecutorBuilder()
    {
    }

    internal GovernedExecutorBuilder(IServiceCollection services, string name)
    {
        Services = services;
        _name = name;
    }

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
        Services?.Configure(_name, configure);
        return this;
    }

    /// <summary>
    /// Sets the policy evaluator. Its <see cref="IPolicyEvaluator.PolicySetDigest"/> is the policy set artifacts must
    /// have been decided by, also on a verify-only executor (which decides nothing with it); an evaluator without a
    /// digest, or without policies on an executor that decides, is a build error.
    /// </summary>
    /// <param name="evaluator">The evaluator.</param>
    /// <returns>This builder.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="evaluator"/> is <see langword="null"/>.</exception>
    public GovernedExecutorBuilder UsePolicies(IPolicyEvaluator evaluator) => Set(ref _evaluator, evaluator);

    /// <summary>Sets the policy evaluator, created from the container when the executor is built (with dependency injection only).</summary>
    /// <param name="factory">Creates the evaluator.</param>
    /// <returns>This builder.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="factory"/> is <see langword="null"/>.</exception>
    public GovernedExecutorBuilder UsePolicies(Func<IServiceProvider, IPolicyEvaluator> factory) => SetFactory(ref _evaluator, factory);

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

    /// <summary>
    /// Decides with Cedar policies under a schema, over a fixed entity store. Each intent becomes a request validated
    /// against the schema before any policy is evaluated (the action declared, principal and resource of types it
    /// applies to, the context of its context type; context strings are read as the extension values the context type
    /// declares); a request that does not conform is denied with <see cref="Execution.DenialReason.RequestInvalid"/>.
    /// The schema's actions and action groups join the entities, and decisions carry the policy-set digest joined to
    /// the schema's digest, so an artifact decided under another schema is refused here. The policies must validate
    /// against the schema (Cedar's validator, strict mode): when they do not, the executor is not built and a host does
    /// not start; the failure lists every validation error as <c>file:line:col: error[category] policy ID: message</c>.
    /// </summary>
    /// <param name="policies">The policy set.</param>
    /// <param name="schema">The schema.</param>
    /// <param name="entities">The entities (best read with <see cref="Policies.Cedar.CedarEntities.ParseJson(string, Policies.Cedar.CedarSchema, string)"/>); none by default.</param>
    /// <returns>This builder.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="policies"/> or <paramref name="schema"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">The entities do not conform to the schema.</exception>
    public GovernedExecutorBuilder UseCedarPolicies(Policies.Cedar.CedarPolicySet policies, Policies.Cedar.CedarSchema schema, Policies.Cedar.CedarEntities? entities = null)
    {
        ArgumentNullException.ThrowIfNull(policies);
        ArgumentNullException.ThrowIfNull(schema);
        var evaluator = new Policies.Cedar.CedarPolicyEvaluator(policies, schema, entities, null);
        _schemaChecked = (evaluator, schema);
        return Set(ref _evaluator, evaluator);
    }

    /// <summary>
    /// Decides with Cedar policies under a schema, with entities from a provider: as
    /// <see cref="UseCedarPolicies(Policies.Cedar.CedarPolicySet, Policies.Cedar.CedarSchema, Policies.Cedar.CedarEntities?)"/>,
    /// and the provider's entities are validated against the schema for each intent; entities that do not conform
    /// deny the intent (<see cref="Execution.DenialReason.RequestInvalid"/>). The policies are validated at build.
    /// </summary>
    /// <param name="policies">The policy set.</param>
    /// <param name="schema">The schema.</param>
    /// <param name="entityProvider">The entity provider.</param>
    /// <returns>This builder.</returns>
    /// <exception cref="ArgumentNullException">A parameter is <see langword="null"/>.</exception>
    public GovernedExecutorBuilder UseCedarPolicies(Policies.Cedar.CedarPolicySet policies, Policies.Cedar.CedarSchema schema, IEntityProvider entityProvider)
    {
        ArgumentNullException.ThrowIfNull(policies);
        ArgumentNullException.ThrowIfNull(schema);
        ArgumentNullException.ThrowIfNull(entityProvider);
        var evaluator = new Policies.Cedar.CedarPolicyEvaluator(policies, schema, null, entityProvider);
        _schemaChecked = (evaluator, schema);
        return Set(ref _evaluator, evaluator);
    }

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

    /// <summary>Sets the signing key provider, created from the container when the executor is built (with dependency injection only).</summary>
    /// <param name="factory">Creates the provider.</param>
    /// <returns>This builder.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="factory"/> is <see langword="null"/>.</exception>
    public GovernedExecutorBuilder UseSigningKeyProvider(Func<IServiceProvider, ISigningKeyProvider> factory) => SetFactory(ref _signingKeys, factory);

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

    /// <summary>Sets the trusted-key store, created from the container when the executor is built (with dependency injection only).</summary>
    /// <param name="factory">Creates the store.</param>
    /// <returns>This builder.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="factory"/> is <see langword="null"/>.</exception>
    public GovernedExecutorBuilder UseTrustedKeyStore(Func<IServiceProvider, ITrustedKeyStore> factory) => SetFactory(ref _trustedKeys, factory);

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

    /// <summary>
    /// Sets the host's revocations (none by default; an <see cref="IExecutionRevocation"/> registered in the container is
    /// used otherwise): a revoked execution or key cancels the running operations it concerns and denies new ones.
    /// </summary>
    /// <param name="revocation">The revocation source, for example an <see cref="InMemoryExecutionRevocation"/>.</param>
    /// <returns>This builder.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="revocation"/> is <see langword="null"/>.</exception>
    public GovernedExecutorBuilder UseExecutionRevocation(IExecutionRevocation revocation) => Set(ref _revocation, revocation);

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
    /// In a container, the container owns the sink: it is disposed (closing its log) when the container is disposed.
    /// </summary>
    /// <param name="sink">The sink.</param>
    /// <param name="mode">Required (its failure denies; the default) or best effort.</param>
    /// <returns>This builder.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="sink"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="mode"/> is not a defined mode.</exception>
    /// <exception cref="ArgumentException">A required sink acknowledges records before they are durable (a Buffered file sink).</exception>
    public GovernedExecutorBuilder AddLineageSink(ILineageSink sink, LineageSinkMode mode = LineageSinkMode.Required)
    {
        _ = new LineageSinkRegistration(sink, mode); // the same checks as a registration, now
        _sinks.Add((_ => sink, mode));
        return this;
    }

    /// <summary>
    /// Adds a lineage sink created from the container when the executor is built (with dependency injection only), once
    /// per container; the container owns it and disposes it after the executor.
    /// </summary>
    /// <param name="factory">Creates the sink.</param>
    /// <param name="mode">Required (its failure denies; the default) or best effort.</param>
    /// <returns>This builder.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="factory"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="mode"/> is not a defined mode.</exception>
    public GovernedExecutorBuilder AddLineageSink(Func<IServiceProvider, ILineageSink> factory, LineageSinkMode mode = LineageSinkMode.Required)
    {
        ArgumentNullException.ThrowIfNull(factory);
        if (!Enum.IsDefined(mode))
        {
            throw new ArgumentOutOfRangeException(nameof(mode), mode, "Unknown lineage sink mode.");
        }

        _usesFactories = true;
        _sinks.Add((factory, mode));
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

        if (_usesFactories)
        {
            throw new OptionsValidationException(_name, typeof(GovernedExecutionOptions), ["A component factory needs a service provider: use AddGovernedExecution, or hand the builder the component itself."]);
        }

        return Build(options, Resolve(EmptyServices.Instance, owned: false), hosted: false);
    }

    /// <summary>Builds this builder's executor in a container, from its named options and its components there.</summary>
    internal IGovernedExecutor Build(IServiceProvider services) =>
        Build(services.GetRequiredService<IOptionsMonitor<GovernedExecutionOptions>>().Get(_name), services.GetRequiredKeyedService<GovernedExecutorComponents>(_name), hosted: true);

    /// <summary>Resolves the components once per container (a keyed singleton): factories run once, and the container owns what they made.</summary>
    internal GovernedExecutorComponents ResolveComponents(IServiceProvider services) => Resolve(services, owned: true);

    internal List<string> Validate(GovernedExecutionOptions options, IServiceProvider services) =>
        Validate(options, services.GetRequiredKeyedService<GovernedExecutorComponents>(_name), hosted: true);

    private GovernedExecutor Build(GovernedExecutionOptions options, GovernedExecutorComponents components, bool hosted)
    {
        var failures = Validate(options, components, hosted);
        if (failures.Count > 0)
        {
            throw new OptionsValidationException(_name, typeof(GovernedExecutionOptions), failures);
        }

        var time = components.Time;
        var logger = CreateLogger(components.Loggers);
        if (!options.VerifyOnly && PolicyCount(components.Evaluator) == 0)
        {
            // Only reachable standalone (a host refuses to start with an empty policy set).
            Diagnostics.Log.EmptyPolicySet(logger);
        }

        if (!HasRequiredSink(components.Sinks))
        {
            // Only reachable after the explicit opt-out (validation refuses it otherwise).
            Diagnostics.Log.NoRequiredLineageSink(logger, components.Sinks.Count);
        }

        var evaluator = components.Evaluator;
        IArtifactIssuer? issuer = options.VerifyOnly ? null : _artifacts?.Issuer ?? new CoseArtifactIssuer(components.SigningKeys!, time, options.Issuer, options.ArtifactLifetime, options.ArtifactSigning);
        var verifier = _artifacts?.Verifier ?? new CoseArtifactVerifier(components.TrustedKeys!, components.ReplayGuard, time, options.ClockSkew, options.AllowedAlgorithms, options.MaxArtifactLifetime, options.DependencyTimeout);
        // A verify-only worker decides nothing, but the policies it was given are the ones its artifacts must have been decided by.
        return new GovernedExecutor(options.VerifyOnly ? null : evaluator, issuer, verifier, components.Sinks, time, logger, options, components.Approvals, evaluator, components.Revocation);
    }

    private GovernedExecutorComponents Resolve(IServiceProvider services, bool owned)
    {
        var components = new GovernedExecutorComponents();
        try
        {
            components.Evaluator = _evaluator?.Invoke(services) ?? Find<IPolicyEvaluator>(services);
            components.SigningKeys = _signingKeys?.Invoke(services) ?? Find<ISigningKeyProvider>(services);
            components.TrustedKeys = _trustedKeys?.Invoke(services) ?? Find<ITrustedKeyStore>(services);
            components.Time = _time ?? Find<TimeProvider>(services) ?? TimeProvider.System;
            components.Loggers = _loggers ?? Find<ILoggerFactory>(services) ?? NullLoggerFactory.Instance;
            components.ReplayGuard = _replayGuard ?? Find<IReplayGuard>(services) ?? new InMemoryReplayGuard(components.Time);
            components.Approvals = _approvals ?? Find<Approvals.IApprovalProvider>(services);
            components.Revocation = _revocation ?? Find<IExecutionRevocation>(services);
            foreach (var (create, mode) in _sinks)
            {
                var sink = create(services) ?? throw new InvalidOperationException("A lineage sink factory returned null.");
                if (owned)
                {
                    components.Owned.Add(sink);
                }

                components.Sinks.Add(new LineageSinkRegistration(sink, mode));
            }

            if (services is EmptyServices)
            {
                return components;
            }

            components.Sinks.AddRange(services.GetServices<LineageSinkRegistration>());
            if (_name != Options.DefaultName && services is IKeyedServiceProvider)
            {
                components.Sinks.AddRange(services.GetKeyedServices<LineageSinkRegistration>(_name));
            }

            return components;
        }
        catch
        {
            components.Dispose();
            throw;
        }
    }

    /// <summary>The service keyed with this builder's name first (named executors), then the unkeyed one.</summary>
    private T? Find<T>(IServiceProvider services)
        where T : class
    {
        if (_name != Options.DefaultName && services is IKeyedServiceProvider && services.GetKeyedService<T>(_name) is { } keyed)
        {
            return keyed;
        }

        return services.GetService<T>();
    }

    private static bool HasRequiredSink(List<LineageSinkRegistration> sinks) => sinks.Exists(s => s.Mode == LineageSinkMode.Required);

    /// <summary>
    /// Every reason the executor cannot be built. In a host (<paramref name="hosted"/>) also what would deny every call
    /// once started: an empty policy set, and a signing key that is not among the trusted keys. A standalone builder
    /// allows both (an executor that only mints for others, tests of the run-time denials); it logs an empty set.
    /// </summary>
    private List<string> Validate(GovernedExecutionOptions options, GovernedExecutorComponents components, bool hosted)
    {
        var failures = options.Validate();
        var evaluator = components.Evaluator;
        if (!_withoutRequiredLineage && !HasRequiredSink(components.Sinks))
        {
            failures.Add("A required lineage sink is needed: without one, operations run with nothing on record before they start (AddLineageSink with LineageSinkMode.Required, a required LineageSinkRegistration in the container, or AllowExecutionsWithoutRequiredLineage to opt out explicitly).");
        }

        if (components.TrustedKeys is null)
        {
            failures.Add("A trusted-key store is required: artifacts are verified before every execution (UseTrustedKeys or UseTrustedKeyStore).");
        }

        if (!options.VerifyOnly)
        {
            if (components.SigningKeys is null)
            {
                failures.Add("A signing key is required to mint artifacts (UseSigningKey), unless VerifyOnly is set.");
            }

            if (evaluator is null)
            {
                failures.Add("A policy evaluator is required (UsePolicies), unless VerifyOnly is set.");
            }
            else if (hosted && PolicyCount(evaluator) == 0)
            {
                failures.Add("The policy set has no policies: every call would be denied (NotPermitted). Load the policies (check the embedded resources or the files), or set VerifyOnly on a worker that decides nothing.");
            }

            if (hosted && components.SigningKeys is not null && components.TrustedKeys is not null && _artifacts is null)
            {
                if (SigningKeyTrustFailure(options, components) is { } trustFailure)
                {
                    failures.Add(trustFailure);
                }
            }
        }

        if (evaluator is not null && PolicySetDigestFailure(evaluator) is { } digestFailure)
        {
            failures.Add(digestFailure);
        }

        if (_schemaChecked is { } check && ReferenceEquals(evaluator, check.Evaluator) && SchemaValidationFailure(check.Evaluator, check.Schema) is { } schemaFailure)
        {
            failures.Add(schemaFailure);
        }

        return failures;
    }

    /// <summary>
    /// Why the artifacts this executor signs would not verify against its own trusted keys, or null when they would: the
    /// signing key must be among the trusted keys (same key id, algorithm and public key) and that trusted key valid now.
    /// Both seams are asked once, each bounded by <see cref="GovernedExecutionOptions.DependencyTimeout"/>. A seam that
    /// fails or does not answer is an outage, not a misconfiguration: the host starts (calls are denied with
    /// <c>KeyUnavailable</c> while it lasts) and the check is logged as not done (warning, event 1006).
    /// </summary>
    private static string? SigningKeyTrustFailure(GovernedExecutionOptions options, GovernedExecutorComponents components)
    {
        SigningKey key;
        TrustedKey? trusted;
        try
        {
            using var timeout = new CancellationTokenSource(options.DependencyTimeout);
            key = Await(components.SigningKeys!.GetSigningKeyAsync(timeout.Token), options.DependencyTimeout, "signing key provider");
            trusted = Await(components.TrustedKeys!.FindAsync(key.KeyId, timeout.Token), options.DependencyTimeout, "trusted-key store");
        }
        catch (Exception ex)
        {
            Diagnostics.Log.SigningKeyNotChecked(CreateLogger(components.Loggers), ex.GetType().Name);
            return null;
        }

        return TrustProblem(key, trusted, components.Time.GetUtcNow());
    }

    /// <summary>
    /// Why artifacts signed with <paramref name="key"/> would be refused against <paramref name="trusted"/> (the store's
    /// answer for its key id) at <paramref name="now"/>, or null when they would verify: the one rule of the start-up
    /// check and the health check.
    /// </summary>
    internal static string? TrustProblem(SigningKey key, TrustedKey? trusted, DateTimeOffset now)
    {
        if (trusted is null || trusted.Algorithm != key.Algorithm || !SamePublicKey(key, trusted))
        {
            return $"The signing key '{key.KeyId}' ({key.Algorithm}) is not among the trusted keys: every artifact it signs would be refused. Trust its public key (SigningKey.ToTrustedKey, or the PEM written by govexec keys generate).";
        }

        if (now < trusted.NotBefore || now >= trusted.NotAfter)
        {
            return $"The trusted key '{key.KeyId}' is outside its validity period now ({trusted.NotBefore:O} to {trusted.NotAfter:O}): every artifact its signing key signs would be refused.";
        }

        return null;
    }

    private static T Await<T>(ValueTask<T> pending, TimeSpan timeout, string seam)
    {
        if (pending.IsCompleted)
        {
            return pending.GetAwaiter().GetResult();
        }

        var task = pending.AsTask();
        if (!task.Wait(timeout))
        {
            throw new TimeoutException($"The {seam} did not answer within {timeout}.");
        }

        return task.GetAwaiter().GetResult();
    }

    private static bool SamePublicKey(SigningKey key, TrustedKey trusted)
    {
        try
        {
            return key.Key.ExportSubjectPublicKeyInfo().AsSpan().SequenceEqual(trusted.Key.ExportSubjectPublicKeyInfo());
        }
        catch (System.Security.Cryptography.CryptographicException)
        {
            return false;
        }
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

    /// <summary>Why the policies do not validate against the schema (every error, one per line), or null when they do; warnings are not failures.</summary>
    private static string? SchemaValidationFailure(Policies.Cedar.CedarPolicyEvaluator evaluator, Policies.Cedar.CedarSchema schema)
    {
        var result = Policies.Cedar.CedarValidator.Validate(evaluator.Policies, schema);
        if (result.IsValid)
        {
            return null;
        }

        var errors = result.Diagnostics.Where(d => d.Severity == Policies.Cedar.CedarValidationSeverity.Error).ToList();
        return string.Create(System.Globalization.CultureInfo.InvariantCulture, $"The Cedar policies do not validate against the schema ({errors.Count} error(s)); at run time they would raise errors and be skipped:\n")
            + string.Join("\n", errors.Select(d => d.ToString()));
    }

    internal static int? PolicyCount(IPolicyEvaluator? evaluator) => evaluator switch
    {
        Policies.Cedar.CedarPolicyEvaluator cedar => cedar.Policies.PolicyIds.Count,
        Policies.Cedar.CedarPolicyDirectory directory => directory.Policies.PolicyIds.Count,
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

    private GovernedExecutorBuilder Set<T>(ref Func<IServiceProvider, T>? field, T value)
        where T : class
    {
        ArgumentNullException.ThrowIfNull(value);
        field = _ => value;
        return this;
    }

    private GovernedExecutorBuilder SetFactory<T>(ref Func<IServiceProvider, T>? field, Func<IServiceProvider, T> factory)
        where T : class
    {
        ArgumentNullException.ThrowIfNull(factory);
        _usesFactories = true;
        field = sp => factory(sp) ?? throw new InvalidOperationException($"The {typeof(T).Name} factory returned null.");
        return this;
    }

    /// <summary>What a standalone builder resolves from: nothing.</summary>
    private sealed class EmptyServices : IServiceProvider
    {
        public static readonly EmptyServices Instance = new();

        public object? GetService(Type serviceType) => null;
    }
}

/// <summary>
/// An executor's components, resolved once per container; disposing it (the container does, after the executor)
/// disposes the sinks the builder was handed or made.
/// </summary>
internal sealed class GovernedExecutorComponents : IDisposable, IAsyncDisposable
{
    private int _disposed;

    public IPolicyEvaluator? Evaluator { get; set; }

    public ISigningKeyProvider? SigningKeys { get; set; }

    public ITrustedKeyStore? TrustedKeys { get; set; }

    public TimeProvider Time { get; set; } = TimeProvider.System;

    public ILoggerFactory Loggers { get; set; } = NullLoggerFactory.Instance;

    public IReplayGuard ReplayGuard { get; set; } = null!;

    public Approvals.IApprovalProvider? Approvals { get; set; }

    public IExecutionRevocation? Revocation { get; set; }

    public List<LineageSinkRegistration> Sinks { get; } = [];

    public List<ILineageSink> Owned { get; } = [];

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        List<Exception>? errors = null;
        foreach (var sink in Distinct())
        {
            try
            {
                switch (sink)
                {
                    case IDisposable disposable:
                        disposable.Dispose();
                        break;
                    case IAsyncDisposable asyncDisposable:
                        asyncDisposable.DisposeAsync().AsTask().GetAwaiter().GetResult();
                        break;
                }
            }
            catch (Exception ex)
            {
                (errors ??= []).Add(ex);
            }
        }

        ThrowIfAny(errors);
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        List<Exception>? errors = null;
        foreach (var sink in Distinct())
        {
            try
            {
                switch (sink)
                {
                    case IAsyncDisposable asyncDisposable:
                        await asyncDisposable.DisposeAsync().ConfigureAwait(false);
                        break;
                    case IDisposable disposable:
                        disposable.Dispose();
                        break;
                }
            }
            catch (Exception ex)
            {
                (errors ??= []).Add(ex);
            }
        }

        ThrowIfAny(errors);
    }

    /// <summary>Every sink is closed even when one fails to; the failures are reported together.</summary>
    private static void ThrowIfAny(List<Exception>? errors)
    {
        if (errors is not null)
        {
            throw new AggregateException("Closing the executor's lineage sinks failed.", errors);
        }
    }

    private IEnumerable<ILineageSink> Distinct() => Owned.Distinct(ReferenceEqualityComparer.Instance).Cast<ILineageSink>();
}
