using System.Globalization;
using System.Text;
using GovernedExecution.Internal;

namespace GovernedExecution.Lineage;

/// <summary>
/// Renders the executions of a log as a tree (parents and children) for <c>govexec lineage show</c>. Every value taken
/// from a record is escaped for the terminal: a log is input, and whoever could write it could write escape sequences
/// or bidi overrides into a principal, a policy name or a denial detail.
/// </summary>
internal static class LineageExecutionTree
{
    internal static string Render(IReadOnlyList<string> paths, string? root)
    {
        var executions = new Dictionary<Guid, Execution>();
        var order = new List<Execution>();
        foreach (var path in LineageVerifier.InLogOrder(paths))
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1, FileOptions.SequentialScan);
            var reader = new LineageLineReader(stream, 0);
            long number = 0;
            while (reader.TryRead(out var line, out _, out _))
            {
                number++;
                var record = LineageRecordLine.TryParse(line.Span, out var error);
                if (record is null)
                {
                    // A torn or damaged line sealed by the repair record after it is not a record: skipped, as verify does.
                    if (!reader.NextSeals(line.Span))
                    {
                        throw new InvalidDataException($"{path}:{number}: {error}");
                    }

                    continue;
                }

                if (record.Kind is LineageEventKind.Checkpoint or LineageEventKind.Repair or LineageEventKind.RecordsLost)
                {
                    continue;
                }

                if (!executions.TryGetValue(record.ExecutionId, out var execution))
                {
                    execution = new Execution(record.ExecutionId, record.ParentExecutionId);
                    executions.Add(record.ExecutionId, execution);
                    order.Add(execution);
                }

                execution.Add(record);
            }
        }

        foreach (var execution in order)
        {
            if (execution.Parent is { } parent && executions.TryGetValue(parent, out var p))
            {
                p.Children.Add(execution);
            }
        }

        var text = new StringBuilder();
        IEnumerable<Execution> roots;
        if (root is not null)
        {
            if (!Guid.TryParse(root, out var id) || !executions.TryGetValue(id, out var start))
            {
                throw new ArgumentException($"Execution '{TerminalText.Escape(root)}' is not in the log.");
            }

            roots = [start];
        }
        else
        {
            roots = order.Where(e => e.Parent is null || !executions.ContainsKey(e.Parent.Value));
        }

        foreach (var execution in roots)
        {
            Write(text, execution, string.Empty, string.Empty);
        }

        text.Append(CultureInfo.InvariantCulture, $"{executions.Count} execution(s)").AppendLine();
        return text.ToString();
    }

    private static void Write(StringBuilder text, Execution execution, string indent, string branch)
    {
        text.Append(indent).Append(branch).Append(execution.Summary()).AppendLine();
        var childIndent = indent + (branch.Length == 0 ? string.Empty : branch == "└─ " ? "   " : "│  ");
        for (var i = 0; i < execution.Children.Count; i++)
        {
            Write(text, execution.Children[i], childIndent, i == execution.Children.Count - 1 ? "└─ " : "├─ ");
        }
    }

    private sealed class Execution(Guid id, Guid? parent)
    {
        private readonly List<LineageRecordLine> _records = [];

        internal Guid? Parent { get; } = parent;

        internal List<Execution> Children { get; } = [];

        internal void Add(LineageRecordLine record) => _records.Add(record);

        internal string Summary()
        {
            var intent = Find(LineageEventKind.IntentSubmitted) ?? Find(LineageEventKind.DryRun);
            var policy = Find(LineageEventKind.PolicyEvaluated);
            var verified = Find(LineageEventKind.ArtifactVerified);
            var parts = new List<string> { id.ToString("D") };
            if (intent is not null)
            {
                parts.Add($"{Shown(intent["principal"])} -> {Shown(intent["action"])} on {Shown(intent["resource"])}");
            }

            parts.Add("phase " + Phase());
            if (policy is not null)
            {
                parts.Add($"decision {Shown(policy["decision"])}" + (string.IsNullOrEmpty(policy["policies"]) ? string.Empty : $" ({Shown(policy["policies"])})"));
            }

            foreach (var approval in _records.Where(r => r.Kind == LineageEventKind.ApprovalRecorded))
            {
                parts.Add($"approval {(approval["approved"] == "true" ? "granted" : "refused")} by {Shown(approval["approver"])}");
            }

            if (verified is not null)
            {
                parts.Add("artifact " + Shown(verified["verdict"]));
            }

            parts.Add("outcome " + Outcome());
            return string.Join("  |  ", parts);
        }

        private string Phase() => _records.Count == 0 ? "none" : LineageKindLabel(_records[^1].Kind);

        private string Outcome()
        {
            if (Find(LineageEventKind.ExecutionCompleted) is { } completed)
            {
                return $"completed in {Shown(completed["duration_us"])} us";
            }

            if (Find(LineageEventKind.ExecutionFailed) is { } failed)
            {
                return $"failed: {Shown(failed["exception"])}";
            }

            if (Find(LineageEventKind.ExecutionDenied) is { } denied)
            {
                return $"denied, reason {Shown(denied["reason"])}: {Shown(denied["detail"])}";
            }

            if (Find(LineageEventKind.DryRun) is { } dry)
            {
                return $"dry run, allowed {Shown(dry["allowed"])}" + (dry["reason"] is { } reason ? $", reason {Shown(reason)}" : string.Empty);
            }

            return Find(LineageEventKind.ExecutionStarted) is null ? "none recorded" : "started, no outcome recorded";
        }

        private static string Shown(string? value) => TerminalText.Escape(value);

        private LineageRecordLine? Find(LineageEventKind kind) => _records.LastOrDefault(r => r.Kind == kind);

        private static string LineageKindLabel(LineageEventKind kind) => kind.ToString();
    }
}
