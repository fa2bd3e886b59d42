using System.Text.Json;
using Microsoft.Extensions.AI;

namespace GovernedExecution.Integrations.Tests.Binding;

/// <summary>A tool known only by its JSON schema, as a remote tool is: it answers with the JSON arguments it received.</summary>
internal sealed class SchemaOnlyFunction(string name, string schema) : AIFunction
{
    private readonly JsonElement _schema = JsonDocument.Parse(schema).RootElement.Clone();

    public override string Name => name;

    public override JsonElement JsonSchema => _schema;

    protected override ValueTask<object?> InvokeCoreAsync(AIFunctionArguments arguments, CancellationToken cancellationToken) =>
        ValueTask.FromResult<object?>(JsonSerializer.Serialize(arguments.OrderBy(a => a.Key, StringComparer.Ordinal).ToDictionary(a => a.Key, a => (JsonElement)a.Value!)));
}
