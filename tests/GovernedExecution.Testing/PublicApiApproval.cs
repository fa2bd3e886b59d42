using System.Reflection;
using System.Text;

namespace GovernedExecution.Testing;

/// <summary>
/// Lists the public surface of an assembly in a stable text form and compares it with the approved listing beside
/// the project (src/PROJECT/PublicAPI.approved.txt), so that every change to it is visible in review. With
/// GOVEXEC_ACCEPT_API=1 the listing is rewritten instead (then commit it).
/// </summary>
public static class PublicApiApproval
{
    /// <summary>Throws, listing the differences, when the assembly's public API differs from the approved listing.</summary>
    public static void Verify(Assembly assembly, string project)
    {
        var path = Path.Combine(TestPaths.RepositoryRoot, "src", project, "PublicAPI.approved.txt");
        var actual = Describe(assembly);
        if (Environment.GetEnvironmentVariable("GOVEXEC_ACCEPT_API") == "1")
        {
            File.WriteAllText(path, actual);
        }

        var approved = File.Exists(path) ? File.ReadAllText(path) : string.Empty;
        if (approved != actual)
        {
            throw new InvalidOperationException($"The public API of {project} changed (run the tests with GOVEXEC_ACCEPT_API=1 to accept):\n" + Diff(approved, actual));
        }
    }

    public static string Describe(Assembly assembly)
    {
        var lines = new List<string>();
        foreach (var type in assembly.GetExportedTypes())
        {
            lines.Add(Kind(type) + " " + Name(type));
            const BindingFlags Flags = BindingFlags.Public | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly;
            foreach (var member in type.GetMembers(Flags))
            {
                if (member is MethodInfo { IsSpecialName: true } m && !m.Name.StartsWith("op_", StringComparison.Ordinal))
                {
                    continue; // property and event accessors are listed with their property
                }

                if (type.IsEnum && member.Name == "value__")
                {
                    continue;
                }

                lines.Add(Name(type) + "::" + Describe(member));
            }
        }

        lines.Sort(StringComparer.Ordinal);
        return string.Join("\n", lines) + "\n";
    }

    private static string Kind(Type t) => t.IsInterface ? "interface" : t.IsEnum ? "enum" : t.IsValueType ? "struct" : t.IsAbstract && t.IsSealed ? "static class" : t.IsSealed ? "sealed class" : "class";

    private static string Describe(MemberInfo member) => member switch
    {
        ConstructorInfo c => "ctor(" + Parameters(c.GetParameters()) + ")",
        MethodInfo m => (m.IsStatic ? "static " : string.Empty) + Name(m.ReturnType) + " " + m.Name + (m.IsGenericMethod ? "<" + string.Join(", ", m.GetGenericArguments().Select(Name)) + ">" : string.Empty) + "(" + Parameters(m.GetParameters()) + ")",
        PropertyInfo p => Name(p.PropertyType) + " " + p.Name + (p.GetIndexParameters().Length > 0 ? "[" + Parameters(p.GetIndexParameters()) + "]" : string.Empty) + " {" + (p.GetMethod?.IsPublic == true ? " get;" : string.Empty) + (p.SetMethod?.IsPublic == true ? (p.SetMethod.ReturnParameter.GetRequiredCustomModifiers().Any(t => t.Name == "IsExternalInit") ? " init;" : " set;") : string.Empty) + " }",
        FieldInfo f => (f.IsLiteral ? "const " : f.IsStatic ? "static " : string.Empty) + Name(f.FieldType) + " " + f.Name + (f.IsLiteral ? " = " + Convert.ToString(f.GetRawConstantValue(), System.Globalization.CultureInfo.InvariantCulture) : string.Empty),
        EventInfo e => "event " + Name(e.EventHandlerType!) + " " + e.Name,
        Type nested => "nested " + Name(nested),
        _ => member.ToString()!,
    };

    private static string Parameters(ParameterInfo[] parameters) =>
        string.Join(", ", parameters.Select(p => (p.IsOut ? "out " : p.ParameterType.IsByRef ? "ref " : string.Empty) + Name(p.ParameterType) + " " + p.Name + (p.HasDefaultValue ? " = " + (p.DefaultValue ?? "null") : string.Empty)));

    private static string Name(Type t)
    {
        if (t.IsByRef)
        {
            return Name(t.GetElementType()!);
        }

        if (t.IsGenericParameter)
        {
            return t.Name;
        }

        if (t.IsArray)
        {
            return Name(t.GetElementType()!) + "[]";
        }

        var name = (t.IsNested ? Name(t.DeclaringType!) + "." : t.Namespace + ".") + (t.IsGenericType ? t.Name[..t.Name.IndexOf('`', StringComparison.Ordinal)] : t.Name);
        return t.IsGenericType ? name + "<" + string.Join(", ", t.GetGenericArguments().Select(Name)) + ">" : name;
    }

    private static string Diff(string approved, string actual)
    {
        var a = approved.Split('\n').ToHashSet();
        var b = actual.Split('\n').ToHashSet();
        var text = new StringBuilder();
        foreach (var line in b.Except(a))
        {
            text.Append("+ ").AppendLine(line);
        }

        foreach (var line in a.Except(b))
        {
            text.Append("- ").AppendLine(line);
        }

        return text.ToString();
    }
}
