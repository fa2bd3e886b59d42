using GovernedExecution.Artifacts.Keys;
using GovernedExecution.DependencyInjection;
using GovernedExecution.Execution;
using GovernedExecution.Lineage;
using GovernedExecution.Lineage.Browsing;
using GovernedExecution.Policies;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace GovernedExecution.AspNetCore.ConsoleUi;

/// <summary>What the console shows: the lineage, the keys, the policies and the sinks, from a host's executor or from local files.</summary>
internal sealed class ConsoleSources
{
    /// <summary>The lineage, read through the browsers of the sinks (or of the files given to <c>govexec console</c>).</summary>
    public required IReadOnlyList<ILineageBrowser> Lineage { get; init; }

    /// <summary>The keys artifacts are verified against (the proof viewer), or null when there are none.</summary>
    public ITrustedKeyStore? TrustedKeys { get; init; }

    /// <summary>Keys known by value: checkpoint signatures are checked against them, and the health page lists them.</summary>
    public IReadOnlyList<TrustedKey> KnownKeys { get; init; } = [];

    /// <summary>The signing key's id, when the executor signs.</summary>
    public string? SigningKeyId { get; init; }

    public IPolicyEvaluator? Policies { get; init; }

    public DateTimeOffset? PoliciesLoadedAt { get; init; }

    public IReadOnlyList<LineageSinkRegistration> Sinks { get; init; } = [];

    public string? WitnessDirectory { get; init; }

    /// <summary>The runtime's audience: the proof viewer's default.</summary>
    public string? Audience { get; init; }

    public TimeProvider Time { get; init; } = TimeProvider.System;

    /// <summary>Where the sources come from, for people (an executor, files).</summary>
    public required string Description { get; init; }

    /// <summary>The background verifications of the lineage, one per browser, started on first use and restarted when the log grew.</summary>
    public ConsoleVerifications Verifications { get; } = new();
}

/// <summary>Builds the console's sources from the host's services, once, on first use (the executor is built by then).</summary>
internal static class ConsoleSourcesFactory
{
    public static Func<HttpContext, CancellationToken, ValueTask<ConsoleSources>> FromServices(string? executorName)
    {
        var name = executorName ?? Options.DefaultName;
        ConsoleSources? sources = null;
        var gate = new SemaphoreSlim(1, 1);
        return async (context, cancellationToken) =>
        {
            if (Volatile.Read(ref sources) is { } ready)
            {
                return ready;
            }

            await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                return sources ??= await BuildAsync(context.RequestServices, name, cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                gate.Release();
            }
        };
    }

    private static async Task<ConsoleSources> BuildAsync(IServiceProvider services, string name, CancellationToken cancellationToken)
    {
        var components = services.GetKeyedService<GovernedExecutorComponents>(name)
            ?? throw new InvalidOperationException($"The governance console found no executor named '{name}': register one with AddGovernedExecution.");
        var options = services.GetRequiredService<IOptionsMonitor<GovernedExecutionOptions>>().Get(name);
        var known = new List<TrustedKey>();
        string? signingKeyId = null;
        if (components.SigningKeys is { } signing && components.TrustedKeys is { } trusted)
        {
            try
            {
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                timeout.CancelAfter(options.DependencyTimeout);
                // A provider or store that ignores its token is not waited for beyond the executor's dependency timeout.
                var key = await signing.GetSigningKeyAsync(timeout.Token).AsTask().WaitAsync(options.DependencyTimeout, cancellationToken).ConfigureAwait(false);
                signingKeyId = key.KeyId;
                if (await trusted.FindAsync(key.KeyId, timeout.Token).AsTask().WaitAsync(options.DependencyTimeout, cancellationToken).ConfigureAwait(false) is { } trustedKey)
                {
                    known.Add(trustedKey);
                }
            }
#pragma warning disable CA1031 // A key provider that fails shows as a problem on the health page, never as a console error.
            catch (Exception) when (!cancellationToken.IsCancellationRequested)
#pragma warning restore CA1031
            {
                signingKeyId = null;
            }
        }

        var browsers = components.Sinks.Select(r => r.Sink).OfType<ILineageBrowsable>().Distinct().Select(b => b.OpenBrowser()).ToList();
        return new ConsoleSources
        {
            Lineage = browsers,
            TrustedKeys = components.TrustedKeys,
            KnownKeys = known,
            SigningKeyId = signingKeyId,
            Policies = components.Evaluator,
            PoliciesLoadedAt = components.Time.GetUtcNow(),
            Sinks = components.Sinks,
            Audience = options.Audience,
            Time = components.Time,
            Description = name.Length == 0 ? "the default executor" : $"the executor '{name}'",
        };
    }
}

/// <summary>One background verification per browser, cached until the log grows.</summary>
internal sealed class ConsoleVerifications
{
    private readonly Lock _gate = new();
    private readonly Dictionary<ILineageBrowser, (long Records, LineageVerificationJob Job)> _jobs = [];

    /// <summary>The verification of <paramref name="browser"/>'s logs as of <paramref name="records"/> records, started if needed.</summary>
    public LineageVerificationJob Get(ILineageBrowser browser, long records, LineageVerifyRequest request)
    {
        lock (_gate)
        {
            if (_jobs.TryGetValue(browser, out var existing) && (existing.Records == records || !existing.Job.Completion.IsCompleted))
            {
                return existing.Job;
            }

            var job = LineageBrowsers.StartVerification(browser, request);
            _jobs[browser] = (records, job);
            return job;
        }
    }
}
