using System.CommandLine;
using System.Text.Json;
using GovernedExecution.Internal;
using GovernedExecution.Policies.Cedar;

namespace GovernedExecution.Cli.Commands;

/// <summary><c>govexec policy validate</c>, <c>govexec authorize</c> and <c>govexec conformance cedar</c>.</summary>
internal static class PolicyCommands
{
    internal static void Register(RootCommand root)
    {
        var files = new Argument<string[]>("files") { Description = "Cedar policy files (.cedar) or folders holding them.", Arity = ArgumentArity.OneOrMore };
        var validateSchema = new Option<string?>("--schema") { Description = "A .cedarschema file, or a JSON schema (.json): the policies are also type checked against it (Cedar's validator)." };
        var mode = new Option<string>("--mode") { Description = "The validator's mode with --schema: strict (Cedar's default) or permissive.", DefaultValueFactory = _ => "strict" };
        mode.AcceptOnlyFromAmong("strict", "permissive");
        var validate = new Command("validate", "Parse Cedar policy files, and with --schema validate them against it; print diagnostics as file:line:col: message; exit 1 on a read error, 4 when the policies do not validate.") { files, validateSchema, mode };
        validate.SetAction(result => CliGuard.Run(result, () => Validate(
            result.GetValue(files)!,
            result.GetValue(validateSchema),
            result.GetValue(mode) == "permissive" ? CedarValidationMode.Permissive : CedarValidationMode.Strict,
            result.InvocationConfiguration.Output,
            result.InvocationConfiguration.Error)));
        var policy = new Command("policy", "Work with Cedar policy files.") { validate };
        PolicyInterchangeCommands.Register(policy);
        root.Subcommands.Add(policy);

        var policies = new Option<string>("--policies") { Description = "A .cedar file, a folder of them, or a JSON policy file.", Required = true };
        var entities = new Option<string?>("--entities") { Description = "Entities in Cedar's entity JSON format." };
        var schema = new Option<string?>("--schema") { Description = "A .cedarschema file, or a JSON schema (.json): entity and context JSON are read with its types and its actions and action groups are added to the entities (policies are not validated against it)." };
        var request = new Option<string>("--request") { Description = "The request JSON file, or - for standard input.", Required = true };
        var authorize = new Command("authorize", "Evaluate one request; print the decision JSON; exit 0 for allow, 3 for deny.") { policies, entities, schema, request };
        authorize.SetAction(result => Authorize(result.GetValue(policies)!, result.GetValue(entities), result.GetValue(schema), result.GetValue(request)!, result.InvocationConfiguration.Output, result.InvocationConfiguration.Error));
        root.Subcommands.Add(authorize);

        var path = new Argument<string>("path") { Description = "A folder or .tar.gz of Cedar integration tests (JSON files with requests)." };
        var cedar = new Command("cedar", "Run the Cedar conformance tests under PATH; print failures and the pass count; exit 0 only when none fails.") { path };
        cedar.SetAction(result => CliGuard.Run(result, () => Conformance(result.GetValue(path)!, result.InvocationConfiguration.Output, result.InvocationConfiguration.Error)));
        root.Subcommands.Add(new Command("conformance", "Run conformance suites.") { cedar });
    }

    /// <summary>Loads the policies in a file or folder; a set with no policy is refused, since it would deny everything.</summary>
    /// <exception cref="ArgumentException">There is no policy in <paramref name="path"/>.</exception>
    internal static CedarPolicySet LoadPolicies(string path)
    {
        var set = Directory.Exists(path) ? CedarPolicySet.FromDirectory(path)
            : path.EndsWith(".json", StringComparison.OrdinalIgnoreCase) ? CedarPolicySet.ParseJson(File.ReadAllText(path), path)
            : CedarPolicySet.FromFiles([path]);
        return set.PolicyIds.Count > 0 ? set : throw new ArgumentException($"{path}: no policies (a set without any denies every request): give the file or folder that holds them");
    }

