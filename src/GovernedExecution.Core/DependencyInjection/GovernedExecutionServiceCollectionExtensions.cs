using GovernedExecution.Execution;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace GovernedExecution.DependencyInjection;

/// <summary>Registers governed execution in a service collection.</summary>
public static class GovernedExecutionServiceCollectionExtensions
{
    /// <summary>
    /// Registers <see cref="IGovernedExecutor"/> as a singleton, with options validated at host start (a missing
    /// audience, signing key, trust store, policy evaluator or required lineage sink is a start-up error; sinks come
    /// from the builder and from <see cref="Lineage.LineageSinkRegistration"/> services). Components not set on the returned
    /// builder are resolved from the container. Safe to call twice: the second call adds configuration only.
    /// </summary>
    /// <param name="services">The services.</param>
    /// <param name="configure">Configures the options.</param>
    /// <returns>A builder for the executor's components.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="services"/> is <see langword="null"/>.</exception>
    public static GovernedExecutorBuilder AddGovernedExecution(this IServiceCollection services, Action<GovernedExecutionOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        GovernedExecutorBuilder builder;
        if (services.FirstOrDefault(d => d.ServiceType == typeof(GovernedExecutorBuilder))?.ImplementationInstance is GovernedExecutorBuilder existing)
        {
            builder = existing;
        }
        else
        {
            builder = new GovernedExecutorBuilder(services);
            services.AddSingleton(builder);
            services.AddOptions<GovernedExecutionOptions>().ValidateOnStart();
            services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<GovernedExecutionOptions>, GovernedExecutionOptionsValidator>());
            services.TryAddSingleton<IGovernedExecutor>(static sp =>
                sp.GetRequiredService<GovernedExecutorBuilder>().Build(sp.GetRequiredService<IOptions<GovernedExecutionOptions>>().Value, sp));
        }

        if (configure is not null)
        {
            builder.Configure(configure);
        }

        return builder;
    }

    private sealed class GovernedExecutionOptionsValidator(IServiceProvider services) : IValidateOptions<GovernedExecutionOptions>
    {
        public ValidateOptionsResult Validate(string? name, GovernedExecutionOptions options)
        {
            var failures = services.GetRequiredService<GovernedExecutorBuilder>().Validate(options, services);
            return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
        }
    }
}
