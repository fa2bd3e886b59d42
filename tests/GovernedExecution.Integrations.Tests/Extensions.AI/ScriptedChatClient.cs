using System.Runtime.CompilerServices;
using Microsoft.Extensions.AI;

namespace GovernedExecution.Integrations.Tests.Extensions.AI;

/// <summary>
/// A chat client with no model behind it: each request is answered by the next turn of a fixed script (tool call
/// requests, then a final text). It keeps the messages it was sent, so that tests can see what the model would see.
/// </summary>
internal sealed class ScriptedChatClient(params IReadOnlyList<ChatResponse> script) : IChatClient
{
    private int _turn;

    public List<List<ChatMessage>> Requests { get; } = [];

    public static ChatResponse Calls(params FunctionCallContent[] calls) => new(new ChatMessage(ChatRole.Assistant, [.. calls]));

    public static ChatResponse Text(string text) => new(new ChatMessage(ChatRole.Assistant, text));

    public static FunctionCallContent Call(string callId, string tool, params (string Name, object? Value)[] arguments) =>
        new(callId, tool, arguments.ToDictionary(a => a.Name, a => a.Value));

    /// <summary>The result the model received for a call, from the last request sent to it.</summary>
    public FunctionResultContent ResultFor(string callId) =>
        Requests.SelectMany(r => r).SelectMany(m => m.Contents).OfType<FunctionResultContent>().Last(r => r.CallId == callId);

    public Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        Requests.Add([.. messages]);
        if (_turn >= script.Count)
        {
            throw new InvalidOperationException("The script has no more turns.");
        }

        return Task.FromResult(script[_turn++]);
    }

    public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(
        IEnumerable<ChatMessage> messages, ChatOptions? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var response = await GetResponseAsync(messages, options, cancellationToken).ConfigureAwait(false);
        foreach (var update in response.ToChatResponseUpdates())
        {
            yield return update;
        }
    }

    public object? GetService(Type serviceType, object? serviceKey = null) => null;

    public void Dispose()
    {
    }
}
