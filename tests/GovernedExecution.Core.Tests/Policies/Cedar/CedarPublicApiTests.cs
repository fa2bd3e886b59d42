using System.Reflection;
using GovernedExecution.Policies.Cedar;

namespace GovernedExecution.Tests.Policies.Cedar;

/// <summary>Makes every change to the public Cedar surface visible in review.</summary>
public sealed class CedarPublicApiTests
{
    private const string Expected = """
        GovernedExecution.Policies.Cedar.CedarDecision: Allow
        GovernedExecution.Policies.Cedar.CedarDecision: Deny
        GovernedExecution.Policies.Cedar.CedarDiagnostic: .ctor(String, Int32, Int32, String)
        GovernedExecution.Policies.Cedar.CedarDiagnostic: Column
        GovernedExecution.Policies.Cedar.CedarDiagnostic: Line
        GovernedExecution.Policies.Cedar.CedarDiagnostic: Message
        GovernedExecution.Policies.Cedar.CedarDiagnostic: Source
        GovernedExecution.Policies.Cedar.CedarDiagnostic: ToString()
        GovernedExecution.Policies.Cedar.CedarEntities: Count
        GovernedExecution.Policies.Cedar.CedarEntities: Empty
        GovernedExecution.Policies.Cedar.CedarEntities: ParseJson(String, String)
        GovernedExecution.Policies.Cedar.CedarParseException: .ctor()
        GovernedExecution.Policies.Cedar.CedarParseException: .ctor(IReadOnlyList`1)
        GovernedExecution.Policies.Cedar.CedarParseException: .ctor(String)
        GovernedExecution.Policies.Cedar.CedarParseException: .ctor(String, Exception)
        GovernedExecution.Policies.Cedar.CedarParseException: Diagnostics
        GovernedExecution.Policies.Cedar.CedarParseException: ToString()
        GovernedExecution.Policies.Cedar.CedarPolicyError: .ctor(String, String)
        GovernedExecution.Policies.Cedar.CedarPolicyError: Message
        GovernedExecution.Policies.Cedar.CedarPolicyError: PolicyId
        GovernedExecution.Policies.Cedar.CedarPolicyError: ToString()
        GovernedExecution.Policies.Cedar.CedarPolicySet: Digest
        GovernedExecution.Policies.Cedar.CedarPolicySet: Evaluate(CedarRequest, CedarEntities)
        GovernedExecution.Policies.Cedar.CedarPolicySet: FromDirectory(String)
        GovernedExecution.Policies.Cedar.CedarPolicySet: FromFiles(IEnumerable`1)
        GovernedExecution.Policies.Cedar.CedarPolicySet: GetAnnotations(String)
        GovernedExecution.Policies.Cedar.CedarPolicySet: Link(String, String, IReadOnlyDictionary`2)
        GovernedExecution.Policies.Cedar.CedarPolicySet: Parse(String, String)
        GovernedExecution.Policies.Cedar.CedarPolicySet: ParseJson(String, String)
        GovernedExecution.Policies.Cedar.CedarPolicySet: PolicyIds
        GovernedExecution.Policies.Cedar.CedarPolicySet: TemplateIds
        GovernedExecution.Policies.Cedar.CedarPolicySet: ToCedarText()
        GovernedExecution.Policies.Cedar.CedarRequest: Create(String, String, String, String)
        GovernedExecution.Policies.Cedar.CedarResponse: Decision
        GovernedExecution.Policies.Cedar.CedarResponse: Errors
        GovernedExecution.Policies.Cedar.CedarResponse: IsAllowed
        GovernedExecution.Policies.Cedar.CedarResponse: IsForbidden
        GovernedExecution.Policies.Cedar.CedarResponse: Reasons
        """;

    [Fact]
    public void Public_surface_is_the_approved_one()
    {
        var lines = new List<string>();
        foreach (var type in typeof(CedarPolicySet).Assembly.GetExportedTypes().Where(t => t.Namespace == typeof(CedarPolicySet).Namespace))
        {
            foreach (var m in type.GetMembers(BindingFlags.Public | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly))
            {
                if (m is MethodInfo { IsSpecialName: true } || (type.IsEnum && m.Name == "value__"))
                {
                    continue;
                }

                var name = m switch
                {
                    ConstructorInfo c => ".ctor(" + string.Join(", ", c.GetParameters().Select(p => p.ParameterType.Name)) + ")",
                    MethodInfo mi => mi.Name + "(" + string.Join(", ", mi.GetParameters().Select(p => p.ParameterType.Name)) + ")",
                    _ => m.Name,
                };
                lines.Add(type.FullName + ": " + name);
            }
        }

        lines.Sort(StringComparer.Ordinal);
        Assert.Equal(Expected.Trim().Split('\n').Select(l => l.Trim()), lines);
    }
}
