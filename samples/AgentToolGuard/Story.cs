using System.Text.Json;
using Microsoft.Extensions.AI;

namespace AgentToolGuard;

/// <summary>Prints the run as a short story.</summary>
internal static class Story
{
    public static void Title(string text)
    {
        Console.WriteLine();
        Console.WriteLine(text);
    }

    public static void ModelAsks(int step, FunctionCallContent call) =>
        Console.WriteLine($"{step}. the agent calls {call.Name}({string.Join(", ", call.Arguments?.Select(a => $"{a.Key}: {a.Value}") ?? [])})");

    public static void ToolRuns(string what) => Console.WriteLine($"     RAN      {what}");

    public static void ModelReads(FunctionResultContent result)
    {
        if (result.Result is JsonElement { ValueKind: JsonValueKind.Object } json && json.TryGetProperty("refused", out var refused) && refused.GetBoolean())
        {
            var policies = json.TryGetProperty("determiningPolicies", out var p) && p.GetArrayLength() > 0 ? " by " + string.Join(", ", p.EnumerateArray().Select(e => e.GetString())) : string.Empty;
            Console.WriteLine($"     REFUSED  {json.GetProperty("reason").GetString()}{policies}: {json.GetProperty("detail").GetString()} (the agent is told, and adapts)");
        }
    }

    public static void Line(string text) => Console.WriteLine("     " + text);
}
