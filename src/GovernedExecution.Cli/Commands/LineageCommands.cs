using System.CommandLine;
using GovernedExecution.Artifacts.Keys;
using GovernedExecution.Internal;
using GovernedExecution.Lineage;

namespace GovernedExecution.Cli.Commands;

/// <summary><c>govexec lineage verify|prove|check-proof|show|seal</c>: audit lineage files offline, and seal a damaged one.</summary>
internal static class LineageCommands
{
    private const string SignaturesNotCheckedError = "error: checkpoint signatures were not checked: give --trust PUB.pem, or --no-signatures to accept that";
    private const string SignaturesNotCheckedWarning = "warning: checkpoint signatures were not checked (--no-signatures)";

    internal static void Register(RootCommand root)
    {
        var lineage = new Command("lineage", "Verify, prove and show lineage logs (JSON Lines files).");
        lineage.Subcommands.Add(Verify());
        lineage.Subcommands.Add(Prove());
        lineage.Subcommands.Add(CheckProof());
        lineage.Subcommands.Add(Show());
        lineage.Subcommands.Add(Seal());
        root.Subcommands.Add(lineage);
    }

    private static Option<string[]> TrustOption() => new("--trust")
    {
        Description = "A trusted public key (SPKI PEM) for checkpoint signatures, as PATH or KEYID=PATH; repeatable.",
        AllowMultipleArgumentsPerToken = false,
    };

    private static Option<string?> PostgresOption() => new("--postgres")
    {
        Description = "Read the lineage from PostgreSQL (an Npgsql connection string) instead of files: every writer's chain.",
    };

    private static Option<string?> SchemaOption() => new("--schema")
    {
        Description = "The schema of the lineage tables, with --postgres (govexec by default).",
    };

    private static Option<bool> NoSignaturesOption() => new("--no-signatures")
    {
        Description = "Accept the log without checking checkpoint signatures (no --trust).",
    };

    private static Command Verify()
    {
        var files = new Argument<string[]>("FILE") { Arity = ArgumentArity.ZeroOrMore, Description = "The log's files, oldest first (or --postgres)." };
        var trust = TrustOption();
        var noSignatures = NoSignaturesOption();
        var witness = new Option<string?>("--witness") { Description = "A checkpoint witness directory: the log must consistently contain the checkpoint it holds for it (not truncated, rolled back or forked)." };
        var partial = new Option<bool>("--partial") { Description = "Accept files that start with a later file of the log (earlier ones archived), verified from the signed checkpoint it starts with." };
        var postgres = PostgresOption();
        var schema = SchemaOption();
        var command = new Command("verify", "Check JSON, sequence, hash chain, Merkle roots of every checkpoint, and checkpoint signatures.") { files, trust, noSignatures, witness, partial, postgres, schema };
        command.Validators.Add(CliGuard.Validator(result =>
        {
            var database = result.GetValue(postgres) is not null;
            if (database == (result.GetValue(files) is { Length: > 0 }))
            {
                result.AddError("Give either the log's FILEs or --postgres CONNECTION-STRING.");
            }
            else if (database && (result.GetValue(witness) is not null || result.GetValue(partial)))
            {
                result.AddError("--witness and --partial apply to files, not to --postgres.");
            }
            else if (!database && result.GetValue(schema) is not null)
            {
                result.AddError("--schema applies to --postgres.");
            }
        }));
        command.SetAction(parse => WithKeys(parse, parse.GetValue(trust), keys =>
        {
            var output = parse.InvocationConfiguration.Output;
            var error = parse.InvocationConfiguration.Error;
            if (parse.GetValue(postgres) is { } connectionString)
            {
                return PostgreSqlLineageCommands.Verify(connectionString, parse.GetValue(schema), keys, parse.GetValue(noSignatures), output, error);
            }

            var paths = parse.GetValue(files)!;
            if (parse.GetValue(witness) is { } missing && !Directory.Exists(missing))
            {
                CliGuard.Report(error, $"the witness directory {missing} does not exist: nothing could be checked against it");
                return ExitCodes.Error;
            }

            var result = parse.GetValue(witness) is { } directory
                ? LineageVerifier.VerifyFilesAsync(paths, keys.Count == 0 ? null : keys, new DirectoryCheckpointWitness(directory)).GetAwaiter().GetResult()
                : LineageVerifier.VerifyFiles(paths, keys.Count == 0 ? null : keys);
            output.WriteLine(result.ToJson());
            if (result.IsValid && parse.GetValue(witness) is { } held && WitnessHoldsNothing(held, paths))
            {
                CliGuard.Report(error, $"the witness {held} holds no checkpoint for this log: the log was not checked against it (is it the log's witness directory?)");
                return ExitCodes.Error;
            }

            if (!result.IsValid)
            {
                CliGuard.Report(error, $"the log is not valid: {result.FailedFile}{(result.FailedLine is { } at ? ":" + at.ToString(System.Globalization.CultureInfo.InvariantCulture) : string.Empty)}: {result.Error}");
                return ExitCodes.Error;
            }

            WarnAboutMissingSegments(paths, error);
            foreach (var notice in result.Notices)
            {
                error.WriteLine("notice: " + TerminalText.Escape(notice));
            }

            if (!result.SignaturesChecked)
            {
                error.WriteLine(parse.GetValue(noSignatures) ? SignaturesNotCheckedWarning : SignaturesNotCheckedError);
            }

            if (result.FirstRecord > 1 && !parse.GetValue(partial))
            {
                error.WriteLine($"error: the files start at record {result.FirstRecord}: the log's earlier files were not given (give them, or --partial to verify from that checkpoint)");
                return ExitCodes.Error;
            }

            if (!result.IsValid || !(result.SignaturesChecked || parse.GetValue(noSignatures)))
            {
                return ExitCodes.Error;
            }

            if (result.RecordsLost > 0)
            {
                error.WriteLine($"warning: the log is valid, and records that {result.RecordsLost} acknowledged record(s) were lost (records_lost notices above): those calls ran with no record here");
                return ExitCodes.RecordsLost;
            }

            return ExitCodes.Ok;
        }));
        return command;
    }

