using System.Globalization;
using System.Text;
using BenchmarkDotNet.Attributes;
using GovernedExecution.Policies.Cedar;

namespace GovernedExecution.Benchmarks;

/// <summary>
/// Cedar's validator: 1,000 policies type checked in strict mode against a schema of 50 entity types (attributes,
/// optional attributes, tags, a member-of chain) and 20 actions, both generated deterministically. Each policy reads
/// attributes behind <c>has</c> guards, compares, tests membership and calls an extension function, so every
/// environment its scope allows is typed in full.
/// </summary>
[MemoryDiagnoser]
public class ValidatorBenchmarks
{
    private const int EntityTypes = 50;
    private const int Actions = 20;

    private CedarPolicySet _policies = null!;
    private CedarSchema _schema = null!;

    [Params(1000)]
    public int Policies { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _schema = CedarSchema.Parse(Schema(), "bench.cedarschema");
        _policies = CedarPolicySet.Parse(PolicyText(Policies), "bench.cedar");
        var check = CedarValidator.Validate(_policies, _schema);
        if (!check.IsValid)
        {
            throw new InvalidOperationException("the generated policies must validate: " + check.Diagnostics[0]);
        }
    }

    [Benchmark(Description = "Validate 1,000 policies, 50-type schema (strict)")]
    public bool Validate() => CedarValidator.Validate(_policies, _schema).IsValid;

    internal static string Schema()
    {
        var sb = new StringBuilder();
        for (int i = 0; i < EntityTypes; i++)
        {
            sb.Append(CultureInfo.InvariantCulture, $"entity T{i}");
            if (i > 0)
            {
                sb.Append(CultureInfo.InvariantCulture, $" in [T{i - 1}]");
            }

            sb.Append(CultureInfo.InvariantCulture, $" {{ name: String, level: Long, score?: Long, tags: Set<String>, owner: T{(i + 1) % EntityTypes}, at?: datetime }} tags String;\n");
        }

        for (int a = 0; a < Actions; a++)
        {
            var principals = string.Join(", ", Enumerable.Range(0, 3).Select(k => "T" + ((a + k) % EntityTypes).ToString(CultureInfo.InvariantCulture)));
            var resources = string.Join(", ", Enumerable.Range(0, 3).Select(k => "T" + ((a * 2 + k + 10) % EntityTypes).ToString(CultureInfo.InvariantCulture)));
            sb.Append(CultureInfo.InvariantCulture, $"action a{a} appliesTo {{ principal: [{principals}], resource: [{resources}], context: {{ amount: Long, ip?: ipaddr }} }};\n");
        }

        return sb.ToString();
    }

    internal static string PolicyText(int count)
    {
        var sb = new StringBuilder();
        var random = new Random(42);
        for (int i = 0; i < count; i++)
        {
            int a = random.Next(Actions);
            sb.Append(i % 3 == 0 ? "forbid" : "permit");
            sb.Append(CultureInfo.InvariantCulture, $"(principal, action == Action::\"a{a}\", resource) when {{\n");
            sb.Append(CultureInfo.InvariantCulture, $"  principal.level > {random.Next(100)} && resource.name like \"*{i}*\"\n");
            sb.Append("  && (principal has score && principal.score >= context.amount)\n");
            sb.Append("  && (context has ip && context.ip.isInRange(ip(\"10.0.0.0/8\")))\n");
            sb.Append(CultureInfo.InvariantCulture, $"  && principal.tags.contains(\"t{random.Next(10)}\") && principal in resource.owner\n");
            sb.Append("  && (if resource.hasTag(\"dept\") then resource.getTag(\"dept\") == principal.name else true)\n");
            sb.Append("  && (resource has at && resource.at < datetime(\"2030-01-01\"))\n};\n");
        }

        return sb.ToString();
    }
}
