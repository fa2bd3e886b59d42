using GovernedExecution.AspNetCore;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers governed HTTP endpoints.</summary>
public static class GovernedHttpServiceCollectionExtensions
{
    /// <summary>
    /// Registers what governed endpoints need, besides the executor itself (<c>AddGovernedExecution</c>): their options
    /// (validated at host start), problem details, and an <see cref="IExceptionHandler"/> that answers an
    /// <c>ExecutionDeniedException</c> escaping a handler as problem details (with <c>app.UseExceptionHandler()</c>).
    /// Denials become 403 (policy and artifact denials), 400 (<c>ArgumentsInvalid</c>) or 503 (lineage, keys, faults),
    /// carrying the reason, its code, the execution id and the documented detail; a request whose client has gone is
    /// not answered and not logged as an error. The host refuses to start if a minimal API endpoint carries
    /// <see cref="GovernedAttribute"/> without <c>.Governed(...)</c>. Safe to call twice.
    /// </summary>
    /// <param name="services">The services.</param>
    /// <param name="configure">Configures how requests are described (principal and resource).</param>
    /// <returns>The services.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="services"/> is <see langword="null"/>.</exception>
    public static IServiceCollection AddGovernedHttp(this IServiceCollection services, Action<GovernedHttpOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        if (!services.Any(static d => d.ServiceType == typeof(GovernedEndpointCheck)))
        {
            services.AddOptions<GovernedHttpOptions>().ValidateOnStart();
            services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<GovernedHttpOptions>, GovernedHttpOptionsValidator>());
            services.AddProblemDetails();
            services.AddExceptionHandler<GovernedExceptionHandler>();
            services.AddSingleton<GovernedEndpointCheck>();
            services.AddSingleton<IHostedService>(static sp => sp.GetRequiredService<GovernedEndpointCheck>());
        }

        if (configure is not null)
        {
            services.Configure(configure);
        }

        return services;
    }

    private sealed class GovernedHttpOptionsValidator : IValidateOptions<GovernedHttpOptions>
    {
        public ValidateOptionsResult Validate(string? name, GovernedHttpOptions options)
        {
            var failures = options.Validate();
            return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
        }
    }
}
