using System.Reflection;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using Microsoft.Extensions.AI;

namespace GovernedExecution.Integrations;

/// <summary>
/// Binds arguments as a tool made from a .NET method binds them: each parameter its schema lists is read from the
/// argument of the same name (ordinal) with the tool's own serializer options, made strict (a member twice, also
/// twice under the options' case-insensitive names, or a member no .NET member takes, is refused); an omitted
/// parameter takes the method's default. Each bound value is written back with the same options, and that canonical
/// JSON is what the policies see and what the tool receives: it must read back to the same JSON, or it is refused.
/// </summary>
internal sealed class MethodToolArgumentBinder : ToolArgumentBinder
{
    private readonly JsonSerializerOptions _options;
    private readonly Dictionary<string, Parameter> _parameters;

    private MethodToolArgumentBinder(JsonSerializerOptions options, Dictionary<string, Parameter> parameters)
    {
        _options = options;
        _parameters = parameters;
    }

    /// <summary>The binder of a function made from a method whose schema names only its parameters; otherwise <see langword="null"/>.</summary>
    public static MethodToolArgumentBinder? TryCreate(AIFunction function)
    {
        if (function.UnderlyingMethod is not { } method || function.JsonSerializerOptions is not { } options
            || !SchemaToolArgumentBinder.IsObjectSchema(function.JsonSchema))
        {
            return null;
        }

        try
        {
            var strict = new JsonSerializerOptions(options)
            {
                AllowDuplicateProperties = false,
                UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
            };
            var byName = method.GetParameters().Where(p => p.Name is not null).ToDictionary(p => p.Name!, StringComparer.Ordinal);
            var parameters = new Dictionary<string, Parameter>(StringComparer.Ordinal);
            if (function.JsonSchema.TryGetProperty("properties", out var properties))
            {
                foreach (var property in properties.EnumerateObject())
                {
                    if (!byName.TryGetValue(property.Name, out var parameter) || parameter.ParameterType.IsByRef)
                    {
                        return null;
                    }

                    parameters.Add(property.Name, new Parameter(parameter, options.GetTypeInfo(parameter.ParameterType), strict.GetTypeInfo(parameter.ParameterType)));
                }
            }

            return new MethodToolArgumentBinder(options, parameters);
        }
        catch (Exception ex) when (ex is NotSupportedException or InvalidOperationException or ArgumentException)
        {
            // A parameter type the options cannot describe: the schema is all there is to bind by.
            return null;
        }
    }

    public override ToolBinding Bind(IEnumerable<KeyValuePair<string, object?>> arguments)
    {
        var given = new Dictionary<string, object?>(StringComparer.Ordinal);
        foreach (var (name, value) in arguments)
        {
            if (!_parameters.ContainsKey(name))
            {
                return ToolBinding.Refused(ToolBindingRefusals.UnknownArgument);
            }

            if (!given.TryAdd(name, value))
            {
                return ToolBinding.Refused(ToolBindingRefusals.NotBindable);
            }
        }

        var bound = new SortedDictionary<string, JsonElement>(StringComparer.Ordinal);
        foreach (var (name, parameter) in _parameters)
        {
            object? value;
            if (given.TryGetValue(name, out var argument))
            {
                if (ToJson(argument, _options) is not { } json || !TryRead(json, parameter.Strict, out value))
                {
                    return ToolBinding.Refused(ToolBindingRefusals.NotBindable);
                }
            }
            else if (!parameter.TryGetDefault(out value))
            {
                return ToolBinding.Refused(parameter.Info.HasDefaultValue ? ToolBindingRefusals.NoDefault : ToolBindingRefusals.MissingRequired);
            }

            if (!TryWrite(value, parameter.TypeInfo, out var canonical))
            {
                return ToolBinding.Refused(ToolBindingRefusals.NotBindable);
            }

            // The tool will read the canonical JSON with its own options: it must come back as the same value.
            if (!TryRead(canonical, parameter.Strict, out var again) || !TryWrite(again, parameter.TypeInfo, out var rewritten)
                || !string.Equals(rewritten.GetRawText(), canonical.GetRawText(), StringComparison.Ordinal))
            {
                return ToolBinding.Refused(ToolBindingRefusals.Unstable);
            }

            bound.Add(name, canonical);
        }

        return ToolBinding.Bound(bound);
    }

    // A converter may throw anything: whatever it throws, the argument is not bound.
#pragma warning disable CA1031
    private static bool TryRead(JsonElement json, JsonTypeInfo typeInfo, out object? value)
    {
        try
        {
            value = JsonSerializer.Deserialize(json, typeInfo);
            return true;
        }
        catch (Exception)
        {
            value = null;
            return false;
        }
    }

    private static bool TryWrite(object? value, JsonTypeInfo typeInfo, out JsonElement json)
    {
        try
        {
            json = JsonSerializer.SerializeToElement(value, typeInfo);
            return true;
        }
        catch (Exception)
        {
            json = default;
            return false;
        }
    }
#pragma warning restore CA1031

    private sealed class Parameter(ParameterInfo info, JsonTypeInfo typeInfo, JsonTypeInfo strict)
    {
        public ParameterInfo Info { get; } = info;

        public JsonTypeInfo TypeInfo { get; } = typeInfo;

        public JsonTypeInfo Strict { get; } = strict;

        /// <summary>The method's default as the tool receives it when the argument is omitted.</summary>
        public bool TryGetDefault(out object? value)
        {
            value = null;
            if (!Info.HasDefaultValue)
            {
                return false;
            }

            var type = Nullable.GetUnderlyingType(Info.ParameterType) ?? Info.ParameterType;
            value = Info.DefaultValue;
            if (value is null)
            {
                // `= default` of a value type has no constant to show the policies.
                return !Info.ParameterType.IsValueType || Nullable.GetUnderlyingType(Info.ParameterType) is not null;
            }

            if (type.IsEnum)
            {
                // Reflection may give an enum's default as its underlying number.
                value = Enum.ToObject(type, value);
            }

            return type.IsInstanceOfType(value);
        }
    }
}
