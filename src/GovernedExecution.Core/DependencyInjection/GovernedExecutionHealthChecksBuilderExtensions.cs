using GovernedExecution.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Adds the health check of a governed executor.</summary>
public static class GovernedExecutionHealthChecksBuilderExtensions
{
    /// <summary>
    /// Adds a check named <c>governed-execution</c> (or <c>governed-execution-NAME</c> for a named executor) that reports
    /// what would make governed calls fail before one does: no policies; a signing key that is unavailable (the key
    /// provider or trusted-key store fails or does not answer within <c>DependencyTimeout</c>), not trusted, or whose
    /// trusted key has expired (unhealthy) or expires within <paramref name="keyExpiryWarning"/> (degraded); a required
    /// file lineage sink that has faulted (unhealthy) or a best-effort one that has (degraded). The data holds the
    /// policy-set digest, the number of policies, the signing key id and its trusted key's end of validity.
    /// </summary>
    /// <param name="builder">The health checks builder.</param>
    /// <param name="executorName">The executor's name (<c>AddGovernedExecution(name)</c>); the unnamed executor by default.</param>
    /// <param name="keyExpiryWarning">How long before its trusted key expires a signing key is reported degraded; 14 days by default.</param>
    /// <param name="tags">Tags of the check (for example for readiness endpoints).</param>
    /// <returns>The builder.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="builder"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="keyExpiryWarning"/> is negative.</exception>
    public static IHealthChecksBuilder AddGovernedExecution(this IHealthChecksBuilder builder, string? executorName = null, TimeSpan? keyExpiryWarning = null, IEnumerable<string>? tags = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var warning = keyExpiryWarning ?? TimeSpan.FromDays(14);
        ArgumentOutOfRangeException.ThrowIfLessThan(warning, TimeSpan.Zero, nameof(keyExpiryWarning));
        var name = executorName ?? Options.Options.DefaultName;
        return builder.Add(new HealthCheckRegistration(
            name.Length == 0 ? "governed-execution" : "governed-execution-" + name,
            sp => new GovernedExecutionHealthCheck(sp, name, warning),
            HealthStatus.Unhealthy,
            tags));
    }
}
