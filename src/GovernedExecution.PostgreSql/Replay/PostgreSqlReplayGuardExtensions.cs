using GovernedExecution.Artifacts;
using GovernedExecution.DependencyInjection;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Npgsql;

namespace GovernedExecution.PostgreSql.Replay;

/// <summary>Puts a <see cref="PostgreSqlReplayGuard"/> in an executor, standalone or in a host's dependency injection.</summary>
public static class PostgreSqlReplayGuardExtensions
{
    /// <summary>
    /// Makes artifacts single use across every process that uses <paramref name="dataSource"/>: the executor's replay
    /// guard is a <see cref="PostgreSqlReplayGuard"/> on it. The schema must have been migrated.
    /// </summary>
    /// <param name="builder">The executor builder (standalone, or from <c>AddGovernedExecution</c>).</param>
    /// <param name="dataSource">The database (the caller keeps ownership).</param>
    /// <param name="configure">Configures the guard's options.</param>
    /// <returns>The builder.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="builder"/> or <paramref name="dataSource"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">The schema name is not acceptable.</exception>
    /// <exception cref="ArgumentOutOfRangeException">An option is out of range.</exception>
    public static GovernedExecutorBuilder UsePostgreSqlReplayGuard(this GovernedExecutorBuilder builder, NpgsqlDataSource dataSource, Action<PostgreSqlReplayGuardOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.UseReplayGuard(Create(dataSource, configure));
    }

    /// <summary>
    /// Registers a <see cref="PostgreSqlReplayGuard"/> on <paramref name="dataSource"/> as the container's
    /// <see cref="IReplayGuard"/>, used by every executor of the container that is not given a guard of its own.
    /// </summary>
    /// <param name="services">The services.</param>
    /// <param name="dataSource">The database (the caller keeps ownership).</param>
    /// <param name="configure">Configures the guard's options.</param>
    /// <returns>The services.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="services"/> or <paramref name="dataSource"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">The schema name is not acceptable.</exception>
    /// <exception cref="ArgumentOutOfRangeException">An option is out of range.</exception>
    /// <exception cref="InvalidOperationException">Another replay guard is already registered.</exception>
    public static IServiceCollection AddPostgreSqlReplayGuard(this IServiceCollection services, NpgsqlDataSource dataSource, Action<PostgreSqlReplayGuardOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        var guard = Create(dataSource, configure);
        if (services.Any(d => d.ServiceType == typeof(IReplayGuard) && !d.IsKeyedService))
        {
            // Silently keeping one of two guards would leave some executors with the guard the host did not mean.
            throw new InvalidOperationException("A replay guard is already registered; register one only.");
        }

        services.TryAddSingleton<IReplayGuard>(guard);
        return services;
    }

    private static PostgreSqlReplayGuard Create(NpgsqlDataSource dataSource, Action<PostgreSqlReplayGuardOptions>? configure)
    {
        ArgumentNullException.ThrowIfNull(dataSource);
        var options = new PostgreSqlReplayGuardOptions();
        configure?.Invoke(options);
        return new PostgreSqlReplayGuard(dataSource, options);
    }
}
