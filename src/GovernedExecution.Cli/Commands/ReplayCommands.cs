using System.CommandLine;
using System.Security.Cryptography;
using System.Text;
using GovernedExecution.Internal;
using GovernedExecution.Lineage;
using GovernedExecution.Policies.Cedar;

namespace GovernedExecution.Cli.Commands;

/// <summary>
/// <c>govexec replay LOG... --policies PATH [--entities FILE] [--allow-other-policies]</c>: decides every decision
/// recorded in lineage again, offline, and says per execution whether it comes out the same (docs/cli.md).
/// </summary>
internal static class ReplayCommands
{
    /// <summary>The longest record line read; a longer one is skipped (not buffered) and reported as malformed.</summary>
    internal const int MaxLineBytes = 4 * 1024 * 1024;

    /// <summary>How many executions may wait between their intent record and their decision record.</summary>
    internal const int MaxOpenExecutions = 100_000;

    /// <summary>The longest piece of recorded text echoed in a report line.</summary>
    private const int MaxEcho = 200;

    private static readonly string EmptyContextDigest = Convert.ToHexStringLower(SHA256.HashData("{}"u8));

    internal static void Register(RootCommand root)
    {
        var logs = new Argument<string[]>("LOG") { Arity = ArgumentArity.OneOrMore, Description = "Lineage files (JSON Lines), oldest first." };
        var policies = new Option<string>("--policies") { Description = "The policies to replay with: a .cedar file, a folder of them, or a JSON policy file.", Required = true };
        var entities = new Option<string?>("--entities") { Description = "Entities in Cedar's entity JSON format, instead of the slices recorded in the log (checked against their recorded digests)." };
        var schema = new Option<string?>("--schema") { Description = "The schema the decisions were made under (a .cedarschema file, or JSON): its digest is part of theirs." };
        var allowOther = new Option<bool>("--allow-other-policies") { Description = "What if: replay with policies (or entities) whose digest differs from the recorded one; the difference is reported per execution." };
        var command = new Command("replay", "Decide every recorded decision again; print per execution same, diverged or not replayable; exit 0 only when all are the same, 6 when any diverged, 7 when any could not be replayed.") { logs, policies, entities, schema, allowOther };
        command.SetAction(result => CliGuard.Run(result, () => Replay(
            result.GetValue(logs)!,
            result.GetValue(policies)!,
            result.GetValue(entities),
            result.GetValue(schema),
            result.GetValue(allowOther),
            result.InvocationConfiguration.Output)));
        root.Subcommands.Add(command);
    }

    private static int Replay(string[] logs, string policiesPath, string? entitiesPath, string? schemaPath, bool allowOther, TextWriter output)
    {
        var set = PolicyCommands.LoadPolicies(policiesPath);
        var schema = PolicyCommands.LoadSchema(schemaPath);
        // Under a schema the evaluator's digest joins the schema's, as the executor's does.
        var evaluator = schema is null ? new CedarPolicyEvaluator(set) : new CedarPolicyEvaluator(set, schema, null, null);
        var store = entitiesPath is null ? null : PolicyCommands.LoadEntities(entitiesPath, schemaPath);
        foreach (var log in logs)
        {
            if (!File.Exists(log))
            {
                throw new FileNotFoundException($"{log}: no such lineage file");
            }
        }

        var tally = new Tally();
        var open = new OpenExecutions();
        foreach (var log in logs)
        {
            using var stream = new FileStream(log, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1 << 16);
            var reader = new BoundedLineReader(stream);
            var number = 0L;
            while (reader.Next() is { } line)
            {
                number++;
                if (line.TooLong)
                {
                    tally.Report(output, $"{log}:{number}", Outcome.NotReplayable, $"malformed record: longer than {MaxLineBytes} bytes");
                    continue;
                }

                if (line.Bytes.Length == 0)
                {
                    continue;
                }

                var record = LineageRecordLine.TryParse(line.Bytes, out var error);
                if (record is null)
                {
                    tally.Report(output, $"{log}:{number}", Outcome.NotReplayable, error);
                    continue;
                }

                switch (record.Kind)
                {
                    case LineageEventKind.IntentSubmitted:
                        open.Add(record.ExecutionId, (record["principal"], record["action"], record["resource"]));
                        break;
                    case LineageEventKind.PolicyEvaluated:
                        var request = open.Take(record.ExecutionId);
                        var (outcome, text) = ReplayOne(record, request, evaluator, store, allowOther);
                        tally.Report(output, record.ExecutionId.ToString("D"), outcome, text);
                        break;
                }
            }
        }

        output.WriteLine($"{tally.Same} same, {tally.Diverged} diverged, {tally.NotReplayable} not replayable");
        if (tally.Same + tally.Diverged + tally.NotReplayable == 0)
        {
            throw new InvalidDataException("the logs hold no decision (no policy_evaluated record): nothing was replayed");
        }

        return tally.Diverged > 0 ? ExitCodes.Diverged : tally.NotReplayable > 0 ? ExitCodes.NotReplayable : ExitCodes.Ok;
    }

