using System.Text.Json;
using GovernedExecution.Execution;

namespace GovernedExecution.Integrations;

/// <summary>
/// The refusal an agent receives instead of a tool's result: a small JSON object saying that the call was refused
/// and why, with nothing secret in it (no argument values, keys or artifact bytes). Shared, as source, by the
/// integration packages.
/// </summary>
internal static class ToolRefusal
{
    /// <summary>Writes the refusal of a call to <paramref name="toolName"/> as UTF-8 JSON.</summary>
    public static byte[] ToUtf8Json(string toolName, ExecutionDenial denial)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteBoolean("refused", true);
            writer.WriteString("tool", toolName);
            writer.WriteString("reason", denial.Reason.ToString());
            writer.WriteNumber("reasonCode", (int)denial.Reason);
            writer.WriteString("detail", denial.Detail);
            writer.WriteStartArray("determiningPolicies");
            foreach (var policy in denial.DeterminingPolicies)
            {
                writer.WriteStringValue(policy);
            }

            writer.WriteEndArray();
            writer.WriteString("executionId", denial.ExecutionId);
            writer.WriteString("message", "The call was refused by governance policy and the tool did not run. Do not retry it unchanged.");
            writer.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>The refusal as a JSON element.</summary>
    public static JsonElement ToJsonElement(string toolName, ExecutionDenial denial)
    {
        using var document = JsonDocument.Parse(ToUtf8Json(toolName, denial));
        return document.RootElement.Clone();
    }

    /// <summary>The refusal as JSON text.</summary>
    public static string ToJsonText(string toolName, ExecutionDenial denial) => System.Text.Encoding.UTF8.GetString(ToUtf8Json(toolName, denial));
}