    internal static CedarEntities LoadEntities(string? entitiesPath, string? schemaPath)
    {
        var schema = LoadSchema(schemaPath);
        return entitiesPath is null
            ? (schema is null ? CedarEntities.Empty : CedarEntities.FromSchema(schema))
            : CedarEntities.ParseJson(File.ReadAllText(entitiesPath), entitiesPath, schema);
    }

    /// <summary>Reads a schema in Cedar's format, or in its JSON format when the file name ends in .json.</summary>
    internal static CedarSchema? LoadSchema(string? schemaPath)
    {
        if (schemaPath is null)
        {
            return null;
        }

        var text = File.ReadAllText(schemaPath);
        return schemaPath.EndsWith(".json", StringComparison.OrdinalIgnoreCase) ? CedarSchema.ParseJson(text, schemaPath) : CedarSchema.Parse(text, schemaPath);
    }

    private static int Validate(string[] paths, string? schemaPath, CedarValidationMode mode, TextWriter output, TextWriter error)
    {
        CedarSchema? schema;
        try
        {
            schema = LoadSchema(schemaPath);
        }
        catch (CedarParseException ex)
        {
            foreach (var diagnostic in ex.Diagnostics)
            {
                error.WriteLine(TerminalText.Escape(diagnostic.ToString()));
            }

            return ExitCodes.Error;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            error.WriteLine(TerminalText.Escape($"govexec: {schemaPath}: {ex.Message}"));
            return ExitCodes.Error;
        }

        var failed = false;
        var invalid = false;
        foreach (var path in paths)
        {
            var targets = Directory.Exists(path) ? Directory.EnumerateFiles(path, "*.cedar", SearchOption.AllDirectories).Order(StringComparer.Ordinal).ToArray() : [path];
            if (targets.Length == 0)
            {
                failed = true;
                error.WriteLine(TerminalText.Escape($"govexec: {path}: no .cedar files in the folder; nothing was validated"));
            }

            foreach (var file in targets)
            {
                try
                {
                    var set = file.EndsWith(".json", StringComparison.OrdinalIgnoreCase) ? CedarPolicySet.ParseJson(File.ReadAllText(file), file) : CedarPolicySet.FromFiles([file]);
                    if (set.PolicyIds.Count == 0 && set.TemplateIds.Count == 0)
                    {
                        failed = true;
                        error.WriteLine(TerminalText.Escape($"govexec: {file}: no policies or templates; nothing was validated"));
                        continue;
                    }

                    if (schema is not null)
                    {
                        var validation = CedarValidator.Validate(set, schema, mode);
                        foreach (var diagnostic in validation.Diagnostics)
                        {
                            error.WriteLine(TerminalText.Escape(diagnostic.ToString()));
                        }

                        if (!validation.IsValid)
                        {
                            invalid = true;
                            continue;
                        }
                    }

                    output.WriteLine($"{TerminalText.Escape(file)}: ok ({set.PolicyIds.Count} policies, {set.TemplateIds.Count} templates{(schema is null ? string.Empty : ", valid against the schema")})");
                }
                catch (CedarParseException ex)
                {
                    failed = true;
                    foreach (var diagnostic in ex.Diagnostics)
                    {
                        error.WriteLine(TerminalText.Escape(diagnostic.ToString()));
                    }
                }
                catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
                {
                    failed = true;
                    error.WriteLine(TerminalText.Escape($"{file}: {ex.Message}"));
                }
            }
        }

        return failed ? ExitCodes.Error : invalid ? ExitCodes.NotValid : ExitCodes.Ok;
    }

