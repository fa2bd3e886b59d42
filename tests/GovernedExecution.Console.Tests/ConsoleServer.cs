using GovernedExecution.Artifacts.Keys;
using GovernedExecution.Cli.Commands;
using Microsoft.AspNetCore.Builder;

namespace GovernedExecution.Console.Tests;

/// <summary><c>govexec console</c>'s application over local files, started on a free port of 127.0.0.1.</summary>
internal sealed class ConsoleServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly List<TrustedKey> _keys;

    private ConsoleServer(WebApplication app, List<TrustedKey> keys, string url)
    {
        _app = app;
        _keys = keys;
        Url = url;
    }

    /// <summary>The console's address, ending in '/'.</summary>
    public string Url { get; }

    public static async Task<ConsoleServer> StartAsync(IReadOnlyList<string> logs, string? publicKey = null, string? policies = null, string? anotherKey = null)
    {
        var keys = publicKey is null ? [] : ArtifactCommands.LoadTrusted(publicKey);
        if (anotherKey is not null)
        {
            keys.AddRange(ArtifactCommands.LoadTrusted(anotherKey));
        }

        var app = ConsoleCommands.Build(logs, keys, null, policies is null ? null : PolicyCommands.LoadPolicies(policies), 0);
        await app.StartAsync();
        return new ConsoleServer(app, keys, ConsoleCommands.Address(app));
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        _keys.ForEach(k => k.Dispose());
    }
}
