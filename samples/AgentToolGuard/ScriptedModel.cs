using System.Runtime.CompilerServices;
using Microsoft.Extensions.AI;

namespace AgentToolGuard;

/// <summary>
/// Stands in for a language model: it answers each turn from a fixed plan of tool calls, and prints what it is told
/// back (the tool results), which is what a real model would read.
/// </summary>
internal sealed class ScriptedModel(IReadOnlyList<FunctionCallContent> plan) : IChatClient
{
    private int _next;

    public Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        var last = messages.LastOrDefault();
        foreach (var result in last?.Contents.OfType<FunctionResultContent>() ?? [])
        {
            Story.ModelReads(result);
        }

        if (_next >= plan.Count)
        {
            return Task.FromResult(new ChatResponse(new ChatMessage(ChatRole.Assistant, "Done: the plan is complete.")));
        }

        var call = plan[_next++];
        Story.ModelAsks(_next, call);
        return Task.FromResult(new ChatResponse(new ChatMessage(ChatRole.Assistant, [call])));
    }

    public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(
        IEnumerable<ChatMessage> messages, ChatOptions? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        foreach (var update in (await GetResponseAsync(messages, options, cancellationToken).ConfigureAwait(false)).ToChatResponseUpdates())
        {
            yield return update;
        }
    }

    public object? GetService(Type serviceType, object? serviceKey = null) => null;

    public void Dispose()
    {
    }
}
