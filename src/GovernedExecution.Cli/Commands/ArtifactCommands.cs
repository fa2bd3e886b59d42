using System.CommandLine;
using System.Formats.Cbor;
using System.Globalization;
using System.Numerics;
using System.Text;
using System.Text.Json;
using GovernedExecution.Artifacts;
using GovernedExecution.Artifacts.Keys;
using GovernedExecution.DependencyInjection;
using GovernedExecution.Execution;
using GovernedExecution.Intents;
using GovernedExecution.Internal;
using GovernedExecution.Policies;

namespace GovernedExecution.Cli.Commands;

/// <summary><c>govexec artifact inspect | verify | mint</c> (docs/cli.md).</summary>
internal static class ArtifactCommands
{
    /// <summary>Exit codes of <c>artifact verify</c>, one per verdict (docs/cli.md).</summary>
    internal const int Invalid = 10;
    internal const int Untrusted = 11;
    internal const int Rejected = 12;
    internal const int CannotEvaluate = 13;

    private static readonly JsonWriterOptions Indented = new() { Indented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    internal static void Register(RootCommand root)
    {
        var artifact = new Command("artifact", "Inspect, verify and mint authorization artifacts (docs/artifact-format.md).");
        artifact.Subcommands.Add(InspectCommand());
        artifact.Subcommands.Add(VerifyCommand());
        artifact.Subcommands.Add(MintCommand());
        root.Subcommands.Add(artifact);
    }

    internal static int Inspect(byte[] encoded, TextWriter output, TextWriter error)
    {
        if (!CoseSign1Layer.TryDecode(encoded, out var message, out var problem))
        {
            CliGuard.Report(error, problem);
            return ExitCodes.Error;
        }

        var json = Json(writer =>
        {
            writer.WriteString("note", "decoded only: use 'artifact verify' to check it");
            writer.WriteString("artifactDigest", AuthorizationArtifact.FromBytes(encoded).ComputeDigest());
            var raw = new CborReader(encoded, CborConformanceMode.Lax);
            raw.ReadTag();
            raw.ReadStartArray();
            writer.WriteStartObject("protected");
            WriteHeaders(writer, new CborReader(raw.ReadByteString(), CborConformanceMode.Lax));
            writer.WriteEndObject();
            writer.WriteStartObject("unprotected");
            WriteHeaders(writer, raw);
            writer.WriteEndObject();
            CoseArtifactVerifier.TryReadHeaders(message, out var keyId, out _);
            CoseSign1Layer.TryReadAlgorithm(message, out var algorithm, out _);
            var claims = CoseArtifactVerifier.TryDecodeClaims(message.Content!.Value, keyId, algorithm);
            if (claims is null)
            {
                writer.WriteString("claimsError", "the payload is not a valid claims map");
            }
            else
            {
                writer.WritePropertyName("claims");
                WriteClaims(writer, claims);
            }
        });
        output.WriteLine(json);
        return ExitCodes.Ok;
    }

    /// <summary>
    /// Verifies as a runtime would, for <paramref name="audience"/> and, when given, the accepted policy-set digest; prints
    /// the verdict and, as checks, only those that ran: the replay check of a fresh replay guard proves nothing here,
    /// and the policy-set check does not run without a digest, so both are listed under <c>not_checked</c> instead.
    /// </summary>
    internal static async Task<int> VerifyAsync(
        byte[] encoded, IReadOnlyList<byte[]> parents, IReadOnlyList<TrustedKey> trusted, ExecutionIntent intent, string audience, string? acceptedPolicySet, TimeProvider time, TextWriter output, CancellationToken cancellationToken)
    {
        var store = new InMemoryTrustedKeyStore(trusted);
        var verdict = await OfflineArtifactCheck.VerifyAsync(encoded, parents, store, intent, audience, acceptedPolicySet, time, cancellationToken).ConfigureAwait(false);
        var result = verdict.Result;
        output.WriteLine(Json(writer =>
        {
            writer.WriteString("verdict", result.Verdict.ToString());
            if (result.IsVerified)
            {
                writer.WriteNull("reason");
            }
            else
            {
                writer.WriteString("reason", result.Reason.ToString());
            }

            writer.WriteString("detail", result.Detail);
            writer.WriteString("verifiedAt", verdict.VerifiedAt.ToString("O", CultureInfo.InvariantCulture));
            WriteStrings(writer, "checks", verdict.Checks);
            WriteStrings(writer, "notChecked", verdict.NotChecked);
        }));
        return result.Verdict switch
        {
            ArtifactVerdict.Verified => ExitCodes.Ok,
            ArtifactVerdict.Invalid => Invalid,
            ArtifactVerdict.Untrusted => Untrusted,
            ArtifactVerdict.Rejected => Rejected,
            _ => CannotEvaluate,
        };
    }

    internal static async Task<int> MintAsync(
        SigningKey key, IPolicyEvaluator policies, ExecutionIntent intent, string audience, TimeSpan lifetime, string outPath, TimeProvider time, TextWriter output, TextWriter error, CancellationToken cancellationToken)
    {
        var executor = new GovernedExecutorBuilder()
            .Configure(o =>
            {
                o.Audience = audience;
                o.ArtifactLifetime = lifetime;
                o.AllowedAlgorithms.Add(key.Algorithm);
            })
            .UsePolicies(policies)
            .UseSigningKey(key)
            .UseTrustedKeyStore(new InMemoryTrustedKeyStore())
            .UseTimeProvider(time)
            .AllowExecutionsWithoutRequiredLineage() // it mints and runs nothing; the runtime that runs the artifact records it
            .Build();
        var issuance = await executor.IssueAsync(intent, audience, cancellationToken).ConfigureAwait(false);
        if (issuance.Artifact is { } artifact)
        {
            // An artifact is a credential until it is used or expires: owner-only, renamed into place, never written through a link.
            AtomicFile.Write(outPath, artifact.Encoded.Span, AtomicFile.OwnerOnly, overwrite: true);
            output.WriteLine(Json(writer =>
            {
                writer.WriteString("artifact", outPath);
                writer.WriteString("artifactDigest", artifact.ComputeDigest());
                writer.WriteString("kid", key.KeyId);
                writer.WriteString("audience", audience);
                writer.WriteString("intentDigest", Convert.ToHexStringLower(IntentEncoding.Digest(intent)));
                writer.WriteString("policySetDigest", policies.PolicySetDigest);
            }));
            return ExitCodes.Ok;
        }

        var denial = issuance.Denial!;
        if (denial.Reason is not (DenialReason.NotPermitted or DenialReason.PolicyDenied or DenialReason.PolicyError or DenialReason.ObligationUnsatisfied))
        {
            CliGuard.Report(error, $"nothing minted: {denial}");
            return ExitCodes.Error;
        }

        output.WriteLine(Json(writer =>
        {
            writer.WriteString("decision", denial.Decision?.Kind.ToString() ?? nameof(PolicyDecisionKind.NotPermitted));
            writer.WriteString("reason", denial.Reason.ToString());
            writer.WriteString("detail", denial.Detail);
            WriteStrings(writer, "determiningPolicies", denial.DeterminingPolicies);
            WriteStrings(writer, "errors", denial.Decision?.Errors.Select(e => e.PolicyId + ": " + e.Message) ?? []);
            if (denial.Decision is { } decision)
            {
                writer.WriteString("policySetDigest", decision.PolicySetDigest);
            }
        }));
        return ExitCodes.Denied;
    }

    /// <summary>Reads a trusted key file: SPKI PEM, an X.509 certificate (PEM or DER), a JWK or a JWK Set.</summary>
    internal static List<TrustedKey> LoadTrusted(string path)
    {
        var bytes = File.ReadAllBytes(path);
        var text = Encoding.UTF8.GetString(bytes).TrimStart();
        KeyFiles.RefusePrivate(text, path, "--trust");
        if (text.StartsWith('{'))
        {
            return text.Contains("\"keys\"", StringComparison.Ordinal) ? [.. TrustedKey.FromJwkSet(text)] : [TrustedKey.FromJwk(text)];
        }

        if (text.Contains("BEGIN CERTIFICATE", StringComparison.Ordinal) || !text.StartsWith("-----", StringComparison.Ordinal))
        {
            return [TrustedKey.FromCertificate(bytes)];
        }

        return [TrustedKey.FromPem(text)];
    }

    private static Command InspectCommand()
    {
        var file = new Argument<FileInfo>("FILE") { Description = "The artifact (COSE_Sign1 bytes)." };
        var inspect = new Command("inspect", "Print an artifact's headers and claims as JSON, without verifying it.") { file };
        inspect.SetAction(result => CliGuard.Run(result, () => Inspect(File.ReadAllBytes(result.GetValue(file)!.FullName), result.InvocationConfiguration.Output, result.InvocationConfiguration.Error)));
        return inspect;
    }

    private static Command VerifyCommand()
    {
        var file = new Argument<FileInfo>("FILE") { Description = "The artifact (COSE_Sign1 bytes)." };
        var trust = new Option<FileInfo[]>("--trust") { Description = "A trusted public key: SPKI PEM, X.509 certificate (PEM or DER), JWK or JWK Set. Repeat for several.", Required = true };
        var request = new Option<FileInfo>("--request") { Description = "The request JSON the artifact must authorize (docs/cli.md).", Required = true };
        var audience = new Option<string>("--audience") { Description = "This runtime's audience: the artifact must be for it.", Required = true };
        var policySet = new Option<string?>("--policy-set") { Description = "The digest of the policy set in force: the artifact must have been decided by it." };
        var policies = new Option<string?>("--policies") { Description = "The Cedar policies in force (a file or a folder), digested as 'artifact mint' digests them." };
        var anyPolicySet = new Option<bool>("--any-policy-set") { Description = "Accept an artifact decided by any policy set (the policy-set check does not run)." };
        var parent = new Option<FileInfo[]>("--parent") { Description = "For a delegated artifact: its parent artifact, then the parent's parent, and so on." };
        var at = new Option<DateTimeOffset?>("--at") { Description = "Verify as of this time (ISO 8601) instead of now." };
        var verify = new Command("verify", "Verify an artifact against a request; prints the verdict, the reason, the checks that ran and those that did not.")
        {
            file, trust, request, audience, policySet, policies, anyPolicySet, parent, at,
        };
        verify.Validators.Add(CliGuard.Validator(result =>
        {
            var given = (result.GetValue(policySet) is null ? 0 : 1) + (result.GetValue(policies) is null ? 0 : 1) + (result.GetValue(anyPolicySet) ? 1 : 0);
            if (given != 1)
            {
                result.AddError("Give exactly one of --policy-set DIGEST, --policies PATH (the policy set in force), or --any-policy-set (not checked).");
            }

            if (result.GetValue(audience) is { Length: 0 } || result.GetValue(policySet) is { Length: 0 })
            {
                result.AddError("--audience and --policy-set cannot be empty.");
            }
        }));
        verify.SetAction((result, cancellationToken) => CliGuard.RunAsync(result, async () =>
        {
            var accepted = result.GetValue(policySet) ?? (result.GetValue(policies) is { } path ? PolicyCommands.LoadPolicies(path).Digest : null);
            var keys = result.GetValue(trust)!.SelectMany(f => LoadTrusted(f.FullName)).ToList();
            try
            {
                var intent = IntentJson.Parse(await File.ReadAllTextAsync(result.GetValue(request)!.FullName, cancellationToken).ConfigureAwait(false));
                var parents = (result.GetValue(parent) ?? []).Select(f => File.ReadAllBytes(f.FullName)).ToList();
                TimeProvider time = result.GetValue(at) is { } instant ? new FixedTimeProvider(instant) : TimeProvider.System;
                return await VerifyAsync(File.ReadAllBytes(result.GetValue(file)!.FullName), parents, keys, intent, result.GetValue(audience)!, accepted, time, result.InvocationConfiguration.Output, cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                keys.ForEach(k => k.Dispose());
            }
        }));
        return verify;
    }

    private static Command MintCommand()
    {
        var key = new Option<FileInfo>("--key") { Description = "The private key (PKCS#8 PEM, as written by 'keys generate').", Required = true };
        var policies = new Option<string>("--policies") { Description = "A Cedar policy file or a folder of them.", Required = true };
        var entities = new Option<FileInfo?>("--entities") { Description = "Entities in Cedar's JSON format." };
        var request = new Option<FileInfo>("--request") { Description = "The request JSON to authorize (docs/cli.md).", Required = true };
        var audience = new Option<string>("--audience") { Description = "The runtime that will run it.", DefaultValueFactory = _ => "default" };
        var ttl = new Option<string>("--ttl") { Description = "Lifetime, such as 60s, 5m or 1h (at most 1h).", DefaultValueFactory = _ => "60s" };
        var output = new Option<string>("--out") { Description = "Where to write the artifact (only on permit).", Required = true };
        var mint = new Command("mint", "Evaluate a request and, on permit, write a signed artifact for it; on deny print the decision and exit 3.") { key, policies, entities, request, audience, ttl, output };
        mint.SetAction((result, cancellationToken) => CliGuard.RunAsync(result, async () =>
        {
            // The issuer's own rule: whole seconds (rounded down), from 1 s to 1 h.
            if (!ObligationValues.TryParseDuration(result.GetValue(ttl)!, out var lifetime) || ArtifactLifetime.WholeSeconds(lifetime) < 1 || lifetime > ArtifactLifetime.Maximum)
            {
                CliGuard.Report(result.InvocationConfiguration.Error, "--ttl must be a duration such as 60s, 5m or 1h, from 1s to 1h.");
                return ExitCodes.Usage;
            }

            var evaluator = PolicyLoading.Load(result.GetValue(policies)!, result.GetValue(entities)?.FullName);
            var intent = IntentJson.Parse(await File.ReadAllTextAsync(result.GetValue(request)!.FullName, cancellationToken).ConfigureAwait(false));
            using var signingKey = SigningKey.FromPem(KeyFiles.ReadPrivate(result.GetValue(key)!.FullName, "--key"));
            return await MintAsync(signingKey, evaluator, intent, result.GetValue(audience)!, lifetime, result.GetValue(output)!, TimeProvider.System,
                result.InvocationConfiguration.Output, result.InvocationConfiguration.Error, cancellationToken).ConfigureAwait(false);
        }));
        return mint;
    }

    /// <summary>
    /// Writes the entries of a header map, read from the raw CBOR so that every label shows as it is: integer labels by
    /// number (with the name of the ones the format defines), text labels quoted, integers of any size as numbers, and
    /// an integer as an algorithm name only under label 1.
    /// </summary>
    private static void WriteHeaders(Utf8JsonWriter writer, CborReader reader)
    {
        var count = reader.ReadStartMap();
        for (var i = 0; count is null || i < count; i++)
        {
            if (count is null && reader.PeekState() == CborReaderState.EndMap)
            {
                break;
            }

            var label = reader.PeekState() == CborReaderState.TextString ? "\"" + reader.ReadTextString() + "\"" : ReadInteger(reader);
            var name = label switch
            {
                "1" => "alg (1)",
                "2" => "crit (2)",
                "3" => "contentType (3)",
                "4" => "kid (4)",
                _ => label,
            };
            var text = reader.PeekState() switch
            {
                CborReaderState.UnsignedInteger or CborReaderState.NegativeInteger when label == "1" => AlgorithmName(ReadInteger(reader)),
                CborReaderState.UnsignedInteger or CborReaderState.NegativeInteger => ReadInteger(reader),
                CborReaderState.TextString => reader.ReadTextString(),
                CborReaderState.ByteString when label == "4" => Encoding.UTF8.GetString(reader.ReadByteString()),
                _ => "cbor:" + Convert.ToHexStringLower(reader.ReadEncodedValue().Span),
            };
            writer.WriteString(name, text);
        }

        reader.ReadEndMap();
    }

    /// <summary>A CBOR integer of any size (-2^64 to 2^64 - 1) in decimal, without converting it to a narrower type.</summary>
    private static string ReadInteger(CborReader reader) => reader.PeekState() == CborReaderState.NegativeInteger
        ? (-1 - (BigInteger)reader.ReadCborNegativeIntegerRepresentation()).ToString(CultureInfo.InvariantCulture)
        : reader.ReadUInt64().ToString(CultureInfo.InvariantCulture);

    private static string AlgorithmName(string value) =>
        int.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var number) && Enum.IsDefined((ArtifactAlgorithm)number)
            ? $"{(ArtifactAlgorithm)number} ({value})"
            : value;

    private static void WriteClaims(Utf8JsonWriter writer, ArtifactClaims claims)
    {
        writer.WriteStartObject();
        writer.WriteString("iss", claims.Issuer);
        writer.WriteString("sub", claims.Subject);
        writer.WriteString("aud", claims.Audience);
        writer.WriteString("exp", claims.ExpiresAt.ToString("O", CultureInfo.InvariantCulture));
        writer.WriteString("nbf", claims.NotBefore.ToString("O", CultureInfo.InvariantCulture));
        writer.WriteString("iat", claims.IssuedAt.ToString("O", CultureInfo.InvariantCulture));
        writer.WriteString("cti", claims.TokenId.ToString("D"));
        writer.WriteString("intentDigest", Convert.ToHexStringLower(claims.IntentDigest.Span));
        writer.WriteString("decision", claims.Decision.ToString());
        writer.WriteString("policySetDigest", claims.PolicySetDigest);
        WriteStrings(writer, "determiningPolicies", claims.DeterminingPolicies);
        writer.WriteStartArray("obligations");
        foreach (var obligation in claims.Obligations)
        {
            writer.WriteStartObject();
            writer.WriteString("name", obligation.Name);
            writer.WriteString("value", obligation.Value);
            writer.WriteString("policy", obligation.PolicyId);
            writer.WriteEndObject();
        }

        writer.WriteEndArray();
        if (!claims.ParentArtifactDigest.IsEmpty)
        {
            writer.WriteString("parentArtifactDigest", Convert.ToHexStringLower(claims.ParentArtifactDigest.Span));
        }

        if (claims.Scope is { } scope)
        {
            writer.WriteStartObject("scope");
            WriteStrings(writer, "actions", scope.Actions.Select(a => a.ToString()));
            WriteStrings(writer, "resources", scope.Resources.Select(r => r.ToString()));
            if (scope.Principals.Count > 0)
            {
                WriteStrings(writer, "principals", scope.Principals.Select(p => p.ToString()));
            }

            writer.WriteEndObject();
        }

        writer.WriteEndObject();
    }

    private static void WriteStrings(Utf8JsonWriter writer, string name, IEnumerable<string> values)
    {
        writer.WriteStartArray(name);
        foreach (var value in values)
        {
            writer.WriteStringValue(value);
        }

        writer.WriteEndArray();
    }

    private static string Json(Action<Utf8JsonWriter> body)
    {
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream, Indented))
        {
            writer.WriteStartObject();
            body(writer);
            writer.WriteEndObject();
        }

        return TerminalText.EscapeJson(Encoding.UTF8.GetString(stream.ToArray()));
    }

    private sealed class FixedTimeProvider(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now.ToUniversalTime();
    }
}
