using System.Text.Json;
using Microsoft.Extensions.AI;

namespace GovernedExecution.Integrations;

/// <summary>
/// Binds a call's arguments to a tool's parameters before anything is decided, so that the policies evaluate exactly
/// the values the tool receives. A tool made from a .NET method (an <see cref="AIFunction"/> with an
/// <see cref="AIFunction.UnderlyingMethod"/>) is bound as its own binder binds it, with its own serializer options;
/// any other tool by its input schema, strictly. A tool that describes no parameters takes only calls without
/// arguments. Shared, as source, by the integration packages.
/// </summary>
internal abstract class ToolArgumentBinder
{
    /// <summary>A binder for a tool that describes no parameters: it binds only an empty argument list.</summary>
    public static ToolArgumentBinder Undescribed { get; } = new UndescribedBinder();

    /// <summary>The binder of <paramref name="function"/>: by its method's parameters when it has one, else by its schema.</summary>
    public static ToolArgumentBinder For(AIFunction function) =>
        MethodToolArgumentBinder.TryCreate(function) ?? ForSchema(function.JsonSchema, function.JsonSerializerOptions);

    /// <summary>A binder by a JSON schema alone; <paramref name="valueOptions"/> serializes argument values that are not JSON yet.</summary>
    public static ToolArgumentBinder ForSchema(JsonElement inputSchema, JsonSerializerOptions? valueOptions = null) =>
        SchemaToolArgumentBinder.IsObjectSchema(inputSchema)
            ? new SchemaToolArgumentBinder(inputSchema, valueOptions ?? AIJsonUtilities.DefaultOptions)
            : Undescribed;

    /// <summary>Binds the arguments (JSON values, or .NET values the tool's serializer can write).</summary>
    public abstract ToolBinding Bind(IEnumerable<KeyValuePair<string, object?>> arguments);

    /// <summary>An argument value as JSON; <see langword="null"/> if it cannot be written.</summary>
    protected static JsonElement? ToJson(object? value, JsonSerializerOptions options)
    {
        try
        {
            return value switch
            {
                JsonElement element => element,
                JsonDocument document => document.RootElement,
                null => ToolArguments.Null,
                _ => JsonSerializer.SerializeToElement(value, options.GetTypeInfo(value.GetType())),
            };
        }
#pragma warning disable CA1031 // a value's own code (a getter, a converter) may throw anything: the argument is not bound
        catch (Exception)
#pragma warning restore CA1031
        {
            return null;
        }
    }

    private sealed class UndescribedBinder : ToolArgumentBinder
    {
        public override ToolBinding Bind(IEnumerable<KeyValuePair<string, object?>> arguments) =>
            arguments.Any() ? ToolBinding.Refused(ToolBindingRefusals.Undescribed) : ToolBinding.Bound(new(StringComparer.Ordinal));
    }
}
