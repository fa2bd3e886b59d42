using System.Formats.Tar;
using System.IO.Compression;
using System.Text;
using System.Text.Json;

namespace GovernedExecution.Policies.Cedar;

/// <summary>One request of a conformance test whose result differed from the expectation.</summary>
internal sealed record CedarConformanceFailure(string TestFile, string Description, string Expected, string Actual);

/// <summary>The totals of a conformance run, and every failure.</summary>
internal sealed class CedarConformanceResult
{
    public int TestFiles { get; set; }

    public int Requests { get; set; }

    public int Passed { get; set; }

    /// <summary>Gets or sets the number of requests validated against their test's schema (those with <c>validateRequest</c>).</summary>
    public int ValidatedRequests { get; set; }

    public List<CedarConformanceFailure> Failures { get; } = [];

    /// <summary>Gets or sets the number of tests with a schema whose <c>shouldValidate</c> the validator agrees with.</summary>
    public int ValidationAgree { get; set; }

    /// <summary>Gets the tests whose <c>shouldValidate</c> the validator disagrees with: the test file, the expectation and the validator's diagnostics.</summary>
    public List<CedarConformanceFailure> ValidationDisagreements { get; } = [];

    /// <summary>Formats the totals and up to <paramref name="maxFailures"/> failures as plain text, one item per line.</summary>
    public string ToReport(int maxFailures = 50)
    {
        var sb = new StringBuilder();
        sb.Append(System.Globalization.CultureInfo.InvariantCulture, $"test files: {TestFiles}, requests: {Requests}, passed: {Passed}, failed: {Failures.Count}\n");
        sb.Append(System.Globalization.CultureInfo.InvariantCulture, $"cedar validation: {ValidationAgree} agree, {ValidationDisagreements.Count} disagree\n");
        int shown = 0;
        foreach (var f in Failures)
        {
            if (shown++ >= maxFailures)
            {
                sb.Append(System.Globalization.CultureInfo.InvariantCulture, $"... and {Failures.Count - maxFailures} more\n");
                break;
            }

            sb.Append(f.TestFile).Append(" [").Append(f.Description).Append("]\n  expected ").Append(f.Expected).Append("\n  actual   ").Append(f.Actual).Append('\n');
        }

        return sb.ToString();
    }
}

/// <summary>
/// Runs Cedar integration tests (the upstream JSON test format): every <c>*.json</c> file with <c>requests</c> under a
/// folder or inside a <c>.tar.gz</c>. Files named in a test are resolved against the root, then against the folders
/// above the test file. Policy ids are <c>policy0..N</c> in file order; reasons and errors are compared as sets.
/// </summary>
internal sealed class CedarConformanceRunner
{
    private readonly Dictionary<string, string> _files;
    private readonly Dictionary<string, object?> _cache = new(StringComparer.Ordinal);

    private CedarConformanceRunner(Dictionary<string, string> files, bool preferJson, bool roundTrip)
    {
        _files = files;
        PreferJsonPolicies = preferJson;
        RoundTripText = roundTrip;
    }

    /// <summary>Gets a value indicating whether policies are formatted to canonical text and parsed again before use.</summary>
    private bool RoundTripText { get; }

    /// <summary>Gets a value indicating whether a policy file <c>X.cedar</c> is replaced by <c>json-policies/X.json</c> when that exists.</summary>
    private bool PreferJsonPolicies { get; }

    /// <summary>Runs every test under <paramref name="path"/> (a folder or a .tar.gz archive).</summary>
    /// <param name="path">The folder or archive.</param>
    /// <param name="preferJsonPolicies">Read each test's policies from its JSON (EST) counterpart under <c>json-policies/</c> when there is one.</param>
    /// <param name="roundTripText">Format each policy set to canonical text and parse it again before evaluating (checks the formatter).</param>
    public static CedarConformanceResult Run(string path, bool preferJsonPolicies = false, bool roundTripText = false)
    {
        ArgumentNullException.ThrowIfNull(path);
        var files = path.EndsWith(".tar.gz", StringComparison.OrdinalIgnoreCase) || path.EndsWith(".tgz", StringComparison.OrdinalIgnoreCase)
            ? ReadTarGz(path)
            : ReadFolder(path);
        return new CedarConformanceRunner(files, preferJsonPolicies, roundTripText).RunAll();
    }

    private static Dictionary<string, string> ReadFolder(string root)
    {
        var files = new Dictionary<string, string>(StringComparer.Ordinal);
        var full = Path.GetFullPath(root);
        foreach (var f in Directory.EnumerateFiles(full, "*", SearchOption.AllDirectories))
        {
            var ext = Path.GetExtension(f);
            if (ext is ".json" or ".cedar" or ".cedarschema")
            {
                files[Path.GetRelativePath(full, f).Replace('\\', '/')] = File.ReadAllText(f);
            }
        }

        return files;
    }

