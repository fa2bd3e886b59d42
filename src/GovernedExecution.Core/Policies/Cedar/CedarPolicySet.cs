using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace GovernedExecution.Policies.Cedar;

/// <summary>
/// An immutable, compiled set of Cedar policies and templates. Evaluation follows Cedar's semantics: default deny,
/// forbid overrides permit, order independent, and a policy that raises an error is skipped and reported.
/// </summary>
public sealed class CedarPolicySet
{
    private readonly List<CedarPolicy> _policies;
    private readonly CedarCompiledPolicySet _compiled;
    private string? _digest;

    internal CedarPolicySet(List<CedarPolicy> policies)
    {
        var ids = new HashSet<string>(StringComparer.Ordinal);
        foreach (var p in policies)
        {
            if (!ids.Add(p.Id))
            {
                throw new CedarParseException([new CedarDiagnostic("<policies>", 0, 0, "duplicate policy id " + CedarText.Quote(p.Id))]);
            }
        }

        _policies = policies;
        _compiled = new CedarCompiledPolicySet(policies);
        var pids = new List<string>();
        var tids = new List<string>();
        foreach (var p in policies)
        {
            (p.IsTemplate ? tids : pids).Add(p.Id);
        }

        pids.Sort(StringComparer.Ordinal);
        tids.Sort(StringComparer.Ordinal);
        PolicyIds = pids.AsReadOnly();
        TemplateIds = tids.AsReadOnly();
    }

    /// <summary>Gets the ids of the policies that take part in evaluation (static and linked), in ordinal order.</summary>
    public IReadOnlyList<string> PolicyIds { get; }

    /// <summary>Gets the ids of the templates (policies with slots), in ordinal order.</summary>
    public IReadOnlyList<string> TemplateIds { get; }

    /// <summary>
    /// Gets the SHA-256 digest (lowercase hex) of the canonical form of the policies: independent of policy order,
    /// whitespace and comments; ids are not part of it (they are positional), annotations are.
    /// </summary>
    public string Digest => _digest ??= ComputeDigest();

    internal IReadOnlyList<CedarPolicy> Policies => _policies;

    internal CedarCompiledPolicySet Compiled => _compiled;

