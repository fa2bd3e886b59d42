using System.Diagnostics;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using GovernedExecution.Policies.Cedar;
using GovernedExecution.Testing;

namespace GovernedExecution.Tests.Policies.Cedar.Differential;

/// <summary>One request's outcome: a decision with its reason and error sets, or a refusal of the input.</summary>
internal sealed record CedarOutcome(string Decision, string[] Reasons, string[] Errors, string? Failure)
{
    public bool IsFailure => Failure is not null;

    public static CedarOutcome Failed(string message) => new(string.Empty, [], [], message);

    /// <summary>A validation result: one entry per policy with errors, <c>policyN: kind, kind</c> (see <see cref="CedarDifferential.ValidationKind"/>).</summary>
    public static CedarOutcome Validated(IEnumerable<string> policiesWithErrors) => new("validation", policiesWithErrors.Distinct().Order(StringComparer.Ordinal).ToArray(), [], null);

    public bool IsValidation => Decision == "validation";

    public static CedarOutcome Of(string decision, IEnumerable<string> reasons, IEnumerable<string> errors) =>
        new(decision, reasons.Distinct().Order(StringComparer.Ordinal).ToArray(), errors.Distinct().Order(StringComparer.Ordinal).ToArray(), null);

    /// <summary>Compared by decision, reason set and error set; two refusals agree whatever their messages.</summary>
    public string Key => IsFailure ? "failure" : Decision + " reasons=[" + string.Join(",", Reasons) + "] errors=[" + string.Join(",", Errors) + "]";

    public override string ToString() => IsFailure ? "failure: " + Failure : Key;
}

/// <summary>
/// Runs generated cases through the official Cedar engine (tests/interop/cedar-authorize-oracle.mjs, Node.js with
/// @cedar-policy/cedar-wasm) and through this library, and compares the outcomes.
/// </summary>
internal static class CedarDifferential
{
    public static readonly string Modules = Path.Combine(TestPaths.RepositoryRoot, ".tools", "node", "node_modules");
    public static readonly string Script = Path.Combine(TestPaths.RepositoryRoot, "tests", "interop", "cedar-authorize-oracle.mjs");

    /// <summary>The reason the oracle cannot run here, or null when it can.</summary>
    public static string? OracleUnavailable()
    {
        if (FindNode() is null)
        {
            return "node is not on PATH: the official Cedar engine cannot run; install Node.js and npm, then run .ci/setup-node-tools";
        }

        return Directory.Exists(Path.Combine(Modules, "@cedar-policy", "cedar-wasm"))
            ? null
            : $"@cedar-policy/cedar-wasm is not installed in {Modules}: run .ci/setup-node-tools";
    }

