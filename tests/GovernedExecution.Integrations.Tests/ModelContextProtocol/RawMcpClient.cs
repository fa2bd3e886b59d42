using System.IO.Pipelines;
using System.Text;
using System.Text.Json;
using ModelContextProtocol.Protocol;
using ModelContextProtocol.Server;

namespace GovernedExecution.Integrations.Tests.ModelContextProtocol;

/// <summary>
/// A client that writes its JSON-RPC messages by hand, as a hostile client can: it sends text that no well-behaved
/// client library would write (for example a lone surrogate escape), to a real server over in-memory pipes.
/// </summary>
internal sealed class RawMcpClient : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly McpServer _server;
    private Task _serverRun = Task.CompletedTask;
    private readonly Stream _toServer;
    private readonly StreamReader _fromServer;
    private int _nextId;

    private RawMcpClient(McpServer server, Stream toServer, StreamReader fromServer)
    {
        _server = server;
        _toServer = toServer;
        _fromServer = fromServer;
    }

    public static async Task<RawMcpClient> StartAsync(McpServerOptions options, string clientName, Microsoft.Extensions.Logging.ILoggerFactory? serverLogs = null)
    {
        var clientToServer = new Pipe();
        var serverToClient = new Pipe();
        var server = McpServer.Create(new StreamServerTransport(clientToServer.Reader.AsStream(), serverToClient.Writer.AsStream()), options, serverLogs);
        var client = new RawMcpClient(server, clientToServer.Writer.AsStream(), new StreamReader(serverToClient.Reader.AsStream(), Encoding.UTF8));
        client._serverRun = server.RunAsync(client._stop.Token);
        await client.RequestAsync("initialize", $$$"""{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"{{{clientName}}}","version":"1.0"}}""");
        await client.SendAsync("""{"jsonrpc":"2.0","method":"notifications/initialized"}""");
        return client;
    }

    /// <summary>Calls a tool with arguments written exactly as given; returns the result.</summary>
    public async Task<CallToolResult> CallToolAsync(string tool, string? rawArguments)
    {
        var result = await RequestAsync("tools/call", rawArguments is null ? $$$"""{"name":"{{{tool}}}"}""" : $$$"""{"name":"{{{tool}}}","arguments":{{{rawArguments}}}}""");
        return result.Deserialize<CallToolResult>(global::ModelContextProtocol.McpJsonUtilities.DefaultOptions)!;
    }

    /// <summary>Sends a <c>tools/call</c> request without parameters (no tool named at all).</summary>
    public Task<JsonElement> CallWithoutParametersAsync() => RequestAsync("tools/call", null);

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _toServer.DisposeAsync();
        try
        {
            await _serverRun;
        }
        catch (OperationCanceledException)
        {
        }

        await _server.DisposeAsync();
        _fromServer.Dispose();
        _stop.Dispose();
    }

    private async Task<JsonElement> RequestAsync(string method, string? rawParams)
    {
        var id = Interlocked.Increment(ref _nextId);
        await SendAsync(rawParams is null
            ? $$$"""{"jsonrpc":"2.0","id":{{{id}}},"method":"{{{method}}}"}"""
            : $$$"""{"jsonrpc":"2.0","id":{{{id}}},"method":"{{{method}}}","params":{{{rawParams}}}}""");
        while (await _fromServer.ReadLineAsync() is { } line)
        {
            using var message = JsonDocument.Parse(line);
            if (message.RootElement.TryGetProperty("id", out var answered) && answered.ValueKind == JsonValueKind.Number && answered.GetInt32() == id)
            {
                return message.RootElement.TryGetProperty("result", out var result)
                    ? result.Clone()
                    : throw new InvalidOperationException("The server answered with an error: " + line);
            }
        }

        throw new InvalidOperationException("The server closed the connection.");
    }

    private async Task SendAsync(string message)
    {
        await _toServer.WriteAsync(Encoding.UTF8.GetBytes(message + "\n"));
        await _toServer.FlushAsync();
    }
}