    private static Command Prove()
    {
        var files = new Argument<string[]>("FILE") { Arity = ArgumentArity.OneOrMore, Description = "The log's files, oldest first." };
        var sequence = new Option<long?>("--sequence") { Description = "Prove this record's inclusion in the tree of the latest checkpoint." };
        var from = new Option<long?>("--from-checkpoint") { Description = "Prove consistency from the checkpoint record with this sequence number..." };
        var to = new Option<long?>("--to-checkpoint") { Description = "...to this one (the latest by default)." };
        var trust = TrustOption();
        var noSignatures = NoSignaturesOption();
        var command = new Command("prove", "Write an RFC 9162 inclusion or consistency proof as JSON (the log is verified first).") { files, sequence, from, to, trust, noSignatures };
        command.Validators.Add(CliGuard.Validator(result =>
        {
            if (result.GetValue(sequence) is null == result.GetValue(from) is null)
            {
                result.AddError("Give either --sequence N or --from-checkpoint N [--to-checkpoint M].");
            }
        }));
        command.SetAction(parse => WithKeys(parse, parse.GetValue(trust), keys =>
        {
            var trusted = keys.Count == 0 ? null : keys.ToDictionary(k => k.KeyId, StringComparer.Ordinal);
            var paths = parse.GetValue(files)!;
            var proof = parse.GetValue(sequence) is { } n
                ? LineageProofs.CreateInclusion(paths, n, trusted)
                : LineageProofs.CreateConsistency(paths, parse.GetValue(from)!.Value, parse.GetValue(to), trusted);
            parse.InvocationConfiguration.Output.WriteLine(proof);
            if (trusted is not null)
            {
                return ExitCodes.Ok;
            }

            // The proof is written either way ('lineage check-proof --trust' checks the checkpoints it carries), but an
            // unchecked log is not a success unless the auditor said so.
            parse.InvocationConfiguration.Error.WriteLine(parse.GetValue(noSignatures) ? SignaturesNotCheckedWarning : SignaturesNotCheckedError);
            return parse.GetValue(noSignatures) ? ExitCodes.Ok : ExitCodes.Error;
        }));
        return command;
    }

