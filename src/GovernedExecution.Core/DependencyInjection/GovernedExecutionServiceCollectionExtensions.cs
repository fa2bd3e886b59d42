using GovernedExecution.DependencyInjection;
using GovernedExecution.Execution;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers governed execution in a service collection.</summary>
public static class GovernedExecutionServiceCollectionExtensions
{
    /// <summary>
    /// Registers <see cref="IGovernedExecutor"/> as a singleton. Its options are validated at host start (a missing
    /// audience, signing key, trust store, policy evaluator or required lineage sink, an empty policy set, a signing key
    /// that is not among the trusted keys: every failure is listed), and a host builds the executor when it starts.
    /// Components not set on the returned builder are resolved from the container; sinks come from the builder and
    /// from <see cref="GovernedExecution.Lineage.LineageSinkRegistration"/> services. The container owns the sinks
    /// handed to the builder and disposes them after the executor, so a clean shutdown closes the lineage. Safe to call
    /// twice: the second call adds configuration only.
    /// </summary>
    /// <param name="services">The services.</param>
    /// <param name="configure">Configures the options.</param>
    /// <returns>A builder for the executor's components.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="services"/> is <see langword="null"/>.</exception>
    public static GovernedExecutorBuilder AddGovernedExecution(this IServiceCollection services, Action<GovernedExecutionOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        return Add(services, Options.Options.DefaultName, configure);
    }

    /// <summary>
    /// Registers a named executor: a keyed <see cref="IGovernedExecutor"/> singleton under <paramref name="name"/>, with
    /// named options (<c>IOptionsMonitor&lt;GovernedExecutionOptions&gt;.Get(name)</c>), validated and built at host
    /// start like the unnamed one. Components not set on the returned builder are resolved from the container, the
    /// service keyed with <paramref name="name"/> first, then the unkeyed one; its lineage sinks are the builder's, the
    /// unkeyed <see cref="GovernedExecution.Lineage.LineageSinkRegistration"/> services and those keyed with
    /// <paramref name="name"/>. Safe to call twice with one name: the second call adds configuration only.
    /// </summary>
    /// <param name="services">The services.</param>
    /// <param name="name">The executor's name (its service key).</param>
    /// <param name="configure">Configures the options.</param>
    /// <returns>A builder for the executor's components.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="services"/> or <paramref name="name"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="name"/> is empty or white space.</exception>
    public static GovernedExecutorBuilder AddGovernedExecution(this IServiceCollection services, string name, Action<GovernedExecutionOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        return Add(services, name, configure);
    }

    /// <summary>
    /// Registers <see cref="IGovernedExecutor"/> as <see cref="AddGovernedExecution(IServiceCollection, Action{GovernedExecutionOptions}?)"/>
    /// does, with options read from a configuration section. The section is read exactly: a key that is not an option
    /// (a typo), a value that does not convert (time spans are written <c>hh:mm:ss</c>, flags <c>true</c> or
    /// <c>false</c>, algorithms by their exact name), or a section where a value belongs stops the host at start, with
    /// every failure listed; <c>AllowedAlgorithms</c> replaces the default set.
    /// </summary>
    /// <param name="services">The services.</param>
    /// <param name="configuration">The section holding the options (for example <c>Configuration.GetSection("GovernedExecution")</c>).</param>
    /// <returns>A builder for the executor's components.</returns>
    /// <exception cref="ArgumentNullException">A parameter is <see langword="null"/>.</exception>
    public static GovernedExecutorBuilder AddGovernedExecution(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);
        return Add(services, Options.Options.DefaultName, Binding(Options.Options.DefaultName, configuration));
    }

    /// <summary>
    /// Registers a named executor as <see cref="AddGovernedExecution(IServiceCollection, string, Action{GovernedExecutionOptions}?)"/>
    /// does, with options read exactly from a configuration section (see <see cref="AddGovernedExecution(IServiceCollection, IConfiguration)"/>).
    /// </summary>
    /// <param name="services">The services.</param>
    /// <param name="name">The executor's name (its service key).</param>
    /// <param name="configuration">The section holding its options.</param>
    /// <returns>A builder for the executor's components.</returns>
    /// <exception cref="ArgumentNullException">A parameter is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="name"/> is empty or white space.</exception>
    public static GovernedExecutorBuilder AddGovernedExecution(this IServiceCollection services, string name, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(configuration);
        return Add(services, name, Binding(name, configuration));
    }

    private static Action<GovernedExecutionOptions> Binding(string name, IConfiguration configuration) => options =>
    {
        var errors = GovernedExecutionOptionsBinder.Bind(configuration, options);
        if (errors.Count > 0)
        {
            throw new OptionsValidationException(name, typeof(GovernedExecutionOptions), errors);
        }
    };

    private static GovernedExecutorBuilder Add(IServiceCollection services, string name, Action<GovernedExecutionOptions>? configure)
    {
        var registry = Registry(services);
        if (!registry.Builders.TryGetValue(name, out var builder))
        {
            builder = new GovernedExecutorBuilder(services, name);
            registry.Builders.Add(name, builder);
            services.AddOptions<GovernedExecutionOptions>(name).ValidateOnStart();
            services.AddKeyedSingleton(name, (sp, _) => builder.ResolveComponents(sp));
            if (name == Options.Options.DefaultName)
            {
                services.AddSingleton(builder);
                services.TryAddSingleton<IGovernedExecutor>(sp => builder.Build(sp));
            }
            else
            {
                services.AddKeyedSingleton<IGovernedExecutor>(name, (sp, _) => builder.Build(sp));
            }
        }

        if (configure is not null)
        {
            builder.Configure(configure);
        }

        return builder;
    }

    private static GovernedExecutorRegistry Registry(IServiceCollection services)
    {
        if (services.FirstOrDefault(d => d.ServiceType == typeof(GovernedExecutorRegistry))?.ImplementationInstance is GovernedExecutorRegistry existing)
        {
            return existing;
        }

        var registry = new GovernedExecutorRegistry();
        services.AddSingleton(registry);
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<GovernedExecutionOptions>, GovernedExecutionOptionsValidator>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, GovernedExecutionStartup>());
        return registry;
    }

    /// <summary>The builders registered in one service collection, by executor name ("" for the unnamed one).</summary>
    internal sealed class GovernedExecutorRegistry
    {
        public Dictionary<string, GovernedExecutorBuilder> Builders { get; } = new(StringComparer.Ordinal);
    }

    private sealed class GovernedExecutionOptionsValidator(IServiceProvider services, GovernedExecutorRegistry registry) : IValidateOptions<GovernedExecutionOptions>
    {
        public ValidateOptionsResult Validate(string? name, GovernedExecutionOptions options)
        {
            if (!registry.Builders.TryGetValue(name ?? Options.Options.DefaultName, out var builder))
            {
                return ValidateOptionsResult.Skip;
            }

            var failures = builder.Validate(options, services);
            return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
        }
    }

    /// <summary>Builds every registered executor when the host starts, so that its warnings and sinks open at start, not at the first call.</summary>
    private sealed class GovernedExecutionStartup(IServiceProvider services, GovernedExecutorRegistry registry) : IHostedService
    {
        public Task StartAsync(CancellationToken cancellationToken)
        {
            foreach (var name in registry.Builders.Keys)
            {
                _ = name == Options.Options.DefaultName
                    ? services.GetRequiredService<IGovernedExecutor>()
                    : services.GetRequiredKeyedService<IGovernedExecutor>(name);
            }

            return Task.CompletedTask;
        }

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