    /// <summary>Parses Cedar policy text. Policies get the ids <c>policy0</c>, <c>policy1</c>, ... in text order.</summary>
    /// <param name="text">The policy text.</param>
    /// <param name="sourceName">The name used in diagnostics.</param>
    /// <returns>The policy set.</returns>
    /// <exception cref="ArgumentNullException">When an argument is null.</exception>
    /// <exception cref="CedarParseException">When the text is not valid Cedar.</exception>
    public static CedarPolicySet Parse(string text, string sourceName = "policies.cedar")
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(sourceName);
        return new CedarPolicySet(CedarParser.ParsePolicies(text, sourceName, PositionalId));
    }

    /// <summary>Parses a policy set in Cedar's JSON policy format (<c>staticPolicies</c>, <c>templates</c>, <c>templateLinks</c>) or a single JSON policy.</summary>
    /// <param name="json">The JSON text.</param>
    /// <param name="sourceName">The name used in diagnostics.</param>
    /// <returns>The policy set.</returns>
    /// <exception cref="ArgumentNullException">When an argument is null.</exception>
    /// <exception cref="CedarParseException">When the JSON is not a valid policy set.</exception>
    public static CedarPolicySet ParseJson(string json, string sourceName = "policies.json")
    {
        ArgumentNullException.ThrowIfNull(json);
        ArgumentNullException.ThrowIfNull(sourceName);
        return new CedarPolicySet(CedarJsonPolicyParser.ParsePolicySet(json, sourceName));
    }

    /// <summary>
    /// Reads <c>.cedar</c> files. Files are taken in ordinal order of their full paths, and the n-th policy of a
    /// file gets the id <c>name:policyN</c>, where name is the file's path relative to the folder that holds all the
    /// files (with <c>/</c> separators), so ids do not depend on the order the files are given in.
    /// </summary>
    /// <param name="paths">The files.</param>
    /// <returns>The policy set.</returns>
    /// <exception cref="ArgumentNullException">When <paramref name="paths"/> is null.</exception>
    /// <exception cref="CedarParseException">When any file is not valid Cedar (every file's first problem is reported).</exception>
    public static CedarPolicySet FromFiles(IEnumerable<string> paths)
    {
        ArgumentNullException.ThrowIfNull(paths);
        var sorted = new List<string>();
        foreach (var p in paths)
        {
            sorted.Add(Path.GetFullPath(p));
        }

        sorted.Sort(StringComparer.Ordinal);
        var root = CommonFolder(sorted);
        var all = new List<CedarPolicy>();
        var problems = new List<CedarDiagnostic>();
        foreach (var path in sorted)
        {
            var name = Path.GetRelativePath(root, path).Replace('\\', '/');
            try
            {
                all.AddRange(CedarParser.ParsePolicies(File.ReadAllText(path), path, i => name + ":policy" + i.ToString(CultureInfo.InvariantCulture)));
            }
            catch (CedarParseException e)
            {
                problems.AddRange(e.Diagnostics);
            }
        }

        return problems.Count > 0 ? throw new CedarParseException(problems) : new CedarPolicySet(all);
    }

    /// <summary>Reads every <c>.cedar</c> file under <paramref name="directory"/> (recursively); see <see cref="FromFiles"/>.</summary>
    /// <param name="directory">The folder.</param>
    /// <returns>The policy set.</returns>
    /// <exception cref="ArgumentNullException">When <paramref name="directory"/> is null.</exception>
    /// <exception cref="CedarParseException">When any file is not valid Cedar.</exception>
    public static CedarPolicySet FromDirectory(string directory)
    {
        ArgumentNullException.ThrowIfNull(directory);
        return FromFiles(Directory.EnumerateFiles(directory, "*.cedar", SearchOption.AllDirectories));
    }

    /// <summary>
    /// Reads the <c>.cedar</c> files embedded as resources in <paramref name="assembly"/> whose names start with
    /// <paramref name="prefix"/>; the n-th policy of a resource gets the id <c>resource-name:policyN</c>.
    /// </summary>
    /// <param name="assembly">The assembly holding the resources.</param>
    /// <param name="prefix">A resource name prefix; all <c>.cedar</c> resources when empty.</param>
    /// <returns>The policy set.</returns>
    /// <exception cref="ArgumentNullException">When <paramref name="assembly"/> is null.</exception>
    /// <exception cref="CedarParseException">When any resource is not valid Cedar.</exception>
    public static CedarPolicySet FromEmbeddedResources(System.Reflection.Assembly assembly, string prefix = "")
    {
        ArgumentNullException.ThrowIfNull(assembly);
        ArgumentNullException.ThrowIfNull(prefix);
        var names = assembly.GetManifestResourceNames()
            .Where(n => n.StartsWith(prefix, StringComparison.Ordinal) && n.EndsWith(".cedar", StringComparison.Ordinal))
            .Order(StringComparer.Ordinal);
        var all = new List<CedarPolicy>();
        var problems = new List<CedarDiagnostic>();
        foreach (var name in names)
        {
            using var stream = assembly.GetManifestResourceStream(name)!;
            using var reader = new StreamReader(stream, System.Text.Encoding.UTF8);
            try
            {
                all.AddRange(CedarParser.ParsePolicies(reader.ReadToEnd(), name, i => name + ":policy" + i.ToString(CultureInfo.InvariantCulture)));
            }
            catch (CedarParseException e)
            {
                problems.AddRange(e.Diagnostics);
            }
        }

        return problems.Count > 0 ? throw new CedarParseException(problems) : new CedarPolicySet(all);
    }

    /// <summary>Links a template: returns a new set that also holds the template with its slots filled.</summary>
    /// <param name="templateId">The template's id.</param>
    /// <param name="newId">The id of the linked policy.</param>
    /// <param name="slots">Slot values: <c>?principal</c> and/or <c>?resource</c> mapped to entity references such as <c>User::"alice"</c>.</param>
    /// <returns>The new policy set.</returns>
    /// <exception cref="ArgumentNullException">When an argument is null.</exception>
    /// <exception cref="ArgumentException">When the template is unknown, the id is taken, or the slots do not match the template.</exception>
    public CedarPolicySet Link(string templateId, string newId, IReadOnlyDictionary<string, string> slots)
    {
        ArgumentNullException.ThrowIfNull(templateId);
        ArgumentNullException.ThrowIfNull(newId);
        ArgumentNullException.ThrowIfNull(slots);
        var values = new Dictionary<string, EntityUid>(StringComparer.Ordinal);
        foreach (var kv in slots)
        {
            values[kv.Key] = CedarParser.TryParseEntityUid(kv.Value) ?? throw new ArgumentException("slot " + kv.Key + " is not an entity reference: " + kv.Value, nameof(slots));
        }

        return new CedarPolicySet([.. _policies, LinkTemplate(_policies, templateId, newId, values)]);
    }

    /// <summary>Gets the annotations of a policy or template (for example obligations carried by a determining policy).</summary>
    /// <param name="policyId">The policy id.</param>
    /// <returns>The annotations in source order; an annotation without a value maps to the empty string.</returns>
    /// <exception cref="ArgumentNullException">When <paramref name="policyId"/> is null.</exception>
    /// <exception cref="KeyNotFoundException">When there is no policy with that id.</exception>
    public IReadOnlyList<KeyValuePair<string, string>> GetAnnotations(string policyId)
    {
        ArgumentNullException.ThrowIfNull(policyId);
        foreach (var p in _policies)
        {
            if (string.Equals(p.Id, policyId, StringComparison.Ordinal))
            {
                return p.Annotations;
            }
        }

        throw new KeyNotFoundException("no policy with id " + policyId);
    }

    /// <summary>Evaluates a request.</summary>
    /// <param name="request">The request.</param>
    /// <param name="entities">The entities.</param>
    /// <returns>The response: decision, determining policies and errors.</returns>
    /// <exception cref="ArgumentNullException">When an argument is null.</exception>
    public CedarResponse Evaluate(CedarRequest request, CedarEntities entities)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(entities);
        return CedarResponse.From(Authorize(request.Principal, request.Action, request.Resource, request.Context, entities.Store));
    }

    /// <summary>Writes every policy and template in canonical Cedar text, ordered by id, each preceded by a comment with its id.</summary>
    /// <returns>The Cedar text.</returns>
    public string ToCedarText()
    {
        var sorted = new List<CedarPolicy>(_policies);
        sorted.Sort((a, b) => string.CompareOrdinal(a.Id, b.Id));
        var sb = new StringBuilder();
        foreach (var p in sorted)
        {
            sb.Append("// ").Append(p.Id).Append('\n');
            p.Write(sb);
            sb.Append('\n');
        }

        return sb.ToString();
    }

    /// <summary>
    /// Writes the set in Cedar's JSON policy format: <c>staticPolicies</c>, <c>templates</c> and <c>templateLinks</c>
    /// (linked policies are written as links to their template), as the official Cedar engine writes it.
    /// </summary>
    /// <returns>The JSON text, indented.</returns>
    public string ToJson() => CedarJsonPolicyWriter.WritePolicySet(_policies);

    /// <summary>
    /// Formats Cedar policy text as the official <c>cedar format</c> lays it out (line width 80, indentation 2):
    /// comments, annotations, literals and parentheses are kept as written; trailing commas are dropped.
    /// </summary>
    /// <param name="text">The policy text.</param>
    /// <param name="sourceName">The name used in diagnostics.</param>
    /// <returns>The formatted text, ending with a line feed (empty when there is no policy and no comment).</returns>
    /// <exception cref="ArgumentNullException">When an argument is null.</exception>
    /// <exception cref="CedarParseException">When the text is not valid Cedar; nothing is formatted then.</exception>
    public static string Format(string text, string sourceName = "policies.cedar")
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(sourceName);
        CedarParser.ParsePolicies(text, sourceName, PositionalId);
        return CedarFormatter.Format(text);
    }

    /// <summary>Evaluates directly from in-memory values (no JSON); see <see cref="CedarValues"/> to build them.</summary>
    internal CedarResponse Evaluate(EntityUid principal, EntityUid action, EntityUid resource, RecordValue? context, CedarEntities entities) =>
        CedarResponse.From(Authorize(principal, action, resource, context, entities.Store));

    /// <summary>Evaluates directly from in-memory values (no JSON).</summary>
    internal CedarAuthorizationResult Authorize(EntityUid principal, EntityUid action, EntityUid resource, RecordValue? context, CedarEntityStore entities) =>
        _compiled.Authorize(principal, action, resource, context ?? RecordValue.Empty, entities);

    /// <summary>Decides a request into a reused buffer: no allocation once the buffer and the entity store's index are warm.</summary>
    internal bool Decide(EntityUid principal, EntityUid action, EntityUid resource, RecordValue? context, CedarEntityStore entities, CedarDecisionBuffer buffer)
    {
        buffer.Env.Reset(principal, action, resource, context ?? RecordValue.Empty, entities);
        return _compiled.Decide(buffer.Env, buffer);
    }

    internal static CedarPolicy LinkTemplate(IReadOnlyList<CedarPolicy> policies, string templateId, string newId, IReadOnlyDictionary<string, EntityUid> values)
    {
        CedarPolicy? template = null;
        foreach (var p in policies)
        {
            if (string.Equals(p.Id, templateId, StringComparison.Ordinal))
            {
                template = p;
            }
        }

        if (template is null || !template.IsTemplate)
        {
            throw new ArgumentException("no template with id " + templateId, nameof(templateId));
        }

        values.TryGetValue("?principal", out var principal);
        values.TryGetValue("?resource", out var resource);
        if (template.Principal.IsSlot != (principal is not null) || template.Resource.IsSlot != (resource is not null) || values.Count != (principal is null ? 0 : 1) + (resource is null ? 0 : 1))
        {
            throw new ArgumentException("the slot values do not match the slots of template " + templateId, nameof(values));
        }

        return template.Link(newId, principal, resource);
    }

    private static string CommonFolder(List<string> paths)
    {
        if (paths.Count == 0)
        {
            return Path.GetTempPath();
        }

        var common = Path.GetDirectoryName(paths[0]) ?? paths[0];
        foreach (var p in paths)
        {
            while (!p.StartsWith(common.EndsWith(Path.DirectorySeparatorChar) ? common : common + Path.DirectorySeparatorChar, StringComparison.Ordinal))
            {
                var parent = Path.GetDirectoryName(common);
                if (parent is null)
                {
                    return common;
                }

                common = parent;
            }
        }

        return common;
    }

    private static string PositionalId(int index) => "policy" + index.ToString(CultureInfo.InvariantCulture);

    private string ComputeDigest()
    {
        var texts = new List<string>(_policies.Count);
        foreach (var p in _policies)
        {
            texts.Add(p.ToCedar());
        }

        texts.Sort(StringComparer.Ordinal);
        var sb = new StringBuilder();
        foreach (var t in texts)
        {
            sb.Append(t.Length.ToString(CultureInfo.InvariantCulture)).Append(':').Append(t);
        }

        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(sb.ToString())));
    }
}