    private static Dictionary<string, string> ReadTarGz(string archive)
    {
        var files = new Dictionary<string, string>(StringComparer.Ordinal);
        using var stream = File.OpenRead(archive);
        using var gz = new GZipStream(stream, CompressionMode.Decompress);
        using var tar = new TarReader(gz);
        while (tar.GetNextEntry() is { } entry)
        {
            if (entry.EntryType is not (TarEntryType.RegularFile or TarEntryType.V7RegularFile) || entry.DataStream is null)
            {
                continue;
            }

            var name = entry.Name.Replace('\\', '/');
            while (name.StartsWith("./", StringComparison.Ordinal))
            {
                name = name[2..];
            }

            // Never trust archive paths: they are only keys of an in-memory map.
            using var reader = new StreamReader(entry.DataStream, Encoding.UTF8);
            files[name] = reader.ReadToEnd();
        }

        return files;
    }

    private CedarConformanceResult RunAll()
    {
        var result = new CedarConformanceResult();
        var names = new List<string>();
        foreach (var name in _files.Keys)
        {
            if (name.EndsWith(".json", StringComparison.Ordinal) && !name.EndsWith(".entities.json", StringComparison.Ordinal))
            {
                names.Add(name);
            }
        }

        names.Sort(StringComparer.Ordinal);
        foreach (var name in names)
        {
            RunFile(name, result);
        }

        return result;
    }

    private void RunFile(string name, CedarConformanceResult result)
    {
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(_files[name], CedarJsonValues.DocumentOptions);
        }
        catch (JsonException)
        {
            return;
        }

        using (doc)
        {
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("requests", out var requests) || requests.ValueKind != JsonValueKind.Array)
            {
                return;
            }

            result.TestFiles++;
            string? setupError = null;
            CedarPolicySet? policies = null;
            CedarEntities? entities = null;
            CedarSchema? schema = null;
            try
            {
                schema = root.TryGetProperty("schema", out var s) && s.ValueKind == JsonValueKind.String ? LoadSchema(name, s.GetString()!) : null;
                bool json = root.TryGetProperty("policyFormat", out var pf) && pf.ValueKind == JsonValueKind.String && pf.GetString() == "json";
                policies = LoadPolicies(name, root.GetProperty("policies").GetString()!, json);
                entities = LoadEntities(name, root.GetProperty("entities").GetString()!, schema);
            }
            catch (Exception e) when (e is CedarParseException or KeyNotFoundException or InvalidOperationException or FileNotFoundException)
            {
                setupError = e is CedarParseException cpe ? cpe.ToString() : e.Message;
            }

            if (setupError is null && schema is not null && root.TryGetProperty("shouldValidate", out var sv) && sv.ValueKind is JsonValueKind.True or JsonValueKind.False)
            {
                CheckValidation(name, policies!, schema, sv.GetBoolean(), result);
            }