    private static Command CheckProof()
    {
        var proof = new Argument<string>("PROOF") { Description = "The proof JSON file ('-' for standard input)." };
        var trust = TrustOption();
        var noSignatures = NoSignaturesOption();
        var command = new Command("check-proof", "Verify an inclusion or consistency proof offline, and its checkpoints' signatures.") { proof, trust, noSignatures };
        command.SetAction(parse => WithKeys(parse, parse.GetValue(trust), keys =>
        {
            var path = parse.GetValue(proof)!;
            var json = path == "-" ? Console.In.ReadToEnd() : File.ReadAllText(path);
            var error = LineageProofs.Verify(json, keys.Count == 0 ? null : keys.ToDictionary(k => k.KeyId, StringComparer.Ordinal));
            var signatures = keys.Count > 0;
            parse.InvocationConfiguration.Output.WriteLine(error is null
                ? $"{{\"valid\":true,\"signaturesChecked\":{(signatures ? "true" : "false")}}}"
                : $"{{\"valid\":false,\"signaturesChecked\":{(signatures ? "true" : "false")},\"reason\":{System.Text.Json.JsonSerializer.Serialize(error, CliJson.Default.String)}}}");
            if (error is not null)
            {
                CliGuard.Report(parse.InvocationConfiguration.Error, "the proof is not valid: " + error);
                return ExitCodes.Error;
            }

            if (!signatures)
            {
                parse.InvocationConfiguration.Error.WriteLine(parse.GetValue(noSignatures) ? SignaturesNotCheckedWarning : SignaturesNotCheckedError);
            }

            return signatures || parse.GetValue(noSignatures) ? ExitCodes.Ok : ExitCodes.Error;
        }));
        return command;
    }

    private static Command Show()
    {
        var files = new Argument<string[]>("FILE") { Arity = ArgumentArity.ZeroOrMore, Description = "The log's files, oldest first (or --postgres)." };
        var execution = new Option<string?>("--execution") { Description = "Show only this execution and its descendants (across every writer, with --postgres)." };
        var postgres = PostgresOption();
        var schema = SchemaOption();
        var command = new Command("show", "Show the executions as a tree (parents and children) with phase, decision, reason and outcome, as recorded (not verified).") { files, execution, postgres, schema };
        command.Validators.Add(CliGuard.Validator(result =>
        {
            var database = result.GetValue(postgres) is not null;
            if (database == (result.GetValue(files) is { Length: > 0 }))
            {
                result.AddError("Give either the log's FILEs or --postgres CONNECTION-STRING.");
            }
            else if (database && result.GetValue(execution) is null)
            {
                result.AddError("--postgres needs --execution ID: the tree of one execution, across every writer.");
            }
            else if (!database && result.GetValue(schema) is not null)
            {
                result.AddError("--schema applies to --postgres.");
            }
        }));
        command.SetAction(parse => CliGuard.Run(parse, () =>
        {
            if (parse.GetValue(postgres) is { } connectionString)
            {
                return PostgreSqlLineageCommands.Show(connectionString, parse.GetValue(schema), parse.GetValue(execution)!, parse.InvocationConfiguration.Output, parse.InvocationConfiguration.Error);
            }

            LineageExecutionTree.Write(parse.GetValue(files)!, parse.GetValue(execution), parse.InvocationConfiguration.Output);
            parse.InvocationConfiguration.Error.WriteLine("note: shown as recorded; the log was not verified (use 'govexec lineage verify')");
            return ExitCodes.Ok;
        }));
        return command;
    }

    private static Command Seal()
    {
        var file = new Argument<string>("FILE") { Description = "The log's first file (the path the service writes)." };
        var key = new Option<string>("--key") { Description = "The checkpoint signing key (PKCS#8 PEM) of the log.", Required = true };
        var adopt = new Option<bool>("--adopt-unsigned") { Description = "Also adopt records no signed checkpoint covers (recorded, and reported by verify as not authenticated)." };
        var witness = new Option<string?>("--witness") { Description = "The log's checkpoint witness directory, if it has one." };
        var command = new Command("seal", "Record a damaged last line with a signed repair record (its length and digest), so that the log can be opened again; the line stays.") { file, key, adopt, witness };
        command.SetAction(parse => CliGuard.Run(parse, () =>
        {
            var error = parse.InvocationConfiguration.Error;
            var path = parse.GetValue(file)!;
            if (!File.Exists(path) || new FileInfo(path).Length == 0)
            {
                // Opening a sink there would start a new log: there is nothing to seal.
                CliGuard.Report(error, $"{path}: {(File.Exists(path) ? "the log is empty" : "no such log file")}; nothing to seal");
                return ExitCodes.Error;
            }

            try
            {
                using var signingKey = SigningKey.FromPem(KeyFiles.ReadPrivate(parse.GetValue(key)!, "--key"));
                var options = new FileLineageSinkOptions
                {
                    Path = path,
                    CheckpointKey = signingKey,
                    AdoptUnsignedTail = parse.GetValue(adopt),
                    SealDamagedLastLine = true,
                    Witness = parse.GetValue(witness) is { } directory ? new DirectoryCheckpointWitness(directory) : null,
                };
                using (FileLineageSink.Open(options))
                {
                }

                parse.InvocationConfiguration.Output.WriteLine("sealed: " + TerminalText.Escape(options.Path));
                return ExitCodes.Ok;
            }
            catch (InvalidDataException ex)
            {
                CliGuard.Report(error, ex.Message);
                if (!parse.GetValue(adopt) && ex.Message.Contains("not covered by a checkpoint", StringComparison.Ordinal))
                {
                    error.WriteLine("hint: give --adopt-unsigned to adopt those records (recorded, and reported by verify as not authenticated)");
                }

                return ExitCodes.Error;
            }
        }));
        return command;
    }

