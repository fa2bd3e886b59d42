using System.IO.Pipelines;
using ModelContextProtocol.Client;
using ModelContextProtocol.Protocol;
using ModelContextProtocol.Server;

namespace GovernedExecution.Integrations.Tests.ModelContextProtocol;

/// <summary>An MCP server and a client in one process, connected by a pair of in-memory pipes.</summary>
internal sealed class McpConnection : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly McpServer _server;
    private readonly Task _serverRun;

    private McpConnection(McpServer server, McpClient client, CancellationTokenSource stop, Task serverRun)
    {
        _server = server;
        Client = client;
        _stop = stop;
        _serverRun = serverRun;
    }

    public McpClient Client { get; }

    public static async Task<McpConnection> StartAsync(McpServerOptions options, string clientName, IServiceProvider? services = null, Microsoft.Extensions.Logging.ILoggerFactory? serverLogs = null)
    {
        var clientToServer = new Pipe();
        var serverToClient = new Pipe();
        var server = McpServer.Create(new StreamServerTransport(clientToServer.Reader.AsStream(), serverToClient.Writer.AsStream()), options, serverLogs, services);
        var stop = new CancellationTokenSource();
        var run = server.RunAsync(stop.Token);
        var client = await McpClient.CreateAsync(
            new StreamClientTransport(clientToServer.Writer.AsStream(), serverToClient.Reader.AsStream()),
            new McpClientOptions { ClientInfo = new Implementation { Name = clientName, Version = "1.0" } });
        return new McpConnection(server, client, stop, run);
    }

    public async ValueTask DisposeAsync()
    {
        await Client.DisposeAsync();
        await _stop.CancelAsync();
        try
        {
            await _serverRun;
        }
        catch (OperationCanceledException)
        {
        }

        await _server.DisposeAsync();
        _stop.Dispose();
    }
}