    private static (Outcome Outcome, string Text) ReplayOne(LineageRecordLine record, (string? Principal, string? Action, string? Resource)? request, CedarPolicyEvaluator evaluator, CedarEntities? file, bool allowOther)
    {
        var notes = new StringBuilder();
        var recordedSet = record["policy_set"];
        if (string.IsNullOrEmpty(recordedSet))
        {
            return (Outcome.NotReplayable, "the record names no policy set");
        }

        if (!string.Equals(recordedSet, evaluator.PolicySetDigest, StringComparison.Ordinal))
        {
            var difference = $"decided by policy set {Echo(recordedSet)}, the policies given have digest {evaluator.PolicySetDigest}";
            if (!allowOther)
            {
                return (Outcome.NotReplayable, difference + " (--allow-other-policies replays with them anyway)");
            }

            notes.Append("; ").Append(difference);
        }

        if (request is not { Principal: { } principal, Action: { } action, Resource: { } resource })
        {
            return (Outcome.NotReplayable, "its intent record (principal, action, resource) is not in the logs given");
        }

        var recordedDigest = record[LineageDecisionInputs.EntitiesDigest];
        if (recordedDigest is null)
        {
            return (Outcome.NotReplayable, $"no digest of the consulted entities was recorded (a decision not made by the Cedar evaluator, a log written before decisions were replayable, or more than {CedarEntitySlice.MaxEntities} entities)");
        }

        try
        {
            var context = Context(record);
            if (context.Error is not null)
            {
                return (Outcome.NotReplayable, context.Error);
            }

            var cedarRequest = CedarRequest.Create(principal, action, resource, context.Json);
            CedarEntities entities;
            if (file is not null)
            {
                var slice = CedarEntitySlice.Take(cedarRequest.Principal, cedarRequest.Action, cedarRequest.Resource, cedarRequest.Context, file.Store, evaluator.Literals);
                if (!string.Equals(slice.EntitiesDigest, recordedDigest, StringComparison.Ordinal))
                {
                    var difference = $"--entities holds other data for the entities this decision consulted (digest {slice.EntitiesDigest ?? "none: too many entities"}, recorded {Echo(recordedDigest)})";
                    if (!allowOther)
                    {
                        return (Outcome.NotReplayable, difference);
                    }

                    notes.Append("; ").Append(difference);
                }

                entities = file;
            }
            else
            {
                var recorded = record[LineageDecisionInputs.Entities];
                if (recorded is null)
                {
                    return (Outcome.NotReplayable, "the consulted entities were not recorded (LineageOptions.RecordEntities is off, or the slice was too large): give --entities FILE");
                }

                if (!string.Equals(Digest(recorded), recordedDigest, StringComparison.Ordinal))
                {
                    return (Outcome.NotReplayable, "the recorded entities do not match their recorded digest");
                }

                entities = CedarEntities.ParseJson(recorded, "recorded entities");
            }

            var replayed = evaluator.Replay(cedarRequest, entities);
            var recordedText = Describe(record["decision"], record["policies"], record["errors"]);
            var replayedText = Describe(replayed.Kind.ToString(), string.Join(",", replayed.DeterminingPolicies), string.Join(",", replayed.Errors.Select(e => e.PolicyId)));
            return string.Equals(recordedText, replayedText, StringComparison.Ordinal)
                ? (Outcome.Same, recordedText + notes)
                : (Outcome.Diverged, $"recorded {recordedText}, replayed {replayedText}{notes}");
        }
        catch (Exception ex) when (CliGuard.IsInputError(ex))
        {
            return (Outcome.NotReplayable, "its recorded request or entities cannot be read: " + Echo(ex.Message));
        }
    }