    private static int Authorize(string policiesPath, string? entitiesPath, string? schemaPath, string requestPath, TextWriter output, TextWriter error)
    {
        try
        {
            var set = LoadPolicies(policiesPath);
            var entities = LoadEntities(entitiesPath, schemaPath);
            var text = requestPath == "-" ? Console.In.ReadToEnd() : File.ReadAllText(requestPath);
            var request = ReadRequest(text, LoadSchema(schemaPath));
            var response = set.Evaluate(request, entities);
            var buffer = new System.Buffers.ArrayBufferWriter<byte>();
            using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
            {
                writer.WriteStartObject();
                writer.WriteString("decision", response.IsAllowed ? "allow" : "deny");
                writer.WriteStartArray("reasons");
                foreach (var reason in response.Reasons)
                {
                    writer.WriteStringValue(DisplayName(set, reason));
                }

                writer.WriteEndArray();
                writer.WriteStartArray("errors");
                foreach (var failure in response.Errors)
                {
                    writer.WriteStartObject();
                    writer.WriteString("policy", DisplayName(set, failure.PolicyId));
                    writer.WriteString("message", failure.Message);
                    writer.WriteEndObject();
                }

                writer.WriteEndArray();
                writer.WriteEndObject();
            }

            output.WriteLine(TerminalText.EscapeJson(System.Text.Encoding.UTF8.GetString(buffer.WrittenSpan)));
            return response.IsAllowed ? ExitCodes.Ok : ExitCodes.Denied;
        }
        catch (Exception ex) when (CliGuard.IsInputError(ex))
        {
            CliGuard.Report(error, ex.Message);
            return ExitCodes.Error;
        }
    }

    /// <summary>The policy's <c>@id</c> annotation when it has one, as the executor names it; else its policy id.</summary>
    private static string DisplayName(CedarPolicySet set, string policyId)
    {
        foreach (var annotation in set.GetAnnotations(policyId))
        {
            if (annotation.Key == "id" && annotation.Value.Length > 0)
            {
                return annotation.Value;
            }
        }

        return policyId;
    }

    /// <summary>Reads <c>{"principal":{"type":..,"id":..},"action":..,"resource":..,"context":{..}}</c>; entity references may also be Cedar text.</summary>
    internal static CedarRequest ReadRequest(string json, CedarSchema? schema = null)
    {
        using var document = JsonDocument.Parse(json, new JsonDocumentOptions { MaxDepth = 64, AllowDuplicateProperties = false });
        var root = document.RootElement;
        string Entity(string name)
        {
            var element = root.GetProperty(name);
            return element.ValueKind switch
            {
                JsonValueKind.String => element.GetString()!,
                JsonValueKind.Object => new GovernedExecution.Intents.EntityReference(
                    (element.TryGetProperty("type", out var t) ? t : element.GetProperty("__entity").GetProperty("type")).GetString()!,
                    (element.TryGetProperty("id", out var i) ? i : element.GetProperty("__entity").GetProperty("id")).GetString()!).ToString(),
                _ => throw new FormatException($"'{name}' must be an entity reference"),
            };
        }

        var context = root.TryGetProperty("context", out var c) && c.ValueKind != JsonValueKind.Null ? c.GetRawText() : null;
        return CedarRequest.Create(Entity("principal"), Entity("action"), Entity("resource"), context, schema);
    }

    private static int Conformance(string path, TextWriter output, TextWriter error)
    {
        if (!File.Exists(path) && !Directory.Exists(path))
        {
            CliGuard.Report(error, $"{path} not found");
            return ExitCodes.Error;
        }

        var result = CedarConformanceRunner.Run(path);
        foreach (var failure in result.Failures)
        {
            output.WriteLine($"FAIL {TerminalText.Escape(failure.TestFile)} [{TerminalText.Escape(failure.Description)}]");
            output.WriteLine($"  expected {TerminalText.Escape(failure.Expected)}");
            output.WriteLine($"  got      {TerminalText.Escape(failure.Actual)}");
        }

        foreach (var d in result.ValidationDisagreements)
        {
            output.WriteLine($"VALIDATION {TerminalText.Escape(d.TestFile)}");
            output.WriteLine($"  expected {TerminalText.Escape(d.Expected)}");
            output.WriteLine($"  got      {TerminalText.Escape(d.Actual)}");
        }

        output.WriteLine($"cedar conformance: {result.Passed} passed, {result.Failures.Count} failed");
        output.WriteLine($"cedar validation: {result.ValidationAgree} agree, {result.ValidationDisagreements.Count} disagree");
        if (result.Requests == 0)
        {
            CliGuard.Report(error, $"{path}: no Cedar conformance tests (JSON files with requests) found; nothing was checked");
        }

        return result.Failures.Count == 0 && result.Requests > 0 ? ExitCodes.Ok : ExitCodes.Error;
    }
}
