using System.Text.Json;

namespace GovernedExecution.Integrations.Tests.Extensions.AI;

internal static class RefusalJson
{
    /// <summary>Reads a tool result as the refusal object it should be; fails the test otherwise.</summary>
    public static JsonElement Parse(object? result) => result switch
    {
        JsonElement element => element,
        string text => JsonDocument.Parse(text).RootElement.Clone(),
        _ => throw new Xunit.Sdk.XunitException($"The result is not a refusal: {result ?? "null"}"),
    };
}
