using System.Reflection;
using GovernedExecution.Extensions.AI;
using GovernedExecution.ModelContextProtocol;
using GovernedExecution.Testing;

namespace GovernedExecution.Integrations.Tests.PublicApi;

/// <summary>
/// The public surface of each integration package, compared with its approved listing so that a change to it is
/// visible in review. To accept a deliberate change, run the tests with GOVEXEC_ACCEPT_API=1 and commit the files.
/// </summary>
public sealed class IntegrationsPublicApiTests
{
    [Fact]
    public void Extensions_AI_public_api_matches_the_approved_listing() =>
        AssertApproved(typeof(GovernedAIFunctionExtensions).Assembly, "GovernedExecution.Extensions.AI");

    [Fact]
    public void ModelContextProtocol_public_api_matches_the_approved_listing() =>
        AssertApproved(typeof(GovernedMcpServerBuilderExtensions).Assembly, "GovernedExecution.ModelContextProtocol");

    private static void AssertApproved(Assembly assembly, string project)
    {
        var path = Path.Combine(TestPaths.RepositoryRoot, "src", project, "PublicAPI.approved.txt");
        var actual = Describe(assembly);
        if (Environment.GetEnvironmentVariable("GOVEXEC_ACCEPT_API") == "1")
        {
            File.WriteAllText(path, actual);
        }

        var approved = File.Exists(path) ? File.ReadAllText(path) : string.Empty;
        var added = actual.Split('\n').Except(approved.Split('\n')).Select(l => "+ " + l);
        var removed = approved.Split('\n').Except(actual.Split('\n')).Select(l => "- " + l);
        Assert.True(approved == actual, $"The public API of {project} changed:\n" + string.Join("\n", added.Concat(removed)));
    }

    private static string Describe(Assembly assembly)
    {
        const BindingFlags Declared = BindingFlags.Public | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly;
        var lines = new List<string>();
        foreach (var type in assembly.GetExportedTypes())
        {
            lines.Add((type.IsAbstract && type.IsSealed ? "static class " : type.IsSealed ? "sealed class " : "type ") + type.FullName);
            foreach (var member in type.GetMembers(Declared))
            {
                if (member is MethodInfo { IsSpecialName: true })
                {
                    continue; // accessors are listed with their property
                }

                lines.Add(type.FullName + "::" + member switch
                {
                    MethodInfo m => (m.IsStatic ? "static " : string.Empty) + m.ReturnType + " " + m.Name + "(" + string.Join(", ", m.GetParameters().Select(p => p.ParameterType + " " + p.Name)) + ")",
                    PropertyInfo p => p.PropertyType + " " + p.Name + " {" + (p.GetMethod?.IsPublic == true ? " get;" : string.Empty) + (p.SetMethod?.IsPublic == true ? " set;" : string.Empty) + " }",
                    _ => member.MemberType + " " + member,
                });
            }
        }

        lines.Sort(StringComparer.Ordinal);
        return string.Join("\n", lines) + "\n";
    }
}
