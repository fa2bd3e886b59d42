using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc.Abstractions;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace GovernedExecution.AspNetCore;

/// <summary>
/// Refuses to start a host in which an endpoint carries <see cref="GovernedAttribute"/> but nothing governs it: a minimal
/// API handler with the attribute and no <c>.Governed(...)</c> would run ungoverned while looking governed.
/// </summary>
internal sealed class GovernedEndpointCheck(IServiceProvider services) : IHostedLifecycleService
{
    public Task StartingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartedAsync(CancellationToken cancellationToken)
    {
        // Started: the application's endpoints are all mapped by now.
        if (services.GetService<EndpointDataSource>() is { } endpoints)
        {
            var ungoverned = endpoints.Endpoints.Where(IsUngoverned).Select(static e => e.DisplayName ?? "(unnamed)").ToList();
            if (ungoverned.Count > 0)
            {
                throw new InvalidOperationException(
                    "These endpoints carry [Governed] but are not governed (on a minimal API handler the attribute does not install the filter; use .Governed(\"Action::\\\"...\\\"\")): "
                    + string.Join(", ", ungoverned));
            }
        }

        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    internal static bool IsUngoverned(Endpoint endpoint) =>
        endpoint.Metadata.GetMetadata<GovernedAttribute>() is not null
        && endpoint.Metadata.GetMetadata<GovernedEndpointMarker>() is null
        && endpoint.Metadata.GetMetadata<ActionDescriptor>() is null;
}