    /// <summary>The recorded context JSON, checked against its digest; an empty context needs no record of its own.</summary>
    private static (string? Json, string? Error) Context(LineageRecordLine record)
    {
        var digest = record[LineageDecisionInputs.ContextDigest];
        var recorded = record[LineageDecisionInputs.Context];
        if (digest is null)
        {
            return (null, "no digest of the request context was recorded");
        }

        if (recorded is null)
        {
            return string.Equals(digest, EmptyContextDigest, StringComparison.Ordinal)
                ? (null, null)
                : (null, "the request context was not recorded (LineageOptions.RecordEntities is off)");
        }

        return string.Equals(Digest(recorded), digest, StringComparison.Ordinal)
            ? (recorded, null)
            : (null, "the recorded context does not match its recorded digest");
    }

    private static string Digest(string text) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));

    private static string Describe(string? kind, string? policies, string? errors) =>
        $"{Echo(kind ?? "?")} by [{Echo(policies ?? string.Empty)}]" + (string.IsNullOrEmpty(errors) ? string.Empty : $" with errors in [{Echo(errors)}]");

    private static string Echo(string text) => text.Length <= MaxEcho ? text : string.Concat(text.AsSpan(0, MaxEcho), "...");

    private enum Outcome
    {
        Same,
        Diverged,
        NotReplayable,
    }

    private sealed class Tally
    {
        internal int Same { get; private set; }

        internal int Diverged { get; private set; }

        internal int NotReplayable { get; private set; }

        internal void Report(TextWriter output, string subject, Outcome outcome, string text)
        {
            switch (outcome)
            {
                case Outcome.Same:
                    Same++;
                    output.WriteLine(TerminalText.Escape($"{subject} same: {text}"));
                    break;
                case Outcome.Diverged:
                    Diverged++;
                    output.WriteLine(TerminalText.Escape($"{subject} diverged: {text}"));
                    break;
                default:
                    NotReplayable++;
                    output.WriteLine(TerminalText.Escape($"{subject} not replayable: {text}"));
                    break;
            }
        }
    }

    /// <summary>Intent records waiting for their decision record; the oldest are forgotten beyond <see cref="MaxOpenExecutions"/>.</summary>
    private sealed class OpenExecutions
    {
        private readonly Dictionary<Guid, (string?, string?, string?)> _open = [];
        private readonly Queue<Guid> _order = new();

        internal void Add(Guid execution, (string? Principal, string? Action, string? Resource) request)
        {
            _open[execution] = request;
            _order.Enqueue(execution);
            while (_open.Count > MaxOpenExecutions)
            {
                _open.Remove(_order.Dequeue());
            }

            if (_order.Count > 2 * MaxOpenExecutions)
            {
                // Most queued ids were already taken: keep only the open ones, in their order.
                var keep = _order.Where(_open.ContainsKey).Distinct().ToArray();
                _order.Clear();
                foreach (var id in keep)
                {
                    _order.Enqueue(id);
                }
            }
        }

        internal (string?, string?, string?)? Take(Guid execution) =>
            _open.Remove(execution, out var request) ? request : null;
    }

    /// <summary>Reads lines of at most <see cref="MaxLineBytes"/>; a longer line is consumed without being kept.</summary>
    private sealed class BoundedLineReader(Stream stream)
    {
        private readonly byte[] _chunk = new byte[1 << 16];
        private readonly System.Buffers.ArrayBufferWriter<byte> _line = new(1 << 16);
        private int _start;
        private int _end;

        internal (byte[] Bytes, bool TooLong)? Next()
        {
            _line.Clear();
            var tooLong = false;
            var any = false;
            while (true)
            {
                if (_start == _end)
                {
                    _end = stream.Read(_chunk, 0, _chunk.Length);
                    _start = 0;
                    if (_end == 0)
                    {
                        return any ? (_line.WrittenSpan.ToArray(), tooLong) : null;
                    }
                }

                any = true;
                var span = _chunk.AsSpan(_start, _end - _start);
                var index = span.IndexOf((byte)'\n');
                var take = index < 0 ? span : span[..index];
                if (!tooLong && _line.WrittenCount + take.Length <= MaxLineBytes)
                {
                    take.CopyTo(_line.GetSpan(take.Length));
                    _line.Advance(take.Length);
                }
                else
                {
                    tooLong = true;
                    _line.Clear();
                }

                if (index >= 0)
                {
                    _start += index + 1;
                    return (_line.WrittenSpan.ToArray(), tooLong);
                }

                _start = _end;
            }
        }
    }
}