    public static string? FindNode() =>
        (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(Path.PathSeparator)
            .Select(dir => Path.Combine(dir, "node"))
            .FirstOrDefault(File.Exists);

    /// <summary>Evaluates every request of every case with the official engine (one Node.js process for the batch).</summary>
    public static List<List<CedarOutcome>> RunOracle(IReadOnlyList<GenCase> cases, string? keepBatchAs = null)
    {
        var dir = Directory.CreateTempSubdirectory("govexec-cedar-diff-").FullName;
        try
        {
            var batch = Path.Combine(dir, "batch.json");
            var output = Path.Combine(dir, "out.json");
            File.WriteAllText(batch, new JsonObject { ["tests"] = new JsonArray(cases.Select(c => (JsonNode)c.ToJson()).ToArray()) }.ToJsonString());
            if (keepBatchAs is not null)
            {
                File.Copy(batch, keepBatchAs, overwrite: true);
            }

            var start = new ProcessStartInfo(FindNode()!) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            foreach (var a in new[] { Script, "--modules", Modules, "--batch", batch, "--out", output })
            {
                start.ArgumentList.Add(a);
            }

            using var process = Process.Start(start)!;
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            if (!process.WaitForExit(TimeSpan.FromMinutes(30)))
            {
                process.Kill(entireProcessTree: true);
                throw new InvalidOperationException("the Cedar oracle did not finish");
            }

            if (process.ExitCode != 0)
            {
                throw new InvalidOperationException("the Cedar oracle failed: " + stdout.Result + stderr.Result);
            }

            using var doc = JsonDocument.Parse(File.ReadAllText(output));
            var results = new List<List<CedarOutcome>>();
            foreach (var test in doc.RootElement.GetProperty("results").EnumerateArray())
            {
                results.Add(test.GetProperty("requests").EnumerateArray().Select(ReadOutcome).ToList());
            }

            return results;
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    public static CedarOutcome ReadOutcome(JsonElement r)
    {
        if (r.TryGetProperty("failure", out var f))
        {
            return CedarOutcome.Failed(f.ValueKind == JsonValueKind.String ? f.GetString()! : "refused");
        }

        if (r.TryGetProperty("validation", out var v))
        {
            // The official engine's validator output: its messages mapped to this library's categories.
            return CedarOutcome.Validated(v.EnumerateArray()
                .Select(e => (Id: e.GetProperty("policyId").GetString()!, Kind: ValidationKind(e.GetProperty("message").GetString()!, e.GetProperty("warning").GetBoolean())))
                .Where(e => e.Kind is not null)
                .GroupBy(e => e.Id, StringComparer.Ordinal)
                .Select(g => ValidationEntry(g.Key, g.Select(e => e.Kind!))));
        }

        if (r.TryGetProperty("validated", out var recorded))
        {
            // A recorded regression: the entries already mapped.
            return CedarOutcome.Validated(recorded.EnumerateArray().Select(e => e.GetString()!));
        }

        return CedarOutcome.Of(
            r.GetProperty("decision").GetString()!,
            r.GetProperty("reason").EnumerateArray().Select(e => e.GetString()!),
            r.GetProperty("errors").EnumerateArray().Select(e => e.GetString()!));
    }

    /// <summary>
    /// The error category (<see cref="CedarValidationDiagnostic.Category"/>) that the official engine's validator message
    /// stands for, or null for a warning that is not an error here. This is the one place that maps the official
    /// engine's validation output (cedar-wasm 4.13 gives messages, no error codes) to this library's:
    /// <list type="bullet">
    /// <item>its warning "unable to find an applicable action given the policy scope constraints" is the error
    /// "invalid action application" here (an error in Cedar up to 4.12 and in the conformance corpus; docs/policies.md,
    /// "Validation");</item>
    /// <item>its other warnings (an impossible policy) are warnings here too, and not compared;</item>
    /// <item>an error message that is not recognised maps to "other": the policy is then compared on valid/invalid
    /// alone (see <see cref="ValidationEntry"/>).</item>
    /// </list>
    /// </summary>
    public static string? ValidationKind(string message, bool warning)
    {
        if (warning)
        {
            return message.Contains("unable to find an applicable action", StringComparison.Ordinal) ? "invalid action application" : null;
        }

        (string Text, string Kind)[] known =
        [
            ("unable to guarantee safety of access to optional attribute", "unsafe optional attribute access"),
            ("unable to guarantee safety of access to tag", "unsafe tag access"),
            ("not found", "unsafe attribute access"),
            ("unexpected type", "unexpected type"),
            ("are not compatible", "incompatible types"),
            ("unrecognized entity type", "unrecognized entity type"),
            ("unrecognized action", "unrecognized action"),
            ("is of an enumerated entity type", "invalid enum entity"),
            ("wrong number of arguments", "wrong number of arguments"),
            ("extension function argument validation", "function argument validation"),
            ("empty set literals are forbidden", "empty set forbidden"),
            ("non-literal", "non-literal extension constructor"),
            ("unable to find an applicable action", "invalid action application"),
        ];
        foreach (var (text, kind) in known)
        {
            if (message.Contains(text, StringComparison.Ordinal))
            {
                return kind;
            }
        }

        return "other";
    }

    /// <summary>
    /// One policy's validation entry: <c>policyN: kind, kind</c>, or <c>policyN: invalid</c> when a kind is "other"
    /// (not recognised in the official engine's message: then only valid/invalid is compared).
    /// </summary>
    public static string ValidationEntry(string policyId, IEnumerable<string> kinds)
    {
        var set = kinds.Distinct().Order(StringComparer.Ordinal).ToList();
        return policyId + ": " + (set.Contains("other") ? "invalid" : string.Join(", ", set));
    }

    /// <summary>Evaluates every request of a case with this library, from the same JSON the oracle reads (and validates its policies when it has a schema).</summary>
    public static List<CedarOutcome> RunOurs(GenCase c) => c.Schema is null
        ? RunOurs(c.PolicyText, c.EntitiesJson().ToJsonString(), c.Requests.Select(r => r.ToJson().ToJsonString()).ToList())
        : RunOursWithSchema(c.PolicyText, c.Schema, c.EntitiesJson().ToJsonString(), c.Requests.Select(r => r.ToJson().ToJsonString()).ToList());

    /// <summary>
    /// With a schema, as the official engine's isAuthorized with validateRequest: entities and each request read and
    /// validated with the schema (a refusal is a failure), then evaluated; the validation result (strict mode) follows
    /// the requests.
    /// </summary>
    public static List<CedarOutcome> RunOursWithSchema(string policyText, string schemaText, string entitiesJson, IReadOnlyList<string> requestsJson)
    {
        CedarPolicySet policies;
        CedarSchema schema;
        try
        {
            policies = CedarPolicySet.Parse(policyText);
            schema = CedarSchema.Parse(schemaText);
        }
        catch (CedarParseException e)
        {
            return requestsJson.Select(_ => CedarOutcome.Failed(e.Message)).Append(CedarOutcome.Failed(e.Message)).ToList();
        }

        var outcomes = new List<CedarOutcome>();
        CedarEntities? entities = null;
        string? refused = null;
        try
        {
            entities = CedarEntities.ParseJson(entitiesJson, schema);
        }
        catch (CedarParseException e)
        {
            refused = e.Message;
        }

        foreach (var json in requestsJson)
        {
            if (entities is null)
            {
                outcomes.Add(CedarOutcome.Failed(refused!));
                continue;
            }

            var r = JsonNode.Parse(json)!;
            try
            {
                var request = CedarRequest.Create(Uid(r["principal"]!), Uid(r["action"]!), Uid(r["resource"]!), r["context"]?.ToJsonString(), schema);
                var result = policies.Authorize(request.Principal, request.Action, request.Resource, request.Context, entities.Store);
                outcomes.Add(CedarOutcome.Of(result.Allowed ? "allow" : "deny", result.Reasons, result.Errors.Select(e => e.PolicyId)));
            }
            catch (Exception e) when (e is CedarParseException or CedarEvaluationException)
            {
                outcomes.Add(CedarOutcome.Failed(e.Message));
            }
        }

        var validation = CedarValidator.Validate(policies, schema, CedarValidationMode.Strict);
        outcomes.Add(CedarOutcome.Validated(validation.Diagnostics
            .Where(d => d.Severity == CedarValidationSeverity.Error)
            .GroupBy(d => d.PolicyId, StringComparer.Ordinal)
            .Select(g => ValidationEntry(g.Key, g.Select(d => d.Category)))));
        return outcomes;

        static string Uid(JsonNode n) => (string)n["type"]! + "::" + CedarText.Quote((string)n["id"]!);
    }

    public static List<CedarOutcome> RunOurs(string policyText, string entitiesJson, IReadOnlyList<string> requestsJson)
    {
        CedarPolicySet policies;
        CedarEntities entities;
        try
        {
            policies = CedarPolicySet.Parse(policyText);
            entities = CedarEntities.ParseJson(entitiesJson);
        }
        catch (CedarParseException e)
        {
            return requestsJson.Select(_ => CedarOutcome.Failed(e.Message)).ToList();
        }

        var outcomes = new List<CedarOutcome>();
        foreach (var json in requestsJson)
        {
            using var doc = JsonDocument.Parse(json, CedarJsonValues.DocumentOptions);
            var r = doc.RootElement;
            try
            {
                var context = r.TryGetProperty("context", out var ctx) ? CedarJsonValues.ParseRecord(ctx, null) : RecordValue.Empty;
                var result = policies.Authorize(
                    CedarJsonValues.ParseUid(r.GetProperty("principal")),
                    CedarJsonValues.ParseUid(r.GetProperty("action")),
                    CedarJsonValues.ParseUid(r.GetProperty("resource")),
                    context,
                    entities.Store);
                outcomes.Add(CedarOutcome.Of(result.Allowed ? "allow" : "deny", result.Reasons, result.Errors.Select(e => e.PolicyId)));
            }
            catch (CedarEvaluationException e)
            {
                outcomes.Add(CedarOutcome.Failed(e.Message));
            }
        }

        return outcomes;
    }

    /// <summary>
    /// Whether two outcomes agree: a request on decision, reasons and errors (two refusals agree whatever their
    /// messages); a validation result on the set of invalid policies and, for each, on its error categories as far as
    /// this validator goes: it reports a subset of the categories the official engine reports (the official engine goes
    /// on after the first error in a policy and reports every one; this validator may stop at the first), never one the
    /// official engine does not report. A policy whose official message is not recognised ("invalid") is compared on
    /// valid/invalid alone.
    /// </summary>
    public static bool Agrees(CedarOutcome oracle, CedarOutcome ours)
    {
        if (!oracle.IsValidation || !ours.IsValidation)
        {
            return oracle.Key == ours.Key;
        }

        var official = oracle.Reasons.ToDictionary(Policy, Kinds, StringComparer.Ordinal);
        var mine = ours.Reasons.ToDictionary(Policy, Kinds, StringComparer.Ordinal);
        return official.Keys.ToHashSet(StringComparer.Ordinal).SetEquals(mine.Keys)
            && mine.All(p => official[p.Key].Contains("invalid") || p.Value.IsSubsetOf(official[p.Key]));

        static string Policy(string entry) => entry[..entry.IndexOf(':', StringComparison.Ordinal)];

        static HashSet<string> Kinds(string entry) => entry[(entry.IndexOf(':', StringComparison.Ordinal) + 2)..].Split(", ").ToHashSet(StringComparer.Ordinal);
    }

    /// <summary>The index of the first request on which the outcomes differ, or -1.</summary>
    public static int FirstDifference(IReadOnlyList<CedarOutcome> oracle, IReadOnlyList<CedarOutcome> ours)
    {
        for (int i = 0; i < oracle.Count; i++)
        {
            if (i >= ours.Count || !Agrees(oracle[i], ours[i]))
            {
                return i;
            }
        }

        return -1;
    }

    /// <summary>
    /// Shrinks a disagreeing case greedily: keeps only the disagreeing request, then repeatedly takes the first smaller
    /// variant (a policy, clause, entity, attribute, tag, parent or context field removed; a scope widened; a
    /// subexpression put in place of its parent) on which the engines still disagree. Candidates go to the oracle in one
    /// batch per round.
    /// </summary>
    public static GenCase Shrink(GenCase c, int request)
    {
        // The entry after the requests is the validation result: it needs no request.
        var current = c with { Requests = request < c.Requests.Count ? [c.Requests[request]] : [] };
        for (int round = 0; round < 200; round++)
        {
            var candidates = Candidates(current).Take(400).ToList();
            if (candidates.Count == 0)
            {
                break;
            }

            var oracle = RunOracle(candidates);
            GenCase? next = null;
            for (int i = 0; i < candidates.Count; i++)
            {
                if (FirstDifference(oracle[i], RunOurs(candidates[i])) >= 0)
                {
                    next = candidates[i];
                    break;
                }
            }

            if (next is null)
            {
                break;
            }

            current = next;
        }

        return current;
    }

    private static IEnumerable<GenCase> Candidates(GenCase c)
    {
        for (int i = 0; i < c.Policies.Count; i++)
        {
            if (c.Policies.Count > 1)
            {
                yield return c with { Policies = Without(c.Policies, i) };
            }
        }

        for (int i = 0; i < c.Entities.Count; i++)
        {
            yield return c with { Entities = Without(c.Entities, i) };
        }

        for (int i = 0; i < c.Policies.Count; i++)
        {
            var p = c.Policies[i];
            for (int j = 0; j < p.Clauses.Count; j++)
            {
                yield return c with { Policies = With(c.Policies, i, p with { Clauses = Without(p.Clauses, j) }) };
            }

            if (p.Principal != "principal")
            {
                yield return c with { Policies = With(c.Policies, i, p with { Principal = "principal" }) };
            }

            if (p.Action != "action")
            {
                yield return c with { Policies = With(c.Policies, i, p with { Action = "action" }) };
            }

            if (p.Resource != "resource")
            {
                yield return c with { Policies = With(c.Policies, i, p with { Resource = "resource" }) };
            }

            if (p.Annotation.Length > 0)
            {
                yield return c with { Policies = With(c.Policies, i, p with { Annotation = string.Empty }) };
            }

            if (!p.Permit)
            {
                yield return c with { Policies = With(c.Policies, i, p with { Permit = true }) };
            }

            for (int j = 0; j < p.Clauses.Count; j++)
            {
                var clause = p.Clauses[j];
                foreach (var node in clause.Body.Nodes())
                {
                    foreach (var (child, _) in node.Children)
                    {
                        if (child.Kind == node.Kind)
                        {
                            var body = clause.Body.Replace(node, child);
                            yield return c with { Policies = With(c.Policies, i, p with { Clauses = With(p.Clauses, j, clause with { Body = body }) }) };
                        }
                    }

                    if (node.Children.Length > 0)
                    {
                        foreach (var leaf in SimplestOf(node.Kind))
                        {
                            var body = clause.Body.Replace(node, leaf);
                            yield return c with { Policies = With(c.Policies, i, p with { Clauses = With(p.Clauses, j, clause with { Body = body }) }) };
                        }
                    }
                }

                if (!clause.When)
                {
                    yield return c with { Policies = With(c.Policies, i, p with { Clauses = With(p.Clauses, j, clause with { When = true, Body = new GenExpr(GenKind.Bool, GenExpr.Unary, "!" + GenExpr.Mark(0), (clause.Body, GenExpr.Primary)) }) }) };
                }
            }
        }

        for (int i = 0; i < c.Entities.Count; i++)
        {
            var e = c.Entities[i];
            for (int j = 0; j < e.Attrs.Count; j++)
            {
                yield return c with { Entities = With(c.Entities, i, new GenEntity { Uid = e.Uid, Attrs = Without(e.Attrs, j), Parents = e.Parents, Tags = e.Tags }) };
            }

            for (int j = 0; j < e.Parents.Count; j++)
            {
                yield return c with { Entities = With(c.Entities, i, new GenEntity { Uid = e.Uid, Attrs = e.Attrs, Parents = Without(e.Parents, j), Tags = e.Tags }) };
            }

            if (e.Tags is not null)
            {
                yield return c with { Entities = With(c.Entities, i, new GenEntity { Uid = e.Uid, Attrs = e.Attrs, Parents = e.Parents, Tags = null }) };
                for (int j = 0; j < e.Tags.Count; j++)
                {
                    yield return c with { Entities = With(c.Entities, i, new GenEntity { Uid = e.Uid, Attrs = e.Attrs, Parents = e.Parents, Tags = Without(e.Tags, j) }) };
                }
            }
        }

        foreach (var r in c.Requests)
        {
            for (int j = 0; j < r.Context.Count; j++)
            {
                yield return c with { Requests = [r with { Context = Without(r.Context, j) }] };
            }
        }
    }

    private static IEnumerable<GenExpr> SimplestOf(GenKind kind) => kind switch
    {
        GenKind.Bool => [GenExpr.Leaf(kind, "true"), GenExpr.Leaf(kind, "false")],
        GenKind.Long => [GenExpr.Leaf(kind, "0"), GenExpr.Leaf(kind, "1")],
        GenKind.String => [GenExpr.Leaf(kind, "\"\"")],
        GenKind.Set => [GenExpr.Leaf(kind, "[]")],
        GenKind.Record => [GenExpr.Leaf(kind, "{}")],
        GenKind.Entity => [GenExpr.Leaf(kind, "principal")],
        _ => [],
    };

    private static List<T> Without<T>(List<T> list, int index)
    {
        var copy = new List<T>(list);
        copy.RemoveAt(index);
        return copy;
    }

    private static List<T> With<T>(List<T> list, int index, T item)
    {
        var copy = new List<T>(list);
        copy[index] = item;
        return copy;
    }

    /// <summary>A reproduction of one request of a case: policies, entities, request, and both outcomes.</summary>
    public static string Describe(GenCase c, int request, CedarOutcome oracle, CedarOutcome ours)
    {
        var sb = new StringBuilder();
        sb.Append("case ").Append(c.Name).Append('\n');
        if (c.Schema is not null)
        {
            sb.Append("-- schema --\n").Append(c.Schema).Append('\n');
        }

        sb.Append("-- policies --\n").Append(c.PolicyText);
        sb.Append("-- entities --\n").Append(c.EntitiesJson().ToJsonString()).Append('\n');
        sb.Append(request < c.Requests.Count ? "-- request --\n" + c.Requests[request].ToJson().ToJsonString() : "-- validation (strict) --").Append('\n');
        sb.Append("official engine: ").Append(oracle).Append('\n');
        sb.Append("this library:    ").Append(ours).Append('\n');
        return sb.ToString();
    }

    /// <summary>A regression case as a JSON object (the oracle's outcomes recorded), for the regression data file.</summary>
    public static JsonObject ToRegression(GenCase c, IReadOnlyList<CedarOutcome> oracle)
    {
        var entries = new JsonArray();
        for (int i = 0; i < oracle.Count; i++)
        {
            var o = oracle[i];
            var entry = i < c.Requests.Count ? c.Requests[i].ToJson() : new JsonObject();
            if (o.IsFailure)
            {
                entry["failure"] = true;
            }
            else if (o.IsValidation)
            {
                entry["validated"] = new JsonArray(o.Reasons.Select(r => (JsonNode)JsonValue.Create(r)!).ToArray());
            }
            else
            {
                entry["decision"] = o.Decision;
                entry["reason"] = new JsonArray(o.Reasons.Select(r => (JsonNode)JsonValue.Create(r)!).ToArray());
                entry["errors"] = new JsonArray(o.Errors.Select(r => (JsonNode)JsonValue.Create(r)!).ToArray());
            }

            entries.Add(entry);
        }

        var node = new JsonObject
        {
            ["name"] = c.Name,
            ["policies"] = c.PolicyText,
            ["entities"] = c.EntitiesJson(),
            ["requests"] = entries,
        };
        if (c.Schema is not null)
        {
            node["schema"] = c.Schema;
        }

        return node;
    }
}