            foreach (var req in requests.EnumerateArray())
            {
                result.Requests++;
                var description = req.TryGetProperty("description", out var d) ? d.GetString() ?? string.Empty : string.Empty;
                var expected = Describe(
                    req.GetProperty("decision").GetString() ?? string.Empty,
                    ReadIds(req, "reason"),
                    ReadIds(req, "errors"));
                string actual;
                if (setupError is not null)
                {
                    actual = "setup error: " + setupError;
                }
                else
                {
                    try
                    {
                        var action = CedarJsonValues.ParseUid(req.GetProperty("action"));
                        var context = req.TryGetProperty("context", out var c)
                            ? CedarJsonValues.ParseRecord(c, schema?.GetActionContext(action))
                            : RecordValue.Empty;
                        var principal = CedarJsonValues.ParseUid(req.GetProperty("principal"));
                        var resource = CedarJsonValues.ParseUid(req.GetProperty("resource"));
                        if (schema is not null && req.TryGetProperty("validateRequest", out var validate) && validate.ValueKind == JsonValueKind.True)
                        {
                            result.ValidatedRequests++;
                            if (CedarSchemaConformance.CheckRequest(schema, principal, action, resource, context) is { } invalid)
                            {
                                throw new CedarEvaluationException("request does not conform to the schema: " + invalid);
                            }
                        }

                        var r = policies!.Authorize(principal, action, resource, context, entities!.Store);
                        var errorIds = new List<string>();
                        foreach (var e in r.Errors)
                        {
                            errorIds.Add(e.PolicyId);
                        }

                        actual = Describe(r.Allowed ? "allow" : "deny", r.Reasons, errorIds);
                    }
                    catch (CedarEvaluationException e)
                    {
                        actual = "request error: " + e.Message;
                    }
                }

                if (string.Equals(expected, actual, StringComparison.Ordinal))
                {
                    result.Passed++;
                }
                else
                {
                    result.Failures.Add(new CedarConformanceFailure(name, description, expected, actual));
                }
            }
        }
    }

    private static void CheckValidation(string name, CedarPolicySet policies, CedarSchema schema, bool expected, CedarConformanceResult result)
    {
        CedarValidationResult validation;
        try
        {
            validation = CedarValidator.Validate(policies, schema);
        }
        catch (InsufficientExecutionStackException)
        {
            result.ValidationDisagreements.Add(new CedarConformanceFailure(name, "validation", expected ? "valid" : "invalid", "validator ran out of stack"));
            return;
        }

        if (validation.IsValid == expected)
        {
            result.ValidationAgree++;
            return;
        }

        var errors = string.Join("; ", validation.Diagnostics.Where(d => d.Severity == CedarValidationSeverity.Error).Select(d => d.ToString()));
        result.ValidationDisagreements.Add(new CedarConformanceFailure(name, "validation", expected ? "valid" : "invalid", validation.IsValid ? "valid" : "invalid: " + errors));
    }

    private static List<string> ReadIds(JsonElement req, string property)
    {
        var list = new List<string>();
        if (req.TryGetProperty(property, out var arr) && arr.ValueKind == JsonValueKind.Array)
        {
            foreach (var item in arr.EnumerateArray())
            {
                list.Add(item.GetString() ?? string.Empty);
            }
        }

        return list;
    }

    private static string Describe(string decision, List<string> reasons, List<string> errors)
    {
        var r = new SortedSet<string>(reasons, StringComparer.Ordinal);
        var e = new SortedSet<string>(errors, StringComparer.Ordinal);
        return decision + " reasons=[" + string.Join(",", r) + "] errors=[" + string.Join(",", e) + "]";
    }

    private string Resolve(string testFile, string relative)
    {
        relative = relative.Replace('\\', '/');
        if (_files.ContainsKey(relative))
        {
            return relative;
        }

        var dir = Path.GetDirectoryName(testFile)?.Replace('\\', '/') ?? string.Empty;
        while (dir.Length > 0)
        {
            var candidate = dir + "/" + relative;
            if (_files.ContainsKey(candidate))
            {
                return candidate;
            }

            int cut = dir.LastIndexOf('/');
            dir = cut < 0 ? string.Empty : dir[..cut];
        }

        throw new FileNotFoundException("file not found: " + relative);
    }

    private CedarSchema? LoadSchema(string testFile, string relative)
    {
        var key = "schema:" + Resolve(testFile, relative);
        if (!_cache.TryGetValue(key, out var cached))
        {
            var path = key["schema:".Length..];
            cached = path.EndsWith(".cedarschema", StringComparison.Ordinal) ? CedarSchema.Parse(_files[path], path) : CedarSchema.ParseJson(_files[path], path);
            _cache[key] = cached;
        }

        return (CedarSchema?)cached;
    }

    private CedarPolicySet LoadPolicies(string testFile, string relative, bool json)
    {
        var path = Resolve(testFile, relative);
        if (PreferJsonPolicies && path.EndsWith(".cedar", StringComparison.Ordinal))
        {
            var alt = "json-policies/" + path[..^".cedar".Length] + ".json";
            if (_files.ContainsKey(alt))
            {
                path = alt;
                json = true;
            }
        }

        var key = "policies:" + path;
        if (!_cache.TryGetValue(key, out var cached))
        {
            cached = json || path.EndsWith(".json", StringComparison.Ordinal)
                ? CedarPolicySet.ParseJson(_files[path], path)
                : CedarPolicySet.Parse(_files[path], path);
            if (RoundTripText)
            {
                cached = CedarPolicySet.Parse(((CedarPolicySet)cached).ToCedarText(), path + " (formatted)");
            }

            _cache[key] = cached;
        }

        return (CedarPolicySet)cached!;
    }

    private CedarEntities LoadEntities(string testFile, string relative, CedarSchema? schema)
    {
        var path = Resolve(testFile, relative);
        var key = "entities:" + path + (schema is null ? string.Empty : "#" + schema.GetHashCode().ToString(System.Globalization.CultureInfo.InvariantCulture));
        if (!_cache.TryGetValue(key, out var cached))
        {
            cached = CedarEntities.ParseJson(_files[path], path, schema);
            _cache[key] = cached;
        }

        return (CedarEntities)cached!;
    }
}