    /// <summary>Whether the witness holds no checkpoint for the log's id (read from its first record).</summary>
    private static bool WitnessHoldsNothing(string directory, string[] paths)
    {
        using var stream = new FileStream(LineageVerifier.InLogOrder(paths)[0], FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        var reader = new LineageLineReader(stream, 0);
        return !reader.TryRead(out var line, out _, out _) || LineageRecordLine.TryParse(line.Span, out _) is not { } first
            || new DirectoryCheckpointWitness(directory).GetLatestAsync(first.LogId, CancellationToken.None).AsTask().GetAwaiter().GetResult() is null;
    }

    /// <summary>A log's later files (after rotation) that were not given are not verified: say so.</summary>
    private static void WarnAboutMissingSegments(string[] paths, TextWriter error)
    {
        var given = paths.Select(Path.GetFullPath).ToHashSet(StringComparer.Ordinal);
        foreach (var path in paths)
        {
            foreach (var segment in LineageSegments.Existing(path).Select(Path.GetFullPath).Where(p => !given.Contains(p)))
            {
                error.WriteLine($"warning: {TerminalText.Escape(segment)} belongs to the same log and was not given: it was not verified");
            }
        }
    }

    /// <summary>Loads the <c>--trust</c> keys, runs <paramref name="action"/> with them under the guard, and disposes them.</summary>
    private static int WithKeys(ParseResult parse, string[]? specs, Func<List<TrustedKey>, int> action) => CliGuard.Run(parse, () =>
    {
        var keys = new List<TrustedKey>();
        try
        {
            foreach (var spec in specs ?? [])
            {
                if (LoadKey(spec) is { } key && !IsAlreadyTrusted(keys, key))
                {
                    keys.Add(key);
                }
            }

            return action(keys);
        }
        finally
        {
            keys.ForEach(k => k.Dispose());
        }
    });

    /// <summary>Loads <c>PATH</c> or <c>KEYID=PATH</c>.</summary>
    /// <exception cref="ArgumentException">The file holds no supported public key.</exception>
    private static TrustedKey LoadKey(string spec)
    {
        var split = spec.IndexOf('=', StringComparison.Ordinal);
        var keyId = split > 0 ? spec[..split] : null;
        var path = split > 0 ? spec[(split + 1)..] : spec;
        try
        {
            return TrustedKey.FromPem(KeyFiles.ReadPublic(path, "--trust"), keyId: keyId);
        }
        catch (ArgumentException ex)
        {
            throw new ArgumentException($"cannot load trusted key '{path}': {ex.Message}", ex);
        }
    }

    /// <summary>
    /// The same key given twice is trusted once (and disposed here); two different keys under one key id are refused,
    /// since either could be the one a checkpoint names.
    /// </summary>
    /// <exception cref="ArgumentException">Another key is already trusted under the key id.</exception>
    private static bool IsAlreadyTrusted(List<TrustedKey> keys, TrustedKey key)
    {
        if (keys.Find(k => string.Equals(k.KeyId, key.KeyId, StringComparison.Ordinal)) is not { } existing)
        {
            return false;
        }

        var same = existing.Algorithm == key.Algorithm && string.Equals(existing.ExportPublicKeyPem(), key.ExportPublicKeyPem(), StringComparison.Ordinal);
        key.Dispose();
        return same ? true : throw new ArgumentException($"two different --trust keys have the key id '{existing.KeyId}'");
    }
}

[System.Text.Json.Serialization.JsonSerializable(typeof(string))]
internal sealed partial class CliJson : System.Text.Json.Serialization.JsonSerializerContext;
