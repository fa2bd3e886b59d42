using GovernedExecution.Artifacts.Keys;
using GovernedExecution.Execution;
using GovernedExecution.Lineage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;

namespace GovernedExecution.DependencyInjection;

/// <summary>
/// The health of one registered executor: its policies, its signing key (available, trusted, and how long its trusted
/// key stays valid) and its lineage sinks. Every seam is asked with the executor's <c>DependencyTimeout</c>.
/// </summary>
internal sealed class GovernedExecutionHealthCheck(IServiceProvider services, string executorName, TimeSpan expiryWarning) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        GovernedExecutionOptions options;
        GovernedExecutorComponents components;
        try
        {
            options = services.GetRequiredService<IOptionsMonitor<GovernedExecutionOptions>>().Get(executorName);
            components = services.GetRequiredKeyedService<GovernedExecutorComponents>(executorName);
        }
        catch (Exception ex)
        {
            return HealthCheckResult.Unhealthy($"The executor is not configured ({ex.GetType().Name}).");
        }

        var problems = new List<string>();
        var warnings = new List<string>();
        var data = new Dictionary<string, object>(StringComparer.Ordinal);
        CheckPolicies(options, components, problems, data);
        if (!options.VerifyOnly && components.SigningKeys is not null && components.TrustedKeys is not null)
        {
            await CheckSigningKeyAsync(options, components, problems, warnings, data, cancellationToken).ConfigureAwait(false);
        }

        CheckSinks(components, problems, warnings);
        if (problems.Count > 0)
        {
            return new HealthCheckResult(context.Registration.FailureStatus, string.Join(" ", problems.Concat(warnings)), data: data);
        }

        return warnings.Count > 0
            ? HealthCheckResult.Degraded(string.Join(" ", warnings), data: data)
            : HealthCheckResult.Healthy("Governed calls can be decided, signed, verified and recorded.", data);
    }

    private static void CheckPolicies(GovernedExecutionOptions options, GovernedExecutorComponents components, List<string> problems, Dictionary<string, object> data)
    {
        try
        {
            if (components.Evaluator is { } evaluator)
            {
                data["policySetDigest"] = evaluator.PolicySetDigest;
                if (GovernedExecutorBuilder.PolicyCount(evaluator) is { } count)
                {
                    data["policies"] = count;
                    if (count == 0 && !options.VerifyOnly)
                    {
                        problems.Add("The policy set has no policies: every call is denied.");
                    }
                }
            }
            else if (!options.VerifyOnly)
            {
                problems.Add("No policy evaluator.");
            }
        }
        catch (Exception ex)
        {
            problems.Add($"The policy evaluator failed ({ex.GetType().Name}).");
        }
    }

    private async Task CheckSigningKeyAsync(GovernedExecutionOptions options, GovernedExecutorComponents components, List<string> problems, List<string> warnings, Dictionary<string, object> data, CancellationToken cancellationToken)
    {
        SigningKey key;
        TrustedKey? trusted;
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(options.DependencyTimeout);
            key = await components.SigningKeys!.GetSigningKeyAsync(timeout.Token).AsTask().WaitAsync(options.DependencyTimeout, cancellationToken).ConfigureAwait(false);
            data["signingKeyId"] = key.KeyId;
            trusted = await components.TrustedKeys!.FindAsync(key.KeyId, timeout.Token).AsTask().WaitAsync(options.DependencyTimeout, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
        {
            problems.Add($"The signing key is unavailable ({ex.GetType().Name}): calls are denied (KeyUnavailable).");
            return;
        }

        var now = components.Time.GetUtcNow();
        if (GovernedExecutorBuilder.TrustProblem(key, trusted, now) is { } problem)
        {
            problems.Add(problem);
            return;
        }

        if (trusted!.NotAfter is { } notAfter)
        {
            data["signingKeyNotAfter"] = notAfter;
            if (notAfter - now <= expiryWarning)
            {
                warnings.Add($"The trusted key '{key.KeyId}' expires at {notAfter:O}, in {(notAfter - now).TotalHours:F0} hours: rotate it.");
            }
        }
    }

    private static void CheckSinks(GovernedExecutorComponents components, List<string> problems, List<string> warnings)
    {
        foreach (var registration in components.Sinks)
        {
            if (registration.Sink is not ILineageSinkHealth health || health.Problem is not { } problem)
            {
                continue;
            }

            var message = $"The {(registration.Mode == LineageSinkMode.Required ? "required" : "best-effort")} lineage sink {registration.Sink}: {problem}.";
            (registration.Mode == LineageSinkMode.Required ? problems : warnings).Add(message + (registration.Mode == LineageSinkMode.Required ? " Calls are denied (LineageUnavailable)." : string.Empty));
        }
    }
}
