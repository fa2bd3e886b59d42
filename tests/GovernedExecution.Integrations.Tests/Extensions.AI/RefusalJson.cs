using System.Text.Json;
using GovernedExecution.Execution;
using GovernedExecution.Tests.Execution;

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

    /// <summary>Fails unless the result is a refusal for this reason, with a documented detail of it.</summary>
    public static JsonElement AssertRefused(object? result, DenialReason reason)
    {
        var refusal = Parse(result);
        Assert.True(refusal.GetProperty("refused").GetBoolean());
        Assert.Equal(reason.ToString(), refusal.GetProperty("reason").GetString());
        Assert.Equal((int)reason, refusal.GetProperty("reasonCode").GetInt32());
        var detail = refusal.GetProperty("detail").GetString()!;
        Assert.True(DenialDetails.IsDocumented(reason, detail), $"undocumented detail for {reason}: \"{detail}\"");
        return refusal;
    }
}
