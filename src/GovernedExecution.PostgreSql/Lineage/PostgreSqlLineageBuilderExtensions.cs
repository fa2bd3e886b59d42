using GovernedExecution.DependencyInjection;
using GovernedExecution.Lineage;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace GovernedExecution.PostgreSql.Lineage;

/// <summary>Adds a <see cref="PostgreSqlLineageSink"/> to a governed executor.</summary>
public static class PostgreSqlLineageBuilderExtensions
{
    /// <summary>
    /// Adds a PostgreSQL lineage sink, created when the executor is built in a container (<c>AddGovernedExecution</c>),
    /// once per container, which owns it and disposes it (closing its chain) after the executor. The sink writes its
    /// chain from its first append: a database that is down at start denies calls (when required) until it is up, it
    /// does not stop the host. For a standalone executor, open the sink with
    /// <see cref="PostgreSqlLineageSink.OpenAsync"/> and add it with <see cref="GovernedExecutorBuilder.AddLineageSink(ILineageSink, LineageSinkMode)"/>.
    /// </summary>
    /// <param name="builder">The builder.</param>
    /// <param name="dataSource">The database; <see langword="null"/> to take the <see cref="NpgsqlDataSource"/> registered in the container. The sink does not own it.</param>
    /// <param name="configure">Configures the sink's options.</param>
    /// <param name="mode">Required (its failure denies; the default) or best effort.</param>
    /// <returns>The builder.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="builder"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="mode"/> is not a defined mode.</exception>
    public static GovernedExecutorBuilder AddPostgreSqlLineage(this GovernedExecutorBuilder builder, NpgsqlDataSource? dataSource = null, Action<PostgreSqlLineageSinkOptions>? configure = null, LineageSinkMode mode = LineageSinkMode.Required)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.AddLineageSink(
            services =>
            {
                var options = new PostgreSqlLineageSinkOptions();
                configure?.Invoke(options);
                options.Logger ??= services.GetService<Microsoft.Extensions.Logging.ILoggerFactory>()?.CreateLogger("GovernedExecution.PostgreSql.Lineage");
                return PostgreSqlLineageSink.Create(dataSource ?? services.GetRequiredService<NpgsqlDataSource>(), options);
            },
            mode);
    }
}
